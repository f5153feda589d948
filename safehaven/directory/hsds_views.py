"""A read-only API in the shape of the Open Referral HSDS 3.0 OpenAPI (/hsds/...).

Signed-in accounts only (staff or partners). Confidential locations never appear.
"""

import datetime
import uuid

from django.core.exceptions import PermissionDenied
from django.http import Http404, JsonResponse
from django.utils.dateparse import parse_datetime

from safehaven.directory import hsds_export as hx
from safehaven.directory.models import (
    Organization,
    ServiceAtLocation,
    Taxonomy,
    TaxonomyTerm,
)
from safehaven.directory.openapi import PARAM_SCHEMAS

MAX_PER_PAGE = 100


class BadRequest(ValueError):
    pass


def hsds_view(func):
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return JsonResponse({"detail": "Authentication is required."}, status=401)
        if request.method not in ("GET", "HEAD"):
            response = JsonResponse({"detail": "This API is read-only."}, status=405)
            response["Allow"] = "GET, HEAD"
            return response
        try:
            _check_query(request)
            return func(request, *args, **kwargs)
        except PermissionDenied as exc:
            return JsonResponse({"detail": str(exc) or "Not allowed."}, status=403)
        except Http404:
            return JsonResponse({"detail": "Not found."}, status=404)
        except BadRequest as exc:
            return JsonResponse({"detail": str(exc)}, status=400)

    wrapper.__name__ = func.__name__
    wrapper.__doc__ = func.__doc__
    return wrapper


def _check_query(request) -> None:
    """Refuse query parameters that break their OpenAPI description, with a sentence."""
    for name, schema in PARAM_SCHEMAS.items():
        values = request.GET.getlist(name)
        if not values:
            continue
        if len(values) > 1:
            raise BadRequest(f"{name} may be given once.")
        value = values[0]
        kind = schema.get("type")
        if kind == "boolean" and value not in ("true", "false"):
            raise BadRequest(f"{name} must be true or false.")
        if schema.get("format") == "uuid":
            _uuid(value, name)
        if "maxLength" in schema and len(value) > schema["maxLength"]:
            raise BadRequest(f"{name} must be at most {schema['maxLength']} characters.")
        if "enum" in schema and value not in schema["enum"]:
            raise BadRequest(f"{name} must be one of: {', '.join(schema['enum'])}.")


def _int(request, name: str, default: int, maximum: int) -> int:
    raw = request.GET.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise BadRequest(f"{name} must be a whole number.") from None
    if not 1 <= value <= maximum:
        raise BadRequest(f"{name} must be between 1 and {maximum}.")
    return value


def _uuid(value: str, name: str = "id") -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        if name == "id":
            raise Http404 from None
        raise BadRequest(f"{name} must be an HSDS id (a UUID).") from None


def _paged(request, qs, to_json):
    if request.GET.get("format") not in (None, "", "json"):
        raise BadRequest("format must be json.")
    page = _int(request, "page", 1, 100000)
    per_page = _int(request, "per_page", 50, MAX_PER_PAGE)
    total = qs.count()
    items = [to_json(x) for x in qs[(page - 1) * per_page: page * per_page]]
    return JsonResponse(hx.page_json(items, total=total, page=page, per_page=per_page))


def _search(request, qs, *fields):
    text = (request.GET.get("search") or "")[:100].strip()
    if text:
        from django.db.models import Q

        q = Q()
        for f in fields:
            q |= Q(**{f"{f}__icontains": text})
        qs = qs.filter(q)
    return qs


def _service_filters(request, qs, prefix=""):
    if request.GET.get("taxonomy_term_id"):
        qs = qs.filter(**{f"{prefix}attributes__taxonomy_term__public_id": _uuid(request.GET["taxonomy_term_id"], "taxonomy_term_id")})
    if request.GET.get("taxonomy_id"):
        qs = qs.filter(**{f"{prefix}attributes__taxonomy_term__taxonomy__public_id": _uuid(request.GET["taxonomy_id"], "taxonomy_id")})
    if request.GET.get("organization_id"):
        qs = qs.filter(**{f"{prefix}organization__public_id": _uuid(request.GET["organization_id"], "organization_id")})
    if "modified_after" in request.GET:
        try:
            when = parse_datetime(request.GET["modified_after"].strip().upper())
        except (ValueError, OverflowError):
            when = None
        if when is not None and when.tzinfo is not None:
            # Send UTC: PostgreSQL refuses unusual offsets (e.g. +19:47) that ISO 8601 allows.
            try:
                when = when.astimezone(datetime.UTC)
            except OverflowError:
                when = datetime.datetime.min.replace(tzinfo=datetime.UTC)
        if when is None:
            raise BadRequest("modified_after must be a date and time (ISO 8601).")
        qs = qs.filter(**{f"{prefix}last_modified__gte": when})
    return qs.distinct()


@hsds_view
def root(request):
    """HSDS API meta information."""
    return JsonResponse({"version": "3.0", "profile": "https://openreferral.org/hsds/3.0",
                         "openapi_url": "/api/openapi.json"})


@hsds_view
def services(request):
    """A page of services (fully nested with full=true)."""
    qs = _search(request, _service_filters(request, hx.service_queryset()), "name", "description")
    if request.GET.get("minimal") == "true":
        return _paged(request, qs.order_by("name_folded", "id"),
                      lambda s: {"id": str(s.public_id), "last_modified": s.last_modified.isoformat()})
    full = request.GET.get("full") == "true"
    return _paged(request, qs, lambda s: hx.service_json(s, with_locations=full))


@hsds_view
def service(request, id):
    obj = hx.service_queryset().filter(public_id=_uuid(id)).first()
    if obj is None:
        raise Http404
    return JsonResponse(hx.service_json(obj))


def _org_qs():
    return Organization.objects.select_related("parent").order_by("name", "id")


@hsds_view
def organizations(request):
    qs = _search(request, _org_qs(), "name", "description")
    return _paged(request, qs, hx.organization_json)


@hsds_view
def organization(request, id):
    org = _org_qs().filter(public_id=_uuid(id)).first()
    if org is None:
        raise Http404
    out = hx.organization_json(org)
    out["services"] = [hx.service_json(s, with_locations=request.GET.get("full_service") == "true")
                       for s in hx.service_queryset().filter(organization=org)]
    out["locations"] = [hx.location_json(loc) for loc in hx.public_locations()
                        .filter(organization=org).prefetch_related(
                            "addresses", "languages", "accessibility", "phones__languages", "schedules")]
    return JsonResponse(out)


def _sal_qs():
    return (ServiceAtLocation.objects.filter(location__confidential_location=False)
            .select_related("service", "service__organization", "location", "location__organization")
            .prefetch_related("phones__languages", "schedules", "location__addresses",
                              "location__languages", "location__accessibility",
                              "location__phones__languages", "location__schedules")
            .order_by("id"))


@hsds_view
def service_at_locations(request):
    qs = _sal_qs()
    qs = _search(request, qs, "service__name", "location__name")
    qs = _service_filters(request, qs, prefix="service__")
    if request.GET.get("postcode"):
        qs = qs.filter(location__addresses__postal_code__iexact=request.GET["postcode"][:40]).distinct()
    return _paged(request, qs, hx.sal_json)


@hsds_view
def service_at_location(request, id):
    sal = _sal_qs().filter(public_id=_uuid(id)).first()
    if sal is None:
        raise Http404
    full = hx.service_queryset().get(pk=sal.service_id)
    out = hx.sal_json(sal)
    out["service"] = hx.service_json(full, with_locations=False)
    return JsonResponse(out)


@hsds_view
def taxonomies(request):
    qs = _search(request, Taxonomy.objects.order_by("name", "id"), "name", "description")
    return _paged(request, qs, hx.taxonomy_json)


@hsds_view
def taxonomy(request, id):
    obj = Taxonomy.objects.filter(public_id=_uuid(id)).first()
    if obj is None:
        raise Http404
    return JsonResponse(hx.taxonomy_json(obj))


def _term_qs():
    return TaxonomyTerm.objects.select_related("taxonomy", "parent").order_by("code", "name", "id")


@hsds_view
def taxonomy_terms(request):
    qs = _search(request, _term_qs(), "name", "code", "description")
    if request.GET.get("taxonomy_id"):
        qs = qs.filter(taxonomy__public_id=_uuid(request.GET["taxonomy_id"], "taxonomy_id"))
    if request.GET.get("parent_id"):
        qs = qs.filter(parent__public_id=_uuid(request.GET["parent_id"], "parent_id"))
    if request.GET.get("top_only") == "true":
        qs = qs.filter(parent__isnull=True)
    return _paged(request, qs, hx.term_json)


@hsds_view
def taxonomy_term(request, id):
    obj = _term_qs().filter(public_id=_uuid(id)).first()
    if obj is None:
        raise Http404
    return JsonResponse(hx.term_json(obj))
