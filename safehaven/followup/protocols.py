"""The default follow-up protocols, as data, with their sources.

A clinic starts with these and edits them (Perm.MANAGE_CLINIC). `clinic_choice=True` marks an
interval that is the clinic's own choice rather than a published guideline. Sources:
../shared/DOMAIN.md §1 (follow-up after release: STI screening and treatment, regular physical
and gynecologic exams, chronic conditions; improvement measured after two months of care) and
§5; CDC STI Treatment Guidelines 2021; ACIP hepatitis B schedule; USPSTF cervical cancer
screening (2018); HRSA Women's Preventive Services Guidelines.
"""

from django.db import transaction

from safehaven.followup.models import Protocol, ProtocolStep

CDC_STI = "CDC STI Treatment Guidelines 2021; DOMAIN.md §1"
CDC_ASSAULT = "CDC STI Treatment Guidelines 2021, sexual assault follow-up; DOMAIN.md §1"
ACIP_HEPB = "ACIP hepatitis B vaccine schedule (0, 1 and 6 months)"
USPSTF_CERVIX = "USPSTF cervical cancer screening 2018"
DOMAIN_TWO_MONTHS = "DOMAIN.md §1: symptoms fell after two months of continued care"

# code, name, trigger, source, steps:
# (label, kind, code, offset_days, grace_days, repeat_every_days, min_age, max_age, source, clinic_choice)
DEFAULT_PROTOCOLS = [
    (
        "sti-retest", "STI retest after treatment", "sti_treated", CDC_STI,
        [("STI retest", "lab", "", 90, 30, None, None, None, CDC_STI, False)],
    ),
    (
        "exposure", "HIV and syphilis testing after an exposure", "exposure", CDC_ASSAULT,
        [
            ("HIV test (6 weeks)", "lab", "", 42, 14, None, None, None, CDC_ASSAULT, False),
            ("Syphilis test (6 weeks)", "lab", "", 42, 14, None, None, None, CDC_ASSAULT, False),
            ("HIV test (3 months)", "lab", "", 90, 30, None, None, None, CDC_ASSAULT, False),
            ("Syphilis test (3 months)", "lab", "", 90, 30, None, None, None, CDC_ASSAULT, False),
        ],
    ),
    (
        "pregnancy", "Pregnancy test follow-up", "pregnancy_test", CDC_ASSAULT,
        [("Repeat pregnancy test", "lab", "", 14, 14, None, None, None,
          "Clinic choice (follow-up testing named in CDC sexual assault guidance)", True)],
    ),
    (
        "hepb", "Hepatitis B vaccination series", "hepb_dose1", ACIP_HEPB,
        [
            ("Hepatitis B vaccine, dose 2", "vaccine", "CVX 08", 30, 30, None, None, None, ACIP_HEPB, False),
            ("Hepatitis B vaccine, dose 3", "vaccine", "CVX 08", 180, 60, None, None, None, ACIP_HEPB, False),
        ],
    ),
    (
        "preventive", "Well-person and gynecologic care", "enrolled", "DOMAIN.md §1",
        [
            ("Annual well-person visit", "visit", "", 365, 60, 365, None, None,
             "HRSA Women's Preventive Services Guidelines; DOMAIN.md §1", False),
            ("Gynecologic exam (offered, with permission)", "visit", "", 365, 60, 365, None, None,
             "Clinic choice; DOMAIN.md §1 asks for regular gynecologic exams", True),
            ("Cervical screening (cytology)", "lab", "", 30, 60, 1095, 21, 29, USPSTF_CERVIX, False),
            ("Cervical screening (HPV test)", "lab", "", 30, 60, 1825, 30, 65, USPSTF_CERVIX, False),
        ],
    ),
    (
        "chronic-review", "Review of chronic conditions and medicines", "chronic_condition",
        "DOMAIN.md §1 (chronic illness left untreated; medicines withheld)",
        [("Review of conditions and medicines", "visit", "", 90, 30, 90, None, None,
          "Clinic choice; DOMAIN.md §1", True)],
    ),
    (
        "mh-rescreen", "Re-screening: mood, anxiety and stress", "enrolled", DOMAIN_TWO_MONTHS,
        [
            ("PHQ-9", "screen", "44249-1", 60, 30, 90, None, None,
             DOMAIN_TWO_MONTHS + "; every 3 months after is a clinic choice", True),
            ("GAD-7", "screen", "69737-5", 60, 30, 90, None, None,
             DOMAIN_TWO_MONTHS + "; every 3 months after is a clinic choice", True),
            ("PC-PTSD-5", "screen", "", 60, 30, 90, None, None,
             DOMAIN_TWO_MONTHS + "; every 3 months after is a clinic choice", True),
        ],
    ),
    (
        "safety-reoffer", "Safety screen offered again", "enrolled",
        "DOMAIN.md §1: never force disclosure; ask again later, privately",
        [("Offer the safety screen again, privately", "screen", "", 90, 60, 180, None, None,
          "Clinic choice; DOMAIN.md §1", True)],
    ),
]

STEP_FIELDS = (
    "label", "kind", "code", "offset_days", "grace_days", "repeat_every_days",
    "min_age", "max_age", "source", "clinic_choice",
)


@transaction.atomic
def ensure_default_protocols(site) -> None:
    """Create the default protocols at a site unless it already has protocols (idempotent)."""
    if Protocol.objects.filter(site=site).exists():
        return
    for code, name, trigger, source, steps in DEFAULT_PROTOCOLS:
        protocol = Protocol.objects.create(
            site=site, code=code, name=name, trigger=trigger, source=source
        )
        ProtocolStep.objects.bulk_create(
            ProtocolStep(protocol=protocol, order=i, **dict(zip(STEP_FIELDS, step, strict=True)))
            for i, step in enumerate(steps)
        )
