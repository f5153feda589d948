"""The decision function over recipients x purposes x categories x time, and its extensions."""

import datetime
import itertools

import pytest
from django.utils import timezone

from safehaven.consent import actions
from safehaven.consent.decision import Recipient, may_disclose
from safehaven.consent.models import DATA_CATEGORY_CODES, PURPOSES, ConsentGrant
from safehaven.testing.factories import make_person
from tests.consent.helpers import grant

pytestmark = pytest.mark.django_db

SHELTER = Recipient(kind="organization", category="housing", ref="org-shelter-1", label="Bay Shelter")
OTHER_SHELTER = Recipient(kind="organization", category="housing", ref="org-other", label="Other Shelter")
ANY_HOUSING = Recipient(kind="category", category="housing", label="Housing")
POLICE = Recipient(kind="category", category="law_enforcement", label="Police")
ICE = Recipient(kind="category", category="immigration", label="Immigration")
RECIPIENTS = [SHELTER, OTHER_SHELTER, ANY_HOUSING, POLICE, ICE]
PURPOSE_CODES = [code for code, _label in PURPOSES]
GRANTED = {"identity_contact", "clinical_summary"}
# offset from the consent's start, in days; the consent runs from day 0 to day 30
TIMES = {"before": -1, "during": 10, "after": 31, "revoked": 20}


def test_the_decision_table_over_recipients_purposes_categories_and_time(cast):
    start = timezone.now() + datetime.timedelta(days=1)
    g = grant(cast, categories=sorted(GRANTED), starts_at=start, days=31)
    g.revoked_at = start + datetime.timedelta(days=15)
    g.save()
    loaded = list(ConsentGrant.objects.filter(person=cast.patient))
    checked = 0
    for (when, offset), recipient, purpose, category in itertools.product(
        TIMES.items(), RECIPIENTS, PURPOSE_CODES, DATA_CATEGORY_CODES
    ):
        at = start + datetime.timedelta(days=offset)
        decision = may_disclose(cast.patient, recipient, purpose, [category], at=at, grants=loaded)
        expected = (
            when == "during" and recipient == SHELTER and purpose == "referral" and category in GRANTED
        )
        assert bool(decision) is expected, (when, recipient.label, purpose, category)
        assert decision.permitted == ([category] if expected else [])
        checked += 1
    assert checked == len(TIMES) * len(RECIPIENTS) * len(PURPOSE_CODES) * len(DATA_CATEGORY_CODES)
    # The same answers when the decision reads the consents from the database itself.
    for (when, offset), recipient in itertools.product(TIMES.items(), RECIPIENTS):
        at = start + datetime.timedelta(days=offset)
        decision = may_disclose(cast.patient, recipient, "referral", sorted(GRANTED), at=at)
        assert bool(decision) is (when == "during" and recipient == SHELTER)


def test_revocation_takes_effect_at_once(cast):
    g = grant(cast)
    assert may_disclose(cast.patient, SHELTER, "referral", ["identity_contact"])
    actions.revoke_consent(by=cast.ana, grant=g, version=g.version)
    assert not may_disclose(cast.patient, SHELTER, "referral", ["identity_contact"])


@pytest.mark.parametrize("recipient", [POLICE, ICE])
def test_law_enforcement_and_immigration_get_nothing_from_a_general_consent(cast, recipient):
    grant(cast, recipient_kind="category", recipient_ref="", recipient_category="other",
          recipient_label="Anyone", purposes=PURPOSE_CODES, categories=DATA_CATEGORY_CODES,
          explicit_protected=True)
    for purpose in PURPOSE_CODES:
        assert not may_disclose(cast.patient, recipient, purpose, DATA_CATEGORY_CODES).permitted


def test_substance_use_records_never_go_to_law_enforcement_even_with_consent(cast):
    grant(cast, recipient_kind="category", recipient_ref="", recipient_category="law_enforcement",
          recipient_label="Police", purposes=["law_enforcement"],
          categories=["identity_contact", "substance_use"], explicit_protected=True)
    decision = may_disclose(cast.patient, POLICE, "law_enforcement", ["identity_contact", "substance_use"])
    assert decision.permitted == ["identity_contact"] and decision.refused == ["substance_use"]


def test_substance_use_records_need_a_consent_naming_the_recipient(cast):
    grant(cast, recipient_kind="category", recipient_ref="", categories=["substance_use", "identity_contact"])
    assert may_disclose(cast.patient, ANY_HOUSING, "referral", ["substance_use"]).permitted == []
    grant(cast, categories=["substance_use"])
    assert may_disclose(cast.patient, SHELTER, "referral", ["substance_use"]).permitted == ["substance_use"]


def test_a_required_report_about_a_minor_withholds_substance_use_records(cast):
    teen = make_person(cast.alice, cast.site_a, "Teo", age_band="12-17")
    cps = Recipient(kind="category", category="child_protection", label="CPS")
    decision = may_disclose(teen, cps, "law_enforcement", ["identity_contact", "substance_use"],
                            legal_basis="state mandated reporter law")
    assert decision.permitted == ["identity_contact"]


def test_the_person_always_receives_their_own_information(cast):
    assert may_disclose(cast.patient, Recipient.the_person(), "treatment", DATA_CATEGORY_CODES)
