"""The administrator's audit views: the log, and who opened a given record."""

import uuid

from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404
from django.shortcuts import render

from safehaven.access.gate import client_ip, require_perm
from safehaven.accounts.models import Site
from safehaven.accounts.permissions import Perm
from safehaven.audit.actions import record
from safehaven.audit.models import AuditEvent
from safehaven.people.models import Person

PAGE = 100


@login_required
def log(request):
    """List the latest audit events at my sites, optionally filtered by action."""
    sites = require_perm(request.user, Perm.VIEW_AUDIT)
    site_ids = [str(s) for s in Site.objects.filter(pk__in=sites).values_list("public_id", flat=True)]
    events = AuditEvent.objects.filter(site_id__in=site_ids).order_by("-seq")
    action = request.GET.get("action", "")[:64]
    if action and not all(c.isalnum() or c in "._-" for c in action):
        action = ""
    if action:
        events = events.filter(action=action)
    rows = list(events[:PAGE])
    with transaction.atomic():
        record(by=request.user, action="audit.list", detail={"filter": action}, ip=client_ip(request))
    return render(request, "audit/log.html", {"events": rows, "action": action})


@login_required
def person_access(request, public_id):
    """Show who opened or changed one person's record."""
    sites = require_perm(request.user, Perm.VIEW_AUDIT)
    try:
        pid = uuid.UUID(str(public_id))
    except ValueError:
        raise Http404 from None
    person = Person.objects.filter(public_id=pid, site_id__in=sites).first()
    if person is None:
        raise Http404
    rows = list(AuditEvent.objects.filter(person_id=str(person.public_id)).order_by("-seq")[:500])
    with transaction.atomic():
        record(by=request.user, action="audit.person", obj=person, person=person, ip=client_ip(request))
    return render(request, "audit/person.html", {"events": rows, "person": person})
