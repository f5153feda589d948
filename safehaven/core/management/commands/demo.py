import os
import sys

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from safehaven.core import synth

DEMO_ROLES = [
    ("clinician", "Clinician (Dr. Alice Moreno)"),
    ("nurse", "Nurse"),
    ("advocate", "Advocate / case manager"),
    ("frontdesk", "Front desk"),
    ("clinicadmin", "Clinic administrator"),
    ("evaluator", "Evaluator (aggregate data only)"),
    ("trainee", "Trainee"),
    ("clinician2a", "Clinician at another site"),
]


class Command(BaseCommand):
    help = "Set up the embedded database with synthetic demo data and start the app."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000") or 8000))
        parser.add_argument("--patients", type=int, default=150)
        parser.add_argument("--no-serve", action="store_true", help="set up and print the logins, do not start the server")

    def handle(self, *args, port, patients, no_serve, **options):
        if settings.PRODUCTION:
            self.stderr.write("safehaven demo refuses to run with SAFEHAVEN_ENV=production.")
            sys.exit(2)
        os.makedirs(settings.VAR_DIR, exist_ok=True)
        call_command("migrate", verbosity=0, interactive=False)
        from safehaven.accounts.models import User

        if not User.objects.filter(username="clinician").exists():
            self.stdout.write("Creating a synthetic demo clinic (no real data)...")
            synth.generate(patients=patients, seed=2026, progress=True)
        from safehaven.core.demo_hooks import run_demo_hooks

        run_demo_hooks(self.stdout)
        url = f"http://127.0.0.1:{port}/"
        lines = [
            "",
            "Safe Haven demo (synthetic data only)",
            f"  Address:  {url}",
            f"  Password for every demo login: {synth.DEMO_PASSWORD}",
            "  Second step: the demo shows the current six-digit code on the sign-in page.",
            "  Demo logins:",
        ]
        lines += [f"    {username:<13} {label}" for username, label in DEMO_ROLES]
        lines.append("")
        self.stdout.write("\n".join(lines))
        self.stdout.flush()
        if no_serve:
            return
        env = dict(os.environ, SAFEHAVEN_DEMO_SHOW_TOTP="1", PYTHONUNBUFFERED="1")
        argv = [sys.executable, "-m", "safehaven.cli", "runserver", f"127.0.0.1:{port}"]
        os.execvpe(sys.executable, argv, env)  # noqa: S606 (our own interpreter, fixed arguments)
