"""Worklist, person chart, registration, encounters and notes."""

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from safehaven.access.gate import (
    client_ip,
    get_encounter_for,
    get_person_for,
    require_perm,
)
from safehaven.accounts.models import Membership, Site
from safehaven.accounts.permissions import Perm
from safehaven.audit.actions import record
from safehaven.core.idempotency import create_once, previous_result
from safehaven.people import actions, queries
from safehaven.people.chart import encounter_links, render_panels
from safehaven.people.forms import (
    EditPersonForm,
    EncounterForm,
    NoteForm,
    RegisterPersonForm,
    TeamMemberForm,
)


def _int(value, default=1) -> int:
    try:
        return max(int(value), 1)
    except (TypeError, ValueError):
        return default


@login_required
def worklist(request):
    """List the people on my care teams, with when each was last seen."""
    require_perm(request.user, Perm.VIEW_PERSON)
    query = request.GET.get("q", "")[:100]
    page = _int(request.GET.get("page"))
    people, more = queries.worklist(request.user, query=query, page=page)
    with transaction.atomic():
        record(
            by=request.user, action="person.list",
            detail={"count": len(people), "page": page, "searched": bool(query)},
            ip=client_ip(request),
        )
    return render(
        request, "people/worklist.html",
        {"people": people, "query": query, "page": page, "more": more},
    )


@login_required
def person_chart(request, public_id):
    """Show a person's chart: chief complaint and safety flags first."""
    person = get_person_for(request.user, public_id, request=request)
    context = queries.chart(person)
    show_legal = request.GET.get("show") == "legal_name" and bool(person.legal_name)
    if show_legal:
        with transaction.atomic():
            record(by=request.user, action="person.view_legal_name", obj=person, person=person,
                   ip=client_ip(request))
    context.update(
        person=person,
        show_legal=show_legal,
        panels=render_panels(request, person),
        can_write=person.site_id in _sites(request.user, Perm.WRITE_CLINICAL),
        can_clinical=person.site_id in _sites(request.user, Perm.VIEW_CLINICAL),
        can_team=person.site_id in _sites(request.user, Perm.MANAGE_CARE_TEAM),
        can_edit=person.site_id in _sites(request.user, Perm.EDIT_PERSON),
        encounter_form=EncounterForm(),
    )
    return render(request, "people/chart.html", context)


@login_required
def encounter_history(request, public_id):
    """List all of a person's encounters, newest first, a page at a time."""
    person = get_person_for(request.user, public_id, need=Perm.VIEW_CLINICAL, action="encounter.list",
                            request=request)
    page = _int(request.GET.get("page"))
    encounters, more = queries.encounter_history(person, page=page)
    return render(request, "people/encounters.html",
                  {"person": person, "encounters": encounters, "page": page, "more": more})


def _sites(user, perm):
    from safehaven.access.gate import sites_with

    return sites_with(user, perm)


@login_required
@require_http_methods(["GET", "POST"])
def register(request):
    """Register a person; warn about likely duplicates at the same clinic first."""
    sites = require_perm(request.user, Perm.REGISTER_PERSON)
    memberships = list(
        Membership.objects.filter(user=request.user, site_id__in=sites, active=True).select_related("site")
    )
    site = memberships[0].site
    if len(memberships) > 1:
        chosen = request.POST.get("site") or request.GET.get("site")
        for m in memberships:
            if chosen and str(m.site.public_id) == chosen:
                site = m.site
    if request.method == "POST" and (prior := previous_result(request)) is not None:
        return prior
    form = RegisterPersonForm(request.POST or None, initial={"do_not_contact": True})
    duplicates = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        duplicates = actions.find_duplicates(
            by=request.user, site=site, chosen_name=data["chosen_name"],
            legal_name=data["legal_name"], date_of_birth=data["date_of_birth"],
            age_band=data["age_band"],
        )
        if duplicates.any and request.POST.get("confirm_new") != "yes":
            messages.warning(request, _("This may be someone already registered here. Check before you go on."))
        else:
            def create():
                return actions.register_person(
                    by=request.user, site=site, chosen_name=data["chosen_name"],
                    legal_name=data["legal_name"], pronouns=data["pronouns"],
                    date_of_birth=data["date_of_birth"], age_band=data["age_band"],
                    preferred_language=data["preferred_language"],
                    interpreter_needed=data["interpreter_needed"],
                    clinician_gender_preference=data["clinician_gender_preference"],
                    safety_note=data["safety_note"], contact=form.contact(), ip=client_ip(request),
                )

            messages.success(request, _("%(name)s is registered and you are on their care team.") % {"name": data["chosen_name"]})
            return create_once(request, create, lambda p: reverse("people:chart", args=[p.public_id]))
    status = 400 if request.method == "POST" and not form.is_valid() else 200
    return render(
        request, "people/register.html",
        {"form": form, "duplicates": duplicates, "memberships": memberships, "site": site},
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def edit_person(request, public_id):
    """Change a person's details and safe-contact preferences; refuse a lost update."""
    person = get_person_for(request.user, public_id, need=Perm.EDIT_PERSON, action="person.edit", request=request)
    form = EditPersonForm(request.POST or None, initial=EditPersonForm.initial_for(person))
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                with transaction.atomic():
                    actions.update_person(
                        by=request.user, person=person, version=form.cleaned_data["version"],
                        ip=client_ip(request), **form.person_changes(),
                    )
                    actions.update_contact_preferences(
                        by=request.user, person=person, ip=client_ip(request), **form.contact()
                    )
            except actions.ConflictError as exc:
                form.add_error(None, _("Someone else saved changes to this record while you were editing. Reload the page to see them, then make your change again."))
                status = 409
                del exc
            else:
                messages.success(request, _("Saved."))
                return redirect("people:chart", public_id=person.public_id)
        else:
            status = 400
    return render(request, "people/edit.html", {"form": form, "person": person}, status=status)


@login_required
@require_POST
def start_encounter(request, public_id):
    """Start an encounter from the chart, chief complaint first."""
    person = get_person_for(request.user, public_id, need=Perm.WRITE_CLINICAL, action="encounter.start", request=request, audit=False)
    if (prior := previous_result(request)) is not None:
        return prior
    form = EncounterForm(request.POST)
    if not form.is_valid():
        context = queries.chart(person)
        context.update(person=person, contact=getattr(person, "contact", None), encounter_form=form,
                       can_write=True, can_clinical=True, panels=render_panels(request, person))
        return render(request, "people/chart.html", context, status=400)
    return create_once(
        request,
        lambda: actions.start_encounter(
            by=request.user, person=person, setting=form.cleaned_data["setting"],
            chief_complaint=form.cleaned_data["chief_complaint"], ip=client_ip(request),
        ),
        lambda e: reverse("people:encounter", args=[e.public_id]),
    )


@login_required
@require_http_methods(["GET", "POST"])
def encounter_detail(request, public_id):
    """Show an encounter and take a new note."""
    need = Perm.WRITE_CLINICAL if request.method == "POST" else Perm.VIEW_CLINICAL
    encounter = get_encounter_for(request.user, public_id, need=need, request=request)
    form = NoteForm(request.POST or None)
    if request.method == "POST":
        if request.POST.get("finish") == "1":
            actions.finish_encounter(by=request.user, encounter=encounter, ip=client_ip(request))
            messages.success(request, _("The encounter is finished."))
            return redirect("people:chart", public_id=encounter.person.public_id)
        if (prior := previous_result(request)) is not None:
            return prior
        if form.is_valid():
            messages.success(request, _("Note saved."))
            return create_once(
                request,
                lambda: actions.write_note(
                    by=request.user, encounter=encounter, body=form.cleaned_data["body"],
                    kind=form.cleaned_data["kind"], ip=client_ip(request),
                ),
                lambda n: reverse("people:encounter", args=[encounter.public_id]),
            )
    notes = list(encounter.notes.select_related("author").order_by("created_at"))
    status = 400 if request.method == "POST" else 200
    return render(
        request, "people/encounter.html",
        {"encounter": encounter, "person": encounter.person, "notes": notes, "form": form,
         "encounter_links": encounter_links(request, encounter)},
        status=status,
    )


@login_required
@require_POST
def care_team(request, public_id):
    """Add or remove a member of the person's care team."""
    person = get_person_for(request.user, public_id, need=Perm.MANAGE_CARE_TEAM, audit=False, request=request)
    form = TeamMemberForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give a staff username."))
        return redirect("people:chart", public_id=person.public_id)
    User = get_user_model()
    member = User.objects.filter(
        username=form.cleaned_data["username"], is_active=True,
        memberships__site=person.site, memberships__active=True,
    ).first()
    if member is None:
        messages.error(request, _("No staff member with that username works at this site."))
        return redirect("people:chart", public_id=person.public_id)
    if request.POST.get("remove") == "1":
        if member == request.user:
            raise PermissionDenied(_("You cannot remove yourself; ask another team member."))
        actions.remove_from_care_team(by=request.user, person=person, user=member, ip=client_ip(request))
        messages.success(request, _("%(name)s is no longer on the care team.") % {"name": member.name})
    else:
        actions.add_to_care_team(by=request.user, person=person, user=member, ip=client_ip(request))
        messages.success(request, _("%(name)s is now on the care team.") % {"name": member.name})
    return redirect("people:chart", public_id=person.public_id)


def site_choices(user, perm) -> list[Site]:
    from safehaven.access.gate import sites_with

    return list(Site.objects.filter(pk__in=sites_with(user, perm)))
