"""The one consent decision function: deny by default, time-limited, revocable."""

import datetime
import itertools

import pytest
from django.utils import timezone

from safehaven.consent.decision import Recipient, may_disclose
from safehaven.consent.models import DATA_CATEGORY_CODES, PURPOSES, ConsentGrant

pytestmark = pytest.mark.django_db

NOW = timezone.now()
SHELTER = Recipient(kind="organization", category="housing", ref="org-shelter-1", label="Bay Shelter")
POLICE = Recipient(kind="category", category="law_enforcement", label="Police")
ICE = Recipient(kind="category", category="immigration", label="Immigration")


def grant(cast, **kw):
    defaults = dict(
        person=cast.patient, recipient_kind="organization", recipient_ref="org-shelter-1",
        recipient_label="Bay Shelter", recipient_category="housing", purposes=["referral"],
        categories=["identity_contact"], method="written", informed=True, recorded_by=cast.ana,
        starts_at=NOW - datetime.timedelta(days=1), expires_at=NOW + datetime.timedelta(days=30),
    )
    defaults.update(kw)
    return ConsentGrant.objects.create(**defaults)


def test_deny_by_default_for_every_recipient_purpose_and_category(cast):
    for recipient, (purpose, _l), category in itertools.product(
        [SHELTER, POLICE, ICE], PURPOSES, DATA_CATEGORY_CODES
    ):
        decision = may_disclose(cast.patient, recipient, purpose, [category])
        assert not decision.allowed and decision.permitted == []


@pytest.mark.parametrize(
    ("at_offset_days", "revoked_offset_days", "expected"),
    [(-2, None, False), (0, None, True), (29, None, True), (31, None, False), (0, -0.5, False), (0, 1, True)],
)
def test_consent_applies_only_inside_its_period_and_until_revoked(cast, at_offset_days, revoked_offset_days, expected):
    g = grant(cast)
    if revoked_offset_days is not None:
        g.revoked_at = NOW + datetime.timedelta(days=revoked_offset_days)
        g.save()
    at = NOW + datetime.timedelta(days=at_offset_days)
    assert bool(may_disclose(cast.patient, SHELTER, "referral", ["identity_contact"], at=at)) is expected


def test_only_the_consented_categories_and_purpose_are_permitted(cast):
    grant(cast, categories=["identity_contact", "clinical_summary"])
    decision = may_disclose(cast.patient, SHELTER, "referral", ["identity_contact", "mental_health"])
    assert not decision.allowed
    assert decision.permitted == ["identity_contact"] and decision.refused == ["mental_health"]
    assert not may_disclose(cast.patient, SHELTER, "research", ["identity_contact"])


def test_a_deny_provision_overrides_a_permit(cast):
    grant(cast, recipient_kind="category", recipient_ref="", categories=["identity_contact", "location"])
    grant(cast, provision="deny", categories=["location"])
    decision = may_disclose(cast.patient, SHELTER, "referral", ["identity_contact", "location"])
    assert decision.permitted == ["identity_contact"]


def test_law_enforcement_needs_a_consent_that_names_it(cast):
    grant(cast, recipient_kind="category", recipient_ref="", recipient_category="housing",
          purposes=["law_enforcement"], categories=DATA_CATEGORY_CODES)
    assert not may_disclose(cast.patient, POLICE, "law_enforcement", ["identity_contact"])
    grant(cast, recipient_kind="category", recipient_ref="", recipient_category="law_enforcement",
          recipient_label="Police", purposes=["law_enforcement"], categories=["identity_contact"])
    assert may_disclose(cast.patient, POLICE, "law_enforcement", ["identity_contact"])


def test_legal_basis_applies_only_to_minors(cast):
    from safehaven.testing.factories import make_person

    teen = make_person(cast.alice, cast.site_a, "Teo", age_band="12-17")
    cps = Recipient(kind="category", category="child_protection", label="CPS")
    assert may_disclose(teen, cps, "law_enforcement", ["identity_contact"], legal_basis="mandated report")
    assert not may_disclose(cast.patient, cps, "law_enforcement", ["identity_contact"], legal_basis="mandated report")


def test_unknown_categories_and_purposes_are_errors(cast):
    with pytest.raises(ValueError):
        may_disclose(cast.patient, SHELTER, "referral", ["everything"])
    with pytest.raises(ValueError):
        may_disclose(cast.patient, SHELTER, "gossip", ["identity_contact"])
