"""Synthetic demo consents (no real data): a few consents, one ending soon."""

import datetime

from django.utils import timezone


def demo_consents(stdout) -> None:
    """Give the demo advocate's first people a referral consent; idempotent."""
    from safehaven.accounts.models import User
    from safehaven.consent.actions import grant_consent
    from safehaven.consent.models import ConsentGrant
    from safehaven.people.models import Person

    advocate = User.objects.filter(username="advocate").first()
    if advocate is None or ConsentGrant.objects.filter(recorded_by=advocate).exists():
        return
    people = list(Person.objects.filter(care_team__user=advocate, care_team__active=True)[:3])
    now = timezone.now()
    for days, person in zip((10, 60, 200), people, strict=False):
        grant_consent(
            by=advocate, person=person, recipient_kind="category", recipient_category="housing",
            recipient_label="Housing partners", purposes=["referral"],
            categories=["identity_contact"], method="witnessed_verbal", informed=True,
            witness_name="Demo witness", expires_at=now + datetime.timedelta(days=days),
        )
    stdout.write(f"Demo consents: {len(people)} added.\n")
