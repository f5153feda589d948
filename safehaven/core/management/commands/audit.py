from django.core.management.base import BaseCommand, CommandError

from safehaven.audit import chain


class Command(BaseCommand):
    help = "Check the tamper-evident audit chain: `safehaven audit verify` reports the first broken link."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="sub", required=True, title="subcommands")
        sub.add_parser("verify", help="walk the chain and report the first broken link (exit 1 if broken)")

    def handle(self, *args, sub, **options):
        if sub != "verify":
            raise CommandError("unknown subcommand")
        result = chain.verify()
        if result.ok:
            self.stdout.write(f"OK: {result.message}")
            return
        self.stderr.write(f"BROKEN: {result.message} ({result.checked} events verified before it)")
        raise SystemExit(1)
