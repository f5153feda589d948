"""The only write path of the directory: imports, demo and benchmark data, search indexes."""

import datetime
import re
import uuid
import zoneinfo
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from safehaven.audit.actions import record
from safehaven.directory import needs
from safehaven.directory.hsds_import import (
    NOT_STORED,
    ImportFailed,
    Tables,
    language_code,
    stable_uuid,
)
from safehaven.directory.models import (
    WEEKDAY_CODES,
    Accessibility,
    Address,
    Attribute,
    CostOption,
    Language,
    Location,
    OpeningSlot,
    Organization,
    Phone,
    Schedule,
    Service,
    ServiceAtLocation,
    ServiceLanguage,
    ServiceNeedDomain,
    Taxonomy,
    TaxonomyTerm,
)

# Safe Haven's own attributes, so flags survive an HSDS export and re-import.
FLAG_TAXONOMY_ID = uuid.UUID("0d6f1a8e-2f55-4a8e-9d3c-5b1f0c7d2a10")
FLAG_TERMS = {
    "sh-trauma-informed": ("trauma_informed", "Trauma-informed"),
    "sh-serves-survivors": ("serves_survivors", "Serves survivors"),
    "sh-involves-law-enforcement": ("involves_law_enforcement", "Involves law enforcement"),
    "sh-free": ("free_of_charge", "Free of charge"),
    "sh-gender": ("gender", "Gender eligibility"),
}
GENDERS = ("women", "men", "nonbinary")


@dataclass
class ImportReport:
    """What an import did: counts per table, and why rows were skipped."""

    flavour: str = ""
    imported: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    updated: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    skipped: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    reasons: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def skip(self, table: str, reason: str) -> None:
        self.skipped[table] += 1
        if len(self.reasons) < 200:
            self.reasons.append(f"{table}: {reason}")

    def note(self, text: str) -> None:
        if len(self.notes) < 200:
            self.notes.append(text)

    def as_text(self) -> str:
        tables = sorted(set(self.imported) | set(self.updated) | set(self.skipped))
        lines = [f"Format: {self.flavour}"]
        for t in tables:
            lines.append(
                f"  {t}: {self.imported.get(t, 0)} imported, {self.updated.get(t, 0)} updated, "
                f"{self.skipped.get(t, 0)} skipped"
            )
        if self.reasons:
            lines.append("Skipped:")
            lines += [f"  - {r}" for r in self.reasons]
        if self.notes:
            lines.append("Notes:")
            lines += [f"  - {n}" for n in self.notes]
        return "\n".join(lines)


# ---------------------------------------------------------------- value readers


class _Row:
    """Typed reads of one imported row; a bad value fails the whole file with a sentence."""

    def __init__(self, table: str, row: dict):
        self.table, self.row = table, row
        self.label = f"{table} record {row.get('id') or '(no id)'}"

    def fail(self, field_name: str, problem: str):
        raise ImportFailed(f"{self.label}: {field_name} {problem}.")

    def text(self, key: str, max_length: int | None = None) -> str:
        value = self.row.get(key)
        if value is None:
            return ""
        if isinstance(value, (dict, list)):
            self.fail(key, "must be text")
        out = _clean(str(value))
        return out[:max_length] if max_length else out

    def as_int(self, key: str) -> int | None:
        value = self.row.get(key)
        if value in (None, ""):
            return None
        try:
            number = float(str(value).strip())
        except ValueError:
            self.fail(key, f"must be a number, not {str(value)[:30]!r}")
        if number != int(number) or number < 0 or number > 10**9:
            self.fail(key, "must be a whole number of zero or more")
        return int(number)

    def as_float(self, key: str) -> float | None:
        value = self.row.get(key)
        if value in (None, ""):
            return None
        try:
            return float(str(value).strip())
        except ValueError:
            self.fail(key, f"must be a number, not {str(value)[:30]!r}")

    def as_decimal(self, key: str) -> Decimal | None:
        value = self.row.get(key)
        if value in (None, ""):
            return None
        try:
            out = Decimal(str(value).strip())
        except InvalidOperation:
            self.fail(key, f"must be an amount, not {str(value)[:30]!r}")
        if not out.is_finite() or abs(out) >= 10**10:
            self.fail(key, "is out of range")
        return out.quantize(Decimal("0.01"))

    def as_date(self, key: str) -> datetime.date | None:
        value = self.row.get(key)
        if value in (None, ""):
            return None
        text = str(value).strip()
        try:
            parsed = parse_date(text[:10])
        except ValueError:
            parsed = None
        if parsed is None:
            self.fail(key, f"must be a date (YYYY-MM-DD), not {text[:30]!r}")
        return parsed

    def as_datetime(self, key: str) -> datetime.datetime | None:
        value = self.row.get(key)
        if value in (None, ""):
            return None
        text = str(value).strip()
        try:
            parsed = parse_datetime(text)
        except ValueError:
            parsed = None
        if parsed is None:
            day = self.as_date(key)
            parsed = datetime.datetime.combine(day, datetime.time()) if day else None
        if parsed is not None and timezone.is_naive(parsed):
            parsed = timezone.make_aware(parsed, datetime.UTC)
        return parsed

    def as_time(self, key: str) -> datetime.time | None:
        value = self.row.get(key)
        if value in (None, ""):
            return None
        text = str(value).strip()
        match = re.fullmatch(r"(\d{1,2}):(\d{2})(?::(\d{2}))?(?:\.\d+)?(Z|[+-]\d{2}:?\d{2})?", text)
        if not match:
            self.fail(key, f"must be a time (HH:MM), not {text[:30]!r}")
        hour, minute = int(match.group(1)), int(match.group(2))
        if hour == 24 and minute == 0:
            return datetime.time(23, 59, 59)
        if hour > 23 or minute > 59:
            self.fail(key, f"must be a time (HH:MM), not {text[:30]!r}")
        return datetime.time(hour, minute, int(match.group(3) or 0))

    def choice(self, key: str, allowed: set[str], default: str) -> str:
        value = self.text(key).strip()
        if not value:
            return default
        folded = value.casefold()
        for option in allowed:
            if option.casefold() == folded:
                return option
        self.fail(key, f"must be one of {', '.join(sorted(allowed))}, not {value[:30]!r}")
        return default

    def id(self, key: str, entity: str) -> uuid.UUID | None:
        value = self.row.get(key)
        if isinstance(value, (dict, list)):
            self.fail(key, "must be an identifier")
        return stable_uuid(value, entity)


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _clean(text: str) -> str:
    """Drop control characters (keep tabs and newlines); strip surrounding space."""
    return _CONTROL.sub("", text).strip()


def _valid_zone(name: str) -> bool:
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return False
    return True


def _zone_for_offset(offset: float | None) -> str | None:
    if offset is None or offset != int(offset) or not -12 <= offset <= 14:
        return None
    hours = int(offset)
    return "UTC" if hours == 0 else f"Etc/GMT{-hours:+d}"


# ---------------------------------------------------------------- import


@transaction.atomic
def import_tables(*, tables: Tables, flavour: str, by: Any, source: str = "") -> ImportReport:
    """Write HSDS tables into the directory, all or nothing; return what happened."""
    report = ImportReport(flavour=flavour)
    for table, reason in NOT_STORED.items():
        for _ in tables.get(table, []):
            report.skip(table, reason or "stored as the eligibility description")
    for row in tables.get("_unknown", []):
        report.skip("other", f"{row.get('table')} is not an HSDS table")
    _Importer(tables, report).run()
    record(
        by=by,
        action="directory.import",
        detail={
            "flavour": flavour,
            "source": str(source)[-200:],
            "imported": sum(report.imported.values()),
            "updated": sum(report.updated.values()),
            "skipped": sum(report.skipped.values()),
        },
    )
    return report


class _Importer:
    def __init__(self, tables: Tables, report: ImportReport):
        self.tables, self.report = tables, report
        self.touched_services: set[int] = set()
        self.flag_rows: dict[int, dict[str, str]] = defaultdict(dict)

    def unique_rows(self, table: str, entity: str | None = None):
        """Yield (public_id, _Row) once per id; rows without an id are skipped.

        HSDS JSON repeats a record wherever it is nested (a schedule under its service and
        under its location): the copies are merged, so the record keeps every parent link;
        copies that disagree on a value fail the file.
        """
        merged: dict[uuid.UUID, dict] = {}
        for raw in self.tables.get(table, []):
            row = _Row(table, raw)
            pid = row.id("id", entity or table)
            if pid is None:
                self.report.skip(table, "a record has no id")
                continue
            if pid not in merged:
                merged[pid] = dict(raw)
                continue
            into = merged[pid]
            for key, value in raw.items():
                if value in (None, "") or isinstance(value, (dict, list)):
                    continue
                if into.get(key) in (None, ""):
                    into[key] = value
                elif str(into[key]) != str(value):
                    row.fail(key, f"differs between two copies of the same record ({str(into[key])[:30]!r} and {str(value)[:30]!r})")
        for pid, raw in merged.items():
            yield pid, _Row(table, raw)

    def save(self, model, table: str, pid: uuid.UUID, values: dict, existing: dict):
        obj = existing.get(pid)
        if obj is None:
            obj = model(public_id=pid, **values)
            obj.save()
            existing[pid] = obj
            self.report.imported[table] += 1
        else:
            for k, v in values.items():
                setattr(obj, k, v)
            obj.save()
            self.report.updated[table] += 1
        return obj

    @staticmethod
    def existing(model, table_rows) -> dict:
        ids = [pid for pid, _ in table_rows]
        found: dict = {}
        for start in range(0, len(ids), 500):
            for obj in model.objects.filter(public_id__in=ids[start:start + 500]):
                found[obj.public_id] = obj
        return found

    def ref(self, row: _Row, key: str, entity: str, known: dict, model, *, required: bool):
        """Resolve a reference to a record in the file or already in the directory.

        A missing required reference skips the row (and says why); a missing optional one is
        left empty with a note. Return the object or None.
        """
        pid = row.id(key, entity)
        obj = None
        if pid is not None:
            obj = known.get(pid)
            if obj is None:
                obj = model.objects.filter(public_id=pid).first()
                if obj is not None:
                    known[pid] = obj
        if obj is not None:
            return obj
        if required:
            what = f"names {key} {row.row.get(key)}, which is not in the file or the directory" if pid else f"has no {key}"
            self.report.skip(row.table, f"{row.label} {what}")
        elif pid is not None:
            self.report.note(f"{row.label}: {key} {row.row.get(key)} is unknown and was left empty")
        return None

    def run(self) -> None:
        taxonomies = self.import_taxonomies()
        terms = self.import_terms(taxonomies)
        orgs = self.import_organizations()
        services = self.import_services(orgs)
        locations = self.import_locations(orgs)
        sals = self.import_sals(services, locations)
        self.import_addresses(locations)
        phones = self.import_phones(orgs, services, locations, sals)
        self.import_schedules(services, locations, sals)
        self.import_languages(services, locations, phones)
        self.import_accessibility(locations)
        self.import_costs(services)
        self.import_attributes(terms, services)
        self.apply_flags(services)
        rebuild_search_index(service_ids=self.touched_services)

    def import_taxonomies(self) -> dict:
        rows = list(self.unique_rows("taxonomies"))
        known = self.existing(Taxonomy, rows)
        for pid, row in rows:
            name = row.text("name", 255)
            if not name:
                self.report.skip("taxonomies", f"{row.label} has no name")
                continue
            self.save(Taxonomy, "taxonomies", pid, {
                "name": name, "description": row.text("description"),
                "uri": row.text("uri", 500), "version": row.text("version", 60),
            }, known)
        return known

    def import_terms(self, taxonomies: dict) -> dict:
        rows = list(self.unique_rows("taxonomy_terms"))
        known = self.existing(TaxonomyTerm, rows)
        parents = []
        for pid, row in rows:
            name = row.text("name", 255)
            if not name:
                self.report.skip("taxonomy_terms", f"{row.label} has no name")
                continue
            taxonomy = self.ref(row, "taxonomy_id", "taxonomies", taxonomies, Taxonomy, required=False)
            term = self.save(TaxonomyTerm, "taxonomy_terms", pid, {
                "taxonomy": taxonomy, "taxonomy_name": row.text("taxonomy", 255),
                "code": row.text("code", 100), "name": name, "description": row.text("description"),
                "language": row.text("language", 20), "term_uri": row.text("term_uri", 500),
            }, known)
            parents.append((term, row))
        for term, row in parents:
            parent = self.ref(row, "parent_id", "taxonomy_terms", known, TaxonomyTerm, required=False)
            if parent is not None and parent.pk != term.pk:
                term.parent = parent
                term.save(update_fields=["parent"])
        return known

    def import_organizations(self) -> dict:
        rows = list(self.unique_rows("organizations"))
        known = self.existing(Organization, rows)
        parents = []
        for pid, row in rows:
            name = row.text("name", 255)
            if not name:
                self.report.skip("organizations", f"{row.label} has no name")
                continue
            org = self.save(Organization, "organizations", pid, {
                "name": name, "alternate_name": row.text("alternate_name", 255),
                "description": row.text("description"), "email": row.text("email", 255),
                "website": row.text("website", 500), "tax_status": row.text("tax_status", 100),
                "tax_id": row.text("tax_id", 100), "year_incorporated": row.as_int("year_incorporated"),
                "legal_status": row.text("legal_status", 255), "logo": row.text("logo", 500),
                "uri": row.text("uri", 500),
            }, known)
            parents.append((org, row))
        for org, row in parents:
            parent = self.ref(row, "parent_organization_id", "organizations", known, Organization, required=False)
            if parent is not None and parent.pk != org.pk:
                org.parent = parent
                org.save(update_fields=["parent"])
        return known

    def import_services(self, orgs: dict) -> dict:
        rows = list(self.unique_rows("services"))
        known = self.existing(Service, rows)
        statuses = {"active", "inactive", "defunct", "temporarily closed"}
        for pid, row in rows:
            name = row.text("name", 255)
            if not name:
                self.report.skip("services", f"{row.label} has no name")
                continue
            org = self.ref(row, "organization_id", "organizations", orgs, Organization, required=False)
            min_age, max_age = row.as_int("minimum_age"), row.as_int("maximum_age")
            if min_age is not None and max_age is not None and min_age > max_age:
                row.fail("minimum_age", "is above maximum_age")
            service = self.save(Service, "services", pid, {
                "organization": org, "name": name,
                "alternate_name": row.text("alternate_name", 255),
                "description": row.text("description"), "url": row.text("url", 500),
                "email": row.text("email", 255),
                "status": row.choice("status", statuses, "active"),
                "interpretation_services": row.text("interpretation_services"),
                "application_process": row.text("application_process"),
                "fees_description": row.text("fees_description"),
                "wait_time": row.text("wait_time", 255), "fees": row.text("fees"),
                "accreditations": row.text("accreditations"),
                "eligibility_description": row.text("eligibility_description"),
                "minimum_age": min(min_age, 150) if min_age is not None else None,
                "maximum_age": min(max_age, 150) if max_age is not None else None,
                "assured_date": row.as_date("assured_date"),
                "assurer_email": row.text("assurer_email", 255),
                "licenses": row.text("licenses"), "alert": row.text("alert"),
                "last_modified": row.as_datetime("last_modified") or timezone.now(),
            }, known)
            self.touched_services.add(service.pk)
        return known

    def import_locations(self, orgs: dict) -> dict:
        rows = list(self.unique_rows("locations"))
        known = self.existing(Location, rows)
        for pid, row in rows:
            org = self.ref(row, "organization_id", "organizations", orgs, Organization, required=False)
            lat, lon = row.as_float("latitude"), row.as_float("longitude")
            if lat is not None and lon is not None and not (-90 <= lat <= 90 and -180 <= lon <= 180):
                self.report.note(f"{row.label}: coordinates {lat}, {lon} are impossible and were left empty")
                lat = lon = None
            if (lat is None) != (lon is None):
                lat = lon = None
            values = {
                "organization": org,
                "location_type": row.choice("location_type", {"physical", "postal", "virtual"}, "physical"),
                "url": row.text("url", 500), "name": row.text("name", 255),
                "alternate_name": row.text("alternate_name", 255),
                "description": row.text("description"), "transportation": row.text("transportation"),
                "latitude": lat, "longitude": lon,
                "external_identifier": row.text("external_identifier", 255),
                "external_identifier_type": row.text("external_identifier_type", 255),
            }
            self.save(Location, "locations", pid, values, known)
        return known

    def import_sals(self, services: dict, locations: dict) -> dict:
        rows = list(self.unique_rows("service_at_locations"))
        known = self.existing(ServiceAtLocation, rows)
        for pid, row in rows:
            service = self.ref(row, "service_id", "services", services, Service, required=True)
            location = None
            if service is not None:
                location = self.ref(row, "location_id", "locations", locations, Location, required=True)
            if service is None or location is None:
                continue
            clash = ServiceAtLocation.objects.filter(service=service, location=location).exclude(public_id=pid).first()
            if clash is not None:
                known[pid] = clash
                self.report.skip("service_at_locations", f"{row.label} repeats a service at a location already linked")
                continue
            self.save(ServiceAtLocation, "service_at_locations", pid, {
                "service": service, "location": location, "description": row.text("description"),
            }, known)
            self.touched_services.add(service.pk)
        return known

    def import_addresses(self, locations: dict) -> None:
        rows = list(self.unique_rows("addresses"))
        known = self.existing(Address, rows)
        for pid, row in rows:
            location = self.ref(row, "location_id", "locations", locations, Location, required=True)
            if location is None:
                continue
            self.save(Address, "addresses", pid, {
                "location": location, "attention": row.text("attention", 255),
                "address_1": row.text("address_1", 255), "address_2": row.text("address_2", 255),
                "city": row.text("city", 120), "region": row.text("region", 120),
                "state_province": row.text("state_province", 120),
                "postal_code": row.text("postal_code", 40), "country": row.text("country", 2).upper(),
                "address_type": row.choice("address_type", {"physical", "postal", "virtual"}, "physical"),
            }, known)

    def import_phones(self, orgs, services, locations, sals) -> dict:
        rows = list(self.unique_rows("phones"))
        known = self.existing(Phone, rows)
        for pid, row in rows:
            number = row.text("number", 60).strip('"').strip()
            if not number:
                self.report.skip("phones", f"{row.label} has no number")
                continue
            links = {
                "organization": self.ref(row, "organization_id", "organizations", orgs, Organization, required=False),
                "service": self.ref(row, "service_id", "services", services, Service, required=False),
                "location": self.ref(row, "location_id", "locations", locations, Location, required=False),
                "service_at_location": self.ref(row, "service_at_location_id", "service_at_locations", sals, ServiceAtLocation, required=False),
            }
            if not any(links.values()):
                self.report.skip("phones", f"{row.label} belongs to nothing in the directory (perhaps a contact)")
                continue
            self.save(Phone, "phones", pid, {
                **links, "number": number, "extension": row.as_int("extension"),
                "type": row.text("type", 20), "description": row.text("description"),
            }, known)
        return known

    def import_schedules(self, services, locations, sals) -> None:
        rows = list(self.unique_rows("schedules"))
        known = self.existing(Schedule, rows)
        for pid, row in rows:
            service = self.ref(row, "service_id", "services", services, Service, required=False)
            location = self.ref(row, "location_id", "locations", locations, Location, required=False)
            sal = self.ref(row, "service_at_location_id", "service_at_locations", sals, ServiceAtLocation, required=False)
            if not (service or location or sal):
                self.report.skip("schedules", f"{row.label} belongs to no service or location in the directory")
                continue
            offset = row.as_float("timezone")
            zone_location = location or (sal.location if sal else None)
            if zone_location is None and service is not None:
                first = service.service_at_locations.select_related("location").first()
                zone_location = first.location if first else None
            zone = zone_location.time_zone if zone_location else (_zone_for_offset(offset) or settings.TIME_ZONE)
            freq = row.text("freq").upper()
            if freq not in ("", "WEEKLY", "MONTHLY"):
                row.fail("freq", "must be WEEKLY or MONTHLY")
            wkst = row.text("wkst").upper()
            if wkst and wkst not in WEEKDAY_CODES:
                row.fail("wkst", "must be a two-letter day code (MO...SU)")
            self.save(Schedule, "schedules", pid, {
                "service": service, "location": location, "service_at_location": sal,
                "valid_from": row.as_date("valid_from"), "valid_to": row.as_date("valid_to"),
                "dtstart": row.as_date("dtstart"), "timezone_offset": offset, "time_zone": zone,
                "until": row.as_date("until"), "count": row.as_int("count"), "wkst": wkst, "freq": freq,
                "interval": row.as_int("interval"), "byday": row.text("byday", 100).upper(),
                "byweekno": row.text("byweekno", 100), "bymonthday": row.text("bymonthday", 100),
                "byyearday": row.text("byyearday", 100), "description": row.text("description"),
                "opens_at": row.as_time("opens_at"), "closes_at": row.as_time("closes_at"),
                "schedule_link": row.text("schedule_link", 500),
                "attending_type": row.text("attending_type", 255), "notes": row.text("notes"),
            }, known)
            for svc in (service, sal.service if sal else None):
                if svc is not None:
                    self.touched_services.add(svc.pk)
            if location is not None and not (service or sal):
                self.touched_services.update(location.service_at_locations.values_list("service_id", flat=True))

    def import_languages(self, services, locations, phones) -> None:
        rows = list(self.unique_rows("languages"))
        known = self.existing(Language, rows)
        for pid, row in rows:
            service = self.ref(row, "service_id", "services", services, Service, required=False)
            location = self.ref(row, "location_id", "locations", locations, Location, required=False)
            phone = self.ref(row, "phone_id", "phones", phones, Phone, required=False)
            name, code = row.text("name", 100), row.text("code", 20).lower()
            if not (name or code):
                self.report.skip("languages", f"{row.label} names no language")
                continue
            if not (service or location or phone):
                self.report.skip("languages", f"{row.label} belongs to nothing in the directory")
                continue
            self.save(Language, "languages", pid, {
                "service": service, "location": location, "phone": phone, "name": name,
                "code": code or language_code(name), "note": row.text("note"),
            }, known)

    def import_accessibility(self, locations) -> None:
        rows = list(self.unique_rows("accessibility"))
        known = self.existing(Accessibility, rows)
        for pid, row in rows:
            location = self.ref(row, "location_id", "locations", locations, Location, required=True)
            if location is None:
                continue
            self.save(Accessibility, "accessibility", pid, {
                "location": location, "description": row.text("description"),
                "details": row.text("details"), "url": row.text("url", 500),
            }, known)

    def import_costs(self, services) -> None:
        rows = list(self.unique_rows("cost_options"))
        known = self.existing(CostOption, rows)
        for pid, row in rows:
            service = self.ref(row, "service_id", "services", services, Service, required=True)
            if service is None:
                continue
            self.save(CostOption, "cost_options", pid, {
                "service": service, "valid_from": row.as_date("valid_from"), "valid_to": row.as_date("valid_to"),
                "option": row.text("option"), "currency": row.text("currency", 3).upper(),
                "amount": row.as_decimal("amount"), "amount_description": row.text("amount_description"),
            }, known)

    def import_attributes(self, terms, services) -> None:
        rows = list(self.unique_rows("attributes"))
        known = self.existing(Attribute, rows)
        for pid, row in rows:
            term = self.ref(row, "taxonomy_term_id", "taxonomy_terms", terms, TaxonomyTerm, required=True)
            if term is None:
                continue
            entity = row.text("link_entity", 50)
            link_id = row.id("link_id", f"{entity}s" if entity and not entity.endswith("s") else entity)
            if link_id is None:
                self.report.skip("attributes", f"{row.label} is linked to nothing")
                continue
            service = None
            if entity in ("", "service", "services"):
                service = services.get(link_id) or Service.objects.filter(public_id=link_id).first()
            if service is not None and term.code in FLAG_TERMS:
                self.flag_rows[service.pk][term.code] = row.text("value")
            self.save(Attribute, "attributes", pid, {
                "taxonomy_term": term, "link_id": link_id, "link_type": row.text("link_type", 100),
                "link_entity": entity, "value": row.text("value"), "service": service,
            }, known)
            if service is not None:
                self.touched_services.add(service.pk)

    def apply_flags(self, services: dict) -> None:
        """Set survivor flags from Safe Haven attributes; derive free-of-charge from costs."""
        by_pk = {s.pk: s for s in services.values()}
        for pk, flags in self.flag_rows.items():
            service = by_pk.get(pk) or Service.objects.get(pk=pk)
            service.trauma_informed = _truthy(flags.get("sh-trauma-informed"))
            service.serves_survivors = _truthy(flags.get("sh-serves-survivors"))
            service.involves_law_enforcement = _truthy(flags.get("sh-involves-law-enforcement"))
            if "sh-free" in flags:
                service.free_of_charge = _truthy(flags["sh-free"])
            if "sh-gender" in flags:
                allowed = {g.strip() for g in flags["sh-gender"].split(",")}
                service.serves_women = "women" in allowed
                service.serves_men = "men" in allowed
                service.serves_nonbinary = "nonbinary" in allowed
            service.save()
        for service in services.values():
            if service.pk in self.flag_rows and "sh-free" in self.flag_rows[service.pk]:
                continue
            free = _looks_free(service)
            if free != service.free_of_charge:
                service.free_of_charge = free
                service.save(update_fields=["free_of_charge"])


def _truthy(value: str | None) -> bool:
    return (value or "true").strip().casefold() in {"true", "yes", "1", "y"}


_FREE = re.compile(r"\b(free|no cost|no charge|no fee)\b", re.IGNORECASE)


def _looks_free(service: Service) -> bool:
    """Return whether a service is free: every cost option is zero, or the fee text says so."""
    amounts = [c.amount for c in service.cost_options.all() if c.amount is not None]
    if amounts:
        return all(a == 0 for a in amounts)
    return bool(_FREE.search(f"{service.fees} {service.fees_description}"))


# ---------------------------------------------------------------- search indexes


def slots_for_schedule(schedule: Schedule) -> list[dict]:
    """Return the opening intervals of a schedule as local (weekday or monthday, minutes) rows.

    Overnight hours (closing at or before opening... e.g. 22:00-02:00) are split in two rows, the
    second on the next day. Rules this index cannot express exactly (an INTERVAL above 1, BYDAY
    with an ordinal such as 1MO, BYWEEKNO, BYYEARDAY) give no rows: such a service is never shown
    as open now, rather than shown open when it is not.
    """
    if schedule.opens_at is None or schedule.closes_at is None:
        return []
    if (schedule.interval or 1) > 1 or schedule.byweekno or schedule.byyearday:
        return []
    opens = schedule.opens_at.hour * 60 + schedule.opens_at.minute
    closes = schedule.closes_at.hour * 60 + schedule.closes_at.minute
    if schedule.closes_at.second == 59 and closes == 23 * 60 + 59:
        closes = 1440
    valid_to = schedule.valid_to
    if schedule.until and (valid_to is None or schedule.until < valid_to):
        valid_to = schedule.until
    base = {"valid_from": schedule.valid_from, "valid_to": valid_to, "time_zone": schedule.time_zone}
    days: list[tuple[str, int]] = []  # ("weekday" | "monthday", value)
    freq = schedule.freq or ("WEEKLY" if schedule.byday else "")
    if freq == "WEEKLY":
        codes = [c.strip() for c in schedule.byday.split(",") if c.strip()]
        if not codes and schedule.dtstart:
            codes = [WEEKDAY_CODES[schedule.dtstart.weekday()]]
        if not codes or any(c not in WEEKDAY_CODES for c in codes):
            return []
        days = [("weekday", WEEKDAY_CODES.index(c)) for c in dict.fromkeys(codes)]
    elif freq == "MONTHLY":
        if schedule.byday:
            return []
        try:
            numbers = [int(x) for x in schedule.bymonthday.split(",") if x.strip()]
        except ValueError:
            return []
        if not numbers or any(not 1 <= n <= 31 for n in numbers):
            return []
        days = [("monthday", n) for n in dict.fromkeys(numbers)]
    else:
        return []
    rows = []
    for kind, value in days:
        if closes > opens:
            rows.append({**base, kind: value, "opens_minute": opens, "closes_minute": closes})
        elif closes == opens:
            rows.append({**base, kind: value, "opens_minute": 0, "closes_minute": 1440})
        else:
            rows.append({**base, kind: value, "opens_minute": opens, "closes_minute": 1440})
            if closes > 0:
                nxt = (value + 1) % 7 if kind == "weekday" else value % 31 + 1
                rows.append({**base, kind: nxt, "opens_minute": 0, "closes_minute": closes})
    return rows


def rebuild_search_index(*, service_ids=None) -> None:
    """Rebuild need-domain and opening-hour index rows (for some services, or all)."""
    services = Service.objects.all()
    if service_ids is not None:
        service_ids = list(service_ids)
        if not service_ids:
            return
        services = services.filter(pk__in=service_ids)
    ids = list(services.values_list("pk", flat=True))
    for start in range(0, max(len(ids), 1), 900):
        _rebuild_chunk(ids[start:start + 900])


def _rebuild_chunk(ids: list[int]) -> None:
    if not ids:
        return
    id_set = set(ids)
    ServiceNeedDomain.objects.filter(service_id__in=ids).delete()
    terms: dict[int, list[tuple[str, str]]] = defaultdict(list)
    for sid, code, name in Attribute.objects.filter(service_id__in=ids).values_list(
        "service_id", "taxonomy_term__code", "taxonomy_term__name"
    ):
        if code not in FLAG_TERMS:
            terms[sid].append((code, name))
    rows = []
    for sid, name, description in Service.objects.filter(pk__in=ids).values_list(
        "pk", "name", "description"
    ):
        found = needs.domains_for_terms(terms[sid]) if terms[sid] else needs.domains_for_text(
            f"{name} {description}"
        )
        rows += [ServiceNeedDomain(service_id=sid, domain=d) for d in sorted(found)]
    ServiceNeedDomain.objects.bulk_create(rows, batch_size=1000)

    ServiceLanguage.objects.filter(service_id__in=ids).delete()
    languages: set[tuple[int, str]] = set()
    for sid, code in Language.objects.filter(service_id__in=ids).values_list("service_id", "code"):
        languages.add((sid, code))
    for sid, code in Language.objects.filter(phone__service_id__in=ids).values_list(
        "phone__service_id", "code"
    ):
        languages.add((sid, code))
    for sid, code in ServiceAtLocation.objects.filter(
        service_id__in=ids, location__languages__isnull=False
    ).values_list("service_id", "location__languages__code"):
        languages.add((sid, code))
    ServiceLanguage.objects.bulk_create(
        [ServiceLanguage(service_id=sid, code=code.lower()) for sid, code in sorted(languages) if code],
        batch_size=1000,
    )

    # Opening hours: every slot names the service it opens, including the hours of a location
    # (which apply to every service there), so "open now" is one indexed lookup.
    OpeningSlot.objects.filter(service_id__in=ids).delete()
    schedules = Schedule.objects.filter(
        Q(service_id__in=ids) | Q(service_at_location__service_id__in=ids)
    ).select_related("service_at_location")
    slots = []
    for schedule in schedules:
        service_id = schedule.service_id or schedule.service_at_location.service_id
        if service_id not in id_set:
            continue
        for row in slots_for_schedule(schedule):
            slots.append(OpeningSlot(schedule=schedule, service_id=service_id, **row))
    services_at: dict[int, list[int]] = defaultdict(list)
    for sid, lid in ServiceAtLocation.objects.filter(service_id__in=ids).values_list(
        "service_id", "location_id"
    ):
        services_at[lid].append(sid)
    location_schedules = Schedule.objects.filter(
        service__isnull=True, service_at_location__isnull=True, location_id__in=list(services_at)
    )
    for schedule in location_schedules:
        rows = slots_for_schedule(schedule)
        for sid in services_at[schedule.location_id]:
            for row in rows:
                slots.append(OpeningSlot(schedule=schedule, service_id=sid,
                                         location_id=schedule.location_id, **row))
    OpeningSlot.objects.bulk_create(slots, batch_size=1000)
