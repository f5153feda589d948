"""Staff pages: the referral worklist, starting, sending and following a referral."""

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from safehaven.access.gate import client_ip, get_person_for, require_perm, sites_with
from safehaven.accounts.models import Site
from safehaven.accounts.permissions import Perm
from safehaven.audit.actions import record
from safehaven.consent.models import DATA_CATEGORIES
from safehaven.referrals import actions, packet, queries
from safehaven.referrals.actions import ConflictError, TransitionError
from safehaven.referrals.forms import HelpAnswerForm, PolicyForm, ReferralForm, StatusForm
from safehaven.referrals.models import NEED_DIRECTORY, HelpCheck, PartnerLink
from safehaven.referrals.needs import goal_choices, need_choices, need_label

SERVICE_RESULTS = 30
CATEGORY_LABELS = dict(DATA_CATEGORIES)


def find_services(*, query: str = "", need: str = "", chosen: str = "") -> list:
    """Return active directory services matching a name and a need (one query)."""
    from safehaven.directory.models import Service
    from safehaven.lib.blind_index import fold

    services = Service.objects.filter(status="active").select_related("organization")
    folded = fold(query)[:100] if query else ""
    if chosen:
        try:
            chosen_id = uuid.UUID(str(chosen))
        except ValueError:
            return []
        return list(services.filter(public_id=chosen_id)[:1])
    if folded:
        services = services.filter(name_folded__contains=folded)
    directory_domain = NEED_DIRECTORY.get(need, "")
    if directory_domain:
        services = services.filter(need_domains__domain=directory_domain)
    return list(services.order_by("name_folded", "pk").distinct()[:SERVICE_RESULTS])


@login_required
def worklist(request):
    """List my caseload's open referrals, those waiting too long, and help checks."""
    require_perm(request.user, Perm.CASE_MANAGE)
    stale = queries.stale_for(request.user)
    open_ = queries.open_for(request.user)
    checks = queries.help_checks_for(request.user)
    with transaction.atomic():
        record(by=request.user, action="referral.list",
               detail={"open": len(open_), "stale": len(stale)}, ip=client_ip(request))
    return render(request, "referrals/worklist.html", {
        "stale": stale, "open": open_, "checks": checks,
        "can_settings": bool(sites_with(request.user, Perm.MANAGE_CLINIC)),
    })


@login_required
@require_http_methods(["GET", "POST"])
def new(request, person_id):
    """Start a referral for a person: need or goal, service, what to share."""
    person = get_person_for(request.user, person_id, need=Perm.CASE_MANAGE,
                            action="referral.start", request=request)
    source = request.POST if request.method == "POST" else request.GET
    query = source.get("q", "")[:100]
    need = source.get("need_domain", "")[:40]
    chosen = source.get("service", "") if request.method == "POST" else ""
    services = find_services(query=query, need=need, chosen=chosen)
    goals = goal_choices(person)
    form = ReferralForm(
        request.POST or None, needs=need_choices(), goals=goals, services=services,
        initial={"need_domain": need, "priority": "routine", "categories": ["identity_contact"]},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        service = services[0]
        try:
            referral = actions.create_referral(
                by=request.user, person=person, need_domain=data["need_domain"], service=service,
                requested_categories=data["categories"], summaries=data["summaries"],
                priority=data["priority"], goal_ref=data.get("goal") or "", ip=client_ip(request),
            )
        except ValueError:
            form.add_error("need_domain", _("Choose one of the needs listed."))
        else:
            messages.success(request, _("The referral is saved as a draft. Check it, then send it."))
            return redirect("referrals:detail", public_id=referral.public_id)
    status = 400 if request.method == "POST" else 200
    return render(request, "referrals/new.html", {
        "person": person, "form": form, "query": query, "need": need, "services": services,
        "summary_fields": [form[f"summary_{code}"] for code, _label in DATA_CATEGORIES],
    }, status=status)


def _detail_context(request, referral, **extra):
    decision = packet.decide(referral)
    shown = referral.packet_data if referral.status != "draft" else None
    links = list(referral.links.all()[:10])
    check = HelpCheck.objects.filter(referral=referral).first()
    context = {
        "referral": referral,
        "person": referral.person,
        "need": need_label(referral.need_domain),
        "events": list(referral.events.select_related("actor")),
        "permitted": [CATEGORY_LABELS[c] for c in decision.permitted],
        "withheld": [CATEGORY_LABELS[c] for c in decision.refused],
        "packet": shown,
        "sent": [CATEGORY_LABELS.get(c, c) for c in (shown or {}).get("categories", {})],
        "links": links,
        "check": check,
        "status_form": StatusForm(allowed=[s for s in referral.allowed_next() if s != "requested"],
                                  initial={"version": referral.version}),
        "help_form": HelpAnswerForm(),
    }
    context.update(extra)
    return context


@login_required
@never_cache
def detail(request, public_id):
    """Show a referral: packet, history, links, and what can be done next."""
    referral = queries.get_referral_for(request.user, public_id, request=request)
    return render(request, "referrals/detail.html", _detail_context(request, referral))


@login_required
@require_POST
def send(request, public_id):
    """Send a draft to the partner (the packet is built from consent now)."""
    referral = queries.get_referral_for(request.user, public_id, action="referral.send_view", request=request)
    try:
        referral = actions.send_referral(by=request.user, referral=referral, ip=client_ip(request))
    except (TransitionError, ConflictError) as exc:
        messages.error(request, str(exc))
        return redirect("referrals:detail", public_id=referral.public_id)
    messages.success(request, _("Sent. Make a link for the partner if they have no account."))
    return redirect("referrals:detail", public_id=referral.public_id)


@login_required
@require_POST
def change_status(request, public_id):
    """Change the status of a referral (staff)."""
    referral = queries.get_referral_for(request.user, public_id, action="referral.status_view", request=request)
    form = StatusForm(request.POST, allowed=[s for s in referral.allowed_next() if s != "requested"])
    if form.is_valid():
        data = form.cleaned_data
        try:
            actions.change_status(
                by=request.user, referral=referral, to_status=data["to_status"], reason=data["reason"],
                outcome=data["outcome"], note=data["note"], version=data.get("version"),
                ip=client_ip(request),
            )
        except (TransitionError, ConflictError) as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("The status is updated."))
            return redirect("referrals:detail", public_id=referral.public_id)
    return render(request, "referrals/detail.html",
                  _detail_context(request, referral, status_form=form), status=400)


@login_required
@require_POST
def make_link(request, public_id):
    """Make a single-referral link for a partner without an account; show it once."""
    referral = queries.get_referral_for(request.user, public_id, action="referral.link_view", request=request)
    try:
        _link, token = actions.create_partner_link(by=request.user, referral=referral, ip=client_ip(request))
    except TransitionError as exc:
        messages.error(request, str(exc))
        return redirect("referrals:detail", public_id=referral.public_id)
    url = request.build_absolute_uri(reverse("partner:link", args=[token]))
    response = render(request, "referrals/detail.html", _detail_context(request, referral, new_link=url))
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def revoke_link(request, public_id, link_id):
    """Stop a partner link from working."""
    referral = queries.get_referral_for(request.user, public_id, action="referral.link_view", request=request)
    link = PartnerLink.objects.filter(referral=referral, public_id=_uuid_or_404(link_id)).first()
    if link is None:
        raise Http404("No such record")
    link.referral = referral
    actions.revoke_partner_link(by=request.user, link=link, ip=client_ip(request))
    messages.success(request, _("The link no longer works."))
    return redirect("referrals:detail", public_id=referral.public_id)


@login_required
@require_POST
def help_answer(request, public_id):
    """Record whether the person got the help (asked privately, at a safe time)."""
    referral = queries.get_referral_for(request.user, public_id, action="referral.help_view", request=request)
    check = HelpCheck.objects.filter(referral=referral).first()
    if check is None:
        messages.error(request, _("This referral is not completed yet."))
        return redirect("referrals:detail", public_id=referral.public_id)
    form = HelpAnswerForm(request.POST)
    if not form.is_valid():
        return render(request, "referrals/detail.html",
                      _detail_context(request, referral, help_form=form), status=400)
    check.referral = referral
    actions.record_help_answer(by=request.user, check=check, answer=form.cleaned_data["answer"],
                               comment=form.cleaned_data["comment"], ip=client_ip(request))
    messages.success(request, _("Their answer is recorded."))
    return redirect("referrals:detail", public_id=referral.public_id)


@login_required
@require_http_methods(["GET", "POST"])
def policy(request):
    """Let the clinic administrator set when unanswered referrals need follow-up."""
    sites = require_perm(request.user, Perm.MANAGE_CLINIC)
    site = Site.objects.filter(pk__in=sites).order_by("name").first()
    if site is None:
        raise PermissionDenied(_("Your role does not allow this."))
    current = actions.policy_for(site)
    form = PolicyForm(request.POST or None, initial={
        "stale_after_business_days": current.stale_after_business_days,
        "link_valid_days": current.link_valid_days,
    })
    if request.method == "POST":
        if form.is_valid():
            actions.set_policy(by=request.user, site=site, ip=client_ip(request), **form.cleaned_data)
            messages.success(request, _("Saved."))
            return redirect("referrals:policy")
        return render(request, "referrals/policy.html", {"form": form, "site": site}, status=400)
    return render(request, "referrals/policy.html", {"form": form, "site": site})


def _uuid_or_404(value):
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise Http404("No such record") from None
