"""Sign in with a password and a second factor (TOTP), enrol an authenticator, sign out."""

import base64
import time

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate, login, logout
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from safehaven.access.gate import client_ip
from safehaven.accounts import throttle
from safehaven.accounts.forms import LoginForm, TokenForm, UnlockForm
from safehaven.audit.actions import record

GENERIC_FAILURE = gettext_lazy("That username and password do not match an account.")
LOCKED = gettext_lazy("Too many attempts. Wait 15 minutes and try again, or ask your clinic administrator.")


def _next_url(request) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(candidate, allowed_hosts={request.get_host()}):
        return candidate
    return reverse("people:worklist")


def login_view(request):
    """Ask for the username and password; the same message for every kind of failure."""
    if request.user.is_authenticated and request.user.is_verified():
        return redirect(_next_url(request))
    form = LoginForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        username = form.cleaned_data["username"]
        keys = throttle.keys_for(username, client_ip(request))
        if throttle.is_locked(keys):
            form.add_error(None, LOCKED)
            status = 429
        else:
            user = authenticate(request, username=username, password=form.cleaned_data["password"])
            if user is None:
                throttle.note_failure(keys)
                with transaction.atomic():
                    record(by=None, action="auth.failed", detail={}, ip=client_ip(request))
                form.add_error(None, GENERIC_FAILURE)
                status = 200
            else:
                throttle.clear(keys)
                login(request, user)  # rotates the session id
                request.session["auth_at"] = time.time()
                request.session["last_seen"] = time.time()
                request.session["next"] = _next_url(request)
                return redirect("accounts:verify")
    return render(request, "accounts/login.html", {"form": form, "next": request.GET.get("next", "")}, status=status)


def _confirmed_device(user):
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def _demo_code(device) -> str | None:
    if not settings.DEMO_SHOW_TOTP or device is None:
        return None
    return f"{totp(device.bin_key, device.step, device.t0, device.digits):0{device.digits}d}"


@login_required
def verify_view(request):
    """Ask for the second factor; send first-time users to enrolment."""
    if request.user.is_verified():
        return redirect(request.session.pop("next", reverse("people:worklist")))
    device = _confirmed_device(request.user)
    if device is None:
        return redirect("accounts:enroll")
    form = TokenForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        keys = throttle.keys_for(f"otp:{request.user.username}", client_ip(request))
        if throttle.is_locked(keys):
            form.add_error(None, LOCKED)
            status = 429
        elif device.verify_token(form.cleaned_data["token"]):
            throttle.clear(keys)
            otp_login(request, device)
            with transaction.atomic():
                record(by=request.user, action="auth.login", ip=client_ip(request))
            return redirect(request.session.pop("next", reverse("people:worklist")))
        else:
            throttle.note_failure(keys)
            form.add_error("token", _("That code is not right or has expired. Try the current one."))
    return render(
        request, "accounts/verify.html",
        {"form": form, "demo_code": _demo_code(device)}, status=status,
    )


@login_required
def enroll_view(request):
    """Set up an authenticator app the first time a staff member signs in."""
    if _confirmed_device(request.user) is not None:
        return redirect("accounts:verify")
    device = TOTPDevice.objects.filter(user=request.user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=request.user, name="Authenticator", confirmed=False)
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["token"]):
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            otp_login(request, device)
            with transaction.atomic():
                record(by=request.user, action="auth.enroll", ip=client_ip(request))
            messages.success(request, _("Two-factor sign-in is set up."))
            return redirect(request.session.pop("next", reverse("people:worklist")))
        form.add_error("token", _("That code is not right. Check the time on your phone and try again."))
    secret = base64.b32encode(device.bin_key).decode().rstrip("=")
    uri = device.config_url
    qr_svg = segno.make(uri, error="m").svg_inline(scale=4, title=_("QR code for your authenticator app"))
    return render(
        request, "accounts/enroll.html",
        {"form": form, "secret": secret, "qr_svg": qr_svg, "demo_code": _demo_code(device)},
    )


@require_POST
def logout_view(request):
    """Sign out and forget the session."""
    if request.user.is_authenticated:
        with transaction.atomic():
            record(by=request.user, action="auth.logout", ip=client_ip(request))
    logout(request)
    messages.info(request, _("You are signed out."))
    return redirect("accounts:login")


@login_required
def unlock_view(request):
    """Take the tablet back from self-administered mode: the staff member signs in again."""
    from safehaven.accounts.middleware import KIOSK_KEY

    kiosk = request.session.get(KIOSK_KEY)
    if not kiosk:
        return redirect(reverse("people:worklist"))
    form = UnlockForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        keys = throttle.keys_for(request.user.username, client_ip(request))
        if throttle.is_locked(keys):
            form.add_error(None, LOCKED)
            status = 429
        elif request.user.check_password(form.cleaned_data["password"]):
            throttle.clear(keys)
            request.session.pop(KIOSK_KEY, None)
            request.session.cycle_key()
            with transaction.atomic():
                record(by=request.user, action="auth.unlock_tablet", ip=client_ip(request))
            return redirect(kiosk["resume"])
        else:
            throttle.note_failure(keys)
            form.add_error("password", _("That password is not right."))
            status = 400
    return render(request, "accounts/unlock.html", {"form": form}, status=status)
