"""`safehaven bench`: the performance harness (see docs/benchmarks.md).

- `safehaven bench --quick` checks in seconds, on a throwaway database, that the harness
  works and that the key pages' query counts do not grow with the data.
- `safehaven bench --generate 100000` fills the configured (empty) database with a full
  synthetic network (people, ~10 encounters each, every capability's rows, audit events,
  20,000 directory services) and records how long it took.
- `safehaven bench --measure NAME` times the key requests and their floors on the
  configured database and writes bench/results/NAME.json.
- `safehaven bench --table SMALL LARGE` prints the Markdown table comparing two results.
"""

import time

from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Measure the key requests at clinic-network scale (quick check, generate, measure)."

    def add_arguments(self, parser):
        mode = parser.add_mutually_exclusive_group()
        mode.add_argument("--quick", action="store_true",
                          help="small data on a throwaway database: the harness works, query counts hold")
        mode.add_argument("--generate", type=int, metavar="PEOPLE",
                          help="fill the empty database with a full synthetic network of PEOPLE people")
        mode.add_argument("--measure", metavar="NAME", help="measure here and write bench/results/NAME.json")
        mode.add_argument("--table", nargs=2, metavar=("SMALL", "LARGE"), help="compare two result files")
        parser.add_argument("--repeat", type=int, default=50, help="timed requests per scenario (default 50)")
        parser.add_argument("--encounters", type=float, default=10.0, help="mean encounters per person (default 10)")
        parser.add_argument("--services", type=int, default=20000, help="directory services (default 20,000)")
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--no-export", action="store_true", help="skip the bulk export measurement")
        parser.add_argument("--only", nargs="*", help="measure only these scenarios")

    def handle(self, *args, quick, generate, measure, table, repeat, encounters, services, seed, no_export,
               only, **options):
        if not 1 <= repeat <= 10000:
            raise CommandError("--repeat must be between 1 and 10,000")
        if generate is not None:
            return self._generate(generate, encounters, services, seed)
        if measure:
            return self._measure(measure, repeat, not no_export, only)
        if table:
            return self._table(*table)
        return self._quick()

    def _quick(self):
        from django.db import connection
        from django.test.utils import setup_test_environment, teardown_test_environment

        from safehaven.bench import quick

        setup_test_environment()
        old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
        try:
            result = quick.run()
        finally:
            connection.creation.destroy_test_db(old_name, verbosity=0)
            teardown_test_environment()
        for line in quick.describe(result):
            self.stdout.write(line)
        if not result["ok"]:
            raise CommandError("Query counts grew with the data (see above).")

    def _generate(self, people, encounters, services, seed):
        if not 1 <= people <= 2_000_000:
            raise CommandError("--generate must be between 1 and 2,000,000 people")
        from safehaven.accounts.models import User
        from safehaven.bench import report
        from safehaven.core import synth
        from safehaven.people.models import Person

        if User.objects.filter(username="clinician").exists() or Person.objects.exists():
            raise CommandError("This database already holds people. Generate into a new, empty database.")
        started, cpu = time.perf_counter(), time.process_time()
        result = synth.generate(patients=people, seed=seed, encounters_per_person=encounters, full=True,
                                services=services, progress=True)
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        data = {
            "people": result.people, "encounters": result.encounters, "notes": result.notes,
            "rows": result.extra, "skipped": result.skipped, "seconds": round(seconds, 1),
            "cpu_seconds": round(cpu, 1), "machine": report.machine(),
        }
        from django.db import connection

        name = f"synth-{connection.vendor}-{people}"
        path = report.save(name, data)
        self.stdout.write(
            f"Generated {result.people} people, {result.encounters} encounters and "
            f"{sum(result.extra.values())} capability rows in {seconds:.0f} s ({cpu:.0f} s CPU): {path}"
        )
        for app, why in result.skipped.items():
            self.stdout.write(f"  skipped {app}: {why}")

    def _measure(self, name, repeat, export, only):
        from safehaven.bench import harness, report

        data = harness.run(repeat=repeat, export=export, only=only)
        data["machine"] = report.machine()
        path = report.save(name, data)
        for key, s in data["scenarios"].items():
            if s.get("available"):
                self.stdout.write(
                    f"{key:<22} {s['queries']:>3} queries  median {s['median_ms']:>8} ms  p95 {s['p95_ms']:>8} ms"
                    f"  floor {s.get('floor', {}).get('median_ms', '-'):>7} ms  ×{s.get('ratio_to_floor', '-')}"
                )
            else:
                self.stdout.write(f"{key:<22} not available: {s['reason']}")
        export_result = data.get("bulk_export") or {}
        if export_result.get("available"):
            self.stdout.write(f"bulk export: {export_result['resources']} resources, "
                              f"{export_result['resources_per_second']}/s")
        self.stdout.write(f"Results written to {path}")

    def _table(self, small, large):
        from safehaven.bench import report

        a, b = report.load(small), report.load(large)
        if a is None or b is None:
            raise CommandError(f"No such result: {small if a is None else large} (look in bench/results/)")
        self.stdout.write(report.table(a, None if small == large else b))
