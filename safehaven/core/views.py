from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache


def home(request):
    """Send staff to their worklist and everyone else to sign in."""
    if request.user.is_authenticated:
        return redirect("people:worklist")
    return redirect("accounts:login")


def neutral(request):
    """A neutral page with nothing about health care on it: where quick exit lands.

    Arriving by quick exit (`?exit=1`) also ends the session, so Back or a reload can only
    reach the sign-in page, never the record that was on screen.
    """
    if request.GET.get("exit") == "1" and request.user.is_authenticated:
        from django.contrib.auth import logout

        logout(request)
    response = render(request, "core/neutral.html")
    response["Cache-Control"] = "no-store"
    return response


@never_cache
def healthz(request):
    """Report whether the app and its database answer."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return JsonResponse({"status": "ok"})
    except Exception:
        return JsonResponse({"status": "database unavailable"}, status=503)


def robots(request):
    return HttpResponse("User-agent: *\nDisallow: /\n", content_type="text/plain")
