"""Measure bulk export throughput and memory on the current (synthetic) database."""

import datetime
import os
import resource
import shutil
import time
import tracemalloc

from django.db import transaction
from django.utils import timezone

from safehaven.accounts.models import Membership, Site, User
from safehaven.accounts.roles import ensure_default_roles
from safehaven.consent.models import ConsentGrant
from safehaven.fhir import actions, bulk
from safehaven.fhir.models import SCOPE_EXPORT, ApiClient, ExportJob
from safehaven.people.models import Person

BENCH_REF = "00000000-0000-4000-8000-00000000be9c"


def prepare(consent_share: float = 1.0) -> ApiClient:
    """Create (once) an export client over every site and consents for a share of the people."""
    roles = ensure_default_roles()
    user, created = User.objects.get_or_create(username="bench-exporter", defaults={"display_name": "Bench exporter"})
    if created:
        Membership.objects.bulk_create(
            [Membership(user=user, site=site, role=roles["clinic_admin"]) for site in Site.objects.all()]
        )
    client = ApiClient.objects.filter(name="Benchmark partner").first()
    if client is None:
        client = actions.register_client(by="bench", name="Benchmark partner", acts_as=user,
                                         recipient_category="health_care", recipient_ref=BENCH_REF)
        actions.issue_token(by="bench", client=client, scopes=[SCOPE_EXPORT])
    if not ConsentGrant.objects.filter(recipient_ref=BENCH_REF).exists():
        now = timezone.now()
        step = max(1, round(1 / consent_share)) if consent_share > 0 else 0
        batch = []
        for n, pk in enumerate(Person.objects.order_by("pk").values_list("pk", flat=True).iterator(chunk_size=5000)):
            if step and n % step == 0:
                batch.append(ConsentGrant(
                    person_id=pk, recipient_kind="organization", recipient_ref=BENCH_REF,
                    recipient_label="Benchmark partner", recipient_category="health_care",
                    purposes=["treatment"], categories=["identity_contact", "clinical_summary"],
                    method="written", informed=True, recorded_by=user,
                    starts_at=now - datetime.timedelta(days=1), expires_at=now + datetime.timedelta(days=365),
                ))
            if len(batch) >= 5000:
                ConsentGrant.objects.bulk_create(batch)
                batch = []
        ConsentGrant.objects.bulk_create(batch)
    return client


def run(*, trace_memory: bool = False, types: tuple[str, ...] = ("Patient", "Encounter")) -> dict:
    """Run one system export end to end (the task body) and return the measurements.

    Wall time depends on how busy the machine is, so the process's own CPU time and the
    load average at the start are reported too.
    """
    client = prepare()
    load = os.getloadavg()[0]
    with transaction.atomic():
        job = actions.start_export(by=client.acts_as, client=client, level="system", types=list(types))
    ExportJob.objects.filter(pk=job.pk).update(status="in-progress")
    job.refresh_from_db()
    if trace_memory:
        tracemalloc.start()
    started, cpu_started = time.perf_counter(), time.process_time()
    stats = bulk.write_export(job)
    seconds = time.perf_counter() - started
    cpu = time.process_time() - cpu_started
    peak = tracemalloc.get_traced_memory()[1] if trace_memory else None
    if trace_memory:
        tracemalloc.stop()
    shutil.rmtree(actions.export_dir(job), ignore_errors=True)
    return {
        "people": stats.people,
        "resources": stats.resources,
        "counts": stats.counts,
        "seconds": round(seconds, 2),
        "resources_per_second": round(stats.resources / seconds) if seconds else None,
        # The export process's own CPU time (the database file is read in-process with SQLite):
        # a fairer figure than wall time on a shared, loaded machine.
        "cpu_seconds": round(cpu, 2),
        "resources_per_cpu_second": round(stats.resources / cpu) if cpu else None,
        "python_peak_mib": round(peak / 2**20, 1) if peak is not None else None,
        "max_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "load_average_1m": round(load, 2),
        "cpus": os.cpu_count(),
    }
