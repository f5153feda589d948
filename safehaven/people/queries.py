"""Reads for the worklist and the chart; query counts are fixed whatever the data size."""

from typing import Any

from django.db.models import OuterRef, Prefetch, Subquery, prefetch_related_objects

from safehaven.access.gate import visible_people
from safehaven.accounts.permissions import Perm
from safehaven.people.models import CareTeamMember, Encounter, Note, Person

WORKLIST_PAGE = 50
CHART_ENCOUNTERS = 10  # the newest encounters the chart shows, with their notes
ENCOUNTER_PAGE = 50  # encounters a page of the full history lists
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
    """Return what the chart shows: the newest encounters with notes, the care team, contact.

    Three queries whatever the size of the record. `more_encounters` says whether older
    encounters exist (they are listed by `encounter_history`).
    """
    rows = list(
        Encounter.objects.filter(person=person)
        .select_related("clinician")
        .order_by("-started_at", "-id")[: CHART_ENCOUNTERS + 1]
    )
    recent = rows[:CHART_ENCOUNTERS]
    prefetch_related_objects(
        recent, Prefetch("notes", queryset=Note.objects.select_related("author").order_by("created_at"))
    )
    # Panels may use these instead of reading the newest encounters again (chart.py).
    person.chart_encounters = recent
    team = list(
        CareTeamMember.objects.filter(person=person, active=True).select_related("user").order_by("added_at")
    )
    return {"encounters": recent, "latest": recent[0] if recent else None, "team": team,
            "more_encounters": len(rows) > CHART_ENCOUNTERS}


def encounter_history(person: Person, *, page: int = 1) -> tuple[list[Encounter], bool]:
    """Return one page of the person's encounters, newest first, and whether more follow.

    One query whatever the size of the record.
    """
    start = (min(max(page, 1), MAX_PAGE) - 1) * ENCOUNTER_PAGE
    rows = list(
        Encounter.objects.filter(person=person)
        .select_related("clinician")
        .order_by("-started_at", "-id")[start : start + ENCOUNTER_PAGE + 1]
    )
    return rows[:ENCOUNTER_PAGE], len(rows) > ENCOUNTER_PAGE
