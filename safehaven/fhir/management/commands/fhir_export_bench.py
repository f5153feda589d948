import json

from django.core.management.base import BaseCommand

from safehaven.fhir import benchmark


class Command(BaseCommand):
    help = "Measure FHIR bulk export throughput (resources/s) and memory on this database."

    def add_arguments(self, parser):
        parser.add_argument("--memory", action="store_true", help="also trace Python memory (slower)")

    def handle(self, *args, memory, **options):
        self.stdout.write(json.dumps(benchmark.run(trace_memory=memory), indent=2))
