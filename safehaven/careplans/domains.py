"""The default domains of the needs assessment, with stable codes.

Clinics may add, rename or retire domains (NeedDomain rows); codes never change, so
reassessments compare like with like and exports stay stable. Sources: the four
fundamental services and the comprehensive aftercare model (Macy & Johns 2011, Twigg 2017).
"""

from django.utils.translation import gettext
from django.utils.translation import gettext_noop as _

# (code, label, horizon, consent data category, has emergency flag)
DEFAULT_DOMAINS = [
    ("immediate-safety", _("Immediate safety"), "immediate", "clinical_summary", False),
    ("housing", _("Shelter and housing"), "immediate", "location", False),
    ("basic-needs", _("Food, clothing, hygiene"), "immediate", "clinical_summary", False),
    ("communication", _("Phone and communication"), "immediate", "clinical_summary", False),
    ("acute-medical", _("Acute medical"), "immediate", "clinical_summary", False),
    ("chronic-medicines", _("Chronic conditions and medicines"), "ongoing", "clinical_summary", False),
    ("sexual-reproductive", _("Sexual and reproductive health"), "ongoing", "sexual_reproductive", False),
    ("mental-health", _("Mental health"), "ongoing", "mental_health", False),
    ("substance-use", _("Substance use"), "ongoing", "substance_use", True),
    ("legal", _("Legal"), "ongoing", "clinical_summary", False),
    ("immigration", _("Immigration"), "ongoing", "clinical_summary", False),
    ("identity-documents", _("Identity documents"), "ongoing", "identity_contact", False),
    ("income-benefits", _("Income and benefits"), "ongoing", "clinical_summary", False),
    ("employment", _("Employment and job training"), "ongoing", "clinical_summary", False),
    ("education", _("Education re-entry"), "ongoing", "clinical_summary", False),
    ("family-reunification", _("Family reunification"), "long_term", "clinical_summary", False),
    ("family-reconciliation", _("Family reconciliation"), "long_term", "clinical_summary", False),
    ("children-childcare", _("Children and childcare"), "ongoing", "clinical_summary", False),
    ("transportation", _("Transportation"), "ongoing", "clinical_summary", False),
    ("social-support", _("Social and peer support"), "long_term", "clinical_summary", False),
    ("life-skills", _("Life skills"), "long_term", "clinical_summary", False),
]
_ORIGINAL = {code: label for code, label, *_rest in DEFAULT_DOMAINS}


def translated_label(code: str, stored: str) -> str:
    """Return the domain's label in the active language, unless a clinic renamed it."""
    if _ORIGINAL.get(code) == stored:
        return gettext(stored)
    return stored


def install_default_domains(NeedDomain) -> None:
    """Create the default domains that are missing (idempotent; never renames)."""
    for order, (code, label, horizon, category, emergency) in enumerate(DEFAULT_DOMAINS):
        NeedDomain.objects.get_or_create(
            code=code,
            defaults={
                "label": label, "horizon": horizon, "data_category": category,
                "has_emergency": emergency, "order": (order + 1) * 10,
            },
        )
