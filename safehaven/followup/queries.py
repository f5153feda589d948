"""Reads for follow-up pages and the chart panel; query counts are fixed whatever the data size."""

import datetime
import zoneinfo
from typing import Any

from django.db import models
from django.utils import timezone

from safehaven.access.gate import sites_with, visible_people
from safehaven.accounts.permissions import Perm
from safehaven.followup.models import (
    Appointment,
    ContactAttempt,
    DueItem,
    OutreachTask,
    Reminder,
)
from safehaven.lib.prepared import prepared
from safehaven.people.models import Encounter

WORKLIST_PAGE = 50
HORIZON = datetime.timedelta(days=14)


# The follow-up panel's reads, run on every chart view: prepared (safehaven/lib/prepared.py).
@prepared(person=models.BigIntegerField())
def _due(person):
    return DueItem.objects.filter(person_id=person, status="requested").order_by("due_on", "pk")[:50]


@prepared(person=models.BigIntegerField(), since=models.DateTimeField())
def _visits(person, since):
    return (
        Appointment.objects.filter(person_id=person, starts_at__gte=since)
        .exclude(status="cancelled")
        .select_related("clinician")
        .order_by("starts_at", "pk")[:10]
    )


@prepared(person=models.BigIntegerField())
def _waiting(person):
    return Reminder.objects.filter(person_id=person, state__in=["scheduled", "sending", "uncertain"]).order_by(
        "send_after", "pk")[:10]


@prepared(person=models.BigIntegerField())
def _log(person):
    return ContactAttempt.objects.filter(person_id=person).order_by("-at", "-pk")[:10]


def person_summary(person, *, today: datetime.date | None = None, reminders: bool = True) -> dict:
    """Return a person's due care, upcoming visits, waiting reminders and recent contact log.

    With reminders=False (the chart panel, which does not show them) the reminders are not
    read and come back empty: three queries instead of four.
    """
    today = today or timezone.localdate()
    due = _due.list(person=person.pk)
    for item in due:
        item.overdue = item.is_overdue(today)
    visits = _visits.list(person=person.pk, since=timezone.now() - datetime.timedelta(hours=12))
    waiting = _waiting.list(person=person.pk) if reminders else []
    log = _log.list(person=person.pk)
    return {"due": due, "visits": visits, "reminders": waiting, "log": log, "today": today}


def worklist(user: Any, *, today: datetime.date | None = None, overdue_only: bool = False,
             page: int = 1) -> tuple[list[DueItem], bool]:
    """Return one page of due and overdue care for the people on the user's care teams."""
    today = today or timezone.localdate()
    items = (
        DueItem.objects.filter(status="requested", person__in=visible_people(user, Perm.VIEW_CLINICAL))
        .select_related("person")
        .order_by("due_on", "pk")
    )
    if overdue_only:
        items = items.filter(overdue_on__lt=today)
    else:
        items = items.filter(due_on__lte=today + HORIZON)
    start = (max(page, 1) - 1) * WORKLIST_PAGE
    rows = list(items[start : start + WORKLIST_PAGE + 1])
    for item in rows:
        item.overdue = item.is_overdue(today)
    return rows[:WORKLIST_PAGE], len(rows) > WORKLIST_PAGE


def day_view(user: Any, day: datetime.date, tz_name: str) -> list[Appointment]:
    """Return a clinician's visits on one day (their site's time zone), people they may see only."""
    try:
        tz = zoneinfo.ZoneInfo(tz_name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        tz = zoneinfo.ZoneInfo("UTC")
    start = datetime.datetime.combine(day, datetime.time(0, 0), tzinfo=tz)
    end = start + datetime.timedelta(days=1)
    return list(
        Appointment.objects.filter(
            clinician=user, starts_at__gte=start, starts_at__lt=end,
            person__in=visible_people(user, Perm.VIEW_CLINICAL),
        )
        .select_related("person")
        .order_by("starts_at", "pk")
    )


def outreach(user: Any, *, open_only: bool = True) -> list[OutreachTask]:
    """Return outreach tasks for people on the user's care teams (mine first)."""
    tasks = OutreachTask.objects.filter(
        person__in=visible_people(user, Perm.CASE_MANAGE)
    ).select_related("person", "appointment", "assigned_to")
    if open_only:
        tasks = tasks.filter(status__in=["requested", "in-progress"])
    rows = list(tasks.order_by("created_at", "pk")[:200])
    return sorted(rows, key=lambda t: (t.assigned_to_id != user.pk, t.created_at))


def clinic_figures(user: Any, *, as_of: datetime.date | None = None) -> dict:
    """Return the rows for clinic outcomes (retention, timeliness) at the user's sites."""
    as_of = as_of or timezone.localdate()
    sites = sites_with(user, Perm.VIEW_AGGREGATE)
    visits = [
        (pid, started.date())
        for pid, started in Encounter.objects.filter(site_id__in=sites)
        .exclude(status__in=["cancelled", "entered-in-error"])
        .values_list("person_id", "started_at")
    ]
    items = list(
        DueItem.objects.filter(site_id__in=sites).values_list("status", "overdue_on", "completed_on")
    )
    return {"visits": visits, "items": items, "as_of": as_of}
