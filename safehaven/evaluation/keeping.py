"""Keep the evaluation figures for a while, so the dashboard does not reread a year each time.

``figures_for(year, site_ids)`` returns the kept figures. When they are older than
EVALUATION_FIGURES_MAX_AGE seconds it still returns them at once (the page says when they
were read) and queues one background read of newer ones; only when none are kept does the
request read them itself.
``refresh(...)`` rereads them whatever their age (the `safehaven evaluation refresh` command,
e.g. run each night, so the first evaluator of the day does not wait).
"""

import datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from safehaven.accounts.models import Site
from safehaven.evaluation.measures import Figures, build_cube, compute_figures
from safehaven.evaluation.models import KeptFigures


def _key(site_ids) -> str:
    return ",".join(str(pk) for pk in sorted(set(site_ids)))


def _encode(figures: Figures) -> dict:
    return {
        "counts": [[row, site, period, n] for row, cells in figures.counts.items()
                   for (site, period), n in cells.items()],
        "stats": [[row, site, period, value] for (row, site, period), value in figures.stats.items()],
        "suppressed": None if figures.suppressed is None else [list(key) for key in sorted(figures.suppressed, key=str)],
    }


def _decode(data: dict, computed_at: datetime.datetime) -> Figures:
    counts: dict = {}
    for row, site, period, n in data["counts"]:
        counts.setdefault(row, {})[(site, period)] = n
    stats = {(row, site, period): value for row, site, period, value in data["stats"]}
    suppressed = data.get("suppressed")
    return Figures(counts=counts, stats=stats, computed_at=computed_at,
                   suppressed=None if suppressed is None else {tuple(key) for key in suppressed})


def refresh(year: int, site_ids) -> Figures:
    """Read the figures now, work out their protection once, and keep both."""
    figures = compute_figures(year, list(site_ids))
    sites = list(Site.objects.filter(pk__in=list(site_ids)).order_by("name"))
    figures.suppressed = build_cube(year, sites, figures=figures).suppressed
    values = {"computed_at": figures.computed_at, "data": _encode(figures), "refreshing_since": None}
    try:
        with transaction.atomic():
            KeptFigures.objects.update_or_create(year=year, sites_key=_key(site_ids), defaults=values)
    except IntegrityError:  # another request kept the same figures at the same moment
        pass
    return figures


def figures_for(year: int, site_ids) -> Figures:
    """Return the kept figures, queueing a background read when they are too old.

    With EVALUATION_FIGURES_MAX_AGE = 0 nothing is kept: the figures are read each time.
    """
    max_age = settings.EVALUATION_FIGURES_MAX_AGE
    if max_age <= 0:
        return compute_figures(year, list(site_ids))
    key = _key(site_ids)
    kept = KeptFigures.objects.filter(year=year, sites_key=key).only("computed_at", "data").first()
    if kept is None:
        return refresh(year, site_ids)
    now = timezone.now()
    if now - kept.computed_at > datetime.timedelta(seconds=max_age):
        # One queued read at a time: claim the row unless a read was queued recently.
        claimed = KeptFigures.objects.filter(pk=kept.pk).filter(
            Q(refreshing_since__isnull=True) | Q(refreshing_since__lt=now - datetime.timedelta(seconds=max_age))
        ).update(refreshing_since=now)
        if claimed:
            from safehaven.evaluation.tasks import refresh_figures

            transaction.on_commit(lambda: refresh_figures.enqueue(year, sorted(int(pk) for pk in set(site_ids))))
    return _decode(kept.data, kept.computed_at)
