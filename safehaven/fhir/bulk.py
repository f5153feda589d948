"""FHIR Bulk Data export: a streaming NDJSON writer run as a background task.

Memory stays flat: people are taken in chunks of consecutive primary keys; for each
chunk we read the consents of those people (one query), then stream each resource
type's rows in that key range with `.iterator()` and write one line per resource.
Nothing collects all rows. Resources are converted with the plain-dict converters; they
are validated with `fhir.resources` in the tests, not on this hot path.
"""

import json
import logging
import os
import shutil
import uuid
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.db.models import F
from django.tasks import task
from django.utils import timezone

from safehaven.access.gate import sites_with
from safehaven.accounts.permissions import Perm
from safehaven.audit.actions import record
from safehaven.consent.models import ConsentGrant, Disclosure
from safehaven.fhir import actions, fastexport
from safehaven.fhir.access import Requester, consent_map, disclosure_rows
from safehaven.fhir.common import dumps
from safehaven.fhir.models import ExportJob
from safehaven.fhir.registry import ResourceSpec, every_spec, person_pk_lookup
from safehaven.people.models import Person

logger = logging.getLogger(__name__)
PEOPLE_PER_CHUNK = 5000
ROWS_PER_FETCH = 5000


class Cancelled(Exception):
    """The export was cancelled while it ran."""


@dataclass
class ExportStats:
    people: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def resources(self) -> int:
        return sum(self.counts.values())


def export_types(level: str, requested: list[str] | None) -> list[ResourceSpec]:
    """Return the specs to export: those of the requested types, or of every type that fits
    the level (every model of a type served by several)."""
    specs = every_spec()
    if level != "system":
        specs = [s for s in specs if s.person_path]
    if not requested:
        return specs
    return [s for s in specs if s.type in set(requested)]


def population(job: ExportJob):
    """Return the people an export may cover: those at sites where the requester may export."""
    sites = sites_with(job.requested_by, Perm.EXPORT_DATA)
    people = Person.objects.filter(site_id__in=sites)
    if job.group_site_id:
        people = people.filter(site_id=job.group_site_id)
    return people


def _chunks(ids_iter, size):
    chunk = []
    for pk in ids_iter:
        chunk.append(pk)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _rows(spec: ResourceSpec, lo: int, hi: int, since, allowed: set, chunk_size: int):
    """Return the queryset of the spec's rows for people lo..hi who may receive them."""
    lookup = person_pk_lookup(spec)
    qs = spec.model.objects.filter(**{f"{lookup}__gte": lo, f"{lookup}__lte": hi}).order_by()
    if len(allowed) < chunk_size:  # some people in this range may not receive: skip them in SQL
        qs = qs.filter(**{f"{lookup}__in": sorted(allowed)})
    if since is not None:
        qs = qs.filter(**{f"{spec.updated_field}__gte": since})
    return qs


def _write_lines(lines, allowed: set, write, batch: int = 2000) -> tuple[int, set]:
    """Write (person pk, line) pairs of people in `allowed`; return (lines written, people sent)."""
    written = 0
    people: set = set()
    buffer: list[str] = []
    for pk, line in lines:
        if pk not in allowed:  # a person of this key range outside the export's population
            continue
        buffer.append(line)
        people.add(pk)
        if len(buffer) >= batch:
            write("\n".join(buffer))
            write("\n")
            written += len(buffer)
            buffer.clear()
    if buffer:
        write("\n".join(buffer))
        write("\n")
        written += len(buffer)
    return written, people


def _stream(spec: ResourceSpec, lo: int, hi: int, since, permitted, allowed: set, chunk_size: int):
    """Yield (person pk, resource) for the spec's rows of people lo..hi.

    A type may offer a fast path (`extra["export_rows"]`: queryset -> (pk, resource)
    pairs from value rows). Otherwise model objects go through `to_fhir`; objects with
    their own extra categories are dropped unless the person's consent covers them too.
    Yields (person pk, resource, categories sent or None for the type's own).
    """
    lookup = person_pk_lookup(spec)
    qs = _rows(spec, lo, hi, since, allowed, chunk_size)
    fast = spec.extra.get("export_rows")
    if fast is not None and spec.object_categories is None:
        for pk, resource in fast(qs):
            yield pk, resource, None
        return
    if spec.optimise:
        qs = spec.optimise(qs)
    if lookup != "pk":
        qs = qs.annotate(_sh_person_pk=F(lookup))
    wanted = set(spec.categories)
    for obj in qs.iterator(chunk_size=ROWS_PER_FETCH):
        pk = obj.pk if lookup == "pk" else obj._sh_person_pk
        cats = None
        if spec.object_categories is not None:
            cats = wanted | set(spec.object_categories(obj))
            if not cats <= permitted.get(pk, (frozenset(),))[0]:
                continue
        yield pk, spec.to_fhir(obj), cats


def insert_disclosures(requester: Requester, sent: dict[int, set], *, detail: dict) -> None:
    """Log what each person's consent let go to the client: one Disclosure row per person.

    Written with one prepared statement: the ORM's bulk_create spends most of its time
    compiling SQL for these wide rows. Values are prepared by the model's own fields.
    """
    if not sent:
        return
    template = disclosure_rows(requester, {0: []}, channel="fhir-bulk", detail=detail)[0]
    fields = [f for f in Disclosure._meta.concrete_fields if not f.primary_key]
    table = connection.ops.quote_name(Disclosure._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    sql = f"INSERT INTO {table} ({columns}) VALUES ({', '.join(['%s'] * len(fields))})"  # noqa: S608 (names from model meta)
    constant = {f.attname: f.get_db_prep_save(getattr(template, f.attname), connection) for f in fields}
    by_name = {f.attname: f for f in fields}
    prepared: dict = {}
    sqlite = connection.vendor == "sqlite"

    def prep(name, value):
        key = (name, tuple(value))
        if key not in prepared:
            prepared[key] = by_name[name].get_db_prep_save(list(value), connection)
        return prepared[key]

    def prep_uuid(value):  # SQLite stores UUIDs as 32 hex digits
        return value.hex if sqlite else by_name["public_id"].get_db_prep_save(value, connection)

    def prep_ids(ids):  # one person's consent ids: unique, so not worth a cache
        return json.dumps(list(ids)) if sqlite else by_name["consent_ids"].get_db_prep_save(list(ids), connection)

    names = [f.attname for f in fields]
    at = {name: i for i, name in enumerate(names)}
    base_row = [constant[name] for name in names]
    cache = requester._consent_cache
    params = []
    for person_pk, cats in sent.items():
        _c, consent_ids = cache.get(person_pk, (frozenset(), ()))
        row = base_row.copy()
        row[at["public_id"]] = prep_uuid(uuid.uuid4())
        row[at["person_id"]] = person_pk
        row[at["categories"]] = prep("categories", sorted(cats))
        row[at["consent_ids"]] = prep_ids(consent_ids)
        params.append(row)
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)


def write_export(job: ExportJob, *, check_every: int = 1) -> ExportStats:
    """Write the NDJSON files of a job and return what was written."""
    started = timezone.now()
    requester = Requester(user=job.requested_by, client=job.client)
    specs = export_types(job.level, job.types)
    person_specs = [s for s in specs if s.person_path]
    other_specs = [s for s in specs if not s.person_path]
    folder = actions.export_dir(job)
    folder.mkdir(parents=True, exist_ok=True)
    types = list(dict.fromkeys(s.type for s in specs))  # one file per type, whatever the models
    stats = ExportStats(counts=dict.fromkeys(types, 0))
    files = {t: open(folder / f"{t}.ndjson", "w", encoding="utf-8", buffering=1 << 20) for t in types}
    try:
        people = population(job)
        total = people.count()
        ids = people.order_by("pk").values_list("pk", flat=True).iterator(chunk_size=PEOPLE_PER_CHUNK)
        for n, chunk in enumerate(_chunks(ids, PEOPLE_PER_CHUNK)):
            if n % check_every == 0 and ExportJob.objects.filter(pk=job.pk, status="cancelled").exists():
                raise Cancelled
            lo, hi = chunk[0], chunk[-1]
            members = set(chunk)
            permitted = consent_map(requester, ConsentGrant.objects.filter(person_id__gte=lo, person_id__lte=hi))
            requester._consent_cache = permitted
            sent: dict[int, set] = {}
            for spec in person_specs:
                wanted = set(spec.categories)
                allowed = {pk for pk, (cats, _ids) in permitted.items() if wanted <= cats and pk in members}
                if not allowed:
                    continue
                write = files[spec.type].write
                fast = fastexport.writer_for(spec)
                if fast is not None:
                    written, people_sent = _write_lines(fast(_rows(spec, lo, hi, job.since, allowed, len(chunk))),
                                                        allowed, write)
                    for pk in people_sent:
                        sent.setdefault(pk, set()).update(wanted)
                    stats.counts[spec.type] += written
                    continue
                written = 0
                for pk, resource, cats in _stream(spec, lo, hi, job.since, permitted, allowed, len(chunk)):
                    if pk not in allowed:
                        continue
                    write(dumps(resource))
                    write("\n")
                    written += 1
                    sent.setdefault(pk, set()).update(wanted if cats is None else cats)
                stats.counts[spec.type] += written
            stats.people += len(chunk)
            with transaction.atomic():
                insert_disclosures(requester, sent, detail={"export": str(job.public_id)})
                ExportJob.objects.filter(pk=job.pk).exclude(status="cancelled").update(
                    progress=f"{min(stats.people, total)} of {total} people"
                )
        for spec in other_specs:
            qs = spec.model.objects.all()
            if job.since is not None:
                qs = qs.filter(**{f"{spec.updated_field}__gte": job.since})
            if spec.optimise:
                qs = spec.optimise(qs)
            for obj in qs.iterator(chunk_size=ROWS_PER_FETCH):
                files[spec.type].write(dumps(spec.to_fhir(obj)) + "\n")
                stats.counts[spec.type] += 1
    finally:
        for handle in files.values():
            handle.close()
    for name in types:
        if stats.counts[name] == 0:
            os.remove(folder / f"{name}.ndjson")
    stats.seconds = (timezone.now() - started).total_seconds()
    return stats


@task
def run_export(job_id: str) -> dict:
    """Run one export job (the background task)."""
    job = ExportJob.objects.select_related("client", "requested_by").filter(public_id=job_id).first()
    if job is None or job.status != "accepted":
        return {"skipped": True}
    ExportJob.objects.filter(pk=job.pk, status="accepted").update(status="in-progress", progress="starting")
    try:
        stats = write_export(job)
    except Cancelled:
        shutil.rmtree(actions.export_dir(job), ignore_errors=True)
        return {"cancelled": True}
    except Exception:
        logger.exception("FHIR export %s failed", job.public_id)
        shutil.rmtree(actions.export_dir(job), ignore_errors=True)
        ExportJob.objects.filter(pk=job.pk).update(
            status="failed", error="The export could not be completed.", finished_at=timezone.now()
        )
        return {"failed": True}
    now = timezone.now()
    output = [{"type": t, "file": f"{t}.ndjson", "count": c} for t, c in stats.counts.items() if c]
    with transaction.atomic():
        updated = ExportJob.objects.filter(pk=job.pk, status="in-progress").update(
            status="completed", output=output, finished_at=now, expires_at=now + actions.export_ttl(),
            progress=f"{stats.people} people, {stats.resources} resources",
        )
        if updated:
            record(by=job.requested_by, action="fhir.export.complete", obj=job,
                   detail={"counts": stats.counts, "people": stats.people, "seconds": round(stats.seconds, 2)})
    if not updated:  # cancelled at the very end
        shutil.rmtree(actions.export_dir(job), ignore_errors=True)
        return {"cancelled": True}
    return {"resources": stats.resources}
