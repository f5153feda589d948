"""Cross-cutting request handling: no caching of records, and a calm page when the database is down."""

from django.db import DatabaseError, InterfaceError, OperationalError
from django.template.loader import render_to_string


class DatabaseUnavailableMiddleware:
    """Answer 503 with a plain page when the database cannot be reached; recover by itself.

    Pages about people are never stored by the browser (Cache-Control: no-store), so the
    back button after sign-out or quick exit cannot show them again.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if getattr(request, "user", None) is not None and request.user.is_authenticated:
            response["Cache-Control"] = "no-store, private"
        return response

    def process_exception(self, request, exception):
        if isinstance(exception, (OperationalError, InterfaceError)) and _looks_unreachable(exception):
            # Django closes unusable connections when the request ends and reconnects on
            # the next one, so the app recovers by itself when the database returns.
            from django.http import HttpResponse

            body = render_to_string("core/unavailable.html", request=None)
            response = HttpResponse(body, status=503)
            response["Retry-After"] = "30"
            return response
        return None


def _looks_unreachable(exception: DatabaseError) -> bool:
    text = str(exception).lower()
    return any(
        phrase in text
        for phrase in (
            "connection", "could not connect", "server closed", "unable to open",
            "terminating", "timeout", "database is locked", "disk i/o",
        )
    )


class RefuseNullCharactersMiddleware:
    """Answer 400 to any query-string value holding a NUL character.

    No search or filter accepts one, and PostgreSQL refuses them in text, so catching them
    here gives one clear message instead of a database error deep in a search. Posted forms
    are left to their forms, which refuse a NUL field by field and keep the other answers.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if _has_nul(request.GET):
            from django.http import HttpResponseBadRequest, JsonResponse
            from django.utils.translation import gettext as _

            message = _("The request holds a null character, which is never valid here. Remove it and try again.")
            if request.path.startswith("/fhir/"):
                outcome = {"resourceType": "OperationOutcome",
                           "issue": [{"severity": "error", "code": "invalid", "diagnostics": message}]}
                return JsonResponse(outcome, status=400)  # an OperationOutcome about no one
            if request.path.startswith(("/api/", "/hsds/")):
                return JsonResponse({"detail": message}, status=400)
            return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")
        return self.get_response(request)


def _has_nul(querydict) -> bool:
    return any("\x00" in key or any("\x00" in v for v in values) for key, values in querydict.lists())
