"""Competency gates: the check registered in `safehaven.access.gate.GATE_CHECKS`.

When a site switches a gate on, staff at that site must hold a current (not expired)
completion of every core module before they use the gated permission there. The check
runs one query per user and site and keeps the answer on the user object, which lives for
one request.
"""

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from safehaven.accounts.permissions import Perm
from safehaven.training.models import GATEABLE, Completion, Module, TrainingSettings, localized

CACHE_KEY = "_training_gate_cache"


def forget_gate_cache(user: Any) -> None:
    """Drop the cached gate answers of a user (after they complete a module)."""
    if user is not None:
        user.__dict__.pop(CACHE_KEY, None)


def gate_status(user: Any, site_id: int) -> tuple[set[str], list[Module]]:
    """Return (the permissions gated at the site, the core modules the user still needs)."""
    cache = user.__dict__.setdefault(CACHE_KEY, {})
    if site_id not in cache:
        current = Completion.objects.filter(user=user, module=OuterRef("pk"), expires_at__gt=timezone.now())
        rules = TrainingSettings.objects.filter(site_id=site_id)
        rows = list(
            Module.objects.filter(core=True, active=True)
            .annotate(
                is_done=Exists(current),
                **{f"rule_{field}": Subquery(rules.values(field)[:1]) for field in GATEABLE.values()},
            )
            .order_by("order", "code")
        )
        gated = {
            str(perm) for perm, field in GATEABLE.items()
            if rows and getattr(rows[0], f"rule_{field}")
        }
        cache[site_id] = (gated, [m for m in rows if not m.is_done])
    return cache[site_id]


def training_gate(user: Any, perm: Any, person: Any) -> None:
    """Raise PermissionDenied, saying which modules to complete, when a switched-on gate applies."""
    if perm not in GATEABLE or person is None:
        return
    gated, missing = gate_status(user, person.site_id)
    if str(perm) not in gated or not missing:
        return
    activity = _("administer screens") if perm == Perm.SCREEN else _("use emergency access")
    titles = "; ".join(localized(m.title) for m in missing)
    raise PermissionDenied(
        _(
            "Before you %(activity)s at this clinic, complete these training modules (or their "
            "refresher): %(modules)s. Open Training from the menu to take them."
        )
        % {"activity": activity, "modules": titles}
    )
