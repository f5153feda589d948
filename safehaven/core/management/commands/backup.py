import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from safehaven.lib.backup import BackupError, write_backup


class Command(BaseCommand):
    help = "Write an encrypted, consistent backup of the whole database to a file."

    def add_arguments(self, parser):
        parser.add_argument("out", help="the backup file to write (it must not exist)")

    def handle(self, *args, out, **options):
        path = Path(out)
        if path.exists():
            raise CommandError(f"{path} exists already; choose a new file name")
        tmp = path.with_name(path.name + ".partial")
        try:
            with open(tmp, "wb") as handle:
                counts = write_backup(handle)
            tmp.replace(path)
        except (BackupError, OSError) as exc:
            tmp.unlink(missing_ok=True)
            raise CommandError(f"backup failed: {exc}") from None
        rows = sum(counts.values())
        self.stdout.write(f"Wrote {rows} rows from {len(counts)} tables to {path} (encrypted).")
        sys.stdout.flush()
