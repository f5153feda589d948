"""FHIR R4 read/search and Bulk Data export. Every answer is FHIR JSON; errors are
OperationOutcomes (never an HTML page, never a traceback)."""

import functools
import logging
import uuid
from urllib.parse import urlencode

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import FileResponse, Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.http import http_date
from django.views.decorators.csrf import csrf_exempt

from safehaven.access.gate import sites_with
from safehaven.accounts.models import Site
from safehaven.accounts.permissions import Perm
from safehaven.audit.actions import record
from safehaven.fhir import actions, search
from safehaven.fhir.access import (
    FhirError,
    authenticate,
    object_categories,
    permits,
    person_pk_of,
    readable,
    record_access,
)
from safehaven.fhir.bulk import export_types, run_export
from safehaven.fhir.capability import capability_statement
from safehaven.fhir.common import fhir_response, operation_outcome
from safehaven.fhir.models import ExportJob
from safehaven.fhir.registry import base_queryset, specs_by_type

logger = logging.getLogger(__name__)
NDJSON_FORMATS = {"application/fhir+ndjson", "application/ndjson", "ndjson"}


def fhir_view(methods):
    """Wrap a FHIR view: allowed methods, and errors as OperationOutcome."""

    def decorate(func):
        @csrf_exempt
        @functools.wraps(func)
        def wrapper(request, *args, **kwargs):
            if request.method not in methods:
                response = operation_outcome(405, f"Use {' or '.join(methods)} here.")
                response["Allow"] = ", ".join(methods)
                return response
            try:
                return func(request, *args, **kwargs)
            except FhirError as exc:
                return operation_outcome(exc.status, exc.message)
            except PermissionDenied as exc:
                return operation_outcome(403, str(exc) or "Not allowed.")
            except Http404:
                return operation_outcome(404, "No such resource.")
            except Exception:
                logger.exception("FHIR request failed")
                return operation_outcome(500, "The server could not answer this request.")

        return wrapper

    return decorate


def _specs(resource_type: str) -> list:
    specs = specs_by_type().get(resource_type)
    if not specs:
        raise FhirError(404, f"This server does not serve {resource_type[:60]} resources.")
    return specs


def _readable_specs(requester, specs) -> list:
    """Return (spec, readable queryset) for the specs the caller may read; 403 when none."""
    out, refused = [], None
    for spec in specs:
        try:
            out.append((spec, readable(requester, spec)))
        except FhirError as exc:
            refused = refused or exc
    if not out and refused is not None:
        raise refused
    return out


def _base(request) -> str:
    return request.build_absolute_uri(reverse("fhir:base")).rstrip("/")


@fhir_view(["GET"])
def metadata(request):
    """Return the CapabilityStatement (public, like every FHIR server's)."""
    return fhir_response(capability_statement(_base(request)))


@fhir_view(["GET"])
def base(request):
    raise FhirError(404, "Ask for a resource type, e.g. /fhir/r4/Patient, or /fhir/r4/metadata.")


@fhir_view(["GET"])
def read(request, resource_type, resource_id):
    """Return one resource the caller may see (404 when it is missing or not theirs).

    A type served by several models is looked up in each, in registry order.
    """
    requester = authenticate(request)
    specs = _specs(resource_type)
    try:
        pid = uuid.UUID(resource_id)
    except ValueError:
        raise FhirError(404, "No such resource.") from None
    holder = [spec for spec in specs if base_queryset(spec).filter(public_id=pid).exists()][:1]
    for spec, qs in _readable_specs(requester, holder or specs[:1]):
        obj = base_queryset(spec, qs).filter(public_id=pid).first()
        if obj is None:
            break
        person_pk = person_pk_of(spec, obj)
        if not permits(requester, spec, obj, person_pk):
            break
        resource = spec.to_fhir(obj)
        record_access(requester, action="fhir.read", resource_type=spec.type,
                      items=[(obj, person_pk, object_categories(spec, obj))], detail={"id": str(pid)})
        return fhir_response(resource)
    raise FhirError(404, "No such resource.")


def _parsed(specs, query) -> list:
    """Return (spec, parsed search) for each spec that understands every parameter given.

    A parameter one model cannot be filtered by means none of its rows can match; a
    parameter no model of the type understands is a 400 with the supported list.
    """
    names = set(query.keys())
    out = [(spec, search.parse(spec, query)) for spec in specs if names <= search.supported(spec)]
    if not out:
        search.parse(specs[0], query)  # raises the 400 naming what is unsupported
    return out


@fhir_view(["GET"])
def type_search(request, resource_type):
    """Return a searchset Bundle with paging links.

    Results of a type served by several models are their union, in registry order and
    then by row within each model, so that pages never overlap or skip.
    """
    requester = authenticate(request)
    specs = _specs(resource_type)
    parsed = _parsed(specs, request.GET)
    query = parsed[0][1]
    offset = (query.page - 1) * query.count
    skip, need, total = offset, query.count, 0
    items = []
    entries = []
    base_url = _base(request)
    refused, served = None, 0
    for spec, spec_query in parsed:
        try:  # each model in turn, so that the consent cache belongs to the rows checked below
            qs = base_queryset(spec, readable(requester, spec))
        except FhirError as exc:
            refused = refused or exc
            continue
        served += 1
        for condition in spec_query.filters:
            qs = qs.filter(condition)
        count = qs.count()
        total += count
        if need <= 0 or skip >= count:
            skip = max(0, skip - count)
            continue
        rows = list(qs.order_by("pk")[skip:skip + need])
        skip, need = 0, need - len(rows)
        for obj in rows:
            person_pk = person_pk_of(spec, obj)
            if not permits(requester, spec, obj, person_pk):
                continue
            resource = spec.to_fhir(obj)
            items.append((obj, person_pk, object_categories(spec, obj)))
            entries.append({"fullUrl": f"{base_url}/{spec.type}/{resource['id']}", "resource": resource,
                            "search": {"mode": "match"}})
    if not served and refused is not None:
        raise refused
    record_access(requester, action="fhir.search", resource_type=resource_type, items=items,
                  detail={"params": dict(query.params), "count": len(entries), "page": query.page})

    def link(relation, page):
        params = [(k, v) for k, v in query.params if k != "_count"]
        params += [("_count", str(query.count)), ("_page", str(page))]
        return {"relation": relation, "url": f"{base_url}/{resource_type}?{urlencode(params)}"}

    links = [link("self", query.page), link("first", 1)]
    if query.count and offset + query.count < total:
        links.append(link("next", query.page + 1))
    if query.page > 1:
        links.append(link("previous", query.page - 1))
    if query.count:
        links.append(link("last", max(1, -(-total // query.count))))
    bundle = {
        "resourceType": "Bundle",
        "type": "searchset",
        "timestamp": timezone.now().isoformat(timespec="seconds"),
        "total": total,
        "link": links,
        "entry": entries,
    }
    return fhir_response(bundle)


# --- Bulk Data export -----------------------------------------------------------------

def _export_requester(request):
    requester = authenticate(request)
    if not requester.external:
        raise FhirError(403, "Bulk export is for registered clients: use a bearer token with the export scope.")
    if not requester.may_export():
        raise FhirError(403, "This client is not allowed to export data.")
    return requester


def _kickoff(request, level: str, group_site=None):
    requester = _export_requester(request)
    allowed_params = {"_type", "_since", "_outputFormat"}
    unknown = sorted(set(request.GET.keys()) - allowed_params)
    if unknown:
        raise FhirError(400, f"Unsupported export parameter(s): {', '.join(unknown)[:200]}.")
    fmt = request.GET.get("_outputFormat", "application/fhir+ndjson")
    if fmt not in NDJSON_FORMATS:
        raise FhirError(400, "Only NDJSON output is available (_outputFormat=application/fhir+ndjson).")
    types: list[str] = []
    raw_types = ",".join(request.GET.getlist("_type"))
    if raw_types:
        available = {s.type for s in export_types(level, None)}
        types = sorted({t.strip() for t in raw_types.split(",") if t.strip()})
        bad = [t for t in types if t not in available]
        if bad:
            raise FhirError(400, f"Cannot export {', '.join(bad)[:200]} at this level. Available: {', '.join(sorted(available))}.")
    since = None
    if request.GET.get("_since"):
        _prefix, since, _end = search.parse_date_range("_since", request.GET["_since"])
    actions.purge_expired_exports()
    job = actions.start_export(
        by=requester.user, client=requester.client, level=level, types=types, since=since,
        group_site=group_site, request_url=request.build_absolute_uri(), ip=requester.ip,
    )
    run_export.enqueue(str(job.public_id))
    status_url = request.build_absolute_uri(reverse("fhir:export_status", args=[job.public_id]))
    return fhir_response(
        {"resourceType": "OperationOutcome", "issue": [{"severity": "information", "code": "informational",
                                                         "diagnostics": "Export accepted."}]},
        status=202, headers={"Content-Location": status_url},
    )


@fhir_view(["GET", "POST"])
def export_system(request):
    """Kick off a system-level export."""
    return _kickoff(request, "system")


@fhir_view(["GET", "POST"])
def export_patients(request):
    """Kick off a Patient-level export (all the people the client may export)."""
    return _kickoff(request, "patient")


@fhir_view(["GET", "POST"])
def export_group(request, group_id):
    """Kick off a Group export; a group is one clinic site's people."""
    requester = _export_requester(request)
    try:
        gid = uuid.UUID(group_id)
    except ValueError:
        raise FhirError(404, "No such group.") from None
    site = Site.objects.filter(public_id=gid, pk__in=sites_with(requester.user, Perm.EXPORT_DATA)).first()
    if site is None:
        raise FhirError(404, "No such group.")
    return _kickoff(request, "group", group_site=site)


def _job_for(request, job_id) -> tuple:
    requester = _export_requester(request)
    job = ExportJob.objects.filter(public_id=job_id, client=requester.client).first()
    if job is None or job.status == "cancelled":
        raise FhirError(404, "No such export.")
    if job.is_expired():
        actions.purge_expired_exports()
        raise FhirError(404, "This export has expired; its files were deleted. Start a new one.")
    return requester, job


@fhir_view(["GET", "DELETE"])
def export_status(request, job_id):
    """Report progress (202), the manifest (200) or the failure; DELETE cancels."""
    requester, job = _job_for(request, job_id)
    if request.method == "DELETE":
        actions.cancel_export(by=requester.user, job=job, ip=requester.ip)
        return fhir_response(
            {"resourceType": "OperationOutcome", "issue": [{"severity": "information", "code": "informational",
                                                             "diagnostics": "Export cancelled; its files are deleted."}]},
            status=202,
        )
    if job.status in {"accepted", "in-progress"}:
        response = fhir_response(
            {"resourceType": "OperationOutcome", "issue": [{"severity": "information", "code": "informational",
                                                             "diagnostics": "Export in progress."}]},
            status=202, headers={"X-Progress": (job.progress or job.status)[:100], "Retry-After": "5"},
        )
        return response
    if job.status == "failed":
        raise FhirError(500, job.error or "The export failed.")
    with transaction.atomic():
        record(by=requester.user, action="fhir.export.manifest", obj=job, ip=requester.ip)
    manifest = {
        "transactionTime": job.created_at.isoformat(timespec="seconds"),
        "request": job.request_url,
        "requiresAccessToken": True,
        "output": [
            {"type": item["type"], "count": item["count"],
             "url": request.build_absolute_uri(reverse("fhir:export_file", args=[job.public_id, item["file"]]))}
            for item in job.output
        ],
        "error": [],
    }
    response = fhir_response(manifest, headers={"Expires": http_date(job.expires_at.timestamp())})
    response["Content-Type"] = "application/json"
    return response


@fhir_view(["GET"])
def export_file(request, job_id, filename):
    """Stream one NDJSON file of a completed export to the client that asked for it."""
    requester, job = _job_for(request, job_id)
    names = {item["file"] for item in job.output}
    if job.status != "completed" or filename not in names:
        raise FhirError(404, "No such file.")
    path = actions.export_dir(job) / filename
    if not path.exists():
        raise FhirError(404, "No such file.")
    with transaction.atomic():
        record(by=requester.user, action="fhir.export.download", obj=job, ip=requester.ip,
               detail={"file": filename})
    response = FileResponse(open(path, "rb"), content_type="application/fhir+ndjson")
    response["Cache-Control"] = "no-store"
    return response
