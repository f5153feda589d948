"""Identification and screening: instruments, PEARR sessions, responses, scores and what follows.

- `Instrument` is a FHIR R4 Questionnaire (SDC) stored as data.
- `ScreeningSession` is the PEARR workflow of one visit: privacy check, limits of
  confidentiality, universal education, then questions (or a decline / deferral).
- `ScreeningResponse` is a QuestionnaireResponse; `ScoredResult` a scored Observation.
- `ResponseTask` is the private follow-up opened by a positive screen or a disclosure.
- `HealthConcern` is a trafficking-related diagnosis recorded only as the person decided.
- `MandatoryReport` is the report a minor's positive screen or disclosure requires.
- `CueObservation` is what a clinician noticed and what they offered.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models.functions import Now
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from safehaven.accounts.models import Site
from safehaven.lib.fields import EncryptedTextField
from safehaven.lib.models import ChoiceLabels
from safehaven.people.models import Encounter, Person


class Instrument(ChoiceLabels, models.Model):
    """A screening instrument: a FHIR R4 Questionnaire imported from a JSON file."""

    data_classification = {
        "id": "none",
        "public_id": "identifier",
        "url": "none",
        "version": "none",
        "name": "none",
        "title": "none",
        "code": "none",
        "resource": "none",
        "sensitive": "none",
        "wording_verified": "none",
        "active": "none",
        "imported_at": "none",
        "imported_by": "none",
    }

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    url = models.CharField(_("canonical URL"), max_length=300)
    version = models.CharField(_("version"), max_length=40, blank=True)
    name = models.CharField(_("name"), max_length=100)
    title = models.CharField(_("title"), max_length=200)
    code = models.CharField(_("LOINC panel code"), max_length=40, blank=True)
    resource = models.JSONField()
    # Sensitive instruments are offered only after the privacy check and the explanation
    # of the limits of confidentiality.
    sensitive = models.BooleanField(default=True)
    wording_verified = models.BooleanField(default=False)
    active = models.BooleanField(default=True)
    imported_at = models.DateTimeField(default=timezone.now)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["title"]
        constraints = [
            models.UniqueConstraint(fields=["url", "version"], name="instrument_url_version")
        ]

    def __str__(self) -> str:
        return self.title


class ScreeningSession(ChoiceLabels, models.Model):
    """The PEARR steps of one visit, in order; the questions come last."""

    # FHIR Task.status codes
    STATUSES = [
        ("in-progress", _("In progress")),
        ("completed", _("Completed")),
        ("cancelled", _("Declined")),
        ("on-hold", _("Deferred to a later visit")),
    ]
    MODES = [("staff", _("Asked by staff")), ("self", _("Answered by the person on a tablet"))]
    data_classification = {
        "id": "none",
        "public_id": "identifier",
        "person": "none",
        "encounter": "none",
        "site": "none",
        "started_by": "none",
        "mode": "clinical",
        "status": "clinical",
        "alone": "sensitive",
        "privacy_checked_at": "clinical",
        "jurisdiction": "none",
        "minor": "clinical",
        "confidentiality_explained_at": "clinical",
        "education_offered_at": "clinical",
        "education_accepted": "clinical",
        "outcome_note": "sensitive-encrypted",
        "started_at": "clinical",
        "ended_at": "clinical",
    }

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="screening_sessions")
    encounter = models.ForeignKey(
        Encounter, null=True, blank=True, on_delete=models.PROTECT, related_name="screening_sessions"
    )
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="+")
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    mode = models.CharField(max_length=8, choices=MODES, default="staff")
    status = models.CharField(max_length=20, choices=STATUSES, default="in-progress")
    alone = models.BooleanField(null=True, blank=True)
    privacy_checked_at = models.DateTimeField(null=True, blank=True)
    jurisdiction = models.CharField(max_length=20, blank=True)
    minor = models.BooleanField(default=False)
    confidentiality_explained_at = models.DateTimeField(null=True, blank=True)
    education_offered_at = models.DateTimeField(null=True, blank=True)
    education_accepted = models.BooleanField(null=True, blank=True)
    outcome_note = EncryptedTextField(blank=True)
    started_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["person", "-started_at"], name="screen_session_person")]

    def __str__(self) -> str:
        return f"screening session {self.public_id}"

    @property
    def sensitive_allowed(self) -> bool:
        """Return whether sensitive questions may be offered now."""
        return bool(self.alone) and self.confidentiality_explained_at is not None


class ScreeningResponse(ChoiceLabels, models.Model):
    """A QuestionnaireResponse. Answers are stored encrypted as FHIR JSON."""

    # FHIR QuestionnaireResponse.status codes
    STATUSES = [
        ("in-progress", _("Paused")),
        ("completed", _("Completed")),
        ("stopped", _("Stopped")),
        ("entered-in-error", _("Entered in error")),
    ]
    # "declined": ended without any question answered (the whole screen put aside, or every
    # question skipped or answered "prefer not to say"); "incomplete": some answered, but
    # too few for the instrument's total.
    OUTCOMES = [
        ("offered", _("Offered")),
        ("completed", _("Completed")),
        ("incomplete", _("Incomplete")),
        ("declined", _("Declined")),
        ("deferred", _("Deferred")),
    ]
    data_classification = {
        "id": "none",
        "public_id": "identifier",
        "person": "none",
        "session": "none",
        "instrument": "none",
        "status": "clinical",
        "outcome": "clinical",
        "source": "clinical",
        "answers": "sensitive-encrypted",
        "author": "none",
        "authored_at": "clinical",
        "positive": "sensitive",
        "answered": "clinical",
        "asked": "clinical",
        "updated_at": "none",
    }

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="screening_responses")
    session = models.ForeignKey(
        ScreeningSession, null=True, blank=True, on_delete=models.PROTECT, related_name="responses"
    )
    instrument = models.ForeignKey(Instrument, on_delete=models.PROTECT, related_name="responses")
    status = models.CharField(max_length=20, choices=STATUSES, default="in-progress")
    outcome = models.CharField(max_length=12, choices=OUTCOMES, default="offered")
    source = models.CharField(max_length=8, choices=ScreeningSession.MODES, default="staff")
    answers = EncryptedTextField(blank=True)  # QuestionnaireResponse JSON
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    authored_at = models.DateTimeField(default=timezone.now)
    positive = models.BooleanField(default=False)
    # How many of the questions asked were answered (engine.answer_counts), set when the
    # response is completed; empty for responses scored before they were counted.
    answered = models.PositiveSmallIntegerField(null=True, blank=True)
    asked = models.PositiveSmallIntegerField(null=True, blank=True)
    # When the row last changed (answered, paused, stopped, corrected): FHIR meta.lastUpdated
    # and what incremental exports (_since) select. Set by the database for rows written
    # without the ORM.
    updated_at = models.DateTimeField(auto_now=True, db_default=Now())

    class Meta:
        ordering = ["-authored_at"]
        indexes = [
            models.Index(fields=["person", "-authored_at"], name="screen_resp_person"),
            # The paused response of a session to an instrument (views._ask and
            # actions.record_response): without it the lookup scans every response to the
            # instrument.
            models.Index(fields=["session", "instrument", "status"], name="screen_resp_session"),
        ]

    def __str__(self) -> str:
        return f"response {self.public_id}"


class ScoredResult(ChoiceLabels, models.Model):
    """A scored Observation from a response: a calculated item such as a total score.

    A total the instrument's rules do not give (nothing answered, or too little) has no
    value and says why in `data_absent_reason` (a FHIR data-absent-reason code):
    "asked-declined" when no question was answered, "unknown" when some were. When the
    answers given already reach the cut-off, such a result is positive all the same:
    `at_least` is the lowest total they allow and `interpretation` its band.

    `status` is the FHIR Observation.status: "final" as scored; a result found wrong
    later is never changed or deleted: it becomes "entered-in-error" (its figures kept as
    they were) and the corrected result is a new row, "amended", that `replaces` it
    (`safehaven instruments rescore`). Both rows' `updated_at` say when that happened.
    """

    ABSENT_REASONS = [("asked-declined", _("Declined")), ("unknown", _("Incomplete"))]

    data_classification = {
        "id": "none",
        "public_id": "identifier",
        "person": "none",
        "response": "none",
        "system": "clinical",
        "code": "clinical",
        "display": "clinical",
        "value": "sensitive",
        "at_least": "sensitive",
        "data_absent_reason": "sensitive",
        "interpretation": "sensitive",
        "positive": "sensitive",
        "status": "clinical",
        "effective_at": "clinical",
        "replaces": "none",
        "updated_at": "none",
    }

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="scored_results")
    response = models.ForeignKey(ScreeningResponse, on_delete=models.PROTECT, related_name="results")
    system = models.CharField(max_length=200, default="http://loinc.org")
    code = models.CharField(max_length=60)
    display = models.CharField(max_length=200, blank=True)
    value = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)
    # With no value: the lowest total the answers recorded allow, kept when it already
    # reaches the cut-off (positive before the screen is complete: "at least 12"). Never a
    # total: trajectories and outcome measures read `value` only.
    at_least = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)
    data_absent_reason = models.CharField(
        max_length=20, choices=ABSENT_REASONS, blank=True, default="", db_default=""
    )
    interpretation = models.CharField(max_length=200, blank=True)
    positive = models.BooleanField(default=False)
    status = models.CharField(max_length=20, default="final")  # FHIR Observation.status
    effective_at = models.DateTimeField(default=timezone.now)
    replaces = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="replaced_by"
    )
    # When the row last changed: scored, or marked entered-in-error by a correction (the
    # screening date stays `effective_at`). FHIR meta.lastUpdated, and what incremental
    # exports (_since) select, so that corrections leave too.
    updated_at = models.DateTimeField(auto_now=True, db_default=Now())

    class Meta:
        ordering = ["-effective_at"]
        indexes = [models.Index(fields=["code", "person", "effective_at"], name="scored_code_person")]

    def __str__(self) -> str:
        return f"{self.code}={self.value if self.value is not None else self.data_absent_reason}"


class ResponseTask(ChoiceLabels, models.Model):
    """A private follow-up after a positive screen or a disclosure (FHIR Task)."""

    REASONS = [
        ("positive_screen", _("A screen was positive")),
        ("safety", _("Same-visit safety response")),
        ("disclosure", _("The person shared something")),
        ("cue", _("A clinician noticed cues")),
        # A score corrected after the visit (`safehaven instruments rescore`) turned positive
        # or met a safety rule nobody acted on: a clinician looks at it.
        ("review", _("A corrected score to review")),
    ]
    STATUSES = [
        ("requested", _("Requested")),
        ("accepted", _("Accepted")),
        ("in-progress", _("In progress")),
        ("completed", _("Completed")),
        ("cancelled", _("Cancelled")),
        ("rejected", _("The person said no")),
    ]
    data_classification = {
        "id": "none",
        "public_id": "identifier",
        "person": "none",
        "response": "none",
        "session": "none",
        "reason": "sensitive",
        "priority": "clinical",
        "status": "clinical",
        "owner": "none",
        "resources_offered": "sensitive-encrypted",
        "choices": "sensitive-encrypted",
        "created_by": "none",
        "created_at": "none",
        "updated_at": "none",
    }

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="response_tasks")
    response = models.ForeignKey(
        ScreeningResponse, null=True, blank=True, on_delete=models.PROTECT, related_name="tasks"
    )
    session = models.ForeignKey(
        ScreeningSession, null=True, blank=True, on_delete=models.PROTECT, related_name="tasks"
    )
    reason = models.CharField(max_length=20, choices=REASONS)
    priority = models.CharField(max_length=8, default="routine")  # FHIR: routine, urgent, stat
    status = models.CharField(max_length=20, choices=STATUSES, default="requested")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    resources_offered = EncryptedTextField(blank=True)
    choices = EncryptedTextField(blank=True)
    # Empty for a task the system opened without a member of staff (a correction run from
    # the command line); the audit log says who ran it.
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"response task {self.public_id}"


# ICD-10-CM codes a trafficking-related health concern may carry (DOMAIN.md §3).
CONCERN_CODES = [
    ("T76.51XA", _("Adult forced sexual exploitation, suspected, initial encounter")),
    ("T76.52XA", _("Child sexual exploitation, suspected, initial encounter")),
    ("T76.61XA", _("Adult forced labor exploitation, suspected, initial encounter")),
    ("T76.62XA", _("Child forced labor exploitation, suspected, initial encounter")),
    ("T74.51XA", _("Adult forced sexual exploitation, confirmed, initial encounter")),
    ("T74.52XA", _("Child sexual exploitation, confirmed, initial encounter")),
    ("T74.61XA", _("Adult forced labor exploitation, confirmed, initial encounter")),
    ("T74.62XA", _("Child forced labor exploitation, confirmed, initial encounter")),
    ("Z04.81", _("Examination for suspected adult exploitation, ruled out")),
    ("Z04.82", _("Examination for suspected child exploitation, ruled out")),
    ("Z91.42", _("Personal history of forced labor or sexual exploitation")),
    ("Z62.813", _("Personal history of forced labor or sexual exploitation in childhood")),
]
CONCERN_PREFIXES = ("T76.5", "T76.6", "T74.5", "T74.6", "Z04.81", "Z04.82", "Z91.42", "Z62.813")
CHANNELS = ("record", "printout", "portal", "claims", "export")


class HealthConcern(ChoiceLabels, models.Model):
    """A trafficking-related health concern and the person's decision about where it may appear.

    When the person does not want it written in the record, only the decision is kept:
    the code stays empty.
    """

    data_classification = {
        "id": "none",
        "public_id": "identifier",
        "person": "none",
        "task": "none",
        "code": "sensitive",
        "display": "sensitive",
        "verification": "sensitive",
        "sensitivity": "none",
        "in_record": "consent",
        "on_printouts": "consent",
        "on_portal": "consent",
        "on_claims": "consent",
        "on_exports": "consent",
        "decided_with_person": "consent",
        "note": "sensitive-encrypted",
        "recorded_by": "none",
        "recorded_at": "none",
        "active": "none",
    }

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="health_concerns")
    task = models.ForeignKey(
        ResponseTask, null=True, blank=True, on_delete=models.SET_NULL, related_name="concerns"
    )
    code = models.CharField(max_length=12, blank=True)  # ICD-10-CM
    display = models.CharField(max_length=200, blank=True)
    # FHIR Condition.verificationStatus: unconfirmed (suspected), confirmed, refuted (ruled out)
    verification = models.CharField(max_length=12, blank=True)
    # The sensitivity label every outbound path honours: a consent data category
    # (consent.models.DATA_CATEGORIES); in FHIR it becomes meta.security.
    sensitivity = models.CharField(max_length=30, default="trafficking_related")
    in_record = models.BooleanField(default=False)
    on_printouts = models.BooleanField(default=False)
    on_portal = models.BooleanField(default=False)
    on_claims = models.BooleanField(default=False)
    on_exports = models.BooleanField(default=False)
    decided_with_person = models.BooleanField(default=False)
    note = EncryptedTextField(blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["-recorded_at"]

    def __str__(self) -> str:
        return f"health concern {self.public_id}"

    def allowed_on(self, channel: str) -> bool:
        """Return whether the person agreed that this concern may appear on `channel`."""
        if channel not in CHANNELS:
            raise ValueError(f"unknown channel: {channel}")
        if not (self.active and self.in_record and self.code):
            return False
        return channel == "record" or bool(getattr(self, f"on_{_CHANNEL_FIELD[channel]}"))


_CHANNEL_FIELD = {"printout": "printouts", "portal": "portal", "claims": "claims", "export": "exports"}


class MandatoryReport(ChoiceLabels, models.Model):
    """The report a minor's positive screen or disclosure requires, per the site's jurisdiction."""

    STATUSES = [
        ("requested", _("To be made")),
        ("completed", _("Made")),
    ]
    data_classification = {
        "id": "none",
        "public_id": "identifier",
        "person": "none",
        "response": "none",
        "session": "none",
        "jurisdiction": "none",
        "reporter": "none",
        "due_by": "clinical",
        "agency": "sensitive",
        "reference": "sensitive-encrypted",
        "reported_at": "clinical",
        "young_person_told": "clinical",
        "told_at": "clinical",
        "status": "clinical",
        "opened_by": "none",
        "opened_at": "none",
    }

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="mandatory_reports")
    response = models.ForeignKey(
        ScreeningResponse, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    session = models.ForeignKey(
        ScreeningSession, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    jurisdiction = models.CharField(max_length=20)
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    due_by = models.DateTimeField()
    agency = models.CharField(max_length=200, blank=True)
    reference = EncryptedTextField(blank=True)
    reported_at = models.DateTimeField(null=True, blank=True)
    young_person_told = models.BooleanField(default=False)
    told_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=20, choices=STATUSES, default="requested")
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    opened_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-opened_at"]

    def __str__(self) -> str:
        return f"mandatory report {self.public_id}"


CUES = [
    ("not_free", _("Not free to leave or come and go")),
    ("controls_money", _("Someone else holds their money, documents or phone")),
    ("companion", _("A companion answers for them or they seem afraid of a companion")),
    ("injuries", _("Injuries (bruises, burns, cord marks, fractures, black eyes)")),
    ("injury_stages", _("Injuries in different stages of healing or with unlikely explanations")),
    ("sti", _("STI symptoms or genital injury")),
    ("needle_marks", _("Needle marks")),
    ("untreated", _("Chronic illness left untreated (for example medication withheld)")),
    ("scripted", _("Story seems scripted or inconsistent")),
]
CUE_CODES = [code for code, _label in CUES]


class CueObservation(ChoiceLabels, models.Model):
    """What a clinician noticed, and what they offered. Never a label."""

    OFFERS = [
        ("private_conversation", _("Offered a private conversation")),
        ("screen", _("Offered the screen")),
        ("not_now", _("Not the right moment; will offer later")),
    ]
    data_classification = {
        "id": "none",
        "public_id": "identifier",
        "person": "none",
        "encounter": "none",
        "cues": "sensitive",
        "offered": "clinical",
        "note": "sensitive-encrypted",
        "observed_by": "none",
        "observed_at": "clinical",
    }

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="cue_observations")
    encounter = models.ForeignKey(
        Encounter, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    cues = models.JSONField(default=list)
    offered = models.CharField(max_length=24, choices=OFFERS)
    note = EncryptedTextField(blank=True)
    observed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    observed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-observed_at"]

    def __str__(self) -> str:
        return f"cue observation {self.public_id}"
