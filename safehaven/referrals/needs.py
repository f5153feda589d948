"""Where a referral starts: a need domain, or a goal of the person's care plan.

The care-plan capability owns the domains and goals; this module reads them when that
capability is installed and its tables exist, and falls back to the default domain codes
otherwise, so referrals never depend on it being there.
"""

from typing import Any

from django.apps import apps
from django.db import DatabaseError

from safehaven.referrals.models import NEED_CHOICES


def _model(name: str) -> Any:
    try:
        return apps.get_model("careplans", name)
    except LookupError:
        return None


def need_choices() -> list[tuple[str, str]]:
    """Return (code, label) of the need domains a referral may start from."""
    NeedDomain = _model("NeedDomain")
    if NeedDomain is not None:
        try:
            rows = list(NeedDomain.objects.filter(active=True).order_by("order", "code"))
        except DatabaseError:
            rows = []
        if rows:
            return [(row.code, str(getattr(row, "display", row.label))) for row in rows]
    return [(code, str(label)) for code, label in NEED_CHOICES]


def need_label(code: str) -> str:
    """Return the label of a need domain code (the code itself when unknown)."""
    return dict(NEED_CHOICES).get(code, code)


def goal_choices(person: Any) -> list[tuple[str, str, str]]:
    """Return (public_id, description, first domain code) of the person's open goals."""
    Goal = _model("Goal")
    if Goal is None:
        return []
    try:
        goals = list(
            Goal.objects.filter(person=person, lifecycle_status__in=_open_goal_statuses())
            .prefetch_related("domains")
            .order_by("created_at", "pk")[:50]
        )
    except DatabaseError:
        return []
    out = []
    for goal in goals:
        domains = [d.code for d in goal.domains.all()]
        out.append((str(goal.public_id), goal.description, domains[0] if domains else ""))
    return out


def _open_goal_statuses() -> list[str]:
    try:
        from safehaven.careplans.models import GOAL_OPEN_STATUSES
    except ImportError:
        return ["proposed", "planned", "accepted", "active", "on-hold"]
    return sorted(GOAL_OPEN_STATUSES)
