"""Break the glass, and the administrator's review of emergency access."""

import uuid

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from safehaven.access import actions
from safehaven.access.gate import client_ip, require_perm
from safehaven.access.models import BreakGlassGrant
from safehaven.accounts.permissions import Perm
from safehaven.audit.actions import record
from safehaven.people.models import Person


class BreakGlassForm(forms.Form):
    record_id = forms.CharField(
        label=gettext_lazy("Record number"), max_length=64,
        help_text=gettext_lazy("The person's record number, as on their card or referral."),
    )
    reason = forms.CharField(
        label=gettext_lazy("Why you need this record now"), min_length=10, max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("This is recorded and reviewed by the clinic administrator."),
    )


@login_required
@require_http_methods(["GET", "POST"])
def break_glass(request):
    """Open a record outside my care team for a while, stating a reason."""
    sites = require_perm(request.user, Perm.BREAK_GLASS)
    form = BreakGlassForm(request.POST or None, initial={"record_id": request.GET.get("record", "")})
    if request.method == "POST" and form.is_valid():
        person = None
        try:
            pid = uuid.UUID(form.cleaned_data["record_id"].strip())
            person = Person.objects.filter(public_id=pid, site_id__in=sites).first()
        except ValueError:
            person = None
        if person is None:
            with transaction.atomic():
                record(by=request.user, action="breakglass.not_found", reason=form.cleaned_data["reason"],
                       ip=client_ip(request))
            form.add_error("record_id", _("No record with that number at your sites."))
        else:
            try:
                actions.break_glass(by=request.user, person=person, reason=form.cleaned_data["reason"],
                                    ip=client_ip(request))
            except ValueError as exc:
                form.add_error("reason", str(exc))
            else:
                messages.warning(request, _("Emergency access is open for a limited time and is being recorded."))
                return redirect("people:chart", public_id=person.public_id)
    status = 400 if request.method == "POST" else 200
    return render(request, "access/break_glass.html", {"form": form}, status=status)


@login_required
def review(request):
    """List emergency-access grants at my sites for review, unreviewed first."""
    sites = require_perm(request.user, Perm.REVIEW_BREAK_GLASS)
    grants = list(
        BreakGlassGrant.objects.filter(person__site_id__in=sites)
        .select_related("user", "person", "reviewed_by")
        .order_by("reviewed_at", "-created_at")[:200]
    )
    with transaction.atomic():
        record(by=request.user, action="breakglass.list", detail={"count": len(grants)}, ip=client_ip(request))
    return render(request, "access/review.html", {"grants": grants, "now": timezone.now()})


@login_required
@require_POST
def review_grant(request, public_id):
    """Mark one grant as reviewed."""
    sites = require_perm(request.user, Perm.REVIEW_BREAK_GLASS)
    try:
        pid = uuid.UUID(str(public_id))
    except ValueError:
        raise Http404 from None
    grant = BreakGlassGrant.objects.select_related("person").filter(public_id=pid, person__site_id__in=sites).first()
    if grant is None:
        raise Http404
    actions.review_grant(by=request.user, grant=grant, note=request.POST.get("note", "")[:500], ip=client_ip(request))
    messages.success(request, _("Marked as reviewed."))
    return redirect("access:review")
