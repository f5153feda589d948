"""Keep the evaluation figures for a while, so the dashboard does not reread a year each time.

``figures_for(year, site_ids)`` returns figures no older than EVALUATION_FIGURES_MAX_AGE
seconds, reading them again (and keeping them) when the kept ones are older or missing.
``refresh(...)`` rereads them whatever their age (the `safehaven evaluation refresh` command,
e.g. run each night, so the first evaluator of the day does not wait).
"""

import datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from safehaven.evaluation.measures import Figures, compute_figures
from safehaven.evaluation.models import KeptFigures


def _key(site_ids) -> str:
    return ",".join(str(pk) for pk in sorted(set(site_ids)))


def _encode(figures: Figures) -> dict:
    return {
        "counts": [[row, site, period, n] for row, cells in figures.counts.items()
                   for (site, period), n in cells.items()],
        "stats": [[row, site, period, value] for (row, site, period), value in figures.stats.items()],
    }


def _decode(data: dict, computed_at: datetime.datetime) -> Figures:
    counts: dict = {}
    for row, site, period, n in data["counts"]:
        counts.setdefault(row, {})[(site, period)] = n
    stats = {(row, site, period): value for row, site, period, value in data["stats"]}
    return Figures(counts=counts, stats=stats, computed_at=computed_at)


def refresh(year: int, site_ids) -> Figures:
    """Read the figures now and keep them."""
    figures = compute_figures(year, list(site_ids))
    values = {"computed_at": figures.computed_at, "data": _encode(figures)}
    try:
        with transaction.atomic():
            KeptFigures.objects.update_or_create(year=year, sites_key=_key(site_ids), defaults=values)
    except IntegrityError:  # another request kept the same figures at the same moment
        pass
    return figures


def figures_for(year: int, site_ids) -> Figures:
    """Return figures no older than EVALUATION_FIGURES_MAX_AGE seconds."""
    max_age = settings.EVALUATION_FIGURES_MAX_AGE
    if max_age <= 0:
        return compute_figures(year, list(site_ids))
    kept = (KeptFigures.objects.filter(year=year, sites_key=_key(site_ids))
            .only("computed_at", "data").first())
    if kept is not None and timezone.now() - kept.computed_at <= datetime.timedelta(seconds=max_age):
        return _decode(kept.data, kept.computed_at)
    return refresh(year, site_ids)
