"""Follow-up pages: worklist, events, due care, appointments, day view, outreach, reminders,
protocols, templates and outcomes."""

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from safehaven.access.gate import _parse_uuid, client_ip, get_person_for, require_perm, sites_with
from safehaven.accounts.models import Site
from safehaven.accounts.permissions import Perm
from safehaven.audit.actions import record
from safehaven.followup import actions, contact, outcomes, queries, svg
from safehaven.followup.forms import (
    AppointmentForm,
    AppointmentStatusForm,
    DueActionForm,
    EventForm,
    OutreachForm,
    ReminderForm,
    StepForm,
    TemplateForm,
)
from safehaven.followup.models import (
    TEMPLATE_KINDS,
    TEMPLATE_LANGUAGES,
    Appointment,
    DueItem,
    OutreachTask,
    Protocol,
    ProtocolStep,
)
from safehaven.followup.protocols import ensure_default_protocols


def _page(value) -> int:
    try:
        return min(max(int(value), 1), 10_000)  # a larger page overflows the database's OFFSET
    except (TypeError, ValueError):
        return 1


def _owned(model, public_id, request, need, action, related=("person",)):
    """Load an object of a person through the person's gatekeeper (404 outside the team)."""
    pid = _parse_uuid(public_id)
    require_perm(request.user, need)
    obj = model.objects.select_related(*related).filter(public_id=pid).first()
    if obj is None:
        raise Http404("No such record")
    obj.person = get_person_for(request.user, obj.person.public_id, need=need, action=action, request=request)
    return obj


def _admin_site(request) -> Site:
    sites = require_perm(request.user, Perm.MANAGE_CLINIC)
    return Site.objects.filter(pk__in=sites).order_by("pk").first()


# --- worklist and due care ----------------------------------------------------------

@login_required
def worklist(request):
    """Due and overdue care for the people on my care teams."""
    require_perm(request.user, Perm.VIEW_CLINICAL)
    overdue_only = request.GET.get("show") == "overdue"
    page = _page(request.GET.get("page"))
    items, more = queries.worklist(request.user, overdue_only=overdue_only, page=page)
    with transaction.atomic():
        record(by=request.user, action="followup.worklist.view",
               detail={"count": len(items), "page": page}, ip=client_ip(request))
    return render(request, "followup/worklist.html",
                  {"items": items, "more": more, "page": page, "overdue_only": overdue_only})


@login_required
@require_POST
def record_event(request, public_id):
    """Record an event (e.g. treated for an STI) and schedule the follow-up it calls for."""
    person = get_person_for(request.user, public_id, need=Perm.WRITE_CLINICAL,
                            action="followup.event.start", request=request, audit=False)
    form = EventForm(request.POST)
    if not form.is_valid():
        return render(request, "followup/problem.html", {"person": person, "form": form}, status=400)
    _event, items = actions.record_event(
        by=request.user, person=person, kind=form.cleaned_data["kind"],
        occurred_on=form.cleaned_data["occurred_on"], ip=client_ip(request),
    )
    messages.success(request, ngettext("Recorded. %(count)s follow-up item is scheduled.",
                                       "Recorded. %(count)s follow-up items are scheduled.", len(items))
                     % {"count": len(items)})
    return redirect("people:chart", public_id=person.public_id)


@login_required
@require_POST
def due_item(request, public_id):
    """Mark due care as done or not needed."""
    item = _owned(DueItem, public_id, request, Perm.WRITE_CLINICAL, "followup.due.view", ("person", "step"))
    form = DueActionForm(request.POST)
    if not form.is_valid():
        return render(request, "followup/problem.html", {"person": item.person, "form": form}, status=400)
    try:
        if form.cleaned_data["action"] == "complete":
            actions.complete_due_item(by=request.user, item=item,
                                      completed_on=form.cleaned_data["completed_on"], ip=client_ip(request))
        else:
            actions.cancel_due_item(by=request.user, item=item, ip=client_ip(request))
    except ValueError as exc:
        return render(request, "followup/problem.html",
                      {"person": item.person, "message": str(exc)}, status=400)
    messages.success(request, _("Saved."))
    return redirect("people:chart", public_id=item.person.public_id)


# --- appointments -------------------------------------------------------------------

@login_required
@require_http_methods(["GET", "POST"])
def book(request, public_id):
    """Book a visit, honouring the clinician-gender preference and interpreter need."""
    person = get_person_for(request.user, public_id, need=Perm.WRITE_CLINICAL,
                            action="followup.appointment.start", request=request)
    clinicians = actions.clinicians_at(person.site)
    form = AppointmentForm(request.POST or None, clinicians=clinicians)
    problems = []
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            actions.book_appointment(
                by=request.user, person=person, clinician=form.clinician_user(),
                starts_at=data["starts_at"], minutes=data["minutes"], room=data["room"],
                interpreter_arranged=data["interpreter_arranged"],
                preference_note=data["preference_note"], ip=client_ip(request),
            )
        except actions.BookingProblem as exc:
            problems = exc.problems
        else:
            messages.success(request, _("The visit is booked."))
            return redirect("people:chart", public_id=person.public_id)
    status = 400 if request.method == "POST" else 200
    return render(request, "followup/book.html",
                  {"person": person, "form": form, "problems": problems}, status=status)


@login_required
@require_POST
def appointment_status(request, public_id):
    """Record that a visit happened, was cancelled or was missed (missed: outreach task)."""
    visit = _owned(Appointment, public_id, request, Perm.WRITE_CLINICAL, "followup.appointment.view")
    form = AppointmentStatusForm(request.POST)
    if not form.is_valid():
        return render(request, "followup/problem.html", {"person": visit.person, "form": form}, status=400)
    task = actions.set_appointment_status(by=request.user, appointment=visit,
                                          status=form.cleaned_data["status"], ip=client_ip(request))
    if task is not None:
        messages.success(request, _("Saved. The advocate has a task to check in with them safely."))
    else:
        messages.success(request, _("Saved."))
    if request.POST.get("next") == "day":
        return redirect("followup:day")
    return redirect("people:chart", public_id=visit.person.public_id)


@login_required
def day(request):
    """A clinician's visits for one day."""
    sites = require_perm(request.user, Perm.WRITE_CLINICAL)
    try:
        chosen = datetime.date.fromisoformat(request.GET.get("date", ""))
    except ValueError:
        if request.GET.get("date"):
            return render(request, "followup/problem.html",
                          {"message": _("Give the date as YYYY-MM-DD.")}, status=400)
        chosen = timezone.localdate()
    site = Site.objects.filter(pk__in=sites).order_by("pk").first()
    visits = queries.day_view(request.user, chosen, site.time_zone)
    with transaction.atomic():
        record(by=request.user, action="followup.day.view",
               detail={"date": chosen.isoformat(), "count": len(visits)}, ip=client_ip(request))
    return render(request, "followup/day.html", {
        "visits": visits, "day": chosen, "status_form": AppointmentStatusForm(),
        "previous": chosen - datetime.timedelta(days=1), "next": chosen + datetime.timedelta(days=1),
    })


# --- outreach -----------------------------------------------------------------------

@login_required
def outreach(request):
    """Outreach tasks after missed visits, for the advocate."""
    require_perm(request.user, Perm.CASE_MANAGE)
    tasks = queries.outreach(request.user)
    with transaction.atomic():
        record(by=request.user, action="followup.outreach.list", detail={"count": len(tasks)},
               ip=client_ip(request))
    return render(request, "followup/outreach.html", {"tasks": tasks, "form": OutreachForm()})


@login_required
@require_POST
def outreach_update(request, public_id):
    """Move an outreach task along."""
    task = _owned(OutreachTask, public_id, request, Perm.CASE_MANAGE, "followup.outreach.view")
    form = OutreachForm(request.POST)
    if not form.is_valid():
        return render(request, "followup/problem.html", {"person": task.person, "form": form}, status=400)
    actions.update_outreach(by=request.user, task=task, status=form.cleaned_data["status"],
                            note=form.cleaned_data["note"], ip=client_ip(request))
    messages.success(request, _("Saved."))
    return redirect("followup:outreach")


# --- reminders ----------------------------------------------------------------------

@login_required
@require_http_methods(["GET", "POST"])
def reminder(request, public_id):
    """Preview a reminder exactly as their phone or inbox will show it, and schedule it."""
    person = get_person_for(request.user, public_id, need=Perm.CASE_MANAGE,
                            action="followup.reminder.preview", request=request)
    prefs = getattr(person, "contact", None)
    summary = queries.person_summary(person)
    visits = [v for v in summary["visits"] if v.status == "booked"]
    data = request.POST if request.method == "POST" else (request.GET if "channel" in request.GET else None)
    form = ReminderForm(data, visits=visits)
    preview = refusal = None
    if data is not None and form.is_valid():
        visit = form.visit()
        try:
            preview = contact.render(person, prefs, kind=form.cleaned_data["kind"],
                                     channel=form.cleaned_data["channel"],
                                     when=visit.starts_at if visit else None)
            if request.method == "POST":
                actions.schedule_reminder(by=request.user, person=person, kind=form.cleaned_data["kind"],
                                          channel=form.cleaned_data["channel"], appointment=visit,
                                          ip=client_ip(request))
                messages.success(request, _("The reminder will be sent in their safe hours."))
                return redirect("people:chart", public_id=person.public_id)
        except contact.ContactRefused as exc:
            refusal = str(exc)
            preview = None
    status = 400 if request.method == "POST" else 200
    return render(request, "followup/reminder.html", {
        "person": person, "prefs": prefs, "form": form, "preview": preview, "refusal": refusal,
        "log": summary["log"], "reminders": summary["reminders"],
    }, status=status)


# --- protocols and templates (clinic administrators) -------------------------------

@login_required
def protocols(request):
    """The clinic's follow-up protocols and their steps."""
    site = _admin_site(request)
    ensure_default_protocols(site)
    rows = list(Protocol.objects.filter(site=site).prefetch_related("steps").order_by("name"))
    return render(request, "followup/protocols.html", {"protocols": rows, "site": site})


@login_required
@require_http_methods(["GET", "POST"])
def step_edit(request, public_id):
    """Change one step of a protocol."""
    sites = require_perm(request.user, Perm.MANAGE_CLINIC)
    step = ProtocolStep.objects.select_related("protocol__site").filter(
        public_id=_parse_uuid(public_id), protocol__site_id__in=sites
    ).first()
    if step is None:
        raise Http404("No such record")
    fields = ["label", "offset_days", "grace_days", "repeat_every_days", "min_age", "max_age",
              "source", "clinic_choice", "active"]
    form = StepForm(request.POST or None, initial={f: getattr(step, f) for f in fields})
    if request.method == "POST" and form.is_valid():
        actions.update_step(by=request.user, step=step, ip=client_ip(request),
                            **{f: form.cleaned_data[f] for f in fields})
        messages.success(request, _("The protocol is updated. New events follow it from now on."))
        return redirect("followup:protocols")
    status = 400 if request.method == "POST" else 200
    return render(request, "followup/step.html", {"step": step, "form": form}, status=status)


def _sample_preview(site, kind, language, subject, body, allowed):
    """Render a template for a made-up person, as a phone would show it."""
    from types import SimpleNamespace

    person = SimpleNamespace(site=site, preferred_language=language)
    prefs = SimpleNamespace(
        clinic_name_allowed=allowed, neutral_sender=str(contact.DEFAULT_SENDER), code_word="Sunflower",
        time_zone=site.time_zone, voicemail_ok=False,
    )
    when = timezone.now().replace(hour=17, minute=0, second=0, microsecond=0) + datetime.timedelta(days=2)
    try:
        return contact.render(person, prefs, kind=kind, channel="sms", when=when,
                              templates={(kind, language): (subject, body)}, check=False), None
    except contact.ContactRefused as exc:
        return None, str(exc)


@login_required
@require_http_methods(["GET", "POST"])
def templates(request):
    """Reminder wording per kind and language, with a preview of what the phone shows."""
    site = _admin_site(request)
    kind = request.GET.get("kind") or request.POST.get("kind") or "appointment"
    language = request.GET.get("language") or request.POST.get("language") or "en"
    if kind not in dict(TEMPLATE_KINDS) or language not in dict(TEMPLATE_LANGUAGES):
        return render(request, "followup/problem.html",
                      {"message": _("Choose a kind of message and a language from the lists.")}, status=400)
    subject, body = contact.template_text(site, kind, language)
    form = TemplateForm(request.POST or None, initial={"subject": subject, "body": body})
    error = None
    if request.method == "POST" and form.is_valid():
        try:
            actions.save_template(by=request.user, site=site, kind=kind, language=language,
                                  subject=form.cleaned_data["subject"], body=form.cleaned_data["body"],
                                  ip=client_ip(request))
        except ValueError as exc:
            error = str(exc)
        else:
            messages.success(request, _("The wording is saved."))
            return redirect(f"{request.path}?kind={kind}&language={language}")
    if form.is_bound and form.is_valid():
        subject, body = form.cleaned_data["subject"], form.cleaned_data["body"]
    previews = []
    for allowed in (False, True):
        message, problem = _sample_preview(site, kind, language, subject, body, allowed)
        previews.append({"allowed": allowed, "message": message, "problem": problem})
    status = 400 if request.method == "POST" else 200
    return render(request, "followup/templates.html", {
        "form": form, "kind": kind, "language": language, "kinds": TEMPLATE_KINDS,
        "languages": TEMPLATE_LANGUAGES, "previews": previews, "error": error,
    }, status=status)


# --- outcomes -----------------------------------------------------------------------

@login_required
def person_outcomes(request, public_id):
    """Scores over time (PHQ-9, GAD-7, PC-PTSD-5) as a chart and a table, and the two-month change."""
    person = get_person_for(request.user, public_id, need=Perm.VIEW_CLINICAL,
                            action="followup.outcomes.view", request=request)
    return render(request, "followup/outcomes_person.html",
                  {"person": person, **person_outcome_context(outcomes.load_scores([person.pk]))})


def person_outcome_context(rows) -> dict:
    """Return the chart, the table rows and the two-month changes for one person's scores."""
    series = outcomes.trajectories(rows)
    lines, changes, table = [], [], []
    for key, (name, _codes, maximum, _cut) in outcomes.INSTRUMENTS.items():
        points = series.get(key, [])
        if not points:
            continue
        lines.append((name, points, maximum))
        changes.append({"name": name, "change": outcomes.change_at_two_months(points)})
        table.extend({"name": name, "at": p.at, "score": p.score, "maximum": maximum} for p in points)
    chart = svg.line_chart(
        lines, title=_("Scores over time"),
        desc=_("Each questionnaire's score as a share of its highest possible score; the table below lists every score."),
    ) if lines else ""
    table.sort(key=lambda r: (r["at"], r["name"]))
    return {"chart": chart, "changes": changes, "table": table}


@login_required
def clinic_outcomes(request):
    """Retention in care at 2, 6 and 12 months and follow-up done on time (aggregate only)."""
    require_perm(request.user, Perm.VIEW_AGGREGATE)
    rows = queries.clinic_figures(request.user)
    retention = outcomes.retention(rows["visits"], as_of=rows["as_of"])
    timely = outcomes.on_time(rows["items"], as_of=rows["as_of"])
    with transaction.atomic():
        record(by=request.user, action="followup.outcomes.clinic", ip=client_ip(request))
    return render(request, "followup/outcomes_clinic.html", {
        "retention": sorted(retention.items()), "timely": timely, "small_cell": outcomes.SMALL_CELL,
        "sites": Site.objects.filter(pk__in=sites_with(request.user, Perm.VIEW_AGGREGATE)),
    })
