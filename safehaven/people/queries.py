"""Reads for the worklist and the chart; query counts are fixed whatever the data size."""

from typing import Any

from django.db.models import OuterRef, Prefetch, Subquery

from safehaven.access.gate import visible_people
from safehaven.accounts.permissions import Perm
from safehaven.people.models import CareTeamMember, Encounter, Note, Person

WORKLIST_PAGE = 50
CHART_ENCOUNTERS = 20  # the newest encounters the chart shows
MAX_PAGE = 10_000  # far beyond any caseload; larger numbers overflow the database's OFFSET


def worklist(user: Any, *, query: str = "", page: int = 1) -> tuple[list[Person], bool]:
    """Return one page of the people on the user's care teams, and whether more follow."""
    from safehaven.lib.blind_index import fold

    latest = Encounter.objects.filter(person=OuterRef("pk")).order_by("-started_at")
    people = (
        visible_people(user, Perm.VIEW_PERSON)
        .select_related("site")
        .annotate(last_seen=Subquery(latest.values("started_at")[:1]))
        .order_by("chosen_name_folded", "pk")
    )
    folded = fold(query)
    if query.strip() and not folded:
        return [], False  # only punctuation ("%", "'"): folded names never hold it, so nobody matches
    if folded:
        people = people.filter(chosen_name_folded__contains=folded)
    start = (min(max(page, 1), MAX_PAGE) - 1) * WORKLIST_PAGE
    rows = list(people[start : start + WORKLIST_PAGE + 1])
    return rows[:WORKLIST_PAGE], len(rows) > WORKLIST_PAGE


def chart(person: Person) -> dict:
    """Return what the chart shows: recent encounters with notes, the care team, contact."""
    recent = list(
        Encounter.objects.filter(person=person)
        .select_related("clinician")
        .prefetch_related(
            Prefetch("notes", queryset=Note.objects.select_related("author").order_by("created_at"))
        )
        .order_by("-started_at", "-id")[:CHART_ENCOUNTERS]
    )
    # Panels may use these instead of reading the newest encounters again (chart.py).
    person.chart_encounters = recent
    team = list(
        CareTeamMember.objects.filter(person=person, active=True).select_related("user").order_by("added_at")
    )
    return {"encounters": recent, "latest": recent[0] if recent else None, "team": team}
