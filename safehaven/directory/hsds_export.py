"""Directory records as HSDS 3.0 JSON, for the export command and the /hsds/ API.

Confidential locations (shelters) never appear here: not the location, its addresses, its
coordinates, its phones nor its schedules. Nothing in this module takes a user: what it writes
is safe for anyone.
"""

import json
import re
from functools import cache
from pathlib import Path

from django.conf import settings
from django.db.models import Prefetch

from safehaven.directory.actions import FLAG_TAXONOMY_ID, FLAG_TERMS
from safehaven.directory.models import (
    Location,
    Organization,
    Phone,
    Schedule,
    Service,
    ServiceAtLocation,
    TaxonomyTerm,
)

SCHEMA_DIR = Path(settings.BASE_DIR).parent / "shared" / "standards" / "hsds-3.0" / "schema"
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_URI = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:[^\s]*$")


def _text(value) -> str | None:
    return value if value not in (None, "") else None


def _email(value: str) -> str | None:
    return value if value and _EMAIL.match(value) else None


def _uri(value: str) -> str | None:
    return value if value and _URI.match(value) else None


def _clean(d: dict) -> dict:
    return {k: v for k, v in d.items() if v is not None}


def _sid(value) -> str | None:
    return str(value) if value else None


def public_locations():
    return Location.objects.filter(confidential_location=False)


def service_queryset():
    """Return services with everything their HSDS form needs, in a fixed number of queries."""
    public_sals = ServiceAtLocation.objects.filter(location__confidential_location=False)
    return (
        Service.objects.select_related("organization")
        .prefetch_related(
            Prefetch("phones", queryset=Phone.objects.prefetch_related("languages")),
            Prefetch("schedules", queryset=Schedule.objects.all()),
            "languages",
            "cost_options",
            Prefetch("attributes", queryset=_attribute_qs()),
            Prefetch(
                "service_at_locations",
                queryset=public_sals.select_related("location").prefetch_related(
                    "phones", "schedules", "location__addresses", "location__languages",
                    "location__accessibility",
                    Prefetch("location__phones", queryset=Phone.objects.prefetch_related("languages")),
                    Prefetch("location__schedules", queryset=Schedule.objects.filter(
                        service__isnull=True, service_at_location__isnull=True)),
                ),
            ),
        )
        .order_by("name_folded", "id")
    )


def _attribute_qs():
    from safehaven.directory.models import Attribute

    return Attribute.objects.select_related("taxonomy_term", "taxonomy_term__taxonomy",
                                            "taxonomy_term__parent")


def taxonomy_json(taxonomy) -> dict:
    return _clean({
        "id": str(taxonomy.public_id), "name": taxonomy.name,
        "description": taxonomy.description or "", "uri": _uri(taxonomy.uri),
        "version": _text(taxonomy.version),
    })


def term_json(term: TaxonomyTerm) -> dict:
    return _clean({
        "id": str(term.public_id), "code": _text(term.code), "name": term.name,
        "description": term.description or "",
        "parent_id": _sid(term.parent.public_id if term.parent_id else None),
        "taxonomy": _text(term.taxonomy_name) or (term.taxonomy.name if term.taxonomy_id else None),
        "taxonomy_id": _sid(term.taxonomy.public_id if term.taxonomy_id else None),
        "language": _text(term.language), "term_uri": _uri(term.term_uri),
        "taxonomy_detail": taxonomy_json(term.taxonomy) if term.taxonomy_id else None,
    })


def _attribute_json(attr) -> dict:
    return _clean({
        "id": str(attr.public_id), "link_id": str(attr.link_id),
        "taxonomy_term_id": str(attr.taxonomy_term.public_id),
        "link_type": _text(attr.link_type), "link_entity": _text(attr.link_entity),
        "value": _text(attr.value), "taxonomy_term": term_json(attr.taxonomy_term),
    })


def _flag_attributes(service: Service) -> list[dict]:
    """Safe Haven's own flags as HSDS attributes, so they survive a round trip."""
    import uuid

    values = {
        "sh-trauma-informed": "true" if service.trauma_informed else "false",
        "sh-serves-survivors": "true" if service.serves_survivors else "false",
        "sh-involves-law-enforcement": "true" if service.involves_law_enforcement else "false",
        "sh-free": "true" if service.free_of_charge else "false",
        "sh-gender": ",".join(g for g, on in (("women", service.serves_women),
                                               ("men", service.serves_men),
                                               ("nonbinary", service.serves_nonbinary)) if on),
    }
    taxonomy = {"id": str(FLAG_TAXONOMY_ID), "name": "Safe Haven directory flags",
                "description": "Flags HSDS lacks: survivor-serving, trauma-informed, law enforcement."}
    out = []
    for code, (_, label) in FLAG_TERMS.items():
        term_id = uuid.uuid5(FLAG_TAXONOMY_ID, code)
        out.append({
            "id": str(uuid.uuid5(service.public_id, code)), "link_id": str(service.public_id),
            "taxonomy_term_id": str(term_id), "link_type": "flag", "link_entity": "service",
            "value": values[code],
            "taxonomy_term": {"id": str(term_id), "code": code, "name": label,
                              "description": label, "taxonomy": taxonomy["name"],
                              "taxonomy_id": taxonomy["id"], "taxonomy_detail": taxonomy},
        })
    return out


def _language_json(lang) -> dict:
    return _clean({"id": str(lang.public_id), "name": _text(lang.name), "code": _text(lang.code),
                   "note": _text(lang.note)})


def _phone_json(phone) -> dict:
    return _clean({
        "id": str(phone.public_id), "number": phone.number, "extension": phone.extension,
        "type": _text(phone.type), "description": _text(phone.description),
        "languages": [_language_json(lang) for lang in phone.languages.all()],
    })


def _schedule_json(s: Schedule) -> dict:
    return _clean({
        "id": str(s.public_id),
        "valid_from": s.valid_from.isoformat() if s.valid_from else None,
        "valid_to": s.valid_to.isoformat() if s.valid_to else None,
        "dtstart": s.dtstart.isoformat() if s.dtstart else None,
        "timezone": s.timezone_offset, "until": s.until.isoformat() if s.until else None,
        "count": s.count, "wkst": _text(s.wkst), "freq": _text(s.freq), "interval": s.interval,
        "byday": _text(s.byday), "byweekno": _text(s.byweekno), "bymonthday": _text(s.bymonthday),
        "byyearday": _text(s.byyearday), "description": _text(s.description),
        "opens_at": s.opens_at.strftime("%H:%M:%S") if s.opens_at else None,
        "closes_at": s.closes_at.strftime("%H:%M:%S") if s.closes_at else None,
        "schedule_link": _uri(s.schedule_link), "attending_type": _text(s.attending_type),
        "notes": _text(s.notes),
    })


def location_json(loc: Location) -> dict:
    """Return a public location; never call this with a confidential one."""
    assert not loc.confidential_location  # noqa: S101 - a programming error, not user input
    return _clean({
        "id": str(loc.public_id), "location_type": loc.location_type, "url": _uri(loc.url),
        "organization_id": _sid(loc.organization.public_id if loc.organization_id else None),
        "name": _text(loc.name), "alternate_name": _text(loc.alternate_name),
        "description": _text(loc.description), "transportation": _text(loc.transportation),
        "latitude": loc.latitude, "longitude": loc.longitude,
        "external_identifier": _text(loc.external_identifier),
        "external_identifier_type": _text(loc.external_identifier_type),
        "languages": [_language_json(x) for x in loc.languages.all()],
        "addresses": [
            _clean({
                "id": str(a.public_id), "attention": _text(a.attention), "address_1": a.address_1,
                "address_2": _text(a.address_2), "city": a.city, "region": _text(a.region),
                "state_province": a.state_province, "postal_code": a.postal_code,
                "country": a.country or "US", "address_type": a.address_type,
            })
            for a in loc.addresses.all()
        ],
        "accessibility": [
            _clean({"id": str(x.public_id), "description": _text(x.description),
                    "details": _text(x.details), "url": _uri(x.url)})
            for x in loc.accessibility.all()
        ],
        "phones": [_phone_json(p) for p in loc.phones.all()],
        "schedules": [_schedule_json(s) for s in loc.schedules.all()],
    })


def organization_json(org: Organization) -> dict:
    return _clean({
        "id": str(org.public_id), "name": org.name, "alternate_name": _text(org.alternate_name),
        "description": org.description or "", "email": _email(org.email),
        "website": _uri(org.website), "tax_status": _text(org.tax_status),
        "tax_id": _text(org.tax_id), "year_incorporated": org.year_incorporated,
        "legal_status": _text(org.legal_status), "logo": _text(org.logo), "uri": _uri(org.uri),
        "parent_organization_id": _sid(org.parent.public_id if org.parent_id else None),
    })


def sal_json(sal: ServiceAtLocation, *, with_service: bool = False) -> dict:
    out = {
        "id": str(sal.public_id), "service_id": str(sal.service.public_id),
        "location_id": str(sal.location.public_id), "description": _text(sal.description),
        "phones": [_phone_json(p) for p in sal.phones.all()],
        "schedules": [_schedule_json(s) for s in sal.schedules.all()],
        "location": location_json(sal.location),
    }
    if with_service:
        out["service"] = service_json(sal.service, with_locations=False)
    return _clean(out)


def service_json(service: Service, *, with_locations: bool = True) -> dict:
    out = {
        "id": str(service.public_id),
        "organization_id": _sid(service.organization.public_id if service.organization_id else None),
        "name": service.name, "alternate_name": _text(service.alternate_name),
        "description": _text(service.description), "url": _uri(service.url),
        "email": _email(service.email), "status": service.status,
        "interpretation_services": _text(service.interpretation_services),
        "application_process": _text(service.application_process),
        "fees_description": _text(service.fees_description), "wait_time": _text(service.wait_time),
        "fees": _text(service.fees), "accreditations": _text(service.accreditations),
        "eligibility_description": _text(service.eligibility_description),
        "minimum_age": service.minimum_age, "maximum_age": service.maximum_age,
        "assured_date": service.assured_date.isoformat() if service.assured_date else None,
        "assurer_email": _email(service.assurer_email), "licenses": _text(service.licenses),
        "alert": _text(service.alert),
        "last_modified": service.last_modified.isoformat().replace("+00:00", "Z"),
        "phones": [_phone_json(p) for p in service.phones.all()],
        "schedules": [_schedule_json(s) for s in service.schedules.all()],
        "languages": [_language_json(x) for x in service.languages.all()],
        "cost_options": [
            _clean({
                "id": str(c.public_id),
                "valid_from": c.valid_from.isoformat() if c.valid_from else None,
                "valid_to": c.valid_to.isoformat() if c.valid_to else None,
                "option": _text(c.option), "currency": _text(c.currency),
                "amount": float(c.amount) if c.amount is not None else None,
                "amount_description": _text(c.amount_description),
            })
            for c in service.cost_options.all()
        ],
        "attributes": [_attribute_json(a) for a in service.attributes.all()]
        + _flag_attributes(service),
        "organization": organization_json(service.organization) if service.organization_id else None,
    }
    if with_locations:
        out["service_at_locations"] = [
            sal_json(sal) for sal in service.service_at_locations.all()
            if not sal.location.confidential_location
        ]
    return _clean(out)


def page_json(items: list, *, total: int, page: int, per_page: int) -> dict:
    """Return an HSDS page object."""
    pages = max((total + per_page - 1) // per_page, 1)
    return {
        "total_items": total, "total_pages": pages, "page_number": page, "size": len(items),
        "first_page": page == 1, "last_page": page >= pages, "empty": not items,
        "contents": items,
    }


def export_document(chunk: int = 500) -> dict:
    """Return every service, fully nested, as one HSDS page (service_list shape)."""
    services = []
    ids = list(Service.objects.order_by("name_folded", "id").values_list("pk", flat=True))
    for start in range(0, len(ids), chunk):
        for service in service_queryset().filter(pk__in=ids[start:start + chunk]):
            services.append(service_json(service))
    return page_json(services, total=len(services), page=1, per_page=max(len(services), 1))


def write_export(path: str | Path) -> int:
    """Write the HSDS 3.0 export to path; return how many services it holds."""
    doc = export_document()
    Path(path).write_text(json.dumps(doc, ensure_ascii=False, indent=1), encoding="utf-8")
    return doc["total_items"]


@cache
def _registry():
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT202012

    resources = []
    for f in SCHEMA_DIR.glob("*.json"):
        if f.name == "openapi.json":
            continue
        contents = json.loads(f.read_text(encoding="utf-8"))
        resources.append((f.name, Resource(contents=contents, specification=DRAFT202012)))
    return Registry().with_resources(resources)


def validation_errors(document: dict, schema_name: str = "service.json") -> list[str]:
    """Return HSDS schema violations of a page of records (or of one record)."""
    import jsonschema

    registry = _registry()
    schema = registry.contents(schema_name)
    validator = jsonschema.Draft202012Validator(
        schema, registry=registry, format_checker=jsonschema.FormatChecker()
    )
    items = document["contents"] if "contents" in document else [document]
    errors = []
    for item in items:
        for err in validator.iter_errors(item):
            errors.append(f"{item.get('id')}: {'/'.join(map(str, err.path))}: {err.message}")
    return errors
