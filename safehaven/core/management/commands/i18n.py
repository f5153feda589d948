from pathlib import Path

import polib
from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Compile the translation catalogues (.po to .mo) without needing GNU gettext."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="sub", required=True)
        sub.add_parser("compile", help="compile every .po file under the locale folders")

    def handle(self, *args, sub, **options):
        count = 0
        roots = [Path(p) for p in settings.LOCALE_PATHS]
        roots += [Path(settings.BASE_DIR) / "safehaven"]
        seen = set()
        for root in roots:
            for po_path in root.rglob("*.po"):
                if po_path in seen or "site-packages" in po_path.parts:
                    continue
                seen.add(po_path)
                mo_path = po_path.with_suffix(".mo")
                if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
                    continue
                polib.pofile(str(po_path)).save_as_mofile(str(mo_path))
                count += 1
        self.stdout.write(f"Compiled {count} catalogue(s).")
