from django.core.management.base import BaseCommand, CommandError

from safehaven.core import synth


class Command(BaseCommand):
    help = "Generate a synthetic clinic network: sites, staff, people, encounters and notes."

    def add_arguments(self, parser):
        parser.add_argument("--patients", type=int, default=200, help="how many people (default 200)")
        parser.add_argument("--seed", type=int, default=1, help="random seed; the same seed gives the same clinic")
        parser.add_argument("--sites", type=int, default=None, help="how many sites (default 2, or 4 from 5,000 people)")
        parser.add_argument("--encounters", type=float, default=3.0, help="mean encounters per person (default 3)")
        parser.add_argument("--full", action="store_true",
                            help="also screening, care plans, referrals, follow-up, consents and directory services")
        parser.add_argument("--services", type=int, default=20000, help="directory services with --full (default 20,000)")
        parser.add_argument("--quiet", action="store_true", help="no progress bar")

    def handle(self, *args, patients, seed, sites, encounters, quiet, full, services, **options):
        if patients < 1 or patients > 2_000_000:
            raise CommandError("--patients must be between 1 and 2,000,000")
        if services < 0 or services > 200_000:
            raise CommandError("--services must be between 0 and 200,000")
        if sites is not None and not 1 <= sites <= 6:
            raise CommandError("--sites must be between 1 and 6")
        from safehaven.accounts.models import User

        if User.objects.filter(username="clinician").exists():
            raise CommandError("This database already holds a synthetic clinic. Use a new database (or delete var/).")
        result = synth.generate(
            patients=patients, seed=seed, sites=sites, encounters_per_person=encounters, progress=not quiet,
            full=full, services=services,
        )
        self.stdout.write(
            f"Created {len(result.sites)} sites, {len(result.staff)} staff, {result.people} people, "
            f"{result.encounters} encounters and {result.notes} notes (seed {seed})."
        )
