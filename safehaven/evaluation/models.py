"""Models of the evaluation capability."""

from django.db import models
from django.utils import timezone

from safehaven.lib.models import ChoiceLabels


class KeptFigures(ChoiceLabels, models.Model):
    """The raw figures of one year's cube for one set of sites, kept for reuse.

    Reading a year of visits, screenings and referrals is the expensive part of the dashboard
    (seconds at 100,000 people); the figures are kept for EVALUATION_FIGURES_MAX_AGE seconds
    and the page says when they were read. These are counts of people and statistics, never
    identities; small-cell protection is applied every time they are shown, never stored.
    """

    year = models.PositiveIntegerField()
    sites_key = models.CharField(max_length=500, help_text="sorted site ids, comma separated")
    computed_at = models.DateTimeField(default=timezone.now)
    data = models.JSONField()
    # Set while a background read of newer figures is queued or running.
    refreshing_since = models.DateTimeField(null=True, blank=True)

    # Unprotected counts can be small: they never leave this table without the protection.
    data_classification = {"id": "none", "year": "none", "sites_key": "none", "computed_at": "none",
                           "refreshing_since": "none", "data": "sensitive"}

    class Meta:
        constraints = [models.UniqueConstraint(fields=["year", "sites_key"], name="kept_figures_year_sites")]

    def __str__(self) -> str:
        return f"figures {self.year} for sites {self.sites_key}"
