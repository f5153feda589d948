"""Outcomes over time: score trajectories per person, retention and timeliness per clinic.

The computations are pure functions of rows, so they are testable with synthetic data.
Screening scores come from `safehaven.screening.queries.score_history(person_ids, loinc_codes)`
(the screening capability); each row is a mapping or object with `person_id`, `loinc` (or
`instrument`), `score` and `at` (a date or datetime).
"""

import datetime
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from dateutil.relativedelta import relativedelta

# Instruments whose trajectories are shown: key -> (name, LOINC codes of the total score or panel).
# The PC-PTSD-5 LOINC code is not confirmed (DOMAIN.md §2 "verify"): rows may name it instead.
INSTRUMENTS = {
    "phq9": ("PHQ-9", ("44261-6", "44249-1"), 27, 10),
    "gad7": ("GAD-7", ("70274-6", "69737-5"), 21, 10),
    "pcptsd5": ("PC-PTSD-5", ("pc-ptsd-5-total", "pc-ptsd-5", "pcptsd5"), 5, 3),
}
LOINC_TO_INSTRUMENT = {code: key for key, (_n, codes, _m, _c) in INSTRUMENTS.items() for code in codes}
TWO_MONTHS = datetime.timedelta(days=60)
TWO_MONTH_WINDOW = (datetime.timedelta(days=42), datetime.timedelta(days=91))
RETENTION_MONTHS = (2, 6, 12)
RETENTION_GRACE = datetime.timedelta(days=30)
SMALL_CELL = 11  # aggregate counts below this are not shown (re-identification risk)


def _get(row, name, default=None):
    if isinstance(row, dict):
        return row.get(name, default)
    return getattr(row, name, default)


def _day(value) -> datetime.date:
    return value.date() if isinstance(value, datetime.datetime) else value


def instrument_of(row) -> str | None:
    """Return the instrument key of a score row, or None for instruments not followed here."""
    code = str(_get(row, "loinc") or _get(row, "code") or _get(row, "instrument") or "").casefold()
    return LOINC_TO_INSTRUMENT.get(code)


@dataclass(frozen=True)
class Point:
    at: datetime.date
    score: float


def trajectories(rows: Iterable) -> dict[str, list[Point]]:
    """Return each followed instrument's scores in time order (one person's rows)."""
    series: dict[str, list[Point]] = defaultdict(list)
    for row in rows:
        key = instrument_of(row)
        # Rows come from screening.queries.score_history (code, value, effective_at) or are
        # built by hand (loinc, score, at); both shapes are read.
        score = _get(row, "score", _get(row, "value"))
        at = _get(row, "at", _get(row, "effective_at"))
        if key is None or score is None or at is None:
            continue
        series[key].append(Point(_day(at), float(score)))
    return {key: sorted(points, key=lambda p: p.at) for key, points in series.items()}


@dataclass(frozen=True)
class Change:
    baseline: Point
    follow_up: Point

    @property
    def delta(self) -> float:
        return self.follow_up.score - self.baseline.score


def change_at_two_months(points: list[Point]) -> Change | None:
    """Return the change from the first score to the one nearest two months later.

    The follow-up score must fall 6 to 13 weeks after the baseline; otherwise None.
    """
    if len(points) < 2:
        return None
    baseline = points[0]
    low, high = TWO_MONTH_WINDOW
    candidates = [p for p in points[1:] if low <= p.at - baseline.at <= high]
    if not candidates:
        return None
    target = baseline.at + TWO_MONTHS
    follow_up = min(candidates, key=lambda p: (abs((p.at - target).days), p.at))
    return Change(baseline, follow_up)


def load_scores(person_ids: list[int]) -> list:
    """Return score rows from the screening capability, or [] until it provides them."""
    try:
        from safehaven.screening.queries import score_history
    except ImportError:
        return []
    codes = [code for _n, codes, _m, _c in INSTRUMENTS.values() for code in codes]
    return list(score_history(person_ids, codes))


@dataclass(frozen=True)
class Rate:
    numerator: int
    denominator: int

    @property
    def suppressed(self) -> bool:
        return 0 < self.denominator < SMALL_CELL or 0 < self.numerator < SMALL_CELL

    @property
    def percent(self) -> int | None:
        if self.denominator == 0 or self.suppressed:
            return None
        return round(100 * self.numerator / self.denominator)


def retention(visits: Iterable[tuple], *, as_of: datetime.date, months=RETENTION_MONTHS) -> dict[int, Rate]:
    """Return retention in care at each of `months` from (person_id, visit date) rows.

    A person enters at their first visit. They count at N months when N months have passed
    since then (the denominator), and are retained when they had a visit on or after
    first visit + N months - 30 days (the numerator).
    """
    by_person: dict = defaultdict(list)
    for person_id, day in visits:
        by_person[person_id].append(_day(day))
    result = {}
    for n in months:
        numerator = denominator = 0
        for days in by_person.values():
            start = min(days)
            mark = start + relativedelta(months=n)
            if mark > as_of:
                continue
            denominator += 1
            if max(days) >= mark - RETENTION_GRACE:
                numerator += 1
        result[n] = Rate(numerator, denominator)
    return result


def on_time(items: Iterable[tuple], *, as_of: datetime.date) -> Rate:
    """Return how much due care was done by its overdue date.

    Rows are (status, overdue_on, completed_on). Counted: care done, and care still open
    whose overdue date has passed; care marked not needed is left out.
    """
    numerator = denominator = 0
    for status, overdue_on, completed_on in items:
        if status == "completed":
            denominator += 1
            numerator += int(completed_on is not None and completed_on <= overdue_on)
        elif status == "requested" and overdue_on < as_of:
            denominator += 1
    return Rate(numerator, denominator)
