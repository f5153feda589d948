from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from safehaven.training.content import CONTENT_DIR, ContentError, read_modules


class Command(BaseCommand):
    help = "Load the staff training curriculum (`safehaven training load`) from its JSON files."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="sub", required=True, title="subcommands")
        load = sub.add_parser("load", help="create or update the modules and their questions")
        load.add_argument("--from", dest="folder", default=str(CONTENT_DIR),
                          help="a folder of module JSON files (default: the curriculum shipped with Safe Haven)")

    def handle(self, *args, sub, folder, **options):
        from safehaven.training.actions import load_curriculum

        if not Path(folder).is_dir():
            raise CommandError(f"no such folder: {folder}")
        try:
            modules = read_modules(Path(folder))
        except ContentError as exc:
            raise CommandError(f"the curriculum is not valid: {exc}") from None
        if not modules:
            raise CommandError(f"no module files (*.json) in {folder}")
        counts = load_curriculum(by="safehaven training load", modules=modules)
        self.stdout.write(
            f"Training curriculum loaded: {counts['created']} new module(s), {counts['updated']} updated, "
            f"{counts['questions']} question(s)."
        )
