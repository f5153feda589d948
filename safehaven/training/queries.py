"""Reads for training pages and for other capabilities. Each runs a fixed number of queries."""

import datetime
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q
from django.utils import timezone

from safehaven.accounts.models import Membership
from safehaven.accounts.permissions import Perm
from safehaven.training.models import (
    POST,
    PRE,
    Answer,
    Attempt,
    Completion,
    Module,
    Question,
    localized,
)

DUE_SOON_DAYS = 30

NOT_STARTED = "not_started"
STARTED = "started"
CURRENT = "current"
DUE_SOON = "due_soon"
OVERDUE = "overdue"


def completion_state(completion: Completion | None, now: datetime.datetime, started: bool = False) -> str:
    """Return the state of one module for one learner."""
    if completion is None:
        return STARTED if started else NOT_STARTED
    if completion.expires_at <= now:
        return OVERDUE
    if completion.expires_at <= now + datetime.timedelta(days=DUE_SOON_DAYS):
        return DUE_SOON
    return CURRENT


@dataclass
class LearnerModule:
    module: Module
    state: str
    completion: Completion | None = None
    pre_score: int | None = None
    post_score: int | None = None


def learner_modules(user: Any) -> list[LearnerModule]:
    """Return every active module with the learner's state, pre-test and latest check (3 queries)."""
    now = timezone.now()
    modules = list(Module.objects.filter(active=True).order_by("order", "code"))
    completions = {c.module_id: c for c in Completion.objects.filter(user=user)}
    first_pre: dict[int, int] = {}
    last_post: dict[int, int] = {}
    for module_id, kind, score in (
        Attempt.objects.filter(user=user).order_by("completed_at", "pk").values_list("module_id", "kind", "score")
    ):
        if kind == PRE:
            first_pre.setdefault(module_id, score)
        else:
            last_post[module_id] = score
    out = []
    for m in modules:
        started = m.pk in first_pre or m.pk in last_post
        out.append(LearnerModule(
            module=m, state=completion_state(completions.get(m.pk), now, started),
            completion=completions.get(m.pk), pre_score=first_pre.get(m.pk), post_score=last_post.get(m.pk),
        ))
    return out


# --- administrator figures -------------------------------------------------------------

@dataclass
class StaffRow:
    user: Any
    roles: list[str]
    states: list[str] = field(default_factory=list)  # one per module, in module order
    core_complete: bool = False


@dataclass
class Overview:
    modules: list[Module]
    staff: list[StaffRow]
    by_role: list[dict]
    overdue: list[Completion]
    gains: list[dict]
    missed: list[dict]


def _trainable_memberships(site_ids: Iterable[int]) -> list[Membership]:
    """Return active memberships at the sites whose role takes training (one query)."""
    rows = (
        Membership.objects.filter(site_id__in=list(site_ids), active=True, user__is_active=True)
        .select_related("user", "role")
        .order_by("user__display_name", "user__username", "pk")
    )
    return [m for m in rows if m.role.grants(Perm.TRAINING)]


def _by_user(memberships: list[Membership]) -> dict[int, StaffRow]:
    staff: dict[int, StaffRow] = {}
    for m in memberships:
        row = staff.setdefault(m.user_id, StaffRow(user=m.user, roles=[]))
        if m.role.name not in row.roles:
            row.roles.append(m.role.name)
    return staff


def admin_overview(site_ids: Iterable[int], *, missed_limit: int = 10) -> Overview:
    """Return completion by person and role, overdue refreshers, gains and most-missed items (6 queries)."""
    now = timezone.now()
    site_ids = list(site_ids)
    memberships = _trainable_memberships(site_ids)
    staff = _by_user(memberships)
    user_ids = list(staff)
    modules = list(Module.objects.filter(active=True).order_by("order", "code"))
    completions = list(Completion.objects.filter(user_id__in=user_ids).select_related("module"))
    by_pair = {(c.user_id, c.module_id): c for c in completions}
    attempts = list(
        Attempt.objects.filter(user_id__in=user_ids).order_by("completed_at", "pk")
        .values_list("user_id", "module_id", "kind", "score")
    )
    started = {(u, m) for u, m, _k, _s in attempts}

    core_ids = [m.pk for m in modules if m.core]
    for uid, row in staff.items():
        row.states = [completion_state(by_pair.get((uid, m.pk)), now, (uid, m.pk) in started) for m in modules]
        row.core_complete = all(
            completion_state(by_pair.get((uid, mid)), now) in (CURRENT, DUE_SOON) for mid in core_ids
        )

    roles: dict[str, dict] = {}
    for m in memberships:
        entry = roles.setdefault(m.role.code, {"role": m.role.name, "users": set(), "complete": set()})
        entry["users"].add(m.user_id)
        if staff[m.user_id].core_complete:
            entry["complete"].add(m.user_id)
    by_role = [
        {"role": e["role"], "staff": len(e["users"]), "core_complete": len(e["complete"]),
         "percent": round(100 * len(e["complete"]) / len(e["users"])) if e["users"] else 0}
        for e in sorted(roles.values(), key=lambda e: e["role"])
    ]

    overdue = sorted(
        (c for c in completions if c.expires_at <= now and c.module.active),
        key=lambda c: c.expires_at,
    )
    for c in overdue:
        c.staff_row = staff[c.user_id]  # type: ignore[attr-defined]

    gains = module_gains(modules, attempts)
    missed = most_missed(user_ids, limit=missed_limit)
    return Overview(modules, list(staff.values()), by_role, overdue, gains, missed)


def module_gains(modules: list[Module], attempts: list[tuple[int, int, str, int]]) -> list[dict]:
    """Return, per module, the mean first pre-test and latest check of learners who took both."""
    first_pre: dict[tuple[int, int], int] = {}
    last_post: dict[tuple[int, int], int] = {}
    for user_id, module_id, kind, score in attempts:  # oldest first
        if kind == PRE:
            first_pre.setdefault((user_id, module_id), score)
        elif kind == POST:
            last_post[(user_id, module_id)] = score
    paired: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for key, pre in first_pre.items():
        if key in last_post:
            paired[key[1]].append((pre, last_post[key]))
    out = []
    for m in modules:
        pairs = paired.get(m.pk, [])
        if pairs:
            pre = sum(p for p, _ in pairs) / len(pairs)
            post = sum(q for _, q in pairs) / len(pairs)
            out.append({"module": m, "learners": len(pairs), "pre": round(pre, 1), "post": round(post, 1),
                        "gain": round(post - pre, 1)})
        else:
            out.append({"module": m, "learners": 0, "pre": None, "post": None, "gain": None})
    return out


def most_missed(user_ids: list[int], *, limit: int = 10) -> list[dict]:
    """Return the items these learners most often answered wrongly, with how often (2 queries)."""
    rows = list(
        Answer.objects.filter(attempt__user_id__in=user_ids)
        .values("question_id")
        .annotate(answered=Count("pk"), wrong=Count("pk", filter=Q(correct=False)))
        .filter(wrong__gt=0)
        .order_by("-wrong", "question_id")[:limit]
    )
    questions = Question.objects.select_related("module").in_bulk([r["question_id"] for r in rows])
    return [
        {"question": questions[r["question_id"]], "answered": r["answered"], "wrong": r["wrong"],
         "percent_wrong": round(100 * r["wrong"] / r["answered"])}
        for r in rows
    ]


def completion_summary(site_ids: Iterable[int]) -> dict:
    """Return aggregate training completion at the sites (no names), for evaluation (4 queries).

    {"staff": n, "core_complete": n, "percent_core_complete": p,
     "modules": [{"code", "title", "core", "current", "overdue", "not_done"}],
     "by_role": [{"role", "staff", "core_complete", "percent"}]}
    A completion counts as current until its refresher falls due.
    """
    now = timezone.now()
    memberships = _trainable_memberships(site_ids)
    staff = _by_user(memberships)
    modules = list(Module.objects.filter(active=True).order_by("order", "code"))
    current = set()
    overdue = set()
    for user_id, module_id, expires_at in Completion.objects.filter(user_id__in=list(staff)).values_list(
        "user_id", "module_id", "expires_at"
    ):
        (current if expires_at > now else overdue).add((user_id, module_id))
    core_ids = [m.pk for m in modules if m.core]
    complete_users = {u for u in staff if all((u, mid) in current for mid in core_ids)}
    roles: dict[str, dict] = {}
    for m in memberships:
        entry = roles.setdefault(m.role.code, {"users": set()})
        entry["users"].add(m.user_id)
    n = len(staff)
    return {
        "staff": n,
        "core_complete": len(complete_users),
        "percent_core_complete": round(100 * len(complete_users) / n) if n else 0,
        "modules": [
            {
                "code": m.code, "title": localized(m.title), "core": m.core,
                "current": sum(1 for u in staff if (u, m.pk) in current),
                "overdue": sum(1 for u in staff if (u, m.pk) in overdue),
                "not_done": sum(1 for u in staff if (u, m.pk) not in current and (u, m.pk) not in overdue),
            }
            for m in modules
        ],
        "by_role": [
            {"role": code, "staff": len(e["users"]), "core_complete": len(e["users"] & complete_users),
             "percent": round(100 * len(e["users"] & complete_users) / len(e["users"]))}
            for code, e in sorted(roles.items())
        ],
    }
