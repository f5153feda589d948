"""Cross-cutting records: submitted forms (so a double click creates one record)."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from safehaven.lib.models import ChoiceLabels


class SubmittedForm(ChoiceLabels, models.Model):
    """A form submission that created something, remembered by its one-time token."""

    data_classification = {
        "id": "none", "token": "none", "user": "none", "result_url": "none", "created_at": "none",
    }

    token = models.UUIDField(unique=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    result_url = models.CharField(max_length=300)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    def __str__(self) -> str:
        return f"submission {self.token}"
