from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Community resource directory: import/export Open Referral HSDS, benchmark search."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="sub", required=True, title="subcommands")
        imp = sub.add_parser(
            "import", help="import HSDS 3.0 JSON, an HSDS 3.0 CSV datapackage or an HSDS 1.1 CSV datapackage"
        )
        imp.add_argument("path", help="a .json file, or a folder (or its datapackage.json) of CSV files")
        exp = sub.add_parser("export", help="write the directory as HSDS 3.0 JSON (no confidential addresses)")
        exp.add_argument("--format", default="hsds-3.0", choices=["hsds-3.0"])
        exp.add_argument("out", help="the file to write")
        bench = sub.add_parser("bench", help="time searches on synthetic services (rolled back afterwards)")
        bench.add_argument("--services", type=int, default=20000)
        bench.add_argument("--runs", type=int, default=200)
        bench.add_argument("--save", metavar="NAME", help="also write bench/results/NAME.json with the machine described")

    def handle(self, *args, sub, **options):
        if sub == "import":
            self._import(options["path"])
        elif sub == "export":
            self._export(options["out"])
        elif sub == "bench":
            from safehaven.directory.bench import run_search_benchmark

            if not 1 <= options["services"] <= 200000 or not 1 <= options["runs"] <= 10000:
                raise CommandError("--services must be 1 to 200000 and --runs 1 to 10000.")
            result = run_search_benchmark(options["services"], options["runs"], stdout=self.stdout)
            if options.get("save"):
                from safehaven.bench import report

                path = report.save(options["save"], {**result, "machine": report.machine()})
                self.stdout.write(f"\nResults written to {path}")

    def _import(self, path):
        from safehaven.directory.actions import import_tables
        from safehaven.directory.hsds_import import ImportFailed, read_path

        try:
            flavour, tables = read_path(path)
            report = import_tables(tables=tables, flavour=flavour, by="safehaven directory import", source=path)
        except ImportFailed as exc:
            raise CommandError(f"Nothing was imported. {exc}") from None
        from safehaven.core import dbstats

        dbstats.refresh()  # a bulk load: let the query planner see the new directory
        self.stdout.write(report.as_text())

    def _export(self, out):
        from safehaven.directory.hsds_export import write_export

        try:
            count = write_export(out)
        except OSError as exc:
            raise CommandError(f"Cannot write {out}: {exc.strerror}.") from None
        self.stdout.write(f"Wrote {count} services as HSDS 3.0 JSON to {out} (confidential locations left out).")
