from pathlib import Path

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from safehaven.audit import chain
from safehaven.lib.backup import BackupError, restore_backup


class Command(BaseCommand):
    help = "Restore an encrypted backup into a new database, then verify the audit chain."

    def add_arguments(self, parser):
        parser.add_argument("inp", metavar="IN", help="the backup file written by `safehaven backup`")

    def handle(self, *args, inp, **options):
        path = Path(inp)
        if not path.is_file():
            raise CommandError(f"{path} is not a file")
        call_command("migrate", verbosity=0, interactive=False)
        try:
            with open(path, "rb") as handle:
                counts = restore_backup(handle)
        except (BackupError, OSError, ValueError) as exc:
            raise CommandError(f"restore failed, nothing was changed: {exc}") from None
        result = chain.verify()
        self.stdout.write(f"Restored {sum(counts.values())} rows from {len(counts)} tables.")
        if not result.ok:
            raise CommandError(f"the restored audit chain is broken: {result.message}")
        self.stdout.write(f"Audit chain: {result.message}")
