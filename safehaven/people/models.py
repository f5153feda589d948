"""People in care, their care teams, encounters and clinical notes."""

import datetime
import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from safehaven.accounts.models import Site
from safehaven.lib.fields import EncryptedTextField
from safehaven.lib.models import ChoiceLabels

AGE_BANDS = [
    ("0-11", _("Under 12")),
    ("12-17", _("12 to 17")),
    ("18-24", _("18 to 24")),
    ("25-34", _("25 to 34")),
    ("35-49", _("35 to 49")),
    ("50-64", _("50 to 64")),
    ("65+", _("65 or older")),
]
MINOR_BANDS = {"0-11", "12-17"}

GENDER_PREFERENCES = [
    ("", _("No preference")),
    ("woman", _("A woman")),
    ("man", _("A man")),
    ("nonbinary", _("A non-binary clinician")),
]

LANGUAGES = [("en", "English"), ("es", "Español"), ("fr", "Français"), ("other", _("Other"))]

CONTACT_CHANNELS = [
    ("sms", _("Text message")),
    ("phone", _("Phone call")),
    ("email", _("Email")),
    ("in_person", _("Only in person at the clinic")),
]


class Person(ChoiceLabels, models.Model):
    """Someone in the clinic's care. Shown everywhere by the name they chose."""

    data_classification = {
        "id": "none",
        "public_id": "identifier",
        "site": "none",
        "chosen_name": "identifying",
        "chosen_name_folded": "identifying",
        "legal_name": "identifying-encrypted",
        "pronouns": "identifying",
        "date_of_birth": "identifying",
        "age_band": "identifying",
        "preferred_language": "demographic",
        "interpreter_needed": "demographic",
        "clinician_gender_preference": "demographic",
        "safety_note": "sensitive-encrypted",
        "legal_key": "blind-index",
        "chosen_key": "blind-index",
        "active": "none",
        "created_at": "none",
        "updated_at": "none",
        "version": "none",
    }

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="people")
    chosen_name = models.CharField(_("name they use"), max_length=150)
    chosen_name_folded = models.CharField(max_length=150, db_index=True, editable=False)
    legal_name = EncryptedTextField(_("legal name"), blank=True)
    pronouns = models.CharField(_("pronouns"), max_length=40, blank=True)
    date_of_birth = models.DateField(_("date of birth"), null=True, blank=True)
    age_band = models.CharField(_("age band"), max_length=8, choices=AGE_BANDS, blank=True)
    preferred_language = models.CharField(
        _("preferred language"), max_length=8, choices=LANGUAGES, default="en"
    )
    interpreter_needed = models.BooleanField(_("needs an interpreter"), default=False)
    clinician_gender_preference = models.CharField(
        _("prefers a clinician who is"), max_length=20, choices=GENDER_PREFERENCES, blank=True
    )
    safety_note = EncryptedTextField(_("safety note for the care team"), blank=True)
    # Keyed hashes (HMAC) of normalised name + birth date, for duplicate warnings only.
    legal_key = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    chosen_key = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1)  # optimistic concurrency

    class Meta:
        ordering = ["chosen_name_folded"]
        indexes = [models.Index(fields=["site", "chosen_name_folded"], name="person_site_name")]

    def __str__(self) -> str:
        return self.chosen_name

    @property
    def age(self) -> int | None:
        return self.age_on(timezone.localdate())

    def age_on(self, today) -> int | None:
        """Return the person's age in whole years on `today` (None without a birth date)."""
        if not self.date_of_birth:
            return None
        dob = self.date_of_birth
        return today.year - dob.year - ((today.month, today.day) < (dob.month, dob.day))

    @property
    def is_minor(self) -> bool:
        """Return whether the person is under 18 (from birth date, else age band)."""
        return self.is_minor_on(timezone.localdate())

    def is_minor_on(self, today) -> bool:
        """Return whether the person is under 18 on `today` (from birth date, else age band)."""
        age = self.age_on(today)
        if age is not None:
            return age < 18
        return self.age_band in MINOR_BANDS


class ContactPreferences(ChoiceLabels, models.Model):
    """How, when and whether the clinic may reach a person (HIPAA 164.522(b))."""

    data_classification = {
        "id": "none",
        "person": "none",
        "channels": "contact",
        "phone": "contact-encrypted",
        "email": "contact-encrypted",
        "safe_hours_start": "contact",
        "safe_hours_end": "contact",
        "time_zone": "contact",
        "voicemail_ok": "contact",
        "neutral_sender": "contact",
        "clinic_name_allowed": "contact",
        "code_word": "sensitive-encrypted",
        "do_not_contact": "contact",
        "notes": "sensitive-encrypted",
        "updated_at": "none",
    }

    person = models.OneToOneField(Person, on_delete=models.CASCADE, related_name="contact")
    channels = models.JSONField(_("ways we may reach them"), default=list, blank=True)
    phone = EncryptedTextField(_("safe phone number"), blank=True)
    email = EncryptedTextField(_("safe email address"), blank=True)
    safe_hours_start = models.TimeField(_("safe to contact from"), default=datetime.time(9, 0))
    safe_hours_end = models.TimeField(_("safe to contact until"), default=datetime.time(17, 0))
    time_zone = models.CharField(_("their time zone"), max_length=64, default="America/Los_Angeles")
    voicemail_ok = models.BooleanField(_("voicemail is safe"), default=False)
    neutral_sender = models.CharField(
        _("name to show as the sender"), max_length=60, default="Appointment reminder"
    )
    clinic_name_allowed = models.BooleanField(_("the clinic's name may be shown"), default=False)
    code_word = EncryptedTextField(_("code word"), blank=True)
    do_not_contact = models.BooleanField(_("do not contact"), default=True)
    notes = EncryptedTextField(_("notes"), blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"contact preferences of {self.person_id}"


class CareTeamMember(ChoiceLabels, models.Model):
    """A staff member on a person's care team: the basis of who may see the record."""

    data_classification = {
        "id": "none", "person": "none", "user": "none", "active": "none", "added_at": "none",
    }

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="care_team")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="care_teams"
    )
    active = models.BooleanField(default=True)
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["person", "user"], name="one_care_team_row")
        ]
        indexes = [models.Index(fields=["user", "active"], name="careteam_user_active")]

    def __str__(self) -> str:
        return f"{self.user_id} on team of {self.person_id}"


class Encounter(ChoiceLabels, models.Model):
    """A visit or contact. The chief complaint is captured first and shown first."""

    SETTINGS = [
        ("community_clinic", _("Community clinic")),
        ("emergency", _("Emergency department")),
        ("outreach", _("Outreach")),
        ("residential", _("Residential aftercare")),
        ("telehealth", _("Telehealth")),
    ]
    # FHIR Encounter.status codes
    STATUSES = [
        ("planned", _("Planned")),
        ("in-progress", _("In progress")),
        ("finished", _("Finished")),
        ("cancelled", _("Cancelled")),
        ("entered-in-error", _("Entered in error")),
    ]
    data_classification = {
        "id": "none",
        "public_id": "identifier",
        "person": "none",
        "site": "none",
        "setting": "clinical",
        "status": "clinical",
        "chief_complaint": "clinical-encrypted",
        "clinician": "none",
        "started_at": "clinical",
        "ended_at": "clinical",
        "created_at": "none",
    }

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="encounters")
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="encounters")
    setting = models.CharField(_("setting"), max_length=20, choices=SETTINGS)
    status = models.CharField(_("status"), max_length=20, choices=STATUSES, default="in-progress")
    chief_complaint = EncryptedTextField(_("what brings them in today, in their words"))
    clinician = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="encounters"
    )
    started_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-started_at"]
        indexes = [
            models.Index(fields=["person", "-started_at"], name="encounter_person_started"),
            # Evaluation reads a year of visits at some sites (the people-served measures).
            models.Index(fields=["site", "started_at"], name="encounter_site_started"),
        ]

    def __str__(self) -> str:
        return f"encounter {self.public_id}"


class Note(ChoiceLabels, models.Model):
    """A clinical or advocacy note, encrypted at rest. Notes are amended, never edited."""

    KINDS = [
        ("progress", _("Progress note")),
        ("nursing", _("Nursing note")),
        ("advocacy", _("Advocacy note")),
    ]
    data_classification = {
        "id": "none",
        "public_id": "identifier",
        "encounter": "none",
        "person": "none",
        "author": "none",
        "kind": "clinical",
        "body": "clinical-encrypted",
        "amends": "none",
        "created_at": "none",
    }

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    encounter = models.ForeignKey(Encounter, on_delete=models.PROTECT, related_name="notes")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("kind"), max_length=20, choices=KINDS, default="progress")
    body = EncryptedTextField(_("note"))
    amends = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return f"note {self.public_id}"
