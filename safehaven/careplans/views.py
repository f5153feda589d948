"""Needs, care plan, safety plan, contact log, case conferences, timeline and caseload."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from safehaven.access.gate import client_ip, get_person_for, require_perm, sites_with
from safehaven.accounts.permissions import Perm
from safehaven.audit.actions import record
from safehaven.careplans import actions, queries
from safehaven.careplans.access import (
    get_assessment_for,
    get_conference_for,
    get_goal_for,
    get_step_for,
    get_task_for,
    reader_perm,
)
from safehaven.careplans.forms import (
    AssessmentForm,
    ConferenceForm,
    ContactAttemptForm,
    GoalForm,
    GoalStatusForm,
    PlanSettingsForm,
    SafetyPlanForm,
    StepForm,
    StepProgressForm,
    TaskStatusForm,
)
from safehaven.careplans.models import ConferenceAttendee, NeedDomain

WARNING_TEXT = {
    "no_preferences": gettext_lazy("No contact preferences are recorded for them."),
    "do_not_contact": gettext_lazy("They asked not to be contacted outside visits."),
    "channel_not_allowed": gettext_lazy("They did not agree to be reached this way."),
    "outside_safe_hours": gettext_lazy("This is outside the hours they said are safe (their time zone)."),
    "no_voicemail": gettext_lazy("They said voicemail is not safe."),
}


def warning_texts(codes):
    return [str(WARNING_TEXT.get(c, c)) for c in codes]


def _can_manage(user, person) -> bool:
    return person.site_id in sites_with(user, Perm.CASE_MANAGE)


# --- caseload -------------------------------------------------------------------------

@login_required
@require_GET
def caseload(request):
    """The advocate's worklist across their care teams."""
    require_perm(request.user, Perm.CASE_MANAGE)
    data = queries.caseload(request.user)
    with transaction.atomic():
        record(by=request.user, action="careplans.caseload.view", ip=client_ip(request),
               detail={"tasks": len(data.tasks), "not_seen": len(data.not_seen)})
    return render(request, "careplans/caseload.html", {
        "c": data, "not_seen_days": queries.NOT_SEEN_DAYS, "consent_days": queries.CONSENT_WARNING_DAYS,
    })


@login_required
@require_POST
def task_status(request, public_id):
    task = get_task_for(request.user, public_id, request=request)
    form = TaskStatusForm(request.POST)
    if not form.is_valid():
        return HttpResponse(_("Choose a valid status."), status=400, content_type="text/plain; charset=utf-8")
    actions.set_task_status(by=request.user, task=task, status=form.cleaned_data["status"], ip=client_ip(request))
    messages.success(request, _("Task updated."))
    nxt = request.POST.get("next", "")
    if nxt not in {"caseload", "plan"}:
        nxt = "caseload"
    if nxt == "plan":
        return redirect("careplans:plan", public_id=task.person.public_id)
    return redirect("careplans:caseload")


# --- needs assessment -----------------------------------------------------------------

@login_required
@require_http_methods(["GET", "POST"])
def needs(request, public_id):
    """The assessment history, and a new (re)assessment starting from the last answers."""
    need = Perm.CASE_MANAGE if request.method == "POST" else reader_perm(request.user)
    person = get_person_for(request.user, public_id, need=need, action="careplans.needs.view",
                            request=request, audit=request.method == "GET")
    history = queries.assessments(person)
    latest = history[0] if history else None
    domains = list(NeedDomain.objects.filter(active=True))
    before = {r.domain.code: r for r in latest.ratings.all()} if latest else {}
    form = AssessmentForm(request.POST or None, domains=domains, initial_ratings=before)
    if request.method == "POST":
        if form.is_valid():
            assessment = actions.record_assessment(
                by=request.user, person=person, ratings=form.ratings(),
                summary=form.cleaned_data["summary"], ip=client_ip(request),
            )
            if any(r["emergency"] for r in form.ratings().values()):
                messages.warning(request, _("The urgent pathway is open: a same-day task is on the caseload."))
            messages.success(request, _("Assessment saved."))
            return redirect("careplans:assessment", public_id=assessment.public_id)
        messages.error(request, _("Some answers need another look. Nothing was saved yet; your answers are still here."))
    return render(request, "careplans/needs.html", {
        "person": person, "history": history, "form": form, "latest": latest,
        "can_manage": _can_manage(request.user, person),
    }, status=400 if request.method == "POST" else 200)


@login_required
@require_GET
def assessment(request, public_id):
    """One assessment and what changed since the one before."""
    obj = get_assessment_for(request.user, public_id, request=request)
    obj = queries.assessment_with_ratings(obj)
    previous, changes = queries.changes_since_previous(obj.person, obj)
    only_changed = request.GET.get("all") != "1"
    rows = [c for c in changes if c.changed] if only_changed else changes
    return render(request, "careplans/assessment.html", {
        "person": obj.person, "assessment": obj, "previous": previous, "rows": rows,
        "only_changed": only_changed, "urgent": queries.open_urgent_tasks(obj.person),
    })


# --- care plan ------------------------------------------------------------------------

def _plan_context(request, person, plan, **forms):
    domains = list(NeedDomain.objects.filter(active=True))
    ctx = {
        "person": person, "plan": plan, "domains": domains,
        "can_manage": _can_manage(request.user, person),
        "settings_form": PlanSettingsForm(initial={
            "version": plan.version, "print_heading": plan.print_heading,
            "exit_planning_chosen": plan.exit_planning_chosen, "exit_planning": plan.exit_planning,
        }) if plan else None,
        "goal_form": GoalForm(initial={"version": plan.version}, domains=domains) if plan else None,
        "goal_statuses": GoalStatusForm.base_fields["status"].choices,
        "step_statuses": StepProgressForm.base_fields["status"].choices,
        "step_form": StepForm(initial={"version": plan.version}, prefix="new") if plan else None,
        "urgent": queries.open_urgent_tasks(person),
        "safety_exists": queries.safety_plan_for(person) is not None,
    }
    ctx.update(forms)
    return ctx


@login_required
@require_http_methods(["GET", "POST"])
def plan(request, public_id):
    """The care plan: goals in their words, steps, and the plan's settings."""
    need = Perm.CASE_MANAGE if request.method == "POST" else reader_perm(request.user)
    person = get_person_for(request.user, public_id, need=need, action="careplans.plan.view",
                            request=request, audit=request.method == "GET")
    if request.method == "POST":
        if request.POST.get("start") == "1":
            actions.start_plan(by=request.user, person=person, ip=client_ip(request))
            return redirect("careplans:plan", public_id=person.public_id)
        current = queries.plan_for(person)
        if current is None:
            return HttpResponse(_("Start the plan first."), status=400, content_type="text/plain; charset=utf-8")
        form = PlanSettingsForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                actions.update_plan(
                    by=request.user, plan=current, version=data["version"],
                    print_heading=data["print_heading"], exit_planning_chosen=data["exit_planning_chosen"],
                    exit_planning=data["exit_planning"], ip=client_ip(request),
                )
            except actions.ConflictError:
                messages.error(request, _("This plan was changed by someone else while you were editing. Your changes were not saved; they are still in the form. Check the plan and try again."))
                return render(request, "careplans/plan.html",
                              _plan_context(request, person, current, settings_form=form), status=409)
            messages.success(request, _("Plan saved."))
            return redirect("careplans:plan", public_id=person.public_id)
        return render(request, "careplans/plan.html",
                      _plan_context(request, person, current, settings_form=form), status=400)
    return render(request, "careplans/plan.html", _plan_context(request, person, queries.plan_for(person)))


def _conflict(request, person, plan, status=409, **forms):
    messages.error(request, _("This plan was changed by someone else while you were editing. Your changes were not saved; they are still in the form. Check the plan and try again."))
    return render(request, "careplans/plan.html", _plan_context(request, person, plan, **forms), status=status)


@login_required
@require_POST
def add_goal(request, public_id):
    person = get_person_for(request.user, public_id, need=Perm.CASE_MANAGE, audit=False, request=request)
    current = queries.plan_for(person)
    if current is None:
        return HttpResponse(_("Start the plan first."), status=400, content_type="text/plain; charset=utf-8")
    form = GoalForm(request.POST, domains=NeedDomain.objects.filter(active=True))
    if not form.is_valid():
        messages.error(request, _("The goal needs another look."))
        return render(request, "careplans/plan.html", _plan_context(request, person, current, goal_form=form), status=400)
    data = form.cleaned_data
    try:
        actions.add_goal(by=request.user, plan=current, version=data["version"], description=data["description"],
                         domain_codes=data["domains"], status=data["status"], ip=client_ip(request))
    except actions.ConflictError:
        return _conflict(request, person, current, goal_form=form)
    messages.success(request, _("Goal added."))
    return redirect("careplans:plan", public_id=person.public_id)


@login_required
@require_POST
def goal_status(request, public_id):
    goal = get_goal_for(request.user, public_id, request=request)
    form = GoalStatusForm(request.POST)
    current = queries.plan_for(goal.person)
    if not form.is_valid():
        messages.error(request, _("Choose a valid status."))
        return render(request, "careplans/plan.html", _plan_context(request, goal.person, current), status=400)
    try:
        actions.set_goal_status(by=request.user, goal=goal, version=form.cleaned_data["version"],
                                status=form.cleaned_data["status"], ip=client_ip(request))
    except actions.ConflictError:
        return _conflict(request, goal.person, current)
    except ValueError:
        messages.error(request, _("A goal cannot move to that status from where it is now."))
        return render(request, "careplans/plan.html", _plan_context(request, goal.person, current), status=400)
    messages.success(request, _("Goal updated."))
    return redirect("careplans:plan", public_id=goal.person.public_id)


@login_required
@require_POST
def add_step(request, public_id):
    goal = get_goal_for(request.user, public_id, request=request)
    form = StepForm(request.POST, prefix="new")
    current = queries.plan_for(goal.person)
    if not form.is_valid():
        messages.error(request, _("The step needs another look."))
        return render(request, "careplans/plan.html",
                      _plan_context(request, goal.person, current, step_form=form, step_goal=goal.public_id), status=400)
    data = form.cleaned_data
    try:
        actions.add_step(
            by=request.user, goal=goal, version=data["version"], description=data["description"],
            owner_kind=data["owner_kind"], partner_name=data["partner_name"], due_date=data["due_date"],
            owner_user=request.user if data["owner_kind"] in {"advocate", "clinician"} else None,
            ip=client_ip(request),
        )
    except actions.ConflictError:
        return _conflict(request, goal.person, current, step_form=form, step_goal=goal.public_id)
    except ValueError:
        messages.error(request, _("Steps can be added only to open goals."))
        return render(request, "careplans/plan.html", _plan_context(request, goal.person, current), status=400)
    messages.success(request, _("Step added."))
    return redirect("careplans:plan", public_id=goal.person.public_id)


@login_required
@require_POST
def update_step(request, public_id):
    step = get_step_for(request.user, public_id, request=request)
    person = step.goal.person
    form = StepProgressForm(request.POST)
    current = queries.plan_for(person)
    if not form.is_valid():
        messages.error(request, _("Give a status and a progress between 0 and 100."))
        return render(request, "careplans/plan.html", _plan_context(request, person, current), status=400)
    try:
        actions.update_step(by=request.user, step=step, version=form.cleaned_data["version"],
                            status=form.cleaned_data["status"], progress=form.cleaned_data["progress"],
                            ip=client_ip(request))
    except actions.ConflictError:
        return _conflict(request, person, current)
    messages.success(request, _("Step updated."))
    return redirect("careplans:plan", public_id=person.public_id)


@login_required
@require_GET
def print_plan(request, public_id):
    """The person's plan as a PDF, in their language; the safety plan only if they chose it."""
    from safehaven.careplans.printing import print_plan as make_pdf

    person = get_person_for(request.user, public_id, need=Perm.CASE_MANAGE, action="careplans.plan.print",
                            request=request)
    if person.access_route != "care_team":
        return HttpResponse(_("Only the care team prints a plan."), status=403, content_type="text/plain; charset=utf-8")
    pdf = make_pdf(by=request.user, person=person)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = 'inline; filename="plan.pdf"'
    return response


# --- safety plan ----------------------------------------------------------------------

@login_required
@require_http_methods(["GET", "POST"])
def safety_plan(request, public_id):
    """The safety plan: care team only. Emergency access sees that one exists, not what it says,
    unless the person allowed it."""
    need = Perm.CASE_MANAGE if request.method == "POST" else reader_perm(request.user)
    person = get_person_for(request.user, public_id, need=need, action="careplans.safety_plan.view",
                            request=request, audit=request.method == "GET")
    current = queries.safety_plan_for(person)
    on_team = person.access_route == "care_team"
    if request.method == "POST" and not on_team:
        return HttpResponse(_("Only the care team changes a safety plan."), status=403,
                            content_type="text/plain; charset=utf-8")
    can_read = on_team or bool(current and current.show_in_emergency_access)
    form = None
    if on_team and _can_manage(request.user, person):
        initial = {"version": current.version} if current else {}
        if current:
            initial.update({f: getattr(current, f) for f in actions.SAFETY_FIELDS},
                           include_in_print=current.include_in_print,
                           show_in_emergency_access=current.show_in_emergency_access)
        form = SafetyPlanForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        if form is None:
            return HttpResponse(_("Your role does not allow this."), status=403, content_type="text/plain; charset=utf-8")
        if form.is_valid():
            data = form.cleaned_data
            try:
                actions.save_safety_plan(
                    by=request.user, person=person, version=data.get("version"),
                    include_in_print=data["include_in_print"],
                    show_in_emergency_access=data["show_in_emergency_access"], ip=client_ip(request),
                    **{f: data[f] for f in actions.SAFETY_FIELDS},
                )
            except actions.ConflictError:
                messages.error(request, _("The safety plan was changed by someone else while you were editing. Your changes were not saved; they are still in the form."))
                status = 409
            else:
                messages.success(request, _("Safety plan saved."))
                return redirect("careplans:safety", public_id=person.public_id)
        else:
            status = 400
    return render(request, "careplans/safety.html", {
        "person": person, "safety": current if can_read else None, "exists": current is not None,
        "on_team": on_team, "form": form,
    }, status=status)


# --- contact log ----------------------------------------------------------------------

@login_required
@require_http_methods(["GET", "POST"])
def contacts(request, public_id):
    """Outreach attempts, checked against the person's contact preferences before saving."""
    person = get_person_for(request.user, public_id, need=Perm.CASE_MANAGE, action="careplans.contact.view",
                            request=request, audit=request.method == "GET")
    form = ContactAttemptForm(request.POST or None)
    warnings = []
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                actions.log_contact_attempt(
                    by=request.user, person=person, channel=data["channel"], outcome=data["outcome"],
                    at=data["at"], note=data["note"], confirm_unsafe=data["confirm_unsafe"],
                    ip=client_ip(request),
                )
            except actions.UnsafeContactError as exc:
                warnings = warning_texts(exc.warnings)
                status = 400
                messages.error(request, _("This attempt goes against what they asked for. Nothing was saved. Read the warnings; confirm only if you must."))
            else:
                messages.success(request, _("Attempt logged."))
                return redirect("careplans:contacts", public_id=person.public_id)
        else:
            status = 400
    prefs = getattr(person, "contact", None)
    attempts = list(person.contact_attempts.select_related("by")[:100])
    for a in attempts:
        a.warning_texts = warning_texts(a.warnings)
    return render(request, "careplans/contacts.html", {
        "person": person, "form": form, "warnings": warnings, "prefs": prefs, "attempts": attempts,
        "now_warnings": warning_texts(actions.contact_warnings(person, channel="phone", at=timezone.now())),
    }, status=status)


# --- case conferences -----------------------------------------------------------------

@login_required
@require_http_methods(["GET", "POST"])
def new_conference(request, public_id):
    person = get_person_for(request.user, public_id, need=Perm.CASE_MANAGE, action="careplans.conference.new",
                            request=request, audit=request.method == "GET")
    team = [m.user for m in person.care_team.filter(active=True).select_related("user")]
    form = ConferenceForm(request.POST or None, team=team,
                          initial={"held_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M")})
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            external = []
            if data["external_name"]:
                external.append({
                    "name": data["external_name"], "organisation_label": data["external_organisation"],
                    "recipient_category": data["external_category"], "purpose": data["external_purpose"],
                })
            conference = actions.record_conference(
                by=request.user, person=person, held_at=data["held_at"], staff=form.staff_users(),
                external=external,
                decisions=[{"text": data["decision"], "category": data["decision_category"]}] if data["decision"] else [],
                follow_ups=[{"title": data["follow_up"], "due_date": data["follow_up_due"]}] if data["follow_up"] else [],
                ip=client_ip(request),
            )
            messages.success(request, _("Case conference recorded."))
            return redirect("careplans:conference", public_id=conference.public_id)
        messages.error(request, _("Some answers need another look. Nothing was saved yet; your answers are still here."))
    return render(request, "careplans/conference_new.html", {"person": person, "form": form},
                  status=400 if request.method == "POST" else 200)


@login_required
@require_GET
def conference(request, public_id):
    obj = get_conference_for(request.user, public_id, request=request)
    detail = queries.conference_detail(obj)
    detail.person = obj.person
    return render(request, "careplans/conference.html", {"person": obj.person, "conference": detail})


@login_required
@require_GET
def conference_external(request, public_id, attendee_id):
    """What an outside attendee may see: only the decisions their organisation's consent allows."""
    from safehaven.access.gate import _parse_uuid
    from safehaven.consent.decision import log_disclosure

    obj = get_conference_for(request.user, public_id, request=request, action="careplans.conference.external")
    attendee = ConferenceAttendee.objects.filter(
        conference=obj, public_id=_parse_uuid(attendee_id), user__isnull=True
    ).first()
    if attendee is None:
        from django.http import Http404

        raise Http404("No such record")
    decisions, decision = queries.external_view(obj, attendee)
    if decision.permitted:
        log_disclosure(
            by=request.user, person=obj.person, recipient=queries.attendee_recipient(attendee),
            purpose=attendee.purpose or "treatment", decision=decision, channel="case_conference",
            detail={"conference": str(obj.public_id), "decisions": len(decisions)},
        )
    return render(request, "careplans/conference_external.html", {
        "conference": obj, "attendee": attendee, "decisions": decisions,
        "withheld": bool(decision.refused),
    })


# --- timeline -------------------------------------------------------------------------

@login_required
@require_GET
def timeline(request, public_id):
    person = get_person_for(request.user, public_id, need=reader_perm(request.user),
                            action="careplans.timeline.view", request=request)
    can_clinical = person.site_id in sites_with(request.user, Perm.VIEW_CLINICAL)
    entries = queries.timeline(person, can_clinical=can_clinical)
    return render(request, "careplans/timeline.html", {"person": person, "entries": entries})

