"""Session time limits and the two-factor requirement for every staff page."""

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

# Paths a signed-in user may reach before finishing the second factor.
OPEN_PREFIXES = (
    "/accounts/",
    "/static/",
    "/i18n/",
    "/weather/",
    "/healthz",
    "/favicon.ico",
)


class SessionTimeoutMiddleware:
    """Sign out after SESSION_IDLE_TIMEOUT idle seconds or SESSION_ABSOLUTE_TIMEOUT in all."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            now = time.time()
            started = request.session.get("auth_at", now)
            last = request.session.get("last_seen", now)
            if now - last > settings.SESSION_IDLE_TIMEOUT or now - started > settings.SESSION_ABSOLUTE_TIMEOUT:
                logout(request)
                messages.info(request, _("You were signed out to protect the records. Please sign in again."))
                return redirect(reverse("accounts:login"))
            # Record activity at most once per SESSION_ACTIVITY_RESOLUTION seconds: the session
            # row (and its expiry) is then written once a minute, not on every request.
            if "last_seen" not in request.session or now - last >= settings.SESSION_ACTIVITY_RESOLUTION:
                request.session["last_seen"] = now
            if "auth_at" not in request.session:
                request.session["auth_at"] = now
        return self.get_response(request)


class RequireTwoFactorMiddleware:
    """Send a signed-in user who has not passed the second factor to that step.

    This runs for every path, so the second factor cannot be skipped by typing a URL.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if user.is_authenticated and not user.is_verified():
            path = request.path
            if not path.startswith(OPEN_PREFIXES) and not path.startswith("/partner/r/"):
                if path.startswith(("/api/", "/fhir/", "/hsds/")):
                    from django.http import JsonResponse

                    return JsonResponse({"detail": "Two-factor sign-in is required."}, status=401)
                return redirect(reverse("accounts:verify"))
        return self.get_response(request)


KIOSK_KEY = "kiosk"


def enter_kiosk(request, *, allowed: list[str], home: str, resume: str) -> None:
    """Lock this session to the patient's own pages until a staff member unlocks it.

    While a tablet is in the person's hands, only `allowed` path prefixes (their questions),
    the neutral page and static files can be reached; anything else goes back to `home`.
    Unlocking needs the staff member's password again and then returns to `resume`.
    """
    request.session[KIOSK_KEY] = {"allowed": allowed, "home": home, "resume": resume}


class KioskMiddleware:
    """Keep a session in self-administered (tablet) mode away from every staff page."""

    ALWAYS = ("/static/", "/weather/", "/i18n/", "/accounts/unlock/", "/accounts/logout/", "/favicon.ico")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        kiosk = request.session.get(KIOSK_KEY) if hasattr(request, "session") else None
        if kiosk and request.user.is_authenticated:
            path = request.path
            if not path.startswith(self.ALWAYS) and not any(path.startswith(p) for p in kiosk["allowed"]):
                return redirect(kiosk["home"])
        return self.get_response(request)
