"""The only write path for training: loading the curriculum, scoring attempts, clinic settings.

Each action takes keyword arguments, needs the acting user (`by=`, or a label such as
"system" for the loader), runs in one transaction and writes its audit event inside it.
"""

from dataclasses import dataclass
from typing import Any

from dateutil.relativedelta import relativedelta
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from safehaven.access.gate import sites_with
from safehaven.accounts.models import Membership, Site
from safehaven.accounts.permissions import Perm
from safehaven.audit.actions import record
from safehaven.training.content import validate_module
from safehaven.training.gate import forget_gate_cache
from safehaven.training.models import (
    DEFAULT_REFRESHER_MONTHS,
    POST,
    PRE,
    Answer,
    Attempt,
    Completion,
    Module,
    Question,
    TrainingSettings,
)


class TrainingError(ValueError):
    """The answers or settings cannot be accepted; the message says why."""


@dataclass(frozen=True)
class ItemResult:
    question: Question
    choice: str
    correct: bool


@dataclass(frozen=True)
class Score:
    correct: int
    total: int
    percent: int
    items: list[ItemResult]

    def passes(self, pass_mark: int) -> bool:
        return self.total > 0 and self.percent >= pass_mark


def score_answers(questions: list[Question], answers: dict[str, str]) -> Score:
    """Score answers ({question key: option key}) against the questions; every item must be answered."""
    if not questions:
        raise TrainingError(_("This module has no questions yet."))
    items = []
    missing = []
    for q in questions:
        choice = (answers.get(q.key) or "").strip()
        valid = {o["key"] for o in q.options}
        if choice not in valid:
            missing.append(q)
            continue
        items.append(ItemResult(q, choice, choice == q.correct_key))
    if missing:
        raise TrainingError(
            _("Choose one answer for every question (%(count)d left).") % {"count": len(missing)}
        )
    correct = sum(1 for i in items if i.correct)
    return Score(correct, len(items), correct * 100 // len(items), items)


def refresher_months_for(user: Any) -> int:
    """Return the shortest refresher interval among the sites where the user works."""
    site_ids = Membership.objects.filter(user=user, active=True).values_list("site_id", flat=True)
    months = list(
        TrainingSettings.objects.filter(site_id__in=site_ids).values_list("refresher_months", flat=True)
    )
    return min(months) if months else DEFAULT_REFRESHER_MONTHS


@transaction.atomic
def submit_attempt(*, by: Any, module: Module, kind: str, answers: dict[str, str], ip: str = "") -> tuple[Attempt, Score]:
    """Score a pre-test or knowledge check; a passed check completes the module until its refresher."""
    if kind not in (PRE, POST):
        raise TrainingError(_("Unknown kind of test."))
    if not sites_with(by, Perm.TRAINING):
        raise PermissionDenied(_("Your role does not allow this."))
    questions = list(module.questions.filter(active=True).order_by("order", "key"))
    score = score_answers(questions, answers)
    now = timezone.now()
    passed = kind == POST and score.passes(module.pass_mark)
    attempt = Attempt.objects.create(
        user=by, module=module, module_version=module.version, kind=kind, correct=score.correct,
        total=score.total, score=score.percent, passed=passed, completed_at=now,
    )
    Answer.objects.bulk_create(
        [Answer(attempt=attempt, question=i.question, choice=i.choice, correct=i.correct) for i in score.items]
    )
    record(
        by=by, action=f"training.{kind}.submit", obj=attempt,
        detail={"module": module.code, "score": score.percent, "passed": passed}, ip=ip,
    )
    if passed:
        expires = now + relativedelta(months=refresher_months_for(by))
        Completion.objects.update_or_create(
            user=by, module=module,
            defaults={"attempt": attempt, "completed_at": now, "expires_at": expires},
        )
        record(by=by, action="training.complete", obj=attempt,
               detail={"module": module.code, "expires_at": expires.isoformat()}, ip=ip)
        forget_gate_cache(by)
    return attempt, score


@transaction.atomic
def update_settings(
    *, by: Any, site: Site, gate_screening: bool, gate_break_glass: bool, refresher_months: int, ip: str = "",
) -> TrainingSettings:
    """Change a site's gates and refresher interval; move the due dates of its staff to match."""
    if site.pk not in sites_with(by, Perm.MANAGE_CLINIC):
        raise PermissionDenied(_("You cannot change the training rules of this site."))
    if not 1 <= int(refresher_months) <= 60:
        raise TrainingError(_("A refresher must fall due between 1 and 60 months after completion."))
    current, _created = TrainingSettings.objects.select_for_update().get_or_create(site=site)
    before = {
        "gate_screening": current.gate_screening, "gate_break_glass": current.gate_break_glass,
        "refresher_months": current.refresher_months,
    }
    current.gate_screening = bool(gate_screening)
    current.gate_break_glass = bool(gate_break_glass)
    current.refresher_months = int(refresher_months)
    current.save()
    moved = 0
    if before["refresher_months"] != current.refresher_months:
        staff = Membership.objects.filter(site=site, active=True).values_list("user_id", flat=True)
        for completion in Completion.objects.filter(user_id__in=staff).select_related("user"):
            months = refresher_months_for(completion.user)
            expires = completion.completed_at + relativedelta(months=months)
            if expires != completion.expires_at:
                completion.expires_at = expires
                completion.save(update_fields=["expires_at"])
                moved += 1
    record(
        by=by, action="training.settings.update", obj=current, site=site,
        detail={"before": before, "gate_screening": current.gate_screening,
                "gate_break_glass": current.gate_break_glass,
                "refresher_months": current.refresher_months, "due_dates_moved": moved},
        ip=ip,
    )
    return current


@transaction.atomic
def load_curriculum(*, by: Any, modules: list[dict]) -> dict[str, int]:
    """Create or update modules and their questions from content data; retire removed questions."""
    for data in modules:
        validate_module(data)
    counts = {"created": 0, "updated": 0, "questions": 0}
    for data in modules:
        module, created = Module.objects.update_or_create(
            code=data["code"],
            defaults={
                "version": data.get("version", 1), "order": data.get("order", 0),
                "core": bool(data.get("core")), "active": True, "pass_mark": data.get("pass_mark", 80),
                "title": data["title"], "summary": data["summary"], "readings": data["readings"],
                "vignettes": data["vignettes"],
            },
        )
        counts["created" if created else "updated"] += 1
        keys = []
        for order, q in enumerate(data["questions"]):
            Question.objects.update_or_create(
                module=module, key=q["key"],
                defaults={"order": order, "active": True, "prompt": q["prompt"], "options": q["options"],
                          "explanation": q.get("explanation", {})},
            )
            keys.append(q["key"])
            counts["questions"] += 1
        module.questions.exclude(key__in=keys).update(active=False)
    record(by=by, action="training.curriculum.load", detail=counts)
    return counts
