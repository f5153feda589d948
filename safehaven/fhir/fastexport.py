"""Bulk export fast path: NDJSON lines built straight from database rows.

The export's volume is in Patient and Encounter. For those, rows are read as plain
values (on SQLite, dates and UUIDs are read as text, so neither the sqlite3 module nor
Django parses them into objects only for us to format them back), and each line is
assembled from precomputed JSON pieces; only free text goes through the JSON encoder.
Encrypted text is decrypted only where the resource carries it (an Encounter's reason).

Each writer must give, for every row, exactly the resource the type's `to_fhir` gives
(tests compare them and validate samples with `fhir.resources` R4B). A type without a
writer here takes the ordinary path in `bulk._stream`.
"""

import base64
import json
from collections.abc import Callable, Iterator
from json.encoder import encode_basestring  # the C encoder json.dumps(ensure_ascii=False) uses

from django.db import connection
from django.db.models import F, TextField
from django.db.models.functions import Cast

from safehaven.fhir.resources.people import (
    ENCOUNTER_CLASS,
    ENCOUNTER_LABELS,
    LANGUAGE_SYSTEM,
    PATIENT_LABELS,
    SETTING_CLASS,
    SETTING_LABEL,
)
from safehaven.lib import crypto
from safehaven.people.models import Encounter, Person

FETCH = 5000


def _compact(value) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _as_text() -> bool:
    """Return whether dates and UUIDs are read as text (SQLite stores them as text)."""
    return connection.vendor == "sqlite"


def _instant(value) -> str:
    """Return a FHIR instant, as `common.instant` writes it, from a stored UTC value."""
    if value.__class__ is str:  # SQLite text: "YYYY-MM-DD HH:MM:SS[.ffffff]", always UTC
        return f"{value[:10]}T{value[11:19]}+00:00"
    return value.isoformat(timespec="seconds")


def _uuid(value) -> str:
    if value.__class__ is str:
        if len(value) == 32:  # SQLite stores UUIDs as 32 hex digits
            return f"{value[:8]}-{value[8:12]}-{value[12:16]}-{value[16:20]}-{value[20:]}"
        return value
    return str(value)


def _date(value) -> str:
    return value if value.__class__ is str else value.isoformat()


def _columns(qs, fields: list[str], *, keys: tuple[str, ...] = ()):
    """Return value rows of these fields, read raw where the database stores text.

    On SQLite every column but the integer `keys` is cast to text, so that neither the
    sqlite3 module's declared-type converters nor Django's field converters (dates,
    UUIDs, booleans, decryption) run: rows come back as the stored values. Elsewhere
    the ordinary typed values are read.
    """
    if not _as_text():
        return qs.values_list(*fields)
    exprs = {}
    for i, field in enumerate(fields):
        exprs[f"_c{i}"] = F(field) if field in keys else Cast(field, TextField())
    return qs.annotate(**exprs).values_list(*exprs)


def _reader(field):
    """Return a function giving the plaintext of an encrypted field's stored value.

    Where values are read raw, decryption happens here with the key ring read once per
    export; anything unusual (another format, an unknown key) goes to `crypto.decrypt`,
    which raises the same errors as reading the model would.
    """
    if not _as_text():
        return lambda value: value  # already decrypted by the field
    context = field.crypto_context
    aad = context.encode()
    _primary, keys = crypto.keyring()
    prefix = crypto.PREFIX
    cut = len(prefix)
    b64decode = base64.b64decode

    def read(stored):
        if not stored:
            return stored
        if stored.startswith(prefix):
            key_id, _sep, body = stored[cut:].partition(":")
            key = keys.get(key_id)
            if key is not None:
                try:
                    raw = b64decode(body)
                    return key.decrypt(raw[:12], raw[12:], aad).decode("utf-8")
                except Exception:  # noqa: S110 (crypto.decrypt below raises the proper error)
                    pass
        return crypto.decrypt(stored, context=context)

    return read


# --- Patient ------------------------------------------------------------------------------

_PATIENT_HEAD = '{"resourceType":"Patient","id":"'
_PATIENT_META = '","meta":{"lastUpdated":"'
_PATIENT_SECURITY = '","security":' + _compact(PATIENT_LABELS) + "}"
# Typed (True/False) or as SQLite stores booleans read as text ("1"/"0").
_ACTIVE = {True: ',"active":true', False: ',"active":false', "1": ',"active":true', "0": ',"active":false'}
_COMMUNICATION = {
    code: ',"communication":' + _compact([{
        "language": {"coding": [{"system": LANGUAGE_SYSTEM, "code": code}]}, "preferred": True,
    }])
    for code in ("en", "es", "fr")
}


def patient_lines(qs) -> Iterator[tuple[int, str]]:
    """Yield (person pk, NDJSON line) for the people of a queryset."""
    rows = _columns(qs, ["pk", "public_id", "updated_at", "active", "chosen_name",
                         "date_of_birth", "preferred_language"], keys=("pk",))
    head, meta, security, active_json, communication = (
        _PATIENT_HEAD, _PATIENT_META, _PATIENT_SECURITY, _ACTIVE, _COMMUNICATION)
    for pk, public_id, updated_at, active, name, birth, language in rows.iterator(chunk_size=FETCH):
        line = (f'{head}{_uuid(public_id)}{meta}{_instant(updated_at)}{security}{active_json[active]}'
                f',"name":[{{"use":"usual","text":{encode_basestring(name)}}}]')
        if birth:
            line += f',"birthDate":"{_date(birth)}"'
        yield pk, line + communication.get(language, "") + "}"


# --- Encounter ----------------------------------------------------------------------------

_ENCOUNTER_HEAD = '{"resourceType":"Encounter","id":"'
_ENCOUNTER_SECURITY = '","security":' + _compact(ENCOUNTER_LABELS) + '},"status":'


def _setting_json(setting: str) -> str:
    code, display = SETTING_CLASS.get(setting, ("AMB", "ambulatory"))
    return (',"class":' + _compact({"system": ENCOUNTER_CLASS, "code": code, "display": display})
            + ',"type":' + _compact([{"text": SETTING_LABEL.get(setting, setting)}]))


def encounter_lines(qs) -> Iterator[tuple[int, str]]:
    """Yield (person pk, NDJSON line) for the encounters of a queryset."""
    rows = _columns(qs, ["person_id", "public_id", "status", "setting", "chief_complaint",
                         "started_at", "ended_at", "created_at", "person__public_id"], keys=("person_id",))
    reason_text = _reader(Encounter._meta.get_field("chief_complaint"))
    patients: dict[int, str] = {}
    settings_json: dict[str, str] = {}
    statuses: dict[str, str] = {}
    head, security = _ENCOUNTER_HEAD, _ENCOUNTER_SECURITY
    for pk, public_id, status, setting, reason, started, ended, created, patient in rows.iterator(chunk_size=FETCH):
        setting_json = settings_json.get(setting)
        if setting_json is None:
            setting_json = settings_json[setting] = _setting_json(setting)
        status_json = statuses.get(status)
        if status_json is None:
            status_json = statuses[status] = encode_basestring(status)
        updated = ended if ended and ended > created else created
        if ended:
            period = f'{{"start":"{_instant(started)}","end":"{_instant(ended)}"}}'
        else:
            period = f'{{"start":"{_instant(started)}"}}'
        subject = patients.get(pk)
        if subject is None:
            subject = patients[pk] = _uuid(patient)
        line = (f'{head}{_uuid(public_id)}","meta":{{"lastUpdated":"{_instant(updated)}{security}{status_json}'
                f'{setting_json},"subject":{{"reference":"Patient/{subject}"}},"period":{period}')
        if reason:
            line += f',"reasonCode":[{{"text":{encode_basestring(reason_text(reason))}}}]'
        yield pk, line + "}"


LINES: dict[tuple[str, type], Callable[..., Iterator[tuple[int, str]]]] = {
    ("Patient", Person): patient_lines,
    ("Encounter", Encounter): encounter_lines,
}


def writer_for(spec) -> Callable[..., Iterator[tuple[int, str]]] | None:
    """Return the fast line writer of a spec, or None when it takes the ordinary path."""
    if spec.object_categories is not None:
        return None
    return LINES.get((spec.type, spec.model))
