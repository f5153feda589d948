"""Learner pages (modules, pre-test, knowledge check, certificate) and the administrator's view."""

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from safehaven.access.gate import client_ip, require_perm, sites_with
from safehaven.accounts.models import Membership, Site
from safehaven.accounts.permissions import Perm
from safehaven.audit.actions import record
from safehaven.training import actions, queries
from safehaven.training.forms import CheckForm, SettingsForm
from safehaven.training.gate import gate_status
from safehaven.training.models import (
    POST,
    PRE,
    Attempt,
    Completion,
    Module,
    TrainingSettings,
    localized,
)


def _module(code: str) -> Module:
    module = Module.objects.filter(code=str(code)[:60], active=True).first()
    if module is None:
        raise Http404("No such module")
    return module


def _admin_sites(user) -> frozenset[int]:
    sites = sites_with(user, Perm.MANAGE_STAFF) | sites_with(user, Perm.MANAGE_CLINIC)
    if not sites:
        raise PermissionDenied(_("Your role does not allow this."))
    return sites


@login_required
def home(request):
    """List my modules with where I stand, and any gate that holds me back."""
    require_perm(request.user, Perm.TRAINING)
    rows = queries.learner_modules(request.user)
    held = []
    for site in Site.objects.filter(pk__in=sites_with(request.user, Perm.SCREEN) | sites_with(request.user, Perm.BREAK_GLASS)):
        gated, missing = gate_status(request.user, site.pk)
        if gated and missing:
            held.append({"site": site, "missing": missing})
    can_admin = bool(sites_with(request.user, Perm.MANAGE_STAFF) | sites_with(request.user, Perm.MANAGE_CLINIC))
    return render(request, "training/home.html", {"rows": rows, "held": held, "can_admin": can_admin})


@login_required
def module_detail(request, code):
    """Show a module's readings and case vignettes, and the way to its tests."""
    require_perm(request.user, Perm.TRAINING)
    module = _module(code)
    took_pre = Attempt.objects.filter(user=request.user, module=module, kind=PRE).exists()
    completion = Completion.objects.filter(user=request.user, module=module).first()
    return render(request, "training/module.html", {
        "module": module, "took_pre": took_pre, "completion": completion,
        "readings": [{"title": localized(r["title"]), "body": localized(r["body"])} for r in module.readings],
        "vignettes": [
            {"title": localized(v["title"]), "body": localized(v["body"]), "discuss": localized(v["discuss"])}
            for v in module.vignettes
        ],
        "now": timezone.now(),
    })


@login_required
@require_http_methods(["GET", "POST"])
def take_test(request, code, kind):
    """Take a module's pre-test (once, before the readings) or its knowledge check (any time)."""
    require_perm(request.user, Perm.TRAINING)
    module = _module(code)
    if kind not in (PRE, POST):
        raise Http404("No such test")
    if kind == PRE and Attempt.objects.filter(user=request.user, module=module, kind=PRE).exists():
        messages.info(request, _("You have already taken the pre-test for this module."))
        return redirect("training:module", code=module.code)
    questions = list(module.questions.filter(active=True).order_by("order", "key"))
    form = CheckForm(questions, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            attempt, score = actions.submit_attempt(
                by=request.user, module=module, kind=kind, answers=form.answers(), ip=client_ip(request),
            )
        except actions.TrainingError as exc:
            form.add_error(None, str(exc))
        else:
            completion = Completion.objects.filter(user=request.user, module=module).first() if attempt.passed else None
            return render(request, "training/result.html", {
                "module": module, "attempt": attempt, "score": score, "kind": kind, "completion": completion,
            })
    status = 400 if request.method == "POST" else 200
    return render(request, "training/test.html", {"module": module, "form": form, "kind": kind}, status=status)


@login_required
def certificate(request, public_id):
    """Return the certificate of a completed module as a PDF (mine, or my staff's)."""
    try:
        pid = uuid.UUID(str(public_id))
    except ValueError:
        raise Http404("No such certificate") from None
    completion = Completion.objects.select_related("user", "module").filter(public_id=pid).first()
    if completion is None:
        raise Http404("No such certificate")
    if completion.user_id != request.user.pk:
        staff_sites = sites_with(request.user, Perm.MANAGE_STAFF)
        if not Membership.objects.filter(user_id=completion.user_id, site_id__in=staff_sites).exists():
            raise Http404("No such certificate")
    from safehaven.core.pdf import render_pdf

    html = render_to_string("training/certificate.html", {
        "completion": completion, "module": completion.module, "learner": completion.user,
        "expired": not completion.is_current,
    }, request=request)
    pdf = render_pdf(html)
    with transaction.atomic():
        record(by=request.user, action="training.certificate.print", obj=completion.attempt,
               detail={"module": completion.module.code, "learner": str(completion.user.public_id)},
               ip=client_ip(request))
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="certificate-{completion.module.code}.pdf"'
    return response


@login_required
def staff_overview(request):
    """Show completion by person and role, overdue refreshers, learning gains and items often missed."""
    sites = _admin_sites(request.user)
    overview = queries.admin_overview(sites)
    with transaction.atomic():
        record(by=request.user, action="training.overview.view", detail={"staff": len(overview.staff)},
               ip=client_ip(request))
    return render(request, "training/staff.html", {"o": overview, "now": timezone.now()})


@login_required
@require_http_methods(["GET", "POST"])
def clinic_settings(request):
    """Switch the competency gates of a site on or off and set the refresher interval."""
    sites = require_perm(request.user, Perm.MANAGE_CLINIC)
    choices = list(Site.objects.filter(pk__in=sites).order_by("name"))
    site = choices[0]
    chosen = request.POST.get("site") or request.GET.get("site")
    for s in choices:
        if chosen and str(s.public_id) == chosen:
            site = s
    current = TrainingSettings.objects.filter(site=site).first() or TrainingSettings(site=site)
    form = SettingsForm(request.POST or None, instance=current)
    if request.method == "POST" and form.is_valid():
        try:
            actions.update_settings(
                by=request.user, site=site, gate_screening=form.cleaned_data["gate_screening"],
                gate_break_glass=form.cleaned_data["gate_break_glass"],
                refresher_months=form.cleaned_data["refresher_months"], ip=client_ip(request),
            )
        except actions.TrainingError as exc:
            form.add_error("refresher_months", str(exc))
        else:
            messages.success(request, _("Training rules saved for %(site)s.") % {"site": site.name})
            return redirect(f"{request.path}?site={site.public_id}")
    status = 400 if request.method == "POST" else 200
    return render(request, "training/settings.html", {"form": form, "site": site, "choices": choices}, status=status)
