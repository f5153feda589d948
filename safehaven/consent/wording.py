"""Plain, neutral words for what the person (or someone with them) may see.

Staff pages use the model labels; printouts for the person use these, which never name
exploitation or use legal citations.
"""

from django.utils.translation import gettext_lazy as _

PERSON_CATEGORY_LABELS = {
    "identity_contact": _("Your name and how to reach you"),
    "clinical_summary": _("A summary of your health care"),
    "trafficking_related": _("What you told us about your safety and experiences"),
    "mental_health": _("Your mental health care"),
    "substance_use": _("Care for alcohol or drug use"),
    "sexual_reproductive": _("Your sexual and reproductive health care"),
    "location": _("Where you live or stay"),
}

PERSON_PURPOSE_LABELS = {
    "treatment": _("for your health care"),
    "referral": _("to connect you with a service"),
    "legal_advocacy": _("for legal help"),
    "law_enforcement": _("for the police or a court"),
    "research": _("for research"),
    "evaluation": _("to check how well the clinic works"),
    "reminder": _("for reminders"),
    "payment": _("for payment or insurance"),
}

# Where a health concern may appear (screening.models.CHANNELS), in plain words.
CHANNEL_LABELS = {
    "record": _("your health record"),
    "printout": _("printed papers"),
    "portal": _("the online patient portal"),
    "claims": _("insurance claims"),
    "export": _("records sent to other services"),
}
CONCERN_LABEL = _("A health matter we talked about")


def category_labels(codes: list[str]) -> list[str]:
    """Return the plain labels of data categories, in order."""
    return [str(PERSON_CATEGORY_LABELS.get(code, code)) for code in codes]


def purpose_labels(codes: list[str]) -> list[str]:
    """Return the plain labels of purposes, in order."""
    return [str(PERSON_PURPOSE_LABELS.get(code, code)) for code in codes]
