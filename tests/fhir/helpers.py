"""Shared set-up for the FHIR tests: machine clients, tokens and consents."""

import datetime

from django.utils import timezone

from safehaven.consent.models import ConsentGrant
from safehaven.fhir import actions
from safehaven.fhir.models import SCOPE_READ_ALL

PARTNER_REF = "7d6f1f9e-8a4b-4c61-9f25-1d8b7c1e2a01"


def make_client(cast, *, acts_as=None, scopes=(SCOPE_READ_ALL,), purpose="treatment", category="health_care"):
    """Register a partner clinic's system and return (client, raw token)."""
    client = actions.register_client(
        by=cast.erin, name="Partner clinic EHR", acts_as=acts_as or cast.alice,
        recipient_category=category, recipient_ref=PARTNER_REF, purpose=purpose,
    )
    _token, raw = actions.issue_token(by=cast.erin, client=client, scopes=list(scopes))
    return client, raw


def grant(cast, person, *, categories=("identity_contact", "clinical_summary"), purpose="treatment",
          provision="permit", ref=PARTNER_REF, days=30, **extra):
    """Record that the person agreed (or refused) to share with the partner clinic."""
    now = timezone.now()
    return ConsentGrant.objects.create(
        person=person, provision=provision, recipient_kind="organization", recipient_ref=ref,
        recipient_label="Partner clinic", recipient_category="health_care", purposes=[purpose],
        categories=list(categories), method="written", informed=True, recorded_by=cast.alice,
        starts_at=now - datetime.timedelta(days=1), expires_at=now + datetime.timedelta(days=days), **extra,
    )


def bearer(raw):
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
