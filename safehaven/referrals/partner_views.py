"""Partner pages, mounted at /partner/: the single-referral link and the partner's own list.

The link needs no account: whoever holds the token sees that one packet (cut down to
what consent still permits) and may accept, decline or report progress. An unknown,
expired or revoked link gets the same plain page and no data. Partner accounts see
only referrals sent to their own organisation; any other is 404.
"""

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from safehaven.access.gate import client_ip
from safehaven.consent.models import DATA_CATEGORIES
from safehaven.referrals import actions, packet, queries
from safehaven.referrals.actions import TransitionError
from safehaven.referrals.forms import StatusForm
from safehaven.referrals.needs import need_label

CATEGORY_LABELS = dict(DATA_CATEGORIES)


def _private(response):
    response["Cache-Control"] = "no-store, private"
    response["X-Robots-Tag"] = "noindex, nofollow"
    # The site-wide Referrer-Policy (same-origin) already keeps the token URL from other
    # sites; "no-referrer" here would make Chromium send "Origin: null" on the status form,
    # which the CSRF check rightly refuses.
    return response


def partner_login_required(view):
    """Require a signed-in partner who has passed the second factor."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        user = request.user
        if not user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not user.is_verified():
            return redirect(reverse("accounts:verify"))
        return view(request, *args, **kwargs)

    return wrapper


def _page(request, referral, form, *, status=200, action_url=""):
    shown = packet.visible_packet(referral)
    context = {
        "referral": referral,
        "need": need_label(referral.need_domain),
        "packet": shown,
        "sections": [(CATEGORY_LABELS.get(c, c), c, s) for c, s in shown.get("categories", {}).items()],
        "form": form,
        "action_url": action_url,
    }
    return _private(render(request, "referrals/partner/referral.html", context, status=status))


def _update(request, referral, *, by, actor_kind):
    form = StatusForm(request.POST, allowed=referral.allowed_next(partner=True))
    if form.is_valid():
        data = form.cleaned_data
        try:
            actions.change_status(
                by=by, referral=referral, to_status=data["to_status"], reason=data["reason"],
                outcome=data["outcome"], note=data["note"], actor_kind=actor_kind,
                ip=client_ip(request),
            )
        except (TransitionError, actions.ConflictError) as exc:
            form.add_error(None, str(exc))
        else:
            return None
    return form


@never_cache
@require_http_methods(["GET", "POST"])
def link(request, token):
    """The single-referral page a partner opens from the link the clinic sent."""
    found = actions.link_for_token(token)
    if found is None:
        return _private(render(request, "referrals/partner/gone.html", status=404))
    referral = found.referral
    actions.touch_link(link=found, ip=client_ip(request))
    if not referral.is_open:
        # A closed referral shows nothing more about the person.
        return _private(render(request, "referrals/partner/closed.html", {"referral": referral}))
    if request.method == "POST":
        form = _update(request, referral, by=f"partner link {found.public_id}", actor_kind="partner_link")
        if form is None:
            return redirect(reverse("partner:link", args=[token]) + "?saved=1")
        return _page(request, referral, form, status=400)
    form = StatusForm(allowed=referral.allowed_next(partner=True))
    return _page(request, referral, form)


@never_cache
@partner_login_required
def partner_list(request):
    """The referrals sent to the signed-in partner's organisation."""
    referrals = queries.partner_list(request.user)
    return _private(render(request, "referrals/partner/list.html", {"referrals": referrals}))


@never_cache
@partner_login_required
@require_http_methods(["GET", "POST"])
def partner_referral(request, public_id):
    """One referral sent to the signed-in partner's organisation."""
    referral = queries.get_partner_referral_for(request.user, public_id, request=request)
    if request.method == "POST":
        form = _update(request, referral, by=request.user, actor_kind="partner_account")
        if form is None:
            return redirect(reverse("partner:referral", args=[referral.public_id]) + "?saved=1")
        return _page(request, referral, form, status=400)
    return _page(request, referral, StatusForm(allowed=referral.allowed_next(partner=True)))

