"""Staff training: the curriculum, pre- and post-tests, completions and the clinic's gates.

The curriculum is data (`content/*.json`, loaded by `safehaven training load`); text is
stored per language as {"en": ..., "es": ..., "fr": ...} and shown with `localized`.
Nothing here is about patients: learners are staff accounts.
"""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from safehaven.accounts.models import Site
from safehaven.accounts.permissions import Perm
from safehaven.lib.models import ChoiceLabels

PRE = "pre"
POST = "post"
ATTEMPT_KINDS = [(PRE, _("Pre-test")), (POST, _("Knowledge check"))]

DEFAULT_REFRESHER_MONTHS = 12


def localized(text, lang: str | None = None) -> str:
    """Return the text in the current language, falling back to English."""
    if not isinstance(text, dict):
        return str(text or "")
    lang = (lang or get_language() or "en").split("-")[0]
    return text.get(lang) or text.get("en") or ""


class Module(ChoiceLabels, models.Model):
    """A module of the curriculum: readings, case vignettes and a scored knowledge check."""

    data_classification = {
        "id": "none",
        "code": "none",
        "version": "none",
        "order": "none",
        "core": "none",
        "active": "none",
        "pass_mark": "none",
        "title": "none",
        "summary": "none",
        "readings": "none",
        "vignettes": "none",
        "updated_at": "none",
    }

    code = models.SlugField(unique=True, max_length=60)
    version = models.PositiveIntegerField(default=1)
    order = models.PositiveSmallIntegerField(default=0)
    # Core modules are the ones the competency gates require.
    core = models.BooleanField(default=False)
    active = models.BooleanField(default=True)
    pass_mark = models.PositiveSmallIntegerField(default=80)  # percent
    title = models.JSONField(default=dict)
    summary = models.JSONField(default=dict)
    readings = models.JSONField(default=list)  # [{"title": {...}, "body": {...}}]
    vignettes = models.JSONField(default=list)  # [{"title": {...}, "body": {...}, "discuss": {...}}]
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["order", "code"]

    def __str__(self) -> str:
        return self.display_title

    @property
    def display_title(self) -> str:
        return localized(self.title)

    @property
    def display_summary(self) -> str:
        return localized(self.summary)


class Question(ChoiceLabels, models.Model):
    """One item of a module's check; the same items serve as the pre-test and the post-test."""

    data_classification = {
        "id": "none",
        "module": "none",
        "key": "none",
        "order": "none",
        "active": "none",
        "prompt": "none",
        "options": "none",
        "explanation": "none",
    }

    module = models.ForeignKey(Module, on_delete=models.CASCADE, related_name="questions")
    key = models.SlugField(max_length=40)
    order = models.PositiveSmallIntegerField(default=0)
    active = models.BooleanField(default=True)
    prompt = models.JSONField(default=dict)
    options = models.JSONField(default=list)  # [{"key": "a", "text": {...}, "correct": bool}]
    explanation = models.JSONField(default=dict)

    class Meta:
        ordering = ["module", "order", "key"]
        constraints = [models.UniqueConstraint(fields=["module", "key"], name="training_question_key")]

    def __str__(self) -> str:
        return f"{self.module.code}/{self.key}"

    @property
    def display_prompt(self) -> str:
        return localized(self.prompt)

    @property
    def display_explanation(self) -> str:
        return localized(self.explanation)

    @property
    def correct_key(self) -> str:
        return next((o["key"] for o in self.options if o.get("correct")), "")

    def display_options(self) -> list[tuple[str, str]]:
        return [(o["key"], localized(o["text"])) for o in self.options]


class Attempt(ChoiceLabels, models.Model):
    """A staff member's scored answers to a module's pre-test or knowledge check."""

    data_classification = {
        "id": "none",
        "public_id": "identifier",
        "user": "staff",
        "module": "none",
        "module_version": "none",
        "kind": "none",
        "correct": "staff",
        "total": "none",
        "score": "staff",
        "passed": "staff",
        "completed_at": "none",
    }

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="training_attempts")
    module = models.ForeignKey(Module, on_delete=models.PROTECT, related_name="attempts")
    module_version = models.PositiveIntegerField(default=1)
    kind = models.CharField(max_length=8, choices=ATTEMPT_KINDS)
    correct = models.PositiveSmallIntegerField(default=0)
    total = models.PositiveSmallIntegerField(default=0)
    score = models.PositiveSmallIntegerField(default=0)  # percent, rounded down
    passed = models.BooleanField(default=False)
    completed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-completed_at"]
        indexes = [models.Index(fields=["user", "module", "kind"], name="training_attempt_umk")]

    def __str__(self) -> str:
        return f"{self.kind} {self.module.code} {self.score}%"


class Answer(ChoiceLabels, models.Model):
    """The option chosen for one item of an attempt (kept to find items often missed)."""

    data_classification = {
        "id": "none",
        "attempt": "none",
        "question": "none",
        "choice": "staff",
        "correct": "staff",
    }

    attempt = models.ForeignKey(Attempt, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="answers")
    choice = models.CharField(max_length=20)
    correct = models.BooleanField(default=False)

    def __str__(self) -> str:
        return f"{self.question} → {self.choice}"


class Completion(ChoiceLabels, models.Model):
    """A staff member completed a module (passed its check); the refresher falls due later."""

    data_classification = {
        "id": "none",
        "public_id": "identifier",
        "user": "staff",
        "module": "none",
        "attempt": "none",
        "completed_at": "staff",
        "expires_at": "staff",
    }

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="training_completions")
    module = models.ForeignKey(Module, on_delete=models.PROTECT, related_name="completions")
    attempt = models.ForeignKey(Attempt, on_delete=models.PROTECT, related_name="+")
    completed_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()

    class Meta:
        ordering = ["-completed_at"]
        constraints = [models.UniqueConstraint(fields=["user", "module"], name="training_one_completion")]
        indexes = [models.Index(fields=["user", "expires_at"], name="training_completion_exp")]

    def __str__(self) -> str:
        return f"{self.user} completed {self.module.code}"

    @property
    def is_current(self) -> bool:
        return self.expires_at > timezone.now()


# The permissions a clinic may gate on training, and the settings field that switches each on.
GATEABLE = {Perm.SCREEN: "gate_screening", Perm.BREAK_GLASS: "gate_break_glass"}


class TrainingSettings(ChoiceLabels, models.Model):
    """A site's training rules: which competency gates are on and how often refreshers fall due."""

    data_classification = {
        "id": "none",
        "site": "none",
        "gate_screening": "none",
        "gate_break_glass": "none",
        "refresher_months": "none",
        "updated_at": "none",
    }

    site = models.OneToOneField(Site, on_delete=models.CASCADE, related_name="training_settings")
    gate_screening = models.BooleanField(
        _("Require the core modules before staff administer screens"), default=False
    )
    gate_break_glass = models.BooleanField(
        _("Require the core modules before staff use emergency access"), default=False
    )
    refresher_months = models.PositiveSmallIntegerField(
        _("Months until a refresher is due"), default=DEFAULT_REFRESHER_MONTHS
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "training settings"

    def __str__(self) -> str:
        return f"training settings for {self.site}"
