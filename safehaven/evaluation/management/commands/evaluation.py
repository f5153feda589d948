import time

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from safehaven.access.gate import sites_with
from safehaven.accounts.models import User
from safehaven.accounts.permissions import Perm
from safehaven.evaluation import keeping


class Command(BaseCommand):
    help = ("Evaluation figures: `evaluation refresh` reads and keeps this year's figures for every set "
            "of sites an evaluator covers (run it each night so the dashboard answers at once).")

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="sub", required=True, title="subcommands")
        refresh = sub.add_parser("refresh", help="read and keep the figures now")
        refresh.add_argument("--year", type=int, default=None, help="the year (default: this year)")

    def handle(self, *args, sub, year=None, **options):
        year = year or timezone.localdate().year
        if not 2000 <= year <= timezone.localdate().year + 1:
            raise CommandError(f"year {year} is outside the years the records can hold")
        site_sets = set()
        for user in User.objects.filter(is_active=True, memberships__active=True).distinct():
            sites = frozenset(sites_with(user, Perm.VIEW_AGGREGATE))
            if sites:
                site_sets.add(sites)
        for sites in sorted(site_sets, key=sorted):
            started = time.perf_counter()
            keeping.refresh(year, sites)
            self.stdout.write(f"{year}, sites {sorted(sites)}: figures read in {time.perf_counter() - started:.1f} s")
        if not site_sets:
            self.stdout.write("no evaluator covers any site: nothing to read")
