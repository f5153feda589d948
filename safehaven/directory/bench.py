"""Search benchmark: `safehaven directory bench --services 20000`.

Generates synthetic services inside a transaction that is rolled back at the end (the database
is left as it was), runs a mix of realistic searches, and reports p50/p95 in milliseconds.
"""

import datetime
import random
import statistics
import time
import uuid

from django.db import transaction

from safehaven.core import dbstats
from safehaven.directory import actions, queries
from safehaven.directory.models import (
    Attribute,
    Language,
    Location,
    Organization,
    Schedule,
    Service,
    ServiceAtLocation,
    TaxonomyTerm,
)

CENTER = (37.77, -122.42)  # a synthetic city; no real addresses are generated
ZONES = ["America/Los_Angeles", "America/New_York"]
TERMS = [("BH-1800", "Emergency Shelter"), ("BD-1800", "Food Pantries"), ("FT-3000", "Immigration Law"),
         ("RP-1400", "Counseling"), ("RX-8470", "Substance Use Treatment"), ("LN-1500", "Medical Clinic"),
         ("ND-6500", "Job Training"), ("BM-6500", "Clothing")]
CODES = ["en", "es", "fr", "zh", "vi", "ar"]


def generate(n_services: int, seed: int = 7) -> None:
    """Create n synthetic services with locations, languages, schedules and taxonomy terms."""
    rng = random.Random(seed)
    terms = [TaxonomyTerm.objects.create(code=c, name=n) for c, n in TERMS]
    orgs = Organization.objects.bulk_create(
        [Organization(name=f"Bench organisation {i}") for i in range(max(n_services // 10, 1))]
    )
    services = Service.objects.bulk_create([
        Service(
            public_id=uuid.uuid4(), organization=rng.choice(orgs), name=f"Bench service {i:05d}",
            name_folded=f"bench service {i:05d}",
            minimum_age=rng.choice([None, None, 12, 18]), maximum_age=rng.choice([None, None, 24, 64]),
            free_of_charge=rng.random() < 0.6, trauma_informed=rng.random() < 0.3,
            serves_survivors=rng.random() < 0.1, involves_law_enforcement=rng.random() < 0.05,
            serves_men=rng.random() < 0.8,
        )
        for i in range(n_services)
    ], batch_size=2000)
    locations = Location.objects.bulk_create([
        Location(
            name=f"Bench site {i}", latitude=CENTER[0] + rng.uniform(-1, 1),
            longitude=CENTER[1] + rng.uniform(-1, 1), time_zone=rng.choice(ZONES),
            confidential_location=rng.random() < 0.02,
        )
        for i in range(n_services)
    ], batch_size=2000)
    ServiceAtLocation.objects.bulk_create(
        [ServiceAtLocation(service=s, location=loc) for s, loc in zip(services, locations, strict=True)],
        batch_size=2000,
    )
    langs, attrs, scheds = [], [], []
    for s, loc in zip(services, locations, strict=True):
        for code in {"en", rng.choice(CODES)}:
            langs.append(Language(service=s, code=code, name=code))
        term = rng.choice(terms)
        attrs.append(Attribute(taxonomy_term=term, link_id=s.public_id, link_entity="service", service=s))
        opens = rng.choice([7, 8, 9, 18, 22])
        closes = (opens + rng.choice([4, 8, 10])) % 24
        scheds.append(Schedule(
            service=s, time_zone=loc.time_zone, freq="WEEKLY",
            byday=",".join(rng.sample(["MO", "TU", "WE", "TH", "FR", "SA", "SU"], rng.randint(2, 7))),
            opens_at=datetime.time(opens), closes_at=datetime.time(closes),
        ))
    Language.objects.bulk_create(langs, batch_size=2000)
    Attribute.objects.bulk_create(attrs, batch_size=2000)
    Schedule.objects.bulk_create(scheds, batch_size=2000)
    actions.rebuild_search_index()


def _queries(rng: random.Random) -> dict:
    choice = rng.randrange(6)
    near = (CENTER[0] + rng.uniform(-0.5, 0.5), CENTER[1] + rng.uniform(-0.5, 0.5))
    if choice == 0:
        return {"domain": rng.choice(["housing", "food", "legal"]), "open_now": True}
    if choice == 1:
        return {"near": near, "within_km": 10, "language": "es"}
    if choice == 2:
        return {"domain": "mental_health", "near": near, "within_km": 15, "open_now": True, "free": True}
    if choice == 3:
        return {"serves_survivors": True, "trauma_informed": True, "gender": "woman", "age": 19}
    if choice == 4:
        return {"language": rng.choice(CODES), "open_now": True, "exclude_law_enforcement": True}
    return {"near": near, "within_km": 5}


def run_search_benchmark(n_services: int = 20000, runs: int = 200, stdout=None) -> dict:
    """Generate n services (rolled back afterwards), time `runs` searches; return p50/p95 in ms."""
    rng = random.Random(11)
    with transaction.atomic():
        t0 = time.perf_counter()
        generate(n_services)
        dbstats.refresh()  # as after any real import: the planner sees 20,000 services, not none
        setup = time.perf_counter() - t0
        for _ in range(10):  # warm caches
            queries.search(**_queries(rng))
        timings, cpu = [], []
        for _ in range(runs):
            params = _queries(rng)
            start, cpu_start = time.perf_counter(), time.process_time()
            queries.search(**params)
            timings.append((time.perf_counter() - start) * 1000)
            cpu.append((time.process_time() - cpu_start) * 1000)
        transaction.set_rollback(True)
    timings.sort()
    cpu.sort()
    result = {
        "cpu_p50_ms": round(statistics.median(cpu), 2),
        "cpu_p95_ms": round(cpu[int(len(cpu) * 0.95) - 1], 2),
        "services": n_services, "runs": runs, "setup_s": round(setup, 1),
        "p50_ms": round(statistics.median(timings), 2),
        "p95_ms": round(timings[int(len(timings) * 0.95) - 1], 2),
        "max_ms": round(timings[-1], 2),
    }
    if stdout is not None:
        stdout.write(
            f"{n_services} services, {runs} searches: p50 {result['p50_ms']} ms, "
            f"p95 {result['p95_ms']} ms, max {result['max_ms']} ms; CPU time p50 "
            f"{result['cpu_p50_ms']} ms, p95 {result['cpu_p95_ms']} ms (setup {result['setup_s']} s)"
        )
    return result
