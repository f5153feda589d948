"""The evaluation cube: measures x sites x quarters of one year, suppressed as a whole.

Figures are counts of distinct people. The whole cube for the sites the evaluator may
see is computed and protected at once; the page's filters only choose a slice of it.
Other capabilities add measures through `providers.register_provider`.
"""

import datetime
from dataclasses import dataclass, field

from dateutil.relativedelta import relativedelta
from django.db.models import Max, Min
from django.db.models.functions import ExtractMonth, ExtractYear
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from safehaven.accounts.models import Site
from safehaven.evaluation import providers
from safehaven.evaluation.suppression import K, protect
from safehaven.people.models import Encounter

PERIODS = ["Q1", "Q2", "Q3", "Q4", "Y"]
PERIOD_LABELS = {"Q1": _("Jan–Mar"), "Q2": _("Apr–Jun"), "Q3": _("Jul–Sep"), "Q4": _("Oct–Dec"), "Y": _("Whole year")}
ALL = "all"
RETENTION_MONTHS = (2, 6, 12)


@dataclass
class Row:
    key: str
    label: object
    measure: str
    hidden: bool = False


@dataclass
class Cube:
    year: int
    sites: list[Site]
    rows: list[Row]
    values: dict = field(default_factory=dict)  # (row, site key, period) -> int
    suppressed: set = field(default_factory=set)
    unavailable: list = field(default_factory=list)  # (title, why)

    def shown(self, row: str, site: str, period: str) -> int | None:
        """Return the figure to show, or None when it is suppressed."""
        key = (row, site, period)
        if key in self.suppressed:
            return None
        return self.values.get(key, 0)

    def measures(self) -> list[str]:
        return list(dict.fromkeys(r.measure for r in self.rows))


MEASURE_TITLES = {
    "served": _("People served"),
    "retention": _("Still coming back (retention)"),
}


def _quarter(month: int) -> str:
    return f"Q{(month - 1) // 3 + 1}"


def _bounds(year: int):
    tz = timezone.get_current_timezone()
    return (timezone.make_aware(datetime.datetime(year, 1, 1), tz),
            timezone.make_aware(datetime.datetime(year + 1, 1, 1), tz))


def _people_served(year, site_ids, today):
    """Return {row: {(site, period): set(person)}} for served/new/returning and retention."""
    start, end = _bounds(year)
    in_year = Encounter.objects.filter(site_id__in=site_ids, started_at__gte=start, started_at__lt=end)
    visits = (
        in_year.annotate(m=ExtractMonth("started_at"), y=ExtractYear("started_at"))
        .values_list("person_id", "site_id", "y", "m").distinct()
    )
    span = (
        Encounter.objects.filter(person_id__in=in_year.values("person_id"))
        .values("person_id").annotate(first=Min("started_at"), last=Max("started_at"))
        .values_list("person_id", "first", "last")
    )
    first_last = {pid: (first, last) for pid, first, last in span}
    sets: dict[str, dict] = {}

    def add(row, site, period, pid):
        sets.setdefault(row, {}).setdefault((site, period), set()).add(pid)

    for pid, site_id, y, month in visits:
        if y != year:
            continue
        quarter = _quarter(month)
        first, last = first_last[pid]
        local_first = timezone.localtime(first)
        is_new_in = {"Y": local_first.year == year, quarter: local_first.year == year and _quarter(local_first.month) == quarter}
        for site in (site_id, ALL):
            for period in (quarter, "Y"):
                add("served", site, period, pid)
                add("new" if is_new_in[period] else "returning", site, period, pid)
                if is_new_in[period]:
                    for months in RETENTION_MONTHS:
                        if (first + relativedelta(months=months)).date() <= today:
                            add(f"eligible_{months}", site, period, pid)
                            retained = last >= first + relativedelta(months=months)
                            add(f"{'retained' if retained else 'lost'}_{months}", site, period, pid)
    return sets


def build_cube(year: int, sites: list[Site], *, k: int = K) -> Cube:
    """Compute and protect the whole cube for a year and the given sites."""
    site_ids = [s.pk for s in sites]
    today = timezone.localdate()
    rows = [
        Row("served", _("People seen"), "served"),
        Row("new", _("First visit ever"), "served"),
        Row("returning", _("Returning"), "served"),
    ]
    groups_within: list[tuple[list[str], str]] = [(["new", "returning"], "served")]
    for months in RETENTION_MONTHS:
        rows += [
            Row(f"eligible_{months}", _("New people who started at least %(n)d months ago") % {"n": months}, "retention"),
            Row(f"retained_{months}", _("… came back %(n)d months or more after their first visit") % {"n": months}, "retention"),
            Row(f"lost_{months}", "", "retention", hidden=True),
        ]
        groups_within.append(([f"retained_{months}", f"lost_{months}"], f"eligible_{months}"))
    sets = _people_served(year, site_ids, today)
    counts = {row: {cell: len(people) for cell, people in by_cell.items()} for row, by_cell in sets.items()}

    cube_unavailable = []
    for provider in providers.all_providers():
        result = provider.figures(site_ids=site_ids, start=_bounds(year)[0], end=_bounds(year)[1])
        if result is None:
            cube_unavailable.append((provider.title, provider.waiting))
            continue
        MEASURE_TITLES.setdefault(provider.key, provider.title)
        for row_key, label in provider.rows:
            rows.append(Row(f"{provider.key}.{row_key}", label, provider.key))
        for parts, total in provider.groups:
            groups_within.append(([f"{provider.key}.{p}" for p in parts], f"{provider.key}.{total}"))
        for row_key, pid, site_id, when in result:
            local = timezone.localtime(when)
            if local.year != year or site_id not in site_ids:
                continue
            for site in (site_id, ALL):
                for period in (_quarter(local.month), "Y"):
                    sets.setdefault(f"{provider.key}.{row_key}", {}).setdefault((site, period), set()).add(pid)
        counts = {row: {cell: len(people) for cell, people in by_cell.items()} for row, by_cell in sets.items()}

    site_keys = [s.pk for s in sites] + [ALL]
    cube = Cube(year=year, sites=sites, rows=rows, unavailable=cube_unavailable)
    for row in rows:
        for site in site_keys:
            for period in PERIODS:
                cube.values[(row.key, site, period)] = counts.get(row.key, {}).get((site, period), 0)
    groups = []
    for site in site_keys:
        for period in PERIODS:
            for parts, total in groups_within:
                groups.append([(p, site, period) for p in parts] + [(total, site, period)])
    for row in rows:
        for period in PERIODS:
            groups.append([(row.key, s, period) for s in site_keys])
        for site in site_keys:
            groups.append([(row.key, site, p) for p in PERIODS])
    hidden = {(r.key, s, p) for r in rows if r.hidden for s in site_keys for p in PERIODS}
    cube.suppressed = protect(cube.values, groups, hidden=hidden, k=k)
    return cube


def available_years() -> list[int]:
    this_year = timezone.localdate().year
    first = Encounter.objects.aggregate(first=Min("started_at"))["first"]
    start = min(timezone.localtime(first).year if first else this_year, this_year - 4)
    return list(range(this_year, max(start, this_year - 15) - 1, -1))
