"""Staff pages of the resource directory: search, and one service."""

import uuid

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404
from django.shortcuts import render

from safehaven.access.gate import client_ip, sites_with
from safehaven.accounts.permissions import Perm
from safehaven.audit.actions import record
from safehaven.directory import queries
from safehaven.directory.forms import SearchForm
from safehaven.directory.needs import NEED_DOMAINS


def _require_directory(user) -> None:
    if not (sites_with(user, Perm.CASE_MANAGE) or sites_with(user, Perm.VIEW_PERSON)):
        raise PermissionDenied("Your role does not allow this.")


def _page(value) -> int:
    try:
        return min(max(int(value), 1), 1000)
    except (TypeError, ValueError):
        return 1


@login_required
def search(request):
    """Find community services by need, language, eligibility, cost, hours, distance and flags."""
    _require_directory(request.user)
    form = SearchForm(request.GET or None)
    result = None
    status = 200
    if request.GET:
        if form.is_valid():
            d = form.cleaned_data
            near = (d["lat"], d["lon"]) if d.get("lat") is not None else None
            result = queries.search(
                viewer=request.user, domain=d["domain"], text=d["q"], language=d["language"],
                age=d["age"], gender=d["gender"], free=d["free"], open_now=d["open_now"],
                near=near, within_km=d.get("within_km") or 25,
                trauma_informed=d["trauma_informed"], serves_survivors=d["serves_survivors"],
                exclude_law_enforcement=d["no_police"], page=_page(request.GET.get("page")),
            )
        else:
            status = 400
    labels = {d.code: d.label for d in NEED_DOMAINS}
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request, "directory/search.html",
        {"form": form, "result": result, "labels": labels, "query": query.urlencode()},
        status=status,
    )


@login_required
def service_detail(request, public_id):
    """Show one service; a confidential address only to staff allowed to see it (audited)."""
    _require_directory(request.user)
    try:
        service = queries.service_detail(uuid.UUID(str(public_id)))
    except ValueError:
        service = None
    if service is None:
        raise Http404("No such service")
    confidential_ok = queries.can_see_confidential(request.user)
    locations = [
        (sal.location, confidential_ok or not sal.location.confidential_location)
        for sal in service.service_at_locations.all()
    ]
    if confidential_ok and any(loc.confidential_location for loc, _ in locations):
        with transaction.atomic():
            record(by=request.user, action="directory.confidential_address.view", obj=service,
                   ip=client_ip(request))
    return render(request, "directory/service.html", {
        "service": service, "locations": locations,
        "domains": [d.label for d in NEED_DOMAINS if d.code in {n.domain for n in service.need_domains.all()}],
    })
