"""Change in PHQ-9, GAD-7 and PC-PTSD-5 at two months, paired (same person, both scores).

Scores come from `safehaven.screening.queries.score_history`; the pairing rule is the
follow-up capability's (`safehaven.followup.outcomes.change_at_two_months`: the first
score, and the one nearest two months later within 6 to 13 weeks). A change counts in
the quarter of its first score. The mean change is shown with its n and hidden below 11
people. Negative change means fewer symptoms.
"""

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from safehaven.evaluation.providers import Provider

ID_CHUNK = 10000  # people per score query: stays under SQLite's limit on query parameters


def instruments():
    from safehaven.screening.queries import GAD7_TOTAL, PCPTSD5_TOTAL, PHQ9_TOTAL

    return [
        ("phq9", PHQ9_TOTAL, _("PHQ-9 (depression): mean change after two months")),
        ("gad7", GAD7_TOTAL, _("GAD-7 (anxiety): mean change after two months")),
        ("pcptsd5", PCPTSD5_TOTAL, _("PC-PTSD-5: mean change after two months")),
    ]


def paired_changes(*, site_ids, start, end):
    """Yield (row, person pk, site pk, baseline date, change) for people with a paired score."""
    from safehaven.followup.outcomes import Point, change_at_two_months
    from safehaven.people.models import Person
    from safehaven.screening.queries import score_history

    rows = {code: key for key, code, _label in instruments()}
    people = dict(Person.objects.filter(site_id__in=site_ids).values_list("pk", "site_id"))
    ids = sorted(people)
    for offset in range(0, len(ids), ID_CHUNK):
        series: dict[tuple, list] = {}
        for score in score_history(ids[offset:offset + ID_CHUNK], list(rows)):
            point = Point(timezone.localtime(score["effective_at"]).date(), float(score["value"]))
            series.setdefault((score["person_id"], score["code"]), []).append(point)
        for (person_id, code), points in series.items():
            change = change_at_two_months(points)
            if change is None or not (start.date() <= change.baseline.at < end.date()):
                continue
            yield (f"{rows[code]}_change", person_id, people[person_id], change.baseline.at, change.delta)


def provider() -> Provider:
    return Provider(
        key="outcomes", title=_("Change in symptoms after two months"),
        stat_rows=[(f"{key}_change", label, "mean") for key, _code, label in instruments()],
        values=paired_changes,
    )
