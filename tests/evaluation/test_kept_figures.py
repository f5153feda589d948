"""Kept evaluation figures: reused while fresh, read again when old, protected every time."""

import datetime

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from safehaven.evaluation import keeping
from safehaven.evaluation.measures import ALL, build_cube, compute_figures
from safehaven.evaluation.models import KeptFigures
from tests.evaluation.test_dashboard import YEAR, people_seen

pytestmark = pytest.mark.django_db
URL = reverse("evaluation:dashboard")


def test_kept_figures_give_the_same_protected_cube_as_fresh_ones(cast, settings):
    settings.EVALUATION_FIGURES_MAX_AGE = 900
    people_seen(cast, cast.site_a, 14, 2, name="K")
    people_seen(cast, cast.site_a, 4, 5, name="L", earlier=True)
    fresh = build_cube(YEAR, [cast.site_a], figures=compute_figures(YEAR, [cast.site_a.pk]))
    keeping.figures_for(YEAR, [cast.site_a.pk])  # read and kept
    kept = build_cube(YEAR, [cast.site_a], figures=keeping.figures_for(YEAR, [cast.site_a.pk]))
    assert kept.values == fresh.values and kept.stats == fresh.stats
    assert kept.suppressed == fresh.suppressed
    assert kept.values[("served", ALL, "Y")] == 18
    assert kept.shown("returning", cast.site_a.pk, "Q2") is None  # 4 people: still hidden


def test_fresh_figures_are_reused_and_old_ones_refreshed_in_the_background(
        cast, settings, django_assert_max_num_queries, django_capture_on_commit_callbacks, monkeypatch):
    settings.EVALUATION_FIGURES_MAX_AGE = 900
    people_seen(cast, cast.site_a, 12, 2, name="M")
    first = keeping.figures_for(YEAR, [cast.site_a.pk])
    people_seen(cast, cast.site_a, 3, 3, name="N")
    with django_assert_max_num_queries(1):  # one read of the kept row, no reading of the year
        again = keeping.figures_for(YEAR, [cast.site_a.pk])
    assert again.counts["served"][(ALL, "Y")] == 12  # the kept figures, as the page says
    KeptFigures.objects.update(computed_at=timezone.now() - datetime.timedelta(seconds=901))
    queued = []
    from safehaven.evaluation import tasks

    real = tasks.refresh_figures

    class Counting:
        def enqueue(self, *args):
            queued.append(args)
            return real.enqueue(*args)

    monkeypatch.setattr(tasks, "refresh_figures", Counting())
    with django_capture_on_commit_callbacks(execute=True):
        stale = keeping.figures_for(YEAR, [cast.site_a.pk])
        # A second view while the read is queued does not queue another.
        keeping.figures_for(YEAR, [cast.site_a.pk])
    assert stale.counts["served"][(ALL, "Y")] == 12  # answered at once with what was kept
    assert queued == [(YEAR, [cast.site_a.pk])]
    later = keeping.figures_for(YEAR, [cast.site_a.pk])  # the background read has run
    assert later.counts["served"][(ALL, "Y")] == 15
    assert later.computed_at > first.computed_at
    assert KeptFigures.objects.get().refreshing_since is None


def test_the_page_says_when_the_figures_were_read(cast, client_for, settings):
    settings.EVALUATION_FIGURES_MAX_AGE = 900
    people_seen(cast, cast.site_a, 12, 2, name="P")
    page = client_for(cast.eve).get(URL, {"year": YEAR}).content.decode()
    assert "Figures as read from the records at" in page and "15 minutes old, newer ones are prepared" in page
    assert KeptFigures.objects.count() == 1


def test_different_sets_of_sites_are_kept_apart(cast, settings):
    settings.EVALUATION_FIGURES_MAX_AGE = 900
    people_seen(cast, cast.site_a, 12, 2, name="Q")
    people_seen(cast, cast.site_b, 13, 2, name="R")
    a = keeping.figures_for(YEAR, [cast.site_a.pk])
    both = keeping.figures_for(YEAR, [cast.site_b.pk, cast.site_a.pk])
    assert a.counts["served"][(ALL, "Y")] == 12 and both.counts["served"][(ALL, "Y")] == 25
    assert KeptFigures.objects.count() == 2


def test_refresh_command_reads_for_every_evaluator(cast, settings):
    settings.EVALUATION_FIGURES_MAX_AGE = 900
    people_seen(cast, cast.site_a, 12, 2, name="S")
    call_command("evaluation", "refresh", "--year", str(YEAR), verbosity=0)
    kept = KeptFigures.objects.get(year=YEAR)
    assert kept.sites_key == str(cast.site_a.pk)  # eve evaluates site A only


def test_refresh_refuses_an_impossible_year(cast):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="outside"):
        call_command("evaluation", "refresh", "--year", "1066")


def test_protection_is_worked_out_once_and_kept_with_the_figures(cast, settings, monkeypatch):
    settings.EVALUATION_FIGURES_MAX_AGE = 900
    people_seen(cast, cast.site_a, 14, 2, name="U")
    people_seen(cast, cast.site_a, 4, 5, name="V", earlier=True)
    fresh = build_cube(YEAR, [cast.site_a], figures=compute_figures(YEAR, [cast.site_a.pk]))
    keeping.figures_for(YEAR, [cast.site_a.pk])  # read, protected and kept
    from safehaven.evaluation import measures

    def no_second_protection(*args, **kwargs):
        raise AssertionError("protection was worked out again for kept figures")

    monkeypatch.setattr(measures, "protect", no_second_protection)
    kept = build_cube(YEAR, [cast.site_a], figures=keeping.figures_for(YEAR, [cast.site_a.pk]))
    assert kept.suppressed == fresh.suppressed and kept.suppressed
    # Another k is protected afresh, never with the kept cells.
    with pytest.raises(AssertionError, match="worked out again"):
        build_cube(YEAR, [cast.site_a], k=20, figures=keeping.figures_for(YEAR, [cast.site_a.pk]))
