"""Small builders for directory tests (synthetic data only)."""

import datetime

from safehaven.directory import actions
from safehaven.directory.models import (
    Address,
    Location,
    Organization,
    Schedule,
    Service,
    ServiceAtLocation,
)


def make_service(name="Test Service", *, confidential=False, lat=37.8, lon=-122.27,
                 zone="America/Los_Angeles", hours=None, **fields):
    """Create a service at one location with an address; hours = (byday, "HH:MM", "HH:MM")."""
    org = Organization.objects.create(name=f"{name} org")
    service = Service.objects.create(organization=org, name=name, **fields)
    loc = Location.objects.create(name=f"{name} site", latitude=lat, longitude=lon,
                                  time_zone=zone, confidential_location=confidential)
    Address.objects.create(location=loc, address_1=f"{len(name)} Secret Lane" if confidential else "1 Open Street",
                           city="Demo City", state_province="CA", postal_code="94000")
    ServiceAtLocation.objects.create(service=service, location=loc)
    if hours:
        byday, opens, closes = hours
        Schedule.objects.create(service=service, time_zone=zone, freq="WEEKLY", byday=byday,
                                opens_at=datetime.time.fromisoformat(opens),
                                closes_at=datetime.time.fromisoformat(closes))
    actions.rebuild_search_index(service_ids=[service.pk])
    return service
