"""Information-sharing consents and the log of every disclosure made under them."""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from safehaven.lib.fields import EncryptedTextField
from safehaven.lib.models import ChoiceLabels
from safehaven.people.models import Person

RECIPIENT_KINDS = [
    ("organization", _("A partner organisation")),
    ("service", _("A named service")),
    ("category", _("A kind of recipient")),
    ("self", _("The person themself")),
]
RECIPIENT_CATEGORIES = [
    ("health_care", _("Other health care providers")),
    ("social_services", _("Social services")),
    ("housing", _("Housing providers")),
    ("legal_services", _("Legal services")),
    ("victim_services", _("Victim services")),
    ("law_enforcement", _("Law enforcement")),
    ("immigration", _("Immigration services")),
    ("child_protection", _("Child protection services")),
    ("research", _("Researchers")),
    ("funder", _("Funders")),
    ("payer", _("Insurance and payers")),
    ("other", _("Other")),
]
# These recipients never receive anything without a consent that names them explicitly.
PROTECTED_CATEGORIES = {"law_enforcement", "immigration"}

PURPOSES = [
    ("treatment", _("Treatment")),
    ("referral", _("Referral")),
    ("legal_advocacy", _("Legal advocacy")),
    ("law_enforcement", _("Law enforcement")),
    ("research", _("Research")),
    ("evaluation", _("Evaluation")),
    ("reminder", _("Reminders")),
    ("payment", _("Payment and claims")),
]
# FHIR v3-ActReason codes for the purposes, used in FHIR Consent.
PURPOSE_CODES = {
    "treatment": "TREAT",
    "referral": "TREAT",
    "legal_advocacy": "PATADMIN",
    "law_enforcement": "LEGAL",
    "research": "HRESCH",
    "evaluation": "HOPERAT",
    "reminder": "TREAT",
    "payment": "HPAYMT",
}

DATA_CATEGORIES = [
    ("identity_contact", _("Identity and contact details")),
    ("clinical_summary", _("Clinical summary")),
    ("trafficking_related", _("Exploitation-related information")),
    ("mental_health", _("Mental health")),
    ("substance_use", _("Substance use treatment (42 CFR Part 2)")),
    ("sexual_reproductive", _("Sexual and reproductive health")),
    ("location", _("Where they live or stay")),
]
DATA_CATEGORY_CODES = [code for code, _label in DATA_CATEGORIES]

METHODS = [
    ("written", _("Written and signed")),
    ("witnessed_verbal", _("Verbal, with a witness")),
]


class ConsentGrant(ChoiceLabels, models.Model):
    """A person's own, informed, time-limited and revocable decision about sharing."""

    data_classification = {
        "id": "none",
        "public_id": "identifier",
        "person": "none",
        "provision": "consent",
        "recipient_kind": "consent",
        "recipient_ref": "consent",
        "recipient_label": "consent",
        "recipient_category": "consent",
        "purposes": "consent",
        "categories": "consent",
        "method": "consent",
        "witness_name": "identifying",
        "signature_name": "identifying",
        "signature_image": "identifying",
        "informed": "consent",
        "language": "consent",
        "starts_at": "consent",
        "expires_at": "consent",
        "revoked_at": "consent",
        "revoked_by": "none",
        "revocation_reason": "sensitive",
        "recorded_by": "none",
        "created_at": "none",
        "version": "none",
    }

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="consents")
    provision = models.CharField(
        max_length=6, choices=[("permit", _("Permit")), ("deny", _("Deny"))], default="permit"
    )
    recipient_kind = models.CharField(max_length=20, choices=RECIPIENT_KINDS)
    recipient_ref = models.CharField(max_length=64, blank=True)  # public id of org/service
    recipient_label = models.CharField(_("recipient"), max_length=200)
    recipient_category = models.CharField(max_length=30, choices=RECIPIENT_CATEGORIES)
    purposes = models.JSONField(default=list)
    categories = models.JSONField(default=list)
    method = models.CharField(max_length=20, choices=METHODS)
    witness_name = models.CharField(max_length=150, blank=True)
    signature_name = models.CharField(max_length=150, blank=True)
    signature_image = models.TextField(blank=True)  # a drawn signature as SVG path data
    informed = models.BooleanField(default=False)
    language = models.CharField(max_length=8, default="en")
    starts_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    revocation_reason = models.CharField(max_length=300, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["person", "expires_at"], name="consent_person_exp")]

    def __str__(self) -> str:
        return f"consent {self.public_id}"

    def is_in_force(self, at=None) -> bool:
        at = at or timezone.now()
        if self.revoked_at is not None and self.revoked_at <= at:
            return False
        return self.starts_at <= at < self.expires_at


class Disclosure(ChoiceLabels, models.Model):
    """A record that information left the clinic: who sent what, to whom, under which consent."""

    data_classification = {
        "id": "none",
        "public_id": "identifier",
        "person": "none",
        "at": "none",
        "actor_id": "none",
        "actor_label": "none",
        "channel": "consent",
        "recipient_kind": "consent",
        "recipient_ref": "consent",
        "recipient_label": "consent",
        "recipient_category": "consent",
        "purpose": "consent",
        "categories": "consent",
        "consent_ids": "consent",
        "legal_basis": "consent",
        "detail": "consent",
    }

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="disclosures")
    at = models.DateTimeField(default=timezone.now, db_index=True)
    actor_id = models.CharField(max_length=64)
    actor_label = models.CharField(max_length=150)
    channel = models.CharField(max_length=30)  # print, referral, export, api, reminder, fhir...
    recipient_kind = models.CharField(max_length=20)
    recipient_ref = models.CharField(max_length=64, blank=True)
    recipient_label = models.CharField(max_length=200)
    recipient_category = models.CharField(max_length=30)
    purpose = models.CharField(max_length=30)
    categories = models.JSONField(default=list)
    consent_ids = models.JSONField(default=list)
    legal_basis = models.CharField(max_length=200, blank=True)
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"disclosure {self.public_id}"


# --- Care consents, step by step ---------------------------------------------------------

# What the person answered, as FHIR Consent.status codes.
STEP_STATUSES = [
    ("active", _("Yes")),
    ("rejected", _("No")),
    ("inactive", _("Stopped / withdrew")),
]


class CareStepConsent(ChoiceLabels, models.Model):
    """One answer the person gave about one step of their care, at one moment.

    Rows are never edited: a new answer (yes, no, or stop) is a new row, so the record
    shows what was asked, what they said and when. The latest row for a step wins.
    """

    data_classification = {
        "id": "none",
        "public_id": "identifier",
        "person": "none",
        "encounter": "none",
        "step": "consent",
        "status": "consent",
        "preference": "consent",
        "note": "sensitive-encrypted",
        "answered_at": "consent",
        "recorded_by": "none",
    }

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="care_step_consents")
    encounter = models.ForeignKey(
        "people.Encounter", on_delete=models.PROTECT, related_name="care_step_consents"
    )
    step = models.CharField(_("step"), max_length=30)
    status = models.CharField(_("answer"), max_length=10, choices=STEP_STATUSES)
    preference = models.CharField(_("their preference"), max_length=30, blank=True)
    note = EncryptedTextField(_("in their words"), blank=True)
    answered_at = models.DateTimeField(default=timezone.now)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["answered_at", "id"]
        indexes = [
            models.Index(fields=["encounter", "step", "answered_at"], name="carestep_enc_step"),
            models.Index(fields=["person", "answered_at"], name="carestep_person_at"),
        ]

    def __str__(self) -> str:
        return f"care step {self.step} {self.status}"


# --- Legally required reports ------------------------------------------------------------

REPORT_RECIPIENTS = [
    ("child_protection", _("Child protection services")),
    ("law_enforcement", _("Law enforcement")),
]


class RequiredReport(ChoiceLabels, models.Model):
    """A report the law required about a minor; recorded as such and shown to the person."""

    data_classification = {
        "id": "none",
        "public_id": "identifier",
        "person": "none",
        "recipient_category": "consent",
        "agency": "consent",
        "legal_basis": "consent",
        "categories": "consent",
        "reported_at": "consent",
        "made_by": "none",
        "person_told_at": "consent",
        "how_told": "sensitive-encrypted",
        "notes": "sensitive-encrypted",
        "disclosure": "none",
    }

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="required_reports")
    recipient_category = models.CharField(max_length=30, choices=REPORT_RECIPIENTS)
    agency = models.CharField(_("agency"), max_length=200)
    legal_basis = models.CharField(_("law that requires it"), max_length=200)
    categories = models.JSONField(default=list)
    reported_at = models.DateTimeField(default=timezone.now)
    made_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    person_told_at = models.DateTimeField(null=True, blank=True)
    how_told = EncryptedTextField(_("how they were told"), blank=True)
    notes = EncryptedTextField(_("notes"), blank=True)
    disclosure = models.ForeignKey(
        Disclosure, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-reported_at"]

    def __str__(self) -> str:
        return f"required report {self.public_id}"
