"""The evaluation cube: measures x sites x quarters of one year, suppressed as a whole.

Figures are counts of distinct people. The whole cube for the sites the evaluator may
see is computed and protected at once; the page's filters only choose a slice of it.
Other capabilities add measures through `providers.register_provider`.
"""

import calendar
import datetime
import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from django.db.models import Case, IntegerField, Max, Min, OuterRef, Subquery, Value, When
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from safehaven.accounts.models import Site
from safehaven.evaluation import providers
from safehaven.evaluation.suppression import K, protect
from safehaven.people.models import Encounter

PERIODS = ["Q1", "Q2", "Q3", "Q4", "Y"]
NOW = "now"  # the one column of figures about today (snapshots)
PERIOD_LABELS = {"Q1": _("Jan–Mar"), "Q2": _("Apr–Jun"), "Q3": _("Jul–Sep"), "Q4": _("Oct–Dec"), "Y": _("Whole year"),
                 NOW: _("Today")}
ALL = "all"
RETENTION_MONTHS = (2, 6, 12)


@dataclass
class Row:
    key: str
    label: object
    measure: str
    hidden: bool = False
    periods: tuple = tuple(PERIODS)
    # A statistic row (median/mean) names the row counting the people behind it.
    statistic: str = ""
    n_row: str = ""
    # A percentage row names its numerator and denominator rows.
    ratio: tuple = ()


@dataclass
class Cube:
    year: int
    sites: list[Site]
    rows: list[Row]
    values: dict = field(default_factory=dict)  # (row, site key, period) -> int (counts of people)
    stats: dict = field(default_factory=dict)  # (statistic row, site key, period) -> float
    suppressed: set = field(default_factory=set)
    unavailable: list = field(default_factory=list)  # (title, why)
    k: int = K

    def shown(self, row: str, site, period: str):
        """Return the figure to show, None when it is suppressed, "" for a statistic without data.

        A statistic is shown only when the count of people behind it is shown and at least k.
        """
        spec = self._rows().get(row)
        if spec is not None and spec.ratio:
            numerator, denominator = (self.shown(part, site, period) for part in spec.ratio)
            if numerator is None or denominator is None:
                return None
            return round(100 * numerator / denominator) if denominator else ""
        if spec is not None and spec.statistic:
            n_key = (spec.n_row, site, period)
            n = self.values.get(n_key, 0)
            if n == 0:
                return ""
            if n_key in self.suppressed or n < self.k:
                return None
            return self.stats.get((row, site, period), "")
        key = (row, site, period)
        if key in self.suppressed:
            return None
        return self.values.get(key, 0)

    def _rows(self) -> dict:
        if getattr(self, "_by_key", None) is None or len(self._by_key) != len(self.rows):
            self._by_key = {r.key: r for r in self.rows}
        return self._by_key

    def measures(self) -> list[str]:
        return list(dict.fromkeys(r.measure for r in self.rows))

    def periods_of(self, measure: str) -> tuple:
        return next(r.periods for r in self.rows if r.measure == measure)


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


def _add_months(moment, months):
    """moment plus a number of calendar months, the day clamped to the month's end (as relativedelta)."""
    month_index = moment.month - 1 + months
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    return moment.replace(year=year, month=month, day=min(moment.day, calendar.monthrange(year, month)[1]))


# Calendar months in days: m months after a moment are between these many days later.
_MONTH_SPAN_DAYS = {m: (m * 28, m * 31) for m in RETENTION_MONTHS}


def _at_least_months_later(first, later, months) -> bool:
    """later >= first + months calendar months, cheap for the common, far-from-the-edge case."""
    days = (later - first).days
    shortest, longest = _MONTH_SPAN_DAYS[months]
    if days < shortest - 1:
        return False
    if days > longest + 1:
        return True
    return later >= _add_months(first, months)


def _eligible(first, today, months) -> bool:
    """first + months calendar months falls on or before today."""
    days = (today - first.date()).days
    shortest, longest = _MONTH_SPAN_DAYS[months]
    if days < shortest - 1:
        return False
    if days > longest + 1:
        return True
    return _add_months(first, months).date() <= today


def _people_served(year, site_ids, today):
    """Return {row: {(site, period): count of distinct people}} for served/new/returning and retention.

    The database returns each person's distinct (site, quarter) visits of the year, the quarter
    decided in SQL against the year's local quarter boundaries (no per-row date function), and
    each such person's first and last visit anywhere; Python then counts each distinct key once.
    """
    start, end = _bounds(year)
    tz = timezone.get_current_timezone()
    q_starts = [timezone.make_aware(datetime.datetime(year, month, 1), tz) for month in (4, 7, 10)]
    in_year = Encounter.objects.filter(site_id__in=site_ids, started_at__gte=start, started_at__lt=end)
    quarter = Case(
        When(started_at__lt=q_starts[0], then=Value(1)),
        When(started_at__lt=q_starts[1], then=Value(2)),
        When(started_at__lt=q_starts[2], then=Value(3)),
        default=Value(4),
        output_field=IntegerField(),
    )
    # Read the visits before the spans: a visit recorded between the two reads then still
    # finds its person's span (a person whose visits vanish in between is left out).
    visits = list(in_year.annotate(q=quarter).values_list("person_id", "site_id", "q").order_by().distinct())
    span = (
        Encounter.objects.filter(person_id__in=in_year.values("person_id"))
        .values("person_id").order_by().annotate(first=Min("started_at"), last=Max("started_at"))
        .values_list("person_id", "first", "last")
    )
    # Per person: the quarter of this year in which they were first seen ever (0: not this year),
    # and for each retention span whether they are eligible and whether they came back.
    flags = {}
    for pid, first, last in span:
        # Calendar months are counted on the clinic's local calendar.
        first, last = first.astimezone(tz), last.astimezone(tz)
        new_quarter = (first.month - 1) // 3 + 1 if first.year == year else 0
        retention = []
        for months in RETENTION_MONTHS:
            # Eligible when first + months (a calendar date) is not after today.
            if _eligible(first, today, months):
                retention.append((months, _at_least_months_later(first, last, months)))
        flags[pid] = (new_quarter, tuple(retention))

    # Tally each distinct key by (cell, new?, retention flags); the few distinct combinations
    # are then spread over the rows.
    tally: Counter = Counter()
    site_year, all_quarter, all_year = set(), set(), set()
    visits = [(pid, site_id, q) for pid, site_id, q in visits if pid in flags]
    for pid, site_id, q in visits:
        new_quarter, retention = flags[pid]
        tally[((site_id, f"Q{q}"), new_quarter == q, retention)] += 1
        site_year.add((pid, site_id))
        all_quarter.add((pid, q))
        all_year.add(pid)
    for pid, site_id in site_year:
        new_quarter, retention = flags[pid]
        tally[((site_id, "Y"), new_quarter != 0, retention)] += 1
    for pid, q in all_quarter:
        new_quarter, retention = flags[pid]
        tally[((ALL, f"Q{q}"), new_quarter == q, retention)] += 1
    for pid in all_year:
        new_quarter, retention = flags[pid]
        tally[((ALL, "Y"), new_quarter != 0, retention)] += 1
    counts: dict[str, dict] = defaultdict(dict)
    for (cell, is_new, retention), n in tally.items():
        rows = ["served", "new" if is_new else "returning"]
        if is_new:
            for months, retained in retention:
                rows += [f"eligible_{months}", f"{'retained' if retained else 'lost'}_{months}"]
        for row in rows:
            counts[row][cell] = counts[row].get(cell, 0) + n
    counts = dict(counts)
    return counts


def _rows_and_groups():
    """Return the cube's rows, the (parts, total) groups within them, and the unavailable measures."""
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
    unavailable = []
    for provider in providers.all_providers():
        if not provider.available:
            unavailable.append((provider.title, provider.waiting))
            continue
        MEASURE_TITLES.setdefault(provider.key, provider.title)
        prefix = f"{provider.key}."
        periods = (NOW,) if provider.snapshot is not None else tuple(PERIODS)
        for row_key, label in provider.rows:
            rows.append(Row(prefix + row_key, label, provider.key, hidden=row_key in provider.hidden_rows,
                            periods=periods))
        for row_key, label, numerator, denominator in provider.ratio_rows:
            after = next(i for i, r in enumerate(rows) if r.key == prefix + numerator)
            rows.insert(after + 1, Row(prefix + row_key, label, provider.key, periods=rows[after].periods,
                                       ratio=(prefix + numerator, prefix + denominator)))
        for parts, total in provider.groups:
            groups_within.append(([prefix + p for p in parts], prefix + total))
        for row_key, label, statistic in provider.stat_rows:
            rows.append(Row(prefix + row_key, label, provider.key, statistic=statistic, n_row=f"{prefix}{row_key}.n"))
            rows.append(Row(f"{prefix}{row_key}.n", _("… number of people behind that figure"), provider.key))
    return rows, groups_within, unavailable


@dataclass
class Figures:
    """What the database says for one year and set of sites, before any protection.

    counts: {row: {(site, period): people}}; stats: {(row, site, period): number};
    computed_at: when these were read. Plain data, so it can be kept and reused.
    """

    counts: dict
    stats: dict
    computed_at: datetime.datetime
    # The cells protection hides for these figures (at k = K), once worked out; None until then.
    suppressed: set | None = None


def compute_figures(year: int, site_ids: list[int], today: datetime.date | None = None) -> Figures:
    """Read the raw figures of the cube from the database (the expensive part)."""
    today = today or timezone.localdate()
    counts = _people_served(year, site_ids, today)
    # People per (row, site, quarter) first; each set then counts in its four cells at once.
    people: dict[tuple, set] = defaultdict(set)
    numbers_of: dict[tuple, list] = defaultdict(list)
    start, end = _bounds(year)
    statistics_of = {}
    quarter_of = _quarter_finder(year, site_ids)
    for provider in providers.all_providers():
        if not provider.available:
            continue
        prefix = f"{provider.key}."
        for row_key, _label, statistic in provider.stat_rows:
            statistics_of[prefix + row_key] = statistic
        if provider.snapshot is not None:
            for (row_key, site), count in provider.snapshot(site_ids=site_ids).items():
                if site == ALL or site in site_ids:
                    counts.setdefault(prefix + row_key, {})[(site, NOW)] = int(count)
        if provider.events is not None:
            for row_key, pid, site_id, when in provider.events(site_ids=site_ids, start=start, end=end):
                quarter = quarter_of(when, site_id)
                if quarter:
                    people[(prefix + row_key, site_id, quarter)].add(pid)
        if provider.values is not None:
            for row_key, pid, site_id, when, number in provider.values(site_ids=site_ids, start=start, end=end):
                quarter = quarter_of(when, site_id)
                if quarter:
                    people[(f"{prefix}{row_key}.n", site_id, quarter)].add(pid)
                    numbers_of[(prefix + row_key, site_id, quarter)].append(float(number))
    cell_people: dict[tuple, set] = defaultdict(set)
    for (row, site_id, quarter), pids in people.items():
        for cell in ((site_id, quarter), (site_id, "Y"), (ALL, quarter), (ALL, "Y")):
            cell_people[(row, cell)] |= pids
    for (row, cell), pids in cell_people.items():
        counts.setdefault(row, {})[cell] = len(pids)
    stat_values: dict[tuple, list] = defaultdict(list)
    for (row, site_id, quarter), numbers in numbers_of.items():
        for site, period in ((site_id, quarter), (site_id, "Y"), (ALL, quarter), (ALL, "Y")):
            stat_values[(row, site, period)].extend(numbers)
    stats = {key: _statistic(statistics_of[key[0]], numbers) for key, numbers in stat_values.items() if numbers}
    return Figures(counts=counts, stats=stats, computed_at=timezone.now())


def build_cube(year: int, sites: list[Site], *, k: int = K, figures: Figures | None = None) -> Cube:
    """Protect the whole cube for a year and the given sites (figures read now unless given)."""
    site_ids = [s.pk for s in sites]
    if figures is None:
        figures = compute_figures(year, site_ids)
    rows, groups_within, cube_unavailable = _rows_and_groups()
    hidden_rows = {r.key for r in rows if r.hidden}
    counts = figures.counts
    site_keys = [s.pk for s in sites] + [ALL]
    cube = Cube(year=year, sites=sites, rows=rows, unavailable=cube_unavailable, k=k)
    count_rows = [r for r in rows if not r.statistic and not r.ratio]
    periods_of = {r.key: r.periods for r in rows}
    for row in count_rows:
        for site in site_keys:
            for period in row.periods:
                key = (row.key, site, period)
                cube.values[key] = counts.get(row.key, {}).get((site, period), 0)
    for row in rows:
        if row.statistic:
            for site in site_keys:
                for period in row.periods:
                    value = figures.stats.get((row.key, site, period))
                    if value is not None:
                        cube.stats[(row.key, site, period)] = value
    groups = []
    for parts, total in groups_within:
        for site in site_keys:
            for period in periods_of.get(total, PERIODS):
                groups.append([(p, site, period) for p in parts] + [(total, site, period)])
    for row in count_rows:
        for period in row.periods:
            groups.append([(row.key, s, period) for s in site_keys])
        if len(row.periods) > 1:
            for site in site_keys:
                groups.append([(row.key, site, p) for p in row.periods])
    hidden = {(key, s, p) for key in hidden_rows for s in site_keys for p in periods_of[key]}
    if figures.suppressed is not None and k == K:
        # Protection worked out when these figures were kept (same figures, sites and k).
        cube.suppressed = set(figures.suppressed)
    else:
        cube.suppressed = protect(cube.values, groups, hidden=hidden, k=k)
    return cube


def _quarter_finder(year, site_ids):
    """Return quarter(when, site_id): "Q1".."Q4" for an event of this year at one of the sites, else "".

    Made once per read: the time zone and the site set are looked up once, since this runs
    for every event of the year.
    """
    tz = timezone.get_current_timezone()
    wanted = set(site_ids)
    names = ["", "Q1", "Q1", "Q1", "Q2", "Q2", "Q2", "Q3", "Q3", "Q3", "Q4", "Q4", "Q4"]

    def quarter(when, site_id):
        if when is None or site_id not in wanted:
            return ""
        if isinstance(when, datetime.datetime) and when.tzinfo is not None:
            when = when.astimezone(tz)
        return names[when.month] if when.year == year else ""

    return quarter


def _statistic(kind: str, numbers: list[float]) -> float:
    value = statistics.median(numbers) if kind == "median" else statistics.fmean(numbers)
    return round(value, 1)


def available_years(site_ids=None) -> list[int]:
    """Return the years with figures to show, newest first (at least five, at most sixteen).

    The first visit is found per site through the (site, started_at) index, in one query,
    instead of reading every visit's date.
    """
    this_year = timezone.localdate().year
    sites = Site.objects.all() if site_ids is None else Site.objects.filter(pk__in=list(site_ids))
    earliest = Encounter.objects.filter(site=OuterRef("pk")).order_by("started_at").values("started_at")[:1]
    firsts = [when for when in sites.annotate(first=Subquery(earliest)).values_list("first", flat=True) if when]
    first = min(firsts) if firsts else None
    start = min(timezone.localtime(first).year if first else this_year, this_year - 4)
    return list(range(this_year, max(start, this_year - 15) - 1, -1))
