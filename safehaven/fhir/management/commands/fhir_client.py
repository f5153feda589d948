from django.core.management.base import BaseCommand, CommandError

from safehaven.accounts.models import User
from safehaven.consent.models import PURPOSES, RECIPIENT_CATEGORIES
from safehaven.fhir import actions
from safehaven.fhir.models import SCOPE_EXPORT, SCOPE_READ_ALL


class Command(BaseCommand):
    help = "Register a FHIR API client and print its bearer token (shown once, stored only as a hash)."

    def add_arguments(self, parser):
        parser.add_argument("name", help="what the client is, e.g. 'Riverside EHR'")
        parser.add_argument("--acts-as", required=True, help="username of the staff account it acts as")
        parser.add_argument("--recipient-category", required=True, choices=[c for c, _l in RECIPIENT_CATEGORIES])
        parser.add_argument("--recipient-ref", default="", help="public id of the organisation consents name")
        parser.add_argument("--purpose", default="treatment", choices=[c for c, _l in PURPOSES])
        parser.add_argument("--export", action="store_true", help="also allow bulk export")
        parser.add_argument("--days", type=int, default=30, help="token lifetime in days (default 30)")

    def handle(self, *args, name, acts_as, recipient_category, recipient_ref, purpose, export, days, **options):
        user = User.objects.filter(username=acts_as, is_active=True).first()
        if user is None:
            raise CommandError(f"No active staff account named {acts_as!r}.")
        if not 1 <= days <= 365:
            raise CommandError("--days must be between 1 and 365.")
        client = actions.register_client(
            by="cli", name=name, acts_as=user, recipient_category=recipient_category,
            recipient_ref=recipient_ref, purpose=purpose,
        )
        scopes = [SCOPE_READ_ALL] + ([SCOPE_EXPORT] if export else [])
        _token, raw = actions.issue_token(by="cli", client=client, scopes=scopes, days=days)
        self.stdout.write(f"Client {client.public_id} registered. Bearer token (copy it now, it is not shown again):")
        self.stdout.write(raw)
