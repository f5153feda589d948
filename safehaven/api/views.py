"""A small JSON API over the same gatekeepers and actions as the pages.

It answers with JSON errors (never a traceback); its OpenAPI description is at
/api/openapi.json and is checked against the routes in the tests.
"""

import json

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404, JsonResponse
from django.views.decorators.http import require_GET

from safehaven.access.gate import client_ip, get_person_for, require_perm
from safehaven.accounts.permissions import Perm
from safehaven.api.openapi import build_openapi
from safehaven.audit.actions import record
from safehaven.people import queries


def api_view(func):
    """Wrap an API view: JSON 401/403/404 answers, never an HTML page."""

    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return JsonResponse({"detail": "Authentication is required."}, status=401)
        try:
            return func(request, *args, **kwargs)
        except PermissionDenied as exc:
            return JsonResponse({"detail": str(exc) or "Not allowed."}, status=403)
        except Http404:
            return JsonResponse({"detail": "Not found."}, status=404)
        except (ValueError, json.JSONDecodeError) as exc:
            return JsonResponse({"detail": f"Bad request: {exc}"}, status=400)

    wrapper.__name__ = func.__name__
    wrapper.__doc__ = func.__doc__
    return wrapper


def person_json(person) -> dict:
    return {
        "id": str(person.public_id),
        "chosen_name": person.chosen_name,
        "pronouns": person.pronouns,
        "age_band": person.age_band,
        "is_minor": person.is_minor,
        "preferred_language": person.preferred_language,
        "interpreter_needed": person.interpreter_needed,
        "site": person.site.name,
    }


@require_GET
@api_view
def people(request):
    """List the people on my care teams (50 a page)."""
    require_perm(request.user, Perm.VIEW_PERSON)
    try:
        page = int(request.GET.get("page", "1"))
    except ValueError:
        raise ValueError("page must be a whole number") from None
    if page < 1:
        raise ValueError("page must be 1 or more")
    query = request.GET.get("q", "")
    if len(query) > 100:
        raise ValueError("q must be at most 100 characters")
    rows, more = queries.worklist(request.user, query=query, page=page)
    with transaction.atomic():
        record(by=request.user, action="person.list", detail={"count": len(rows), "api": True},
               ip=client_ip(request))
    return JsonResponse({"results": [person_json(p) for p in rows], "page": page, "has_more": more})


@require_GET
@api_view
def person(request, public_id):
    """Return one person on my care team."""
    found = get_person_for(request.user, public_id, request=request)
    return JsonResponse(person_json(found))


@require_GET
def openapi(request):
    """Return the OpenAPI 3.1 description of the JSON API."""
    return JsonResponse(build_openapi())
