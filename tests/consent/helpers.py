"""Shared helpers for the consent tests (synthetic data only)."""

import datetime

from django.utils import timezone

from safehaven.consent import actions
from safehaven.people import actions as people_actions

SHELTER = {
    "recipient_kind": "organization", "recipient_ref": "org-shelter-1",
    "recipient_label": "Bay Shelter", "recipient_category": "housing",
}


def grant(cast, *, days=30, **kw):
    data = dict(
        by=cast.ana, person=cast.patient, purposes=["referral"], categories=["identity_contact"],
        method="written", signature_name="Rosa", informed=True,
        expires_at=timezone.now() + datetime.timedelta(days=days), **SHELTER,
    )
    data.update(kw)
    return actions.grant_consent(**data)


def encounter(cast, person=None, by=None):
    return people_actions.start_encounter(
        by=by or cast.alice, person=person or cast.patient, setting="community_clinic",
        chief_complaint="Check-up",
    )
