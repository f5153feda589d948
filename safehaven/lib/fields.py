"""Model fields for sensitive data and opaque identifiers."""

from django.db import models

from safehaven.lib import crypto


class EncryptedTextField(models.TextField):
    """A text field stored encrypted at rest; Python code sees plaintext.

    It cannot be searched or ordered in the database: that is the point.
    """

    description = "Text encrypted at rest (AES-GCM)"

    def contribute_to_class(self, cls, name, *args, **kwargs):
        super().contribute_to_class(cls, name, *args, **kwargs)
        self.crypto_context = f"{cls._meta.app_label}.{cls._meta.model_name}.{name}"

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return value
        return crypto.decrypt(value, context=self.crypto_context)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return crypto.encrypt(value, context=self.crypto_context)


def encrypted_fields(model) -> list[EncryptedTextField]:
    """Return the encrypted fields of a model."""
    return [f for f in model._meta.get_fields() if isinstance(f, EncryptedTextField)]
