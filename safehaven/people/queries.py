"""Reads for the worklist and the chart; query counts are fixed whatever the data size."""

from typing import Any

from django.db import models
from django.db.models import OuterRef, Subquery

from safehaven.access.gate import sites_with, visible_to
from safehaven.accounts.permissions import Perm
from safehaven.lib.prepared import many, prepared
from safehaven.people.models import CareTeamMember, ContactPreferences, Encounter, Note, Person

WORKLIST_PAGE = 50
CHART_ENCOUNTERS = 10  # the newest encounters the chart shows, with their notes
ENCOUNTER_PAGE = 50  # encounters a page of the full history lists
MAX_PAGE = 10_000
# What the worklist page and the API's list show: the legal name and the safety note are
# neither read nor decrypted for a list of 50 people.
WORKLIST_FIELDS = ("public_id", "site", "site__name", "chosen_name", "pronouns", "date_of_birth", "age_band",
                   "preferred_language", "interpreter_needed")  # far beyond any caseload; larger numbers overflow the database's OFFSET


@prepared(user=models.BigIntegerField(), now=models.DateTimeField(), folded=models.CharField())
def _worklist(user, now, folded, *, sites, search, start):
    latest = Encounter.objects.filter(person=OuterRef("pk")).order_by("-started_at", "-id")
    people = (
        visible_to(user, now, sites=sites)
        .select_related("site")
        .only(*WORKLIST_FIELDS)
        .annotate(last_seen=Subquery(latest.values("started_at")[:1]))
        .order_by("chosen_name_folded", "pk")
    )
    if search:
        people = people.filter(chosen_name_folded__contains=folded)
    return people[start : start + WORKLIST_PAGE + 1]


def worklist(user: Any, *, query: str = "", page: int = 1) -> tuple[list[Person], bool]:
    """Return one page of the people on the user's care teams, and whether more follow.

    One query (prepared: the worklist is the page staff open most).
    """
    from django.utils import timezone

    from safehaven.lib.blind_index import fold

    folded = fold(query)
    if query.strip() and not folded:
        return [], False  # only punctuation ("%", "'"): folded names never hold it, so nobody matches
    sites = sites_with(user, Perm.VIEW_PERSON)
    if not sites:
        return [], False
    start = (min(max(page, 1), MAX_PAGE) - 1) * WORKLIST_PAGE
    rows = _worklist.list(user=user.pk, now=timezone.now(), folded=folded, sites=tuple(sorted(sites)),
                          search=bool(folded), start=start)
    return rows[:WORKLIST_PAGE], len(rows) > WORKLIST_PAGE


# The chart's reads run on every chart view: prepared once per process (safehaven/lib/prepared.py).
@prepared(person=models.BigIntegerField())
def _newest_encounters(person, *, limit):
    return Encounter.objects.filter(person_id=person).select_related("clinician").order_by("-started_at", "-id")[:limit]


@prepared(encounters=many(models.BigIntegerField()))
def _notes(encounters):
    return Note.objects.filter(encounter_id__in=encounters).select_related("author").order_by("created_at", "id")


@prepared(person=models.BigIntegerField())
def _team(person):
    return CareTeamMember.objects.filter(person_id=person, active=True).select_related("user").order_by("added_at", "id")


@prepared(person=models.BigIntegerField())
def _contact(person):
    return ContactPreferences.objects.filter(person_id=person)[:1]


def chart(person: Person) -> dict:
    """Return what the chart shows: the newest encounters with notes, the care team, contact.

    Four queries whatever the size of the record. Each encounter carries its notes as
    `chart_notes`. `more_encounters` says whether older encounters exist (they are listed by
    `encounter_history`).
    """
    rows = _newest_encounters.list(person=person.pk, limit=CHART_ENCOUNTERS + 1)
    recent = rows[:CHART_ENCOUNTERS]
    notes: dict[int, list[Note]] = {e.pk: [] for e in recent}
    for note in _notes.list(encounters=list(notes)):
        notes[note.encounter_id].append(note)
    for encounter in recent:
        encounter.chart_notes = notes[encounter.pk]
    # Panels may use these instead of reading the newest encounters again (chart.py).
    person.chart_encounters = recent
    return {"encounters": recent, "latest": recent[0] if recent else None,
            "team": _team.list(person=person.pk), "contact": _contact.first(person=person.pk),
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
