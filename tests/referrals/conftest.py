"""Fixtures for referral tests: a partner organisation, its service, consents, referrals."""

import datetime

import pytest
from django.utils import timezone

from safehaven.consent.models import ConsentGrant
from safehaven.directory.models import Address, Location, Organization, Service, ServiceAtLocation
from safehaven.referrals import actions


@pytest.fixture
def org(db):
    return Organization.objects.create(name="Bayside Housing Collective")


@pytest.fixture
def other_org(db):
    return Organization.objects.create(name="Northside Legal Aid")


@pytest.fixture
def service(org):
    service = Service.objects.create(organization=org, name="Transitional housing")
    shelter = Location.objects.create(organization=org, name="Safe House", confidential_location=True)
    Address.objects.create(location=shelter, address_1="77 Hidden Lane", city="Oakport")
    ServiceAtLocation.objects.create(service=service, location=shelter)
    return service


@pytest.fixture
def other_service(other_org):
    return Service.objects.create(organization=other_org, name="Immigration clinic")


def grant(person, org, categories, *, by, purposes=("referral",), provision="permit", days=30,
          category="housing"):
    """Record a consent of `person` to share `categories` with `org` (synthetic)."""
    return ConsentGrant.objects.create(
        person=person, provision=provision, recipient_kind="organization",
        recipient_ref=str(org.public_id), recipient_label=org.name, recipient_category=category,
        purposes=list(purposes), categories=list(categories), method="written",
        signature_name="R.", informed=True,
        expires_at=timezone.now() + datetime.timedelta(days=days), recorded_by=by,
    )


@pytest.fixture
def make_referral(cast, service):
    def _make(*, categories=("identity_contact",), summaries=None, send=False, person=None,
              by=None, svc=None, need="housing"):
        referral = actions.create_referral(
            by=by or cast.ana, person=person or cast.patient, need_domain=need,
            service=svc or service, requested_categories=list(categories),
            summaries=summaries or {},
        )
        if send:
            referral = actions.send_referral(by=by or cast.ana, referral=referral)
        return referral

    return _make
