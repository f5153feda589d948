"""Reads of screening data for this app and for others (follow-up, evaluation, consent, FHIR).

Each function runs a fixed number of queries whatever the data size.
"""

import datetime
import json
from collections.abc import Iterable
from typing import Any

from django.db import models
from django.db.models import Count, Exists, OuterRef, Q

from safehaven.lib.prepared import many, prepared
from safehaven.people.models import Encounter, Person
from safehaven.screening import engine
from safehaven.screening.models import (
    CHANNELS,
    HealthConcern,
    Instrument,
    MandatoryReport,
    ResponseTask,
    ScoredResult,
    ScreeningResponse,
    ScreeningSession,
)

PHQ9_TOTAL = "44261-6"
PHQ2_TOTAL = "55758-7"
GAD7_TOTAL = "70274-6"
PCPTSD5_TOTAL = "pc-ptsd-5-total"  # no LOINC total code confirmed; local code in our system
# Scored results as scored, or as corrected later; not those a correction replaced.
SHOWN_STATUSES = ("final", "amended")


def score_history(
    person_ids: Iterable[int], loinc_codes: Iterable[str]
) -> list[dict[str, Any]]:
    """Return the scored results of these people for these codes, oldest first.

    `person_ids` are Person row ids (the caller has already checked access); `loinc_codes`
    are total-score codes such as "44261-6" (PHQ-9), "70274-6" (GAD-7) or
    "pc-ptsd-5-total" (PC-PTSD-5). Each row is
    {"person_id": int, "code": str, "value": Decimal, "effective_at": datetime}.
    Results of responses entered in error are left out, and so are totals a response did
    not give (declined or incomplete: no value, never a 0). A corrected total counts as
    corrected (amended), never as first scored (entered in error). One query.
    """
    ids = list(person_ids)
    codes = list(loinc_codes)
    if not ids or not codes:
        return []
    rows = (
        ScoredResult.objects.filter(person_id__in=ids, code__in=codes, status__in=SHOWN_STATUSES,
                                    value__isnull=False)
        .exclude(response__status="entered-in-error")
        .order_by("effective_at", "pk")
        .values("person_id", "code", "value", "effective_at")
    )
    return [dict(row) for row in rows]


def screen_counts(
    *,
    site_ids: Iterable[int] | None = None,
    start: datetime.datetime | None = None,
    end: datetime.datetime | None = None,
) -> dict[str, dict[str, int]]:
    """Return, per instrument name, how many screens were offered, completed, declined, positive.

    Counts are aggregates (no person appears); `site_ids` limits them to those sites,
    `start`/`end` to responses authored in [start, end). "offered" counts every response
    row (completed, incomplete, declined, deferred or still open); "incomplete" those
    answered in part, too little for a total; "declined" includes responses with no
    question answered; "positive" counts responses that scored positive, incomplete ones
    included (answers that already reach the cut-off: an incomplete screen is never a
    negative one). A key "_sessions" gives the same for whole PEARR
    sessions (declined = the person declined the whole screen, deferred = put off to a
    later visit). Two queries.
    """
    responses = ScreeningResponse.objects.exclude(status="entered-in-error")
    sessions = ScreeningSession.objects.all()
    if site_ids is not None:
        ids = list(site_ids)
        responses = responses.filter(person__site_id__in=ids)
        sessions = sessions.filter(site_id__in=ids)
    if start is not None:
        responses = responses.filter(authored_at__gte=start)
        sessions = sessions.filter(started_at__gte=start)
    if end is not None:
        responses = responses.filter(authored_at__lt=end)
        sessions = sessions.filter(started_at__lt=end)
    out: dict[str, dict[str, int]] = {}
    rows = responses.values("instrument__name").annotate(
        offered=Count("pk"),
        completed=Count("pk", filter=Q(outcome="completed")),
        incomplete=Count("pk", filter=Q(outcome="incomplete")),
        declined=Count("pk", filter=Q(outcome="declined")),
        deferred=Count("pk", filter=Q(outcome="deferred")),
        positive=Count("pk", filter=Q(outcome__in=("completed", "incomplete"), positive=True)),
    )
    for row in rows:
        name = row.pop("instrument__name")
        out[name] = {k: int(v) for k, v in row.items()}
    positive = ScreeningResponse.objects.filter(session=OuterRef("pk"), positive=True)
    totals = sessions.annotate(has_positive=Exists(positive)).aggregate(
        offered=Count("pk"),
        completed=Count("pk", filter=Q(status="completed")),
        declined=Count("pk", filter=Q(status="cancelled")),
        deferred=Count("pk", filter=Q(status="on-hold")),
        positive=Count("pk", filter=Q(has_positive=True, status="completed")),
    )
    out["_sessions"] = {k: int(v or 0) for k, v in totals.items()}
    return out


def concerns_for_channel(person: Person, channel: str) -> list[HealthConcern]:
    """Return the person's trafficking-related health concerns that `channel` may show.

    `channel` is one of "record" (the chart, for the care team), "printout" (printed
    visit summaries), "portal" (patient-portal and proxy views), "claims" (billing and
    insurance) or "export" (FHIR, bulk export, referral packets). A concern appears only
    when the person agreed it be written in the record and, for every channel but
    "record", agreed to that channel. Anything else raises ValueError. One query.
    """
    if channel not in CHANNELS:
        raise ValueError(f"unknown channel: {channel}")
    return [c for c in _concerns.list(person=person.pk) if c.allowed_on(channel)]


def safety_prompts(person: Person, *, recent: int = 10) -> list[dict[str, Any]]:
    """Return the safety questions left unanswered in the person's latest responses. Two queries.

    For each instrument (by LOINC panel code, else url) with a safety question (PHQ-9 item
    9) among the person's `recent` last completed responses, the newest response decides:
    when its safety question was skipped or answered "prefer not to say", a row
    {"title", "numbers", "authored_at"} prompts staff to ask about safety in person. It is
    worked out from the answers when asked; nothing about it is stored.
    """
    # The newest response of each instrument decides; the Questionnaires (tens of kilobytes
    # each) are read once per instrument, not once per response. Two queries.
    responses = _newest_responses.list(person=person.pk, recent=recent)
    newest = {}
    for response in responses:
        newest.setdefault(response.instrument.code or response.instrument.url, response)
    questionnaires = _questionnaires([r.instrument for r in newest.values()])
    out = []
    for response in newest.values():
        questionnaire = questionnaires.get(response.instrument_id) or {}
        if not engine.safety_questions(questionnaire):
            continue
        numbers = engine.unanswered_safety_questions(
            questionnaire, json.loads(response.answers) if response.answers else {})
        if numbers:
            out.append({"title": response.instrument.title, "numbers": numbers, "authored_at": response.authored_at})
    return out


# Questionnaires are tens of kilobytes of JSON and change only when re-imported (which moves
# imported_at), so each process keeps the ones it has read, keyed by (row, imported_at).
_QUESTIONNAIRES: dict[tuple[int, Any], dict] = {}
_QUESTIONNAIRES_KEPT = 64


def _questionnaires(instruments: list[Instrument]) -> dict[int, dict]:
    """Return {instrument pk: Questionnaire} for these instruments. Always one query.

    The query reads only the resources this process has not kept yet (none, usually), so
    the number of queries does not depend on what was read before.
    """
    keys = {i.pk: (i.pk, i.imported_at) for i in instruments}
    missing = [pk for pk, key in keys.items() if key not in _QUESTIONNAIRES]
    fresh = {}
    for pk, imported_at, resource in _resources.list(instruments=missing or [0]):
        if len(_QUESTIONNAIRES) >= _QUESTIONNAIRES_KEPT:
            _QUESTIONNAIRES.clear()
        _QUESTIONNAIRES[(pk, imported_at)] = fresh[pk] = resource
    return {pk: fresh.get(pk) or _QUESTIONNAIRES.get(key) or {} for pk, key in keys.items()}


# The screening panel's reads, run on every chart view: prepared (safehaven/lib/prepared.py).
@prepared(person=models.BigIntegerField())
def _newest_status(person):
    return ScreeningSession.objects.filter(person_id=person).order_by("-started_at", "-id").values_list(
        "status", flat=True)[:1]


@prepared(person=models.BigIntegerField())
def _results(person):
    return (
        ScoredResult.objects.filter(person_id=person, status__in=SHOWN_STATUSES)
        .select_related("response__instrument")
        .defer("response__instrument__resource", "response__answers")
        .order_by("-effective_at", "-id")[:10]
    )


@prepared(person=models.BigIntegerField())
def _open_tasks(person):
    return (
        ResponseTask.objects.filter(person_id=person)
        .exclude(status__in=["completed", "cancelled", "rejected"])
        .select_related("owner")
        .order_by("-created_at", "-id")[:10]
    )


@prepared(person=models.BigIntegerField())
def _requested_reports(person):
    return MandatoryReport.objects.filter(person_id=person, status="requested").order_by("due_by", "id")[:5]


@prepared(person=models.BigIntegerField())
def _concerns(person):
    return HealthConcern.objects.filter(person_id=person, active=True, in_record=True).exclude(code="").order_by(
        "-recorded_at", "-id")


@prepared(person=models.BigIntegerField())
def _newest_responses(person, *, recent):
    return (
        ScreeningResponse.objects.filter(person_id=person, status="completed")
        .select_related("instrument").defer("instrument__resource")
        .order_by("-authored_at", "-pk")[:recent]
    )


@prepared(instruments=many(models.BigIntegerField()))
def _resources(instruments):
    return Instrument.objects.filter(pk__in=instruments).values_list("pk", "imported_at", "resource")


@prepared(person=models.BigIntegerField())
def _recent_encounters(person):
    return (
        Encounter.objects.filter(person_id=person)
        .exclude(status="entered-in-error")
        .order_by("-started_at", "-id")
        .only("started_at", "chief_complaint")[:30]
    )


def person_summary(person: Person) -> dict[str, Any]:
    """Return what the screening panel of the chart shows. Seven queries whatever the data size."""
    newest_status = _newest_status.first(person=person.pk)
    results = _results.list(person=person.pk)
    tasks = _open_tasks.list(person=person.pk)
    reports = _requested_reports.list(person=person.pk)
    concerns = concerns_for_channel(person, "record")
    return {
        "results": results,
        "tasks": tasks,
        "reports": reports,
        "concerns": concerns,
        "safety_prompts": safety_prompts(person),
        # The newest screen was declined or put off: offer it again (asking is never pushed).
        "offer_again": newest_status in {"cancelled", "on-hold"},
    }


STI_WORDS = ("sti", "std", "chlamydia", "gonorrh", "syphilis", "trichomon", "discharge", "herpes")
INJURY_WORDS = ("injur", "bruis", "burn", "fractur", "broken", "cut ", "black eye", "fell", "fall")


def history_patterns(person: Person, *, now: datetime.datetime | None = None) -> list[str]:
    """Return history patterns the system can see in recent encounters. One query.

    Patterns are keys: "repeated_visits" (3 or more encounters in 90 days),
    "repeated_sti" (2 or more recent visits whose reason mentions an STI) and
    "repeated_injury" (2 or more whose reason mentions an injury). Reasons are
    encrypted, so the last 30 encounters are read and matched here.
    """
    from django.utils import timezone

    now = now or timezone.now()
    recent = _recent_encounters.list(person=person.pk)
    found = []
    in_90 = [e for e in recent if e.started_at >= now - datetime.timedelta(days=90)]
    if len(in_90) >= 3:
        found.append("repeated_visits")
    texts = [f" {(e.chief_complaint or '').lower()} " for e in recent]
    if sum(any(w in t for w in STI_WORDS) for t in texts) >= 2:
        found.append("repeated_sti")
    if sum(any(w in t for w in INJURY_WORDS) for t in texts) >= 2:
        found.append("repeated_injury")
    return found
