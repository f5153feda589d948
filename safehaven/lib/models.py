"""What every Safe Haven model shares."""

from django.utils.encoding import force_str
from django.utils.hashable import make_hashable


class ChoiceLabels:
    """Mixin for models: get_FOO_display() looks the label up in a map built once per field.

    Django's own get_FOO_display() rebuilds dict(make_hashable(field.flatchoices)) on every
    call, and hashing each lazy label translates it: a field with ten choices costs ten
    gettext calls for every row shown (about 550 on a chart view, 830 on a referral list,
    some milliseconds of CPU each). Here the map is keyed by the stored values only and
    the labels stay lazy, so each display is still in the language of the request. Fields
    whose choices are computed (a callable) keep Django's behaviour.
    """

    def _get_FIELD_display(self, field):  # noqa: N802 - Django's name, overridden
        labels = field.__dict__.get("_safehaven_choice_labels")
        if labels is None:
            if not isinstance(field.choices, (list, tuple)):
                return super()._get_FIELD_display(field)
            labels = {make_hashable(value): label for value, label in field.flatchoices}
            field._safehaven_choice_labels = labels
        value = getattr(self, field.attname)
        return force_str(labels.get(make_hashable(value), value), strings_only=True)
