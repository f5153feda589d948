"""Outcome computations on synthetic data, and the accessible SVG chart."""

import datetime

import pytest

from safehaven.followup import outcomes
from safehaven.followup.views import person_outcome_context

D0 = datetime.date(2024, 1, 10)


def day(n):
    return D0 + datetime.timedelta(days=n)


ROWS = [
    {"person_id": 1, "loinc": "44261-6", "score": 18, "at": day(0)},
    {"person_id": 1, "loinc": "44261-6", "score": 12, "at": day(35)},
    {"person_id": 1, "loinc": "44261-6", "score": 9, "at": day(62)},
    {"person_id": 1, "loinc": "44261-6", "score": 6, "at": day(150)},
    {"person_id": 1, "loinc": "70274-6", "score": 15, "at": datetime.datetime(2024, 1, 10, 9, 30)},
    {"person_id": 1, "loinc": "70274-6", "score": 16, "at": day(120)},
    {"person_id": 1, "instrument": "PC-PTSD-5", "score": 4, "at": day(0)},
    {"person_id": 1, "instrument": "PC-PTSD-5", "score": 2, "at": day(56)},
    {"person_id": 1, "loinc": "72109-2", "score": 5, "at": day(0)},  # AUDIT-C: not followed here
]


def test_trajectories_group_scores_by_instrument_in_time_order():
    series = outcomes.trajectories(reversed(ROWS))
    assert set(series) == {"phq9", "gad7", "pcptsd5"}
    assert [p.score for p in series["phq9"]] == [18, 12, 9, 6]


def test_change_at_two_months_uses_the_score_nearest_sixty_days():
    series = outcomes.trajectories(ROWS)
    change = outcomes.change_at_two_months(series["phq9"])
    assert (change.baseline.score, change.follow_up.score, change.delta) == (18, 9, -9)
    assert outcomes.change_at_two_months(series["pcptsd5"]).delta == -2


def test_no_change_is_claimed_without_a_score_near_two_months():
    series = outcomes.trajectories(ROWS)
    assert outcomes.change_at_two_months(series["gad7"]) is None
    assert outcomes.change_at_two_months(series["phq9"][:1]) is None


def test_retention_counts_people_still_seen_at_two_six_and_twelve_months():
    as_of = datetime.date(2025, 6, 1)
    visits = []
    # 12 people who started in January 2024 and came back at 3 months only.
    visits += [(pid, datetime.date(2024, 1, 5)) for pid in range(12)]
    visits += [(pid, datetime.date(2024, 4, 5)) for pid in range(12)]
    # 12 more who also came back at 13 months.
    visits += [(pid, datetime.date(2024, 1, 5)) for pid in range(100, 112)]
    visits += [(pid, datetime.date(2025, 2, 5)) for pid in range(100, 112)]
    # Someone who started last month is not counted yet at 2 months.
    visits += [(999, datetime.date(2025, 5, 1))]
    result = outcomes.retention(visits, as_of=as_of)
    assert (result[2].numerator, result[2].denominator) == (24, 24)
    assert (result[6].numerator, result[6].denominator) == (12, 24)
    assert (result[12].numerator, result[12].denominator) == (12, 24)
    assert result[6].percent == 50


def test_small_numbers_are_suppressed():
    rate = outcomes.Rate(3, 20)
    assert rate.suppressed and rate.percent is None
    assert outcomes.Rate(0, 0).percent is None
    assert outcomes.Rate(12, 20).percent == 60


def test_follow_up_on_time_counts_done_late_and_overdue_open_care():
    as_of = datetime.date(2025, 1, 31)
    items = (
        [("completed", datetime.date(2025, 1, 10), datetime.date(2025, 1, 9))] * 12  # on time
        + [("completed", datetime.date(2025, 1, 10), datetime.date(2025, 1, 20))] * 4  # late
        + [("requested", datetime.date(2025, 1, 10), None)] * 4  # overdue, still open
        + [("requested", datetime.date(2025, 3, 10), None)] * 9  # not yet due: left out
        + [("cancelled", datetime.date(2025, 1, 10), None)] * 5  # not needed: left out
    )
    rate = outcomes.on_time(items, as_of=as_of)
    assert (rate.numerator, rate.denominator) == (12, 20)


def test_the_chart_is_accessible_and_escapes_text():
    context = person_outcome_context(ROWS)
    chart = str(context["chart"])
    assert chart.startswith("<svg") and 'role="img"' in chart
    assert "<title id=" in chart and "<desc id=" in chart
    assert chart.count("<polyline") == 3
    assert len(context["table"]) == 8
    from safehaven.followup import svg

    hostile = svg.line_chart([("<b>x</b>", [outcomes.Point(D0, 1)], 5)], title="<script>", desc="&")
    assert "<script>" not in str(hostile) and "<b>" not in str(hostile)


@pytest.mark.django_db
def test_scores_come_from_the_screening_capability_when_it_exists(cast, monkeypatch):
    import sys
    import types

    fake = types.ModuleType("safehaven.screening.queries")
    fake.score_history = lambda ids, codes: [r for r in ROWS if "44261-6" in codes]
    monkeypatch.setitem(sys.modules, "safehaven.screening.queries", fake)
    assert len(outcomes.load_scores([cast.patient.pk])) == len(ROWS)


def test_trajectories_read_the_rows_screening_returns(cast):
    """score_history rows (code, value, effective_at) feed the trajectories directly."""
    import datetime as _dt

    from django.utils import timezone as _tz

    from safehaven.followup.outcomes import change_at_two_months, trajectories

    start = _tz.now() - _dt.timedelta(days=70)
    rows = [
        {"person_id": cast.patient.pk, "code": "44261-6", "value": 16, "effective_at": start},
        {"person_id": cast.patient.pk, "code": "44261-6", "value": 8, "effective_at": start + _dt.timedelta(days=60)},
        {"person_id": cast.patient.pk, "code": "pc-ptsd-5-total", "value": 4, "effective_at": start},
    ]
    series = trajectories(rows)
    assert [p.score for p in series["phq9"]] == [16.0, 8.0]
    assert series["pcptsd5"][0].score == 4.0
    assert change_at_two_months(series["phq9"]).delta == -8.0
