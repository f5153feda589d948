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
