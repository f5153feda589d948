"""Read HSDS files into the directory: HSDS 3.0 JSON, 3.0 CSV datapackages, 1.1 CSV datapackages.

Every flavour is first turned into the same flat HSDS 3.0 tables (``Tables``: table name to list
of row dicts), then ``actions.import_tables`` writes them in one transaction. Anything wrong with
the file itself raises ``ImportFailed`` with a sentence, and nothing is written.
"""

import csv
import json
import re
import uuid
from pathlib import Path

Tables = dict[str, list[dict]]

STORED_TABLES = (
    "taxonomies", "taxonomy_terms", "organizations", "services", "locations",
    "service_at_locations", "addresses", "phones", "schedules", "languages", "accessibility",
    "cost_options", "attributes",
)
# HSDS tables this directory does not keep; their rows are reported as skipped.
NOT_STORED = {
    "contacts": "contacts of named staff are not kept",
    "funding": "funding sources are not kept",
    "programs": "programs are not kept",
    "service_areas": "service areas are not kept",
    "required_documents": "required documents are not kept",
    "organization_identifiers": "organisation identifiers are not kept",
    "metadata": "change metadata is not kept",
    "meta_table_descriptions": "table descriptions are not kept",
    "holiday_schedules": "holiday closures are not kept",
    "payment_accepted": "payment methods are not kept",
    "eligibility": "",
}
CSV_30_FILES = {
    "organizations.csv": "organizations", "services.csv": "services",
    "locations.csv": "locations", "service_at_location.csv": "service_at_locations",
    "addresses.csv": "addresses", "phones.csv": "phones", "schedules.csv": "schedules",
    "languages.csv": "languages", "accessibility.csv": "accessibility",
    "cost_options.csv": "cost_options", "taxonomies.csv": "taxonomies",
    "taxonomy_terms.csv": "taxonomy_terms", "attributes.csv": "attributes",
    "contacts.csv": "contacts", "funding.csv": "funding", "programs.csv": "programs",
    "service_areas.csv": "service_areas", "required_documents.csv": "required_documents",
    "organization_identifiers.csv": "organization_identifiers", "metadata.csv": "metadata",
    "meta_table_descriptions.csv": "meta_table_descriptions",
}
MARKERS_11 = {
    "physical_addresses.csv", "postal_addresses.csv", "regular_schedules.csv",
    "services_at_location.csv", "services_taxonomy.csv", "taxonomy.csv",
    "accessibility_for_disabilities.csv",
}
MAX_FILE_BYTES = 200 * 1024 * 1024
NAMESPACE = uuid.UUID("6f0c7f62-3c1e-4c55-9a43-6b1f4b0f5e21")
WEEKDAYS_11 = {
    "1": "MO", "2": "TU", "3": "WE", "4": "TH", "5": "FR", "6": "SA", "7": "SU",
    "monday": "MO", "tuesday": "TU", "wednesday": "WE", "thursday": "TH", "friday": "FR",
    "saturday": "SA", "sunday": "SU",
    "mon": "MO", "tue": "TU", "wed": "WE", "thu": "TH", "fri": "FR", "sat": "SA", "sun": "SU",
    "mo": "MO", "tu": "TU", "we": "WE", "th": "TH", "fr": "FR", "sa": "SA", "su": "SU",
}
LANGUAGE_CODES = {
    "english": "en", "spanish": "es", "español": "es", "french": "fr", "français": "fr",
    "arabic": "ar", "chinese": "zh", "mandarin": "zh", "cantonese": "yue", "vietnamese": "vi",
    "korean": "ko", "tagalog": "tl", "russian": "ru", "portuguese": "pt", "haitian creole": "ht",
    "hindi": "hi", "urdu": "ur", "polish": "pl", "somali": "so", "amharic": "am",
    "american sign language": "ase", "asl": "ase", "thai": "th", "khmer": "km",
}


class ImportFailed(Exception):
    """The file cannot be imported; the message says why, in plain words."""


def stable_uuid(value, entity: str) -> uuid.UUID | None:
    """Return the HSDS id as a UUID; other ids (HSDS 1.1) map to a stable UUID per entity."""
    if value is None:
        return None
    text = str(value).strip()
    if not text:
        return None
    try:
        return uuid.UUID(text)
    except ValueError:
        return uuid.uuid5(NAMESPACE, f"{entity}:{text}")


def language_code(name: str) -> str:
    """Return a language code for a language name or code ("Spanish" -> "es")."""
    text = (name or "").strip()
    if re.fullmatch(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*", text) and text.casefold() not in LANGUAGE_CODES:
        return text.lower()
    return LANGUAGE_CODES.get(text.casefold(), "")


def read_path(path: str | Path) -> tuple[str, Tables]:
    """Return (flavour, tables) for a JSON file or a CSV datapackage (folder or datapackage.json)."""
    p = Path(path)
    if not p.exists():
        raise ImportFailed(f"{p} does not exist.")
    if p.is_file() and p.name == "datapackage.json":
        p = p.parent
    if p.is_dir():
        return _read_datapackage(p)
    if p.suffix.lower() == ".json":
        return "hsds-3.0-json", read_json_text(_read_text(p))
    if p.suffix.lower() == ".csv":
        return _read_datapackage(p.parent)
    raise ImportFailed(
        f"{p.name} is not an HSDS file: give a .json file or a folder with a CSV datapackage."
    )


def _read_text(p: Path) -> str:
    if p.stat().st_size > MAX_FILE_BYTES:
        raise ImportFailed(f"{p.name} is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB.")
    try:
        return p.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportFailed(f"{p.name} is not UTF-8 text (byte {exc.start}).") from None
    except OSError as exc:
        raise ImportFailed(f"{p.name} cannot be read: {exc.strerror}.") from None


# ---------------------------------------------------------------- HSDS 3.0 JSON


def read_json_text(text: str) -> Tables:
    """Flatten an HSDS 3.0 JSON document (object, list, page, or tabular) into tables."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ImportFailed(f"The JSON is not valid: {exc.msg} at line {exc.lineno}.") from None
    except RecursionError:
        raise ImportFailed("The JSON is nested too deeply to be a directory file.") from None
    tables: Tables = {}
    if isinstance(data, dict) and data and all(str(k).endswith(".csv") for k in data):
        for name, rows in data.items():
            table = CSV_30_FILES.get(name)
            if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
                raise ImportFailed(f"{name} must be a list of records.")
            if table is None:
                tables.setdefault("_unknown", []).extend({"table": name} for _ in rows)
                continue
            tables.setdefault(table, []).extend(dict(r) for r in rows)
        return tables
    flattener = _Flattener(tables)
    try:
        flattener.any(data, where="the document")
    except RecursionError:
        raise ImportFailed("The JSON is nested too deeply to be a directory file.") from None
    if not any(tables.get(t) for t in STORED_TABLES):
        raise ImportFailed("The JSON holds no HSDS services, organisations, locations or taxonomies.")
    return tables


def _kind(obj: dict) -> str | None:
    if "contents" in obj and isinstance(obj["contents"], list):
        return "page"
    if "location_type" in obj or "addresses" in obj:
        return "location"
    if "status" in obj:
        return "service"
    if "service" in obj or ("location" in obj and "name" not in obj):
        return "service_at_location"
    if any(k in obj for k in ("code", "taxonomy_id", "parent_id", "taxonomy_detail", "term_uri")):
        return "taxonomy_term"
    org_keys = {"email", "website", "tax_status", "legal_status", "year_incorporated", "services",
                "locations", "logo", "parent_organization_id", "alternate_name", "phones"}
    if "name" in obj and org_keys & obj.keys():
        return "organization"
    if "name" in obj and "version" in obj:
        return "taxonomy"
    if "name" in obj and "description" in obj:
        return "organization"
    return None


def _scalars(obj: dict) -> dict:
    return {k: v for k, v in obj.items() if not isinstance(v, (dict, list))}


class _Flattener:
    def __init__(self, tables: Tables):
        self.tables = tables

    def add(self, table: str, row: dict) -> None:
        self.tables.setdefault(table, []).append(row)

    def skip_nested(self, obj: dict, keys: dict[str, str]) -> None:
        for key, table in keys.items():
            value = obj.get(key)
            if isinstance(value, list):
                for _ in value:
                    self.add(table, {})
            elif isinstance(value, dict):
                self.add(table, {})

    def items(self, obj: dict, key: str) -> list[dict]:
        value = obj.get(key)
        if value is None:
            return []
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            raise ImportFailed(f'"{key}" of record {obj.get("id", "?")} must be a list of objects.')
        return value

    def any(self, data, *, where: str) -> None:
        if isinstance(data, list):
            for i, item in enumerate(data):
                self.any(item, where=f"item {i + 1} of {where}")
            return
        if not isinstance(data, dict):
            raise ImportFailed(f"{where} is not an HSDS object.")
        kind = _kind(data)
        if kind == "page":
            self.any(data["contents"], where="the page contents")
        elif kind is None:
            raise ImportFailed(f"{where} is not a recognisable HSDS record.")
        else:
            getattr(self, kind)(data)

    def organization(self, obj: dict) -> None:
        self.add("organizations", _scalars(obj))
        oid = obj.get("id")
        for phone in self.items(obj, "phones"):
            self.phone(phone, organization_id=oid)
        for loc in self.items(obj, "locations"):
            self.location(loc, organization_id=oid)
        for svc in self.items(obj, "services"):
            self.service(svc, organization_id=oid)
        for attr in self.items(obj, "attributes"):
            self.attribute(attr, oid, "organization")
        self.skip_nested(obj, {"funding": "funding", "contacts": "contacts", "programs": "programs",
                               "organization_identifiers": "organization_identifiers",
                               "metadata": "metadata"})

    def service(self, obj: dict, organization_id=None) -> None:
        row = _scalars(obj)
        org = obj.get("organization")
        if isinstance(org, dict):
            self.organization(org)
            row.setdefault("organization_id", org.get("id"))
        if organization_id and not row.get("organization_id"):
            row["organization_id"] = organization_id
        self.add("services", row)
        sid = obj.get("id")
        for phone in self.items(obj, "phones"):
            self.phone(phone, service_id=sid)
        for sched in self.items(obj, "schedules"):
            self.add("schedules", {**_scalars(sched), "service_id": sid})
        for sal in self.items(obj, "service_at_locations"):
            self.service_at_location(sal, service_id=sid)
        for lang in self.items(obj, "languages"):
            self.add("languages", {**_scalars(lang), "service_id": sid})
        for cost in self.items(obj, "cost_options"):
            self.add("cost_options", {**_scalars(cost), "service_id": sid})
        for attr in self.items(obj, "attributes"):
            self.attribute(attr, sid, "service")
        self.skip_nested(obj, {"funding": "funding", "contacts": "contacts", "program": "programs",
                               "service_areas": "service_areas", "metadata": "metadata",
                               "required_documents": "required_documents"})

    def service_at_location(self, obj: dict, service_id=None) -> None:
        row = _scalars(obj)
        svc = obj.get("service")
        if isinstance(svc, dict):
            self.service(svc)
            row.setdefault("service_id", svc.get("id"))
        if service_id and not row.get("service_id"):
            row["service_id"] = service_id
        loc = obj.get("location")
        if isinstance(loc, dict):
            self.location(loc)
            row.setdefault("location_id", loc.get("id"))
        self.add("service_at_locations", row)
        for phone in self.items(obj, "phones"):
            self.phone(phone, service_at_location_id=obj.get("id"))
        for sched in self.items(obj, "schedules"):
            self.add("schedules", {**_scalars(sched), "service_at_location_id": obj.get("id")})
        for attr in self.items(obj, "attributes"):
            self.attribute(attr, obj.get("id"), "service_at_location")
        self.skip_nested(obj, {"contacts": "contacts", "metadata": "metadata"})

    def location(self, obj: dict, organization_id=None) -> None:
        row = _scalars(obj)
        if organization_id and not row.get("organization_id"):
            row["organization_id"] = organization_id
        self.add("locations", row)
        lid = obj.get("id")
        for addr in self.items(obj, "addresses"):
            self.add("addresses", {**_scalars(addr), "location_id": lid})
        for phone in self.items(obj, "phones"):
            self.phone(phone, location_id=lid)
        for sched in self.items(obj, "schedules"):
            self.add("schedules", {**_scalars(sched), "location_id": lid})
        for lang in self.items(obj, "languages"):
            self.add("languages", {**_scalars(lang), "location_id": lid})
        for acc in self.items(obj, "accessibility"):
            self.add("accessibility", {**_scalars(acc), "location_id": lid})
        for attr in self.items(obj, "attributes"):
            self.attribute(attr, lid, "location")
        self.skip_nested(obj, {"contacts": "contacts", "metadata": "metadata"})

    def phone(self, obj: dict, **parent) -> None:
        row = _scalars(obj)
        for key, value in parent.items():
            if value and not row.get(key):
                row[key] = value
        self.add("phones", row)
        for lang in self.items(obj, "languages"):
            self.add("languages", {**_scalars(lang), "phone_id": obj.get("id")})

    def attribute(self, obj: dict, link_id, link_entity: str) -> None:
        row = _scalars(obj)
        row.setdefault("link_id", link_id)
        row.setdefault("link_entity", link_entity)
        term = obj.get("taxonomy_term")
        if isinstance(term, dict):
            self.taxonomy_term(term)
            row.setdefault("taxonomy_term_id", term.get("id"))
        self.add("attributes", row)

    def taxonomy_term(self, obj: dict) -> None:
        row = _scalars(obj)
        detail = obj.get("taxonomy_detail")
        if isinstance(detail, dict):
            self.taxonomy(detail)
            row.setdefault("taxonomy_id", detail.get("id"))
        self.add("taxonomy_terms", row)

    def taxonomy(self, obj: dict) -> None:
        self.add("taxonomies", _scalars(obj))


# ---------------------------------------------------------------- CSV datapackages


def _read_csv(p: Path) -> list[dict]:
    text = _read_text(p)
    try:
        reader = csv.DictReader(text.splitlines(keepends=True), restkey="_extra")
        rows = []
        for line, row in enumerate(reader, start=2):
            if row.get("_extra") is not None:
                raise ImportFailed(f"{p.name} line {line} has more values than the header.")
            if None in row.values() and any(v for v in row.values() if v):
                raise ImportFailed(f"{p.name} line {line} has fewer values than the header.")
            rows.append({k: (v if v != "" else None) for k, v in row.items() if k})
    except csv.Error as exc:
        raise ImportFailed(f"{p.name} is not valid CSV: {exc}.") from None
    if reader.fieldnames is None:
        raise ImportFailed(f"{p.name} is empty (no header line).")
    return rows


def _require_columns(p: Path, rows: list[dict], columns: tuple[str, ...]) -> None:
    header = _header(p)
    missing = [c for c in columns if c not in header]
    if missing:
        raise ImportFailed(f"{p.name} lacks the column(s): {', '.join(missing)}.")
    del rows


def _header(p: Path) -> list[str]:
    first = _read_text(p).splitlines()[:1]
    try:
        return next(csv.reader(first)) if first else []
    except csv.Error:
        return []


def _read_datapackage(folder: Path) -> tuple[str, Tables]:
    names = {f.name for f in folder.iterdir() if f.is_file()}
    declared = ""
    if "datapackage.json" in names:
        try:
            meta = json.loads((folder / "datapackage.json").read_text(encoding="utf-8-sig"))
            if isinstance(meta, dict):
                declared = str(meta.get("version", "") or meta.get("profile", ""))
        except (ValueError, OSError):
            declared = ""  # an unreadable descriptor: the CSV files speak for themselves
    if not ({"services.csv", "organizations.csv"} & names):
        raise ImportFailed(
            f"{folder} holds no services.csv or organizations.csv: it is not an HSDS datapackage."
        )
    is_11 = bool(MARKERS_11 & names) or declared.startswith("1.")
    if not is_11 and not ({"schedules.csv", "addresses.csv", "attributes.csv",
                           "service_at_location.csv", "taxonomy_terms.csv"} & names):
        header = _header(folder / "services.csv") if "services.csv" in names else []
        is_11 = bool(header) and "last_modified" not in header and "minimum_age" not in header
    if is_11:
        return "hsds-1.1-csv", _read_11(folder, names)
    return "hsds-3.0-csv", _read_30(folder, names)


def _read_30(folder: Path, names: set[str]) -> Tables:
    tables: Tables = {}
    for name in sorted(names):
        if not name.endswith(".csv"):
            continue
        table = CSV_30_FILES.get(name)
        rows = _read_csv(folder / name)
        if table is None:
            tables.setdefault("_unknown", []).extend({"table": name} for _ in rows)
            continue
        required = {"services": ("id", "name"), "organizations": ("id", "name")}.get(table, ("id",))
        _require_columns(folder / name, rows, required)
        tables[table] = rows
    return tables


def _read_11(folder: Path, names: set[str]) -> Tables:
    def rows(name: str, required: tuple[str, ...] = ("id",)) -> list[dict]:
        if name not in names:
            return []
        data = _read_csv(folder / name)
        _require_columns(folder / name, data, required)
        return data

    tables: Tables = {t: [] for t in STORED_TABLES}
    for r in rows("organizations.csv", ("id", "name")):
        tables["organizations"].append({**r, "website": r.get("url") or r.get("website")})
    eligibility: dict[str, list[str]] = {}
    for r in rows("eligibility.csv", ("id", "service_id")):
        if r.get("eligibility"):
            eligibility.setdefault(r["service_id"], []).append(r["eligibility"])
    for r in rows("services.csv", ("id", "name")):
        extra = "; ".join(eligibility.get(r["id"], []))
        desc = r.get("eligibility_description") or ""
        tables["services"].append(
            {**r, "eligibility_description": "; ".join(x for x in (desc, extra) if x) or None}
        )
    tables["locations"] = rows("locations.csv")
    for r in rows("services_at_location.csv", ("id", "service_id", "location_id")) + rows(
        "service_at_location.csv", ("id", "service_id", "location_id")
    ):
        tables["service_at_locations"].append(r)
    for name, kind in (("physical_addresses.csv", "physical"), ("postal_addresses.csv", "postal")):
        for r in rows(name, ("id", "location_id")):
            tables["addresses"].append({**r, "address_type": kind})
    for r in rows("phones.csv", ("id", "number")):
        tables["phones"].append(r)
        if r.get("language"):
            tables["languages"].append({
                "id": f"phone-language:{r['id']}", "phone_id": r["id"], "name": r["language"],
            })
    for r in rows("regular_schedules.csv", ("id", "weekday", "opens_at", "closes_at")):
        day = WEEKDAYS_11.get(str(r.get("weekday") or "").strip().casefold())
        if day is None:
            raise ImportFailed(
                f"regular_schedules.csv row {r['id']}: weekday {r.get('weekday')!r} is not a day "
                "of the week (1-7 or a day name)."
            )
        tables["schedules"].append({
            "id": r["id"], "service_id": r.get("service_id"), "location_id": r.get("location_id"),
            "service_at_location_id": r.get("service_at_location_id"), "freq": "WEEKLY",
            "byday": day, "opens_at": r.get("opens_at"), "closes_at": r.get("closes_at"),
        })
    for r in rows("languages.csv", ("id",)):
        tables["languages"].append({**r, "name": r.get("language") or r.get("name")})
    for r in rows("accessibility_for_disabilities.csv", ("id", "location_id")):
        tables["accessibility"].append(
            {**r, "description": r.get("accessibility") or r.get("description")}
        )
    for r in rows("taxonomy.csv", ("id", "name")):
        tables["taxonomy_terms"].append({
            "id": r["id"], "name": r["name"], "parent_id": r.get("parent_id"),
            "taxonomy": r.get("vocabulary"), "code": None if _is_uuid(r["id"]) else r["id"],
        })
    for r in rows("services_taxonomy.csv", ("id", "service_id", "taxonomy_id")):
        tables["attributes"].append({
            "id": r["id"], "link_id": r["service_id"], "link_entity": "service",
            "taxonomy_term_id": r["taxonomy_id"], "value": r.get("taxonomy_detail"),
        })
    for name in sorted(names):
        table = name.removesuffix(".csv")
        if name.endswith(".csv") and table in {
            "contacts", "fundings", "funding", "service_areas", "required_documents",
            "payment_accepted", "programs", "holiday_schedules", "metadata",
            "meta_table_descriptions",
        }:
            key = "funding" if table == "fundings" else table
            tables.setdefault(key, []).extend({} for _ in _read_csv(folder / name))
    return tables


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True
