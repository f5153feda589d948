"""FHIR search parameters: parse them strictly and turn them into queryset filters."""

import datetime
import re
import uuid
from dataclasses import dataclass

from django.utils import timezone

from safehaven.fhir.access import FhirError
from safehaven.fhir.registry import ResourceSpec

DEFAULT_COUNT = 50
MAX_COUNT = 200
COMMON = {"_count", "_page", "_lastUpdated", "_format", "_id"}
PREFIXES = ("eq", "ne", "gt", "lt", "ge", "le", "sa", "eb", "ap")
DATE_RE = re.compile(
    r"^(?P<y>\d{4})(-(?P<m>\d{2})(-(?P<d>\d{2})(T(?P<time>\d{2}:\d{2}(:\d{2}(\.\d+)?)?)(?P<tz>Z|[+-]\d{2}:\d{2})?)?)?)?$"
)


@dataclass
class Search:
    filters: list  # (lookup, value) pairs and Q objects
    count: int
    page: int
    params: list[tuple[str, str]]  # what was understood, for the links


def supported(spec: ResourceSpec) -> set[str]:
    names = set(COMMON)
    if spec.person_path and spec.person_path != "pk":
        names.add("patient")
    if spec.date_field:
        names.add("date")
    if spec.status_field:
        names.add("status")
    if spec.code_field:
        names.add("code")
    return names


def _int(name: str, raw: str, low: int, high: int) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise FhirError(400, f"{name} must be a whole number.") from None
    if not low <= value <= high:
        raise FhirError(400, f"{name} must be between {low} and {high}.")
    return value


def parse_date_range(name: str, raw: str) -> tuple[str, datetime.datetime, datetime.datetime]:
    """Return (prefix, start, end) for a FHIR date search value; the range is [start, end)."""
    prefix = "eq"
    if raw[:2] in PREFIXES:
        prefix, raw = raw[:2], raw[2:]
    if prefix in {"sa", "eb", "ap"}:
        raise FhirError(400, f"{name}: the prefix {prefix} is not supported; use eq, ne, gt, ge, lt or le.")
    match = DATE_RE.match(raw)
    if not match:
        raise FhirError(400, f"{name} must be a date like 2024, 2024-05, 2024-05-31 or 2024-05-31T10:00:00Z.")
    try:
        y = int(match["y"])
        m = int(match["m"] or 1)
        d = int(match["d"] or 1)
        tz = timezone.get_current_timezone()
        if match["time"]:
            text = f"{match['y']}-{match['m']}-{match['d']}T{match['time']}"
            start = datetime.datetime.fromisoformat(text)
            zone = match["tz"]
            if zone:
                start = datetime.datetime.fromisoformat(text + ("+00:00" if zone == "Z" else zone))
            else:
                start = timezone.make_aware(start, tz)
            step = datetime.timedelta(seconds=1)
            end = start + step
        else:
            start = timezone.make_aware(datetime.datetime(y, m, d), tz)
            if match["d"]:
                end = start + datetime.timedelta(days=1)
            elif match["m"]:
                end = timezone.make_aware(datetime.datetime(y + (m == 12), m % 12 + 1, 1), tz)
            else:
                end = timezone.make_aware(datetime.datetime(y + 1, 1, 1), tz)
    except (ValueError, OverflowError):
        raise FhirError(400, f"{name} is not a real date.") from None
    return prefix, start, end


def date_filters(field: str, name: str, raw: str):
    from django.db.models import Q

    prefix, start, end = parse_date_range(name, raw)
    if prefix == "eq":
        return Q(**{f"{field}__gte": start, f"{field}__lt": end})
    if prefix == "ne":
        return Q(**{f"{field}__lt": start}) | Q(**{f"{field}__gte": end})
    if prefix == "gt":
        return Q(**{f"{field}__gte": end})
    if prefix == "ge":
        return Q(**{f"{field}__gte": start})
    if prefix == "lt":
        return Q(**{f"{field}__lt": start})
    return Q(**{f"{field}__lt": end})  # le


def _uuid(name: str, raw: str) -> uuid.UUID:
    try:
        return uuid.UUID(raw)
    except ValueError:
        raise FhirError(400, f"{name} must be a resource id (a UUID).") from None


def parse(spec: ResourceSpec, query) -> Search:
    """Return the filters for a query string (a QueryDict); raise FhirError(400) on bad input."""
    from django.db.models import Q

    allowed = supported(spec)
    unknown = sorted(set(query.keys()) - allowed)
    if unknown:
        raise FhirError(
            400, f"Unsupported search parameter(s) for {spec.type}: {', '.join(unknown)[:200]}. "
            f"Supported: {', '.join(sorted(allowed))}.",
        )
    filters: list = []
    params: list[tuple[str, str]] = []
    count, page = DEFAULT_COUNT, 1
    for name in sorted(query.keys()):
        for raw in query.getlist(name):
            raw = raw.strip()
            if len(raw) > 200:
                raise FhirError(400, f"{name} is too long.")
            if name == "_format":
                if raw not in {"json", "application/json", "application/fhir+json"}:
                    raise FhirError(400, "Only JSON is available (_format=json).")
                continue
            if name == "_count":
                count = _int("_count", raw, 0, MAX_COUNT)
            elif name == "_page":
                page = _int("_page", raw, 1, 100000)
                continue
            elif name == "_id":
                ids = [_uuid("_id", v) for v in raw.split(",") if v]
                filters.append(Q(public_id__in=ids))
            elif name == "patient":
                value = raw.removeprefix("Patient/")
                filters.append(Q(**{f"{spec.person_path}__public_id": _uuid("patient", value)}))
            elif name == "date":
                filters.append(date_filters(spec.date_field, name, raw))
            elif name == "_lastUpdated":
                filters.append(date_filters(spec.updated_field, name, raw))
            elif name == "status":
                values = [v for v in raw.split(",") if v]
                if not values:
                    raise FhirError(400, "status needs a value.")
                filters.append(Q(**{f"{spec.status_field}__in": values}))
            elif name == "code":
                codes = []
                for token in raw.split(","):
                    system, sep, code = token.rpartition("|")
                    expected = spec.extra.get("code_system")
                    if sep and system and expected and system != expected:
                        continue
                    if code:
                        codes.append(code)
                filters.append(Q(**{f"{spec.code_field}__in": codes}))
            params.append((name, raw))
    return Search(filters=filters, count=count, page=page, params=params)
