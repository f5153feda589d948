"""Consent pages: care steps during a visit, sharing consents, reports, the disclosure log,
printouts and FHIR exchange."""

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from safehaven.access.gate import (
    _parse_uuid,
    client_ip,
    get_encounter_for,
    get_person_for,
    require_perm,
)
from safehaven.accounts.permissions import Perm
from safehaven.consent import actions, queries
from safehaven.consent.actions import ConsentConflict, ConsentInputError
from safehaven.consent.decision import Recipient, log_disclosure, may_disclose
from safehaven.consent.forms import (
    LANGUAGE_CHOICES,
    FhirImportForm,
    GrantForm,
    ReportToldForm,
    RequiredReportForm,
    RevokeForm,
    StepAnswerForm,
)
from safehaven.consent.models import ConsentGrant, RequiredReport
from safehaven.consent.outbound import not_about_a_person, outbound
from safehaven.consent.pdf import print_language, render_pdf
from safehaven.consent.wording import category_labels, purpose_labels


def _form_errors(form) -> list[str]:
    return [str(e) for errors in form.errors.values() for e in errors]


def _person(request, public_id, action: str, *, need: Perm = Perm.MANAGE_CONSENT, audit: bool = True):
    return get_person_for(request.user, public_id, need=need, action=action, request=request, audit=audit)


# --- care steps during a visit ---------------------------------------------------------

@login_required
@require_http_methods(["GET", "POST"])
def encounter_steps(request, public_id):
    """Ask before each step of the exam; record each yes, no or stop with its time."""
    need = Perm.WRITE_CLINICAL if request.method == "POST" else Perm.VIEW_CLINICAL
    encounter = get_encounter_for(
        request.user, public_id, need=need, action="consent.steps.view", request=request
    )
    errors: list[str] = []
    status = 200
    if request.method == "POST":
        form = StepAnswerForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                actions.record_step_answer(
                    by=request.user, encounter=encounter, step=data["step"], status=data["status"],
                    preference=data["preference"], note=data["note"], seen=data["seen"],
                    ip=client_ip(request),
                )
                messages.success(request, _("Their answer is recorded."))
                url = reverse("consent:encounter_steps", args=[encounter.public_id])
                return redirect(f"{url}#step-{data['step']}")
            except ConsentConflict as exc:
                errors, status = exc.messages, 409
            except ConsentInputError as exc:
                errors, status = exc.messages, 400
        else:
            errors, status = _form_errors(form), 400
    states = queries.step_states(encounter)
    return render(
        request, "consent/encounter_steps.html",
        {
            "encounter": encounter, "person": encounter.person, "states": states, "errors": errors,
            "open": encounter.status in actions.OPEN_ENCOUNTER_STATUSES,
        },
        status=status,
    )


# --- information-sharing consents --------------------------------------------------------

@login_required
@require_GET
def person_consents(request, public_id):
    """List a person's sharing consents, required reports and the ways to print them."""
    person = _person(request, public_id, "consent.list")
    return render(request, "consent/person_consents.html", _consents_context(person))


def _consents_context(person, **extra) -> dict:
    """What the consents page shows: the person's consents as they stand now, and reports."""
    now = timezone.now()
    grants = queries.grants_for(person)
    return {
        "person": person, "grants": grants, "now": now,
        "in_force": [g for g in grants if g.is_in_force(now)],
        "ended": [g for g in grants if not g.is_in_force(now)],
        "reports": queries.reports_for(person), "languages": LANGUAGE_CHOICES,
        "import_form": FhirImportForm(), **extra,
    }


def _conflict_page(request, person, exc: ConsentConflict) -> HttpResponse:
    """Answer a stale change with 409: say so, change nothing, show the consents as they are now."""
    person = _person(request, person.public_id, "consent.list")  # the page shows them: an access
    return render(request, "consent/person_consents.html",
                  _consents_context(person, conflict=exc.messages), status=409)


@login_required
@require_http_methods(["GET", "POST"])
def new_grant(request, public_id):
    """Record a new informed, time-limited consent to share (or a refusal)."""
    person = _person(request, public_id, "consent.new", audit=request.method == "GET")
    form = GrantForm(request.POST or None, initial={"language": person.preferred_language})
    errors: list[str] = []
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                actions.grant_consent(
                    by=request.user, person=person, provision=data["provision"],
                    recipient_kind=data["recipient_kind"], recipient_category=data["recipient_category"],
                    recipient_label=data["recipient_label"], recipient_ref=data["recipient_ref"],
                    purposes=data["purposes"], categories=data["categories"], method=data["method"],
                    informed=data["informed"], expires_at=form.expires_at(),
                    witness_name=data["witness_name"], signature_name=data["signature_name"],
                    signature_image=data["signature_image"], language=data["language"],
                    explicit_protected=data["explicit_protected"], ip=client_ip(request),
                )
                messages.success(request, _("The consent is recorded."))
                return redirect("consent:person", public_id=person.public_id)
            except ConsentInputError as exc:
                errors = exc.messages
        else:
            errors = _form_errors(form)
    return render(
        request, "consent/new_grant.html", {"person": person, "form": form, "errors": errors},
        status=400 if request.method == "POST" else 200,
    )


def _grant_for(request, public_id, action: str, *, audit: bool = True) -> ConsentGrant:
    require_perm(request.user, Perm.MANAGE_CONSENT)
    grant = ConsentGrant.objects.filter(public_id=_parse_uuid(public_id)).select_related("person").first()
    if grant is None:
        raise Http404("No such record")
    grant.person = _person(request, grant.person.public_id, action, audit=audit)
    return grant


@login_required
@require_POST
def revoke_grant(request, public_id):
    """Withdraw a consent; it stops applying at once."""
    grant = _grant_for(request, public_id, "consent.revoke", audit=False)
    form = RevokeForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(_form_errors(form)))
        return redirect("consent:person", public_id=grant.person.public_id)
    try:
        actions.revoke_consent(by=request.user, grant=grant, version=form.cleaned_data["version"],
                               reason=form.cleaned_data["reason"], ip=client_ip(request))
        messages.success(request, _("The consent is withdrawn. Nothing more will be shared under it."))
    except ConsentConflict as exc:
        return _conflict_page(request, grant.person, exc)
    except ConsentInputError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("consent:person", public_id=grant.person.public_id)


# --- legally required reports ------------------------------------------------------------

@login_required
@require_http_methods(["GET", "POST"])
def new_report(request, public_id):
    """Record a report the law required about a minor, to show it to them."""
    person = _person(request, public_id, "consent.report.new", audit=request.method == "GET")
    form = RequiredReportForm(request.POST or None)
    errors: list[str] = []
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                actions.record_required_report(
                    by=request.user, person=person, recipient_category=data["recipient_category"],
                    agency=data["agency"], legal_basis=data["legal_basis"],
                    categories=data["categories"], person_told=data["person_told"],
                    how_told=data["how_told"], notes=data["notes"], ip=client_ip(request),
                )
                messages.success(request, _("The report is recorded and will be shown to them."))
                return redirect("consent:person", public_id=person.public_id)
            except ConsentInputError as exc:
                errors = exc.messages
        else:
            errors = _form_errors(form)
    return render(
        request, "consent/new_report.html", {"person": person, "form": form, "errors": errors},
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_POST
def report_told(request, public_id):
    """Record that the person has been told about a required report."""
    require_perm(request.user, Perm.MANAGE_CONSENT)
    report = RequiredReport.objects.filter(public_id=_parse_uuid(public_id)).select_related("person").first()
    if report is None:
        raise Http404("No such record")
    report.person = _person(request, report.person.public_id, "consent.report.told", audit=False)
    form = ReportToldForm(request.POST)
    try:
        if not form.is_valid():
            raise ConsentInputError(_form_errors(form))
        actions.mark_report_told(by=request.user, report=report, how_told=form.cleaned_data["how_told"],
                                 ip=client_ip(request))
        messages.success(request, _("Recorded that they were told."))
    except ConsentConflict as exc:
        return _conflict_page(request, report.person, exc)
    except ConsentInputError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("consent:person", public_id=report.person.public_id)


# --- the disclosure log ------------------------------------------------------------------

@login_required
@require_GET
def disclosure_log(request, public_id):
    """Show every disclosure of the person's information: who, what, to whom, under what."""
    person = _person(request, public_id, "consent.disclosures.view")
    return render(
        request, "consent/disclosure_log.html",
        {"person": person, "disclosures": queries.disclosures_for(person),
         "reports": queries.reports_for(person), "languages": LANGUAGE_CHOICES},
    )


def _print_for_the_person(request, person, document: str) -> tuple[str, bool]:
    """Ask the decision function and log the printout handed to the person themself."""
    recipient = Recipient.the_person()
    decision = may_disclose(person, recipient, "treatment", ["identity_contact"])
    if not decision:
        raise Http404("No such record")
    log_disclosure(by=request.user, person=person, recipient=recipient, purpose="treatment",
                   decision=decision, channel="print", detail={"document": document})
    language = print_language(request.GET.get("lang", ""), person.preferred_language)
    return language, request.GET.get("neutral") == "1"


def _pdf_response(pdf: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


def _disclosure_rows(disclosures) -> list[dict]:
    return [
        {"d": d, "categories": category_labels(d.categories), "purpose": purpose_labels([d.purpose])[0]}
        for d in disclosures
    ]


@login_required
@require_GET
@outbound("consent.disclosure_log_pdf", channel="print")
def disclosure_log_pdf(request, public_id):
    """Print the disclosure log for the person, in their language, in plain words."""
    person = _person(request, public_id, "consent.disclosures.print")
    language, neutral = _print_for_the_person(request, person, "disclosure_log")
    disclosures = [d for d in queries.disclosures_for(person) if d.channel != "print"]
    pdf = render_pdf(
        "consent/print/disclosure_log.html",
        {"person": person, "rows": _disclosure_rows(disclosures), "reports": queries.reports_for(person),
         "neutral": neutral, "site": person.site, "printed_at": timezone.now()},
        language=language,
    )
    return _pdf_response(pdf, "record.pdf")


def _grant_rows(grants) -> list[dict]:
    return [
        {"g": g, "categories": category_labels(g.categories), "purposes": purpose_labels(g.purposes)}
        for g in grants
    ]


@login_required
@require_GET
@outbound("consent.summary_pdf", channel="print")
def summary_pdf(request, public_id):
    """Print a plain-language summary of the person's choices, for the person."""
    person = _person(request, public_id, "consent.summary.print")
    language, neutral = _print_for_the_person(request, person, "consent_summary")
    pdf = render_pdf(
        "consent/print/summary.html",
        {"person": person, "rows": _grant_rows(queries.in_force(person)),
         "declines": queries.recent_declines(person, visits=1), "reports": queries.reports_for(person),
         "documentation": queries.documentation_preferences(person), "neutral": neutral,
         "site": person.site, "printed_at": timezone.now()},
        language=language,
    )
    return _pdf_response(pdf, "summary.pdf")


@login_required
@require_GET
@outbound("consent.form_pdf", channel="print")
def grant_pdf(request, public_id):
    """Print one consent form as recorded, with its signature or witness, for the person."""
    grant = _grant_for(request, public_id, "consent.form.print")
    language, neutral = _print_for_the_person(request, grant.person, "consent_form")
    pdf = render_pdf(
        "consent/print/form.html",
        {"person": grant.person, "row": _grant_rows([grant])[0], "neutral": neutral,
         "site": grant.person.site, "printed_at": timezone.now()},
        language=language,
    )
    return _pdf_response(pdf, "form.pdf")


@login_required
@require_GET
@not_about_a_person("a blank consent form holds no one's information")
def blank_form_pdf(request):
    """Print a blank consent form to fill in by hand."""
    require_perm(request.user, Perm.MANAGE_CONSENT)
    language = print_language(request.GET.get("lang", ""), "en")
    pdf = render_pdf(
        "consent/print/form.html",
        {"person": None, "row": None, "neutral": request.GET.get("neutral") == "1", "site": None,
         "printed_at": timezone.now()},
        language=language,
    )
    return _pdf_response(pdf, "form.pdf")


# --- consents about to end ---------------------------------------------------------------

@login_required
@require_GET
def expiring_page(request):
    """List the consents of my people that end soon, so they can be renewed or let go."""
    require_perm(request.user, Perm.MANAGE_CONSENT)
    raw = request.GET.get("days", "14")
    try:
        days = int(raw)
        if not 1 <= days <= 120:
            raise ValueError
    except ValueError:
        return render(
            request, "consent/expiring.html",
            {"grants": [], "days": 14, "error": _("Choose a number of days from 1 to 120.")}, status=400,
        )
    grants = list(queries.expiring(request.user, within_days=days))
    return render(request, "consent/expiring.html", {"grants": grants, "days": days})


# --- FHIR exchange -----------------------------------------------------------------------

@login_required
@require_GET
@outbound("consent.fhir_export", channel="fhir")
def fhir_export(request, public_id):
    """Export the person's consents as a FHIR R4 Bundle of Consent resources, for the person."""
    from safehaven.fhir.resources.consent import bundle

    person = _person(request, public_id, "consent.fhir.export")
    recipient = Recipient.the_person()
    decision = may_disclose(person, recipient, "treatment", ["identity_contact"])
    if not decision:
        raise Http404("No such record")
    grants = queries.grants_for(person)
    for grant in grants:
        grant.person = person
    log_disclosure(by=request.user, person=person, recipient=recipient, purpose="treatment",
                   decision=decision, channel="fhir", detail={"consents": len(grants)})
    response = JsonResponse(bundle(grants), content_type="application/fhir+json")
    response["Content-Disposition"] = 'attachment; filename="consents.json"'
    return response


@login_required
@require_POST
def fhir_import(request, public_id):
    """Import consents from a FHIR R4 Consent or Bundle about this person."""
    person = _person(request, public_id, "consent.fhir.import", audit=False)
    form = FhirImportForm(request.POST)
    errors: list[str] = []
    if form.is_valid():
        try:
            resource = json.loads(form.cleaned_data["resource"])
            grants = actions.import_fhir_consents(by=request.user, person=person, resource=resource,
                                                  ip=client_ip(request))
            messages.success(request, _("%(count)d consents imported.") % {"count": len(grants)})
            return redirect("consent:person", public_id=person.public_id)
        except json.JSONDecodeError:
            errors = [_("The text is not JSON.")]
        except RecursionError:
            errors = [_("The JSON is nested too deeply to be a FHIR Consent or Bundle.")]
        except ConsentInputError as exc:
            errors = exc.messages
    else:
        errors = _form_errors(form)
    return render(
        request, "consent/person_consents.html",
        _consents_context(person, import_form=form, import_errors=errors), status=400,
    )
