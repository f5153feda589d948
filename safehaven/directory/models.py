"""The community resource directory, modelled on Open Referral HSDS 3.0.

Contract for other apps (referrals, careplans):

- Every model has ``public_id`` (UUID, unique); it is also the HSDS ``id`` in imports,
  exports and the ``/hsds/`` API. Never expose row ids.
- ``Organization`` 1-n ``Service``; ``Service`` n-n ``Location`` through ``ServiceAtLocation``.
  ``Address``, ``Phone``, ``Schedule``, ``Language``, ``Accessibility``, ``CostOption`` hang off
  them as in HSDS. ``Taxonomy`` / ``TaxonomyTerm`` / ``Attribute`` classify services.
- What HSDS lacks, added here:
  ``Location.confidential_location`` (a shelter: its addresses and coordinates are shown only to
  staff holding Perm.CASE_MANAGE or Perm.WRITE_CLINICAL at a site, and are never exported, never in
  the HSDS API, never sent to partners: ask
  ``safehaven.directory.queries.can_see_confidential(user)`` before showing one);
  ``Service.trauma_informed``, ``Service.serves_survivors`` (of trafficking),
  ``Service.involves_law_enforcement``; ``Service.free_of_charge`` and gender eligibility
  (``serves_women`` / ``serves_men`` / ``serves_nonbinary``); ``Location.time_zone`` (IANA).
- ``Service.status`` stores the HSDS codes (active, inactive, defunct, temporarily closed).
- ``ServiceNeedDomain``, ``ServiceLanguage`` and ``OpeningSlot`` are search indexes derived from the rest by
  ``safehaven.directory.actions.reindex_service``; do not write them by hand.
- Search: ``safehaven.directory.queries.search(...)``. Writes: ``safehaven.directory.actions``.
"""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from safehaven.lib.models import ChoiceLabels

SERVICE_STATUSES = [
    ("active", _("Active")),
    ("inactive", _("Inactive")),
    ("defunct", _("Closed for good")),
    ("temporarily closed", _("Temporarily closed")),
]
LOCATION_TYPES = [("physical", _("Physical")), ("postal", _("Postal")), ("virtual", _("Virtual"))]
ADDRESS_TYPES = LOCATION_TYPES
SCHEDULE_FREQS = [("WEEKLY", _("Weekly")), ("MONTHLY", _("Monthly"))]
WEEKDAY_CODES = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]

# Public directory data: not about a person in care.
PUBLIC = "directory"
CONFIDENTIAL = "directory-confidential"


def _classify(*names: str, kind: str = PUBLIC) -> dict[str, str]:
    return {name: kind for name in names}


class Taxonomy(ChoiceLabels, models.Model):
    """A classification scheme (e.g. 211 LA County, Open Eligibility)."""

    data_classification = _classify("id", "public_id", "name", "description", "uri", "version")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(_("name"), max_length=255)
    description = models.TextField(_("description"), blank=True)
    uri = models.CharField(max_length=500, blank=True)
    version = models.CharField(max_length=60, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "taxonomies"

    def __str__(self) -> str:
        return self.name


class TaxonomyTerm(ChoiceLabels, models.Model):
    """A term of a taxonomy (HSDS taxonomy_term)."""

    data_classification = _classify(
        "id", "public_id", "taxonomy", "taxonomy_name", "code", "name", "description",
        "parent", "language", "term_uri",
    )

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    taxonomy = models.ForeignKey(
        Taxonomy, null=True, blank=True, on_delete=models.SET_NULL, related_name="terms"
    )
    taxonomy_name = models.CharField(max_length=255, blank=True)  # HSDS free-text "taxonomy"
    code = models.CharField(max_length=100, blank=True, db_index=True)
    name = models.CharField(_("name"), max_length=255)
    description = models.TextField(_("description"), blank=True)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="children"
    )
    language = models.CharField(max_length=20, blank=True)
    term_uri = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["code", "name"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}".strip()


class Organization(ChoiceLabels, models.Model):
    """An organisation that provides services (HSDS organization)."""

    data_classification = _classify(
        "id", "public_id", "name", "alternate_name", "description", "email", "website",
        "tax_status", "tax_id", "year_incorporated", "legal_status", "logo", "uri", "parent",
        "created_at", "updated_at",
    )

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(_("name"), max_length=255)
    alternate_name = models.CharField(_("other name"), max_length=255, blank=True)
    description = models.TextField(_("description"), blank=True)
    email = models.CharField(_("email"), max_length=255, blank=True)
    website = models.CharField(_("website"), max_length=500, blank=True)
    tax_status = models.CharField(max_length=100, blank=True)
    tax_id = models.CharField(max_length=100, blank=True)
    year_incorporated = models.PositiveIntegerField(null=True, blank=True)
    legal_status = models.CharField(max_length=255, blank=True)
    logo = models.CharField(max_length=500, blank=True)
    uri = models.CharField(max_length=500, blank=True)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="children"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Service(ChoiceLabels, models.Model):
    """A service an organisation offers (HSDS service), with Safe Haven's survivor flags."""

    data_classification = _classify(
        "id", "public_id", "organization", "name", "alternate_name", "description", "url",
        "email", "status", "interpretation_services", "application_process",
        "fees_description", "wait_time", "fees", "accreditations", "eligibility_description",
        "minimum_age", "maximum_age", "serves_women", "serves_men", "serves_nonbinary",
        "free_of_charge", "assured_date", "assurer_email", "licenses", "alert",
        "last_modified", "trauma_informed", "serves_survivors", "involves_law_enforcement",
        "name_folded", "created_at",
    )

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organization = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.CASCADE, related_name="services"
    )
    name = models.CharField(_("name"), max_length=255)
    name_folded = models.CharField(max_length=255, db_index=True, editable=False, default="")
    alternate_name = models.CharField(_("other name"), max_length=255, blank=True)
    description = models.TextField(_("description"), blank=True)
    url = models.CharField(_("web address"), max_length=500, blank=True)
    email = models.CharField(_("email"), max_length=255, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=SERVICE_STATUSES, default="active", db_index=True
    )
    interpretation_services = models.TextField(blank=True)
    application_process = models.TextField(_("how to apply"), blank=True)
    fees_description = models.TextField(_("fees"), blank=True)
    wait_time = models.CharField(max_length=255, blank=True)
    fees = models.TextField(blank=True)
    accreditations = models.TextField(blank=True)
    eligibility_description = models.TextField(_("who can use it"), blank=True)
    minimum_age = models.PositiveSmallIntegerField(_("minimum age"), null=True, blank=True)
    maximum_age = models.PositiveSmallIntegerField(_("maximum age"), null=True, blank=True)
    serves_women = models.BooleanField(_("serves women"), default=True)
    serves_men = models.BooleanField(_("serves men"), default=True)
    serves_nonbinary = models.BooleanField(_("serves non-binary people"), default=True)
    free_of_charge = models.BooleanField(_("free of charge"), default=False)
    assured_date = models.DateField(null=True, blank=True)
    assurer_email = models.CharField(max_length=255, blank=True)
    licenses = models.TextField(blank=True)
    alert = models.TextField(blank=True)
    last_modified = models.DateTimeField(default=timezone.now)
    trauma_informed = models.BooleanField(_("trauma-informed"), default=False)
    serves_survivors = models.BooleanField(_("serves survivors"), default=False)
    involves_law_enforcement = models.BooleanField(_("involves law enforcement"), default=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["name_folded", "id"]
        indexes = [
            models.Index(fields=["status", "name_folded"], name="dir_service_status_name"),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        self.name_folded = self.name.casefold()[:255]
        super().save(*args, **kwargs)


class Location(ChoiceLabels, models.Model):
    """A place where services are delivered (HSDS location), possibly confidential."""

    data_classification = {
        **_classify(
            "id", "public_id", "organization", "location_type", "url", "name", "alternate_name",
            "description", "transportation", "external_identifier", "external_identifier_type",
            "confidential_location", "time_zone",
        ),
        **_classify("latitude", "longitude", kind=CONFIDENTIAL),
    }

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organization = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.CASCADE, related_name="locations"
    )
    location_type = models.CharField(max_length=10, choices=LOCATION_TYPES, default="physical")
    url = models.CharField(max_length=500, blank=True)
    name = models.CharField(_("name"), max_length=255, blank=True)
    alternate_name = models.CharField(max_length=255, blank=True)
    description = models.TextField(blank=True)
    transportation = models.TextField(_("getting there"), blank=True)
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    external_identifier = models.CharField(max_length=255, blank=True)
    external_identifier_type = models.CharField(max_length=255, blank=True)
    confidential_location = models.BooleanField(
        _("confidential location"),
        default=False,
        help_text=_("A shelter or safe house: only authorised staff see the address."),
    )
    time_zone = models.CharField(_("time zone"), max_length=64, default=settings.TIME_ZONE)

    class Meta:
        ordering = ["name", "id"]
        indexes = [models.Index(fields=["latitude", "longitude"], name="dir_location_latlong")]

    def __str__(self) -> str:
        return self.name or str(self.public_id)


class ServiceAtLocation(ChoiceLabels, models.Model):
    """A service delivered at a location (HSDS service_at_location)."""

    data_classification = _classify("id", "public_id", "service", "location", "description")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="service_at_locations")
    location = models.ForeignKey(Location, on_delete=models.CASCADE, related_name="service_at_locations")
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["service", "location"], name="dir_sal_unique")
        ]

    def __str__(self) -> str:
        return f"{self.service} @ {self.location}"


class Address(ChoiceLabels, models.Model):
    """An address of a location (HSDS address). Confidential when its location is."""

    data_classification = {
        **_classify("id", "public_id", "location", "address_type", "country"),
        **_classify(
            "attention", "address_1", "address_2", "city", "region", "state_province",
            "postal_code", kind=CONFIDENTIAL,
        ),
    }

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    location = models.ForeignKey(Location, on_delete=models.CASCADE, related_name="addresses")
    attention = models.CharField(max_length=255, blank=True)
    address_1 = models.CharField(_("address"), max_length=255, blank=True)
    address_2 = models.CharField(max_length=255, blank=True)
    city = models.CharField(_("city"), max_length=120, blank=True)
    region = models.CharField(max_length=120, blank=True)
    state_province = models.CharField(_("state"), max_length=120, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=40, blank=True)
    country = models.CharField(_("country"), max_length=2, default="US", blank=True)
    address_type = models.CharField(max_length=10, choices=ADDRESS_TYPES, default="physical")

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return ", ".join(p for p in [self.address_1, self.city, self.state_province] if p)


class Phone(ChoiceLabels, models.Model):
    """A phone number of an organisation, service, location or service at a location."""

    data_classification = _classify(
        "id", "public_id", "organization", "service", "location", "service_at_location",
        "number", "extension", "type", "description",
    )

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organization = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.CASCADE, related_name="phones"
    )
    service = models.ForeignKey(
        Service, null=True, blank=True, on_delete=models.CASCADE, related_name="phones"
    )
    location = models.ForeignKey(
        Location, null=True, blank=True, on_delete=models.CASCADE, related_name="phones"
    )
    service_at_location = models.ForeignKey(
        ServiceAtLocation, null=True, blank=True, on_delete=models.CASCADE, related_name="phones"
    )
    number = models.CharField(_("number"), max_length=60)
    extension = models.PositiveIntegerField(null=True, blank=True)
    type = models.CharField(max_length=20, blank=True)
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.number


class Schedule(ChoiceLabels, models.Model):
    """Opening hours as an iCalendar-style rule (HSDS schedule).

    Times are local to ``time_zone`` (IANA), taken from the location on import; the HSDS
    ``timezone`` (a UTC offset) is kept for round trips.
    """

    data_classification = _classify(
        "id", "public_id", "service", "location", "service_at_location", "valid_from",
        "valid_to", "dtstart", "timezone_offset", "time_zone", "until", "count", "wkst",
        "freq", "interval", "byday", "byweekno", "bymonthday", "byyearday", "description",
        "opens_at", "closes_at", "schedule_link", "attending_type", "notes",
    )

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    service = models.ForeignKey(
        Service, null=True, blank=True, on_delete=models.CASCADE, related_name="schedules"
    )
    location = models.ForeignKey(
        Location, null=True, blank=True, on_delete=models.CASCADE, related_name="schedules"
    )
    service_at_location = models.ForeignKey(
        ServiceAtLocation, null=True, blank=True, on_delete=models.CASCADE, related_name="schedules"
    )
    valid_from = models.DateField(null=True, blank=True)
    valid_to = models.DateField(null=True, blank=True)
    dtstart = models.DateField(null=True, blank=True)
    timezone_offset = models.FloatField(null=True, blank=True)
    time_zone = models.CharField(max_length=64, default=settings.TIME_ZONE)
    until = models.DateField(null=True, blank=True)
    count = models.PositiveIntegerField(null=True, blank=True)
    wkst = models.CharField(max_length=2, blank=True)
    freq = models.CharField(max_length=10, choices=SCHEDULE_FREQS, blank=True)
    interval = models.PositiveIntegerField(null=True, blank=True)
    byday = models.CharField(max_length=100, blank=True)
    byweekno = models.CharField(max_length=100, blank=True)
    bymonthday = models.CharField(max_length=100, blank=True)
    byyearday = models.CharField(max_length=100, blank=True)
    description = models.TextField(blank=True)
    opens_at = models.TimeField(null=True, blank=True)
    closes_at = models.TimeField(null=True, blank=True)
    schedule_link = models.CharField(max_length=500, blank=True)
    attending_type = models.CharField(max_length=255, blank=True)
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.description or f"{self.freq} {self.byday} {self.opens_at}-{self.closes_at}"


class OpeningSlot(ChoiceLabels, models.Model):
    """A search index row: one opening interval on one local weekday or day of the month.

    Derived from Schedule by actions.reindex_service; an overnight opening is split in two rows.
    """

    data_classification = _classify(
        "id", "schedule", "service", "location", "time_zone", "weekday", "monthday",
        "opens_minute", "closes_minute", "valid_from", "valid_to",
    )

    schedule = models.ForeignKey(Schedule, on_delete=models.CASCADE, related_name="slots")
    service = models.ForeignKey(
        Service, null=True, blank=True, on_delete=models.CASCADE, related_name="opening_slots"
    )
    location = models.ForeignKey(
        Location, null=True, blank=True, on_delete=models.CASCADE, related_name="opening_slots"
    )
    time_zone = models.CharField(max_length=64)
    weekday = models.PositiveSmallIntegerField(null=True, blank=True)  # 0 = Monday
    monthday = models.PositiveSmallIntegerField(null=True, blank=True)
    opens_minute = models.PositiveSmallIntegerField()
    closes_minute = models.PositiveSmallIntegerField()  # exclusive, up to 1440
    valid_from = models.DateField(null=True, blank=True)
    valid_to = models.DateField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["time_zone", "weekday", "opens_minute", "closes_minute"],
                name="dir_slot_open_now",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.weekday or self.monthday} {self.opens_minute}-{self.closes_minute}"


class Language(ChoiceLabels, models.Model):
    """A language a service, location or phone line works in (HSDS language)."""

    data_classification = _classify(
        "id", "public_id", "service", "location", "phone", "name", "code", "note"
    )

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    service = models.ForeignKey(
        Service, null=True, blank=True, on_delete=models.CASCADE, related_name="languages"
    )
    location = models.ForeignKey(
        Location, null=True, blank=True, on_delete=models.CASCADE, related_name="languages"
    )
    phone = models.ForeignKey(
        Phone, null=True, blank=True, on_delete=models.CASCADE, related_name="languages"
    )
    name = models.CharField(_("language"), max_length=100, blank=True)
    code = models.CharField(max_length=20, blank=True)  # BCP 47 / ISO 639, lower case
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["code", "service"], name="dir_language_code")]

    def __str__(self) -> str:
        return self.name or self.code


class Accessibility(ChoiceLabels, models.Model):
    """Accessibility of a location (HSDS accessibility)."""

    data_classification = _classify("id", "public_id", "location", "description", "details", "url")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    location = models.ForeignKey(Location, on_delete=models.CASCADE, related_name="accessibility")
    description = models.TextField(blank=True)
    details = models.TextField(blank=True)
    url = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name_plural = "accessibility"

    def __str__(self) -> str:
        return self.description[:60]


class CostOption(ChoiceLabels, models.Model):
    """A price of a service (HSDS cost_option)."""

    data_classification = _classify(
        "id", "public_id", "service", "valid_from", "valid_to", "option", "currency",
        "amount", "amount_description",
    )

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="cost_options")
    valid_from = models.DateField(null=True, blank=True)
    valid_to = models.DateField(null=True, blank=True)
    option = models.TextField(blank=True)
    currency = models.CharField(max_length=3, blank=True)
    amount = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    amount_description = models.TextField(blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.option or str(self.amount)


class Attribute(ChoiceLabels, models.Model):
    """A taxonomy term attached to any directory record (HSDS attribute).

    ``link_entity`` names the table (service, location, organization...) and ``link_id`` its
    public id; ``service`` is also set when the link is a service, for fast search.
    """

    data_classification = _classify(
        "id", "public_id", "taxonomy_term", "link_id", "link_type", "link_entity", "value",
        "service",
    )

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    taxonomy_term = models.ForeignKey(
        TaxonomyTerm, on_delete=models.CASCADE, related_name="attributes"
    )
    link_id = models.UUIDField(db_index=True)
    link_type = models.CharField(max_length=100, blank=True)
    link_entity = models.CharField(max_length=50, blank=True)
    value = models.TextField(blank=True)
    service = models.ForeignKey(
        Service, null=True, blank=True, on_delete=models.CASCADE, related_name="attributes"
    )

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.value or str(self.taxonomy_term_id)


class ServiceNeedDomain(ChoiceLabels, models.Model):
    """A search index row: this service meets needs in this needs-assessment domain.

    Derived from the service's taxonomy terms through ``needs.NEED_DOMAINS``.
    """

    data_classification = _classify("id", "service", "domain")

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="need_domains")
    domain = models.CharField(max_length=40)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["domain", "service"], name="dir_need_domain_unique")
        ]

    def __str__(self) -> str:
        return self.domain


class ServiceLanguage(ChoiceLabels, models.Model):
    """A search index row: this service can be used in this language (code, lower case).

    Derived from the languages of the service, of its locations and of its phone lines.
    """

    data_classification = _classify("id", "service", "code")

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="language_index")
    code = models.CharField(max_length=20)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["code", "service"], name="dir_service_language_unique")
        ]

    def __str__(self) -> str:
        return self.code
