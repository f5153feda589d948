"""The hot pages' Python-written HTML escapes and formats dates exactly as Django does."""

import datetime as dt
import zoneinfo

import pytest
from django.test import override_settings
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe
from django.utils.timezone import template_localtime
from django.utils.translation import gettext_lazy

from safehaven.lib.render import Page, esc

FORMATS = ["DATE_FORMAT", "DATETIME_FORMAT", "SHORT_DATE_FORMAT", "SHORT_DATETIME_FORMAT", "c"]
# Around the end of daylight-saving time in Los Angeles (1:30 happens twice) and in Paris.
MOMENTS = [dt.datetime(2026, 11, 1, 8, 30, tzinfo=dt.UTC), dt.datetime(2026, 11, 1, 9, 30, tzinfo=dt.UTC),
           dt.datetime(2026, 10, 25, 0, 59, 59, 123456, tzinfo=dt.UTC), dt.datetime(2027, 1, 9, 23, 5, tzinfo=dt.UTC)]


@pytest.mark.parametrize("language", ["en", "es", "fr"])
@pytest.mark.parametrize("zone", ["America/Los_Angeles", "Europe/Paris", "UTC"])
def test_dates_are_what_date_format_writes(language, zone):
    with translation.override(language), timezone.override(zoneinfo.ZoneInfo(zone)):
        page = Page()
        for moment in MOMENTS:
            local = page.local(moment)
            assert local == template_localtime(moment) and local.tzinfo == template_localtime(moment).tzinfo
            for name in FORMATS:
                assert page.date(local, name) == date_format(template_localtime(moment), name), (name, moment)
            assert page.iso(local) == date_format(template_localtime(moment), "c")
        assert page.today() == timezone.localdate()


def test_a_plain_date_is_formatted_and_refused_as_django_does():
    day = dt.date(2026, 12, 4)
    with translation.override("fr"):
        assert Page().date(day, "DATE_FORMAT") == date_format(day, "DATE_FORMAT")
        with pytest.raises(TypeError):
            Page().date(day, "DATETIME_FORMAT")


def test_naive_values_and_other_types_are_left_as_they_are():
    page = Page()
    naive = dt.datetime(2026, 12, 4, 10, 0)
    assert page.local(naive) is naive and template_localtime(naive) is naive
    assert page.local("text") == "text"


def test_split_formats_are_forgotten_when_settings_change():
    from safehaven.lib import render

    with translation.override("en"):
        Page().date(dt.datetime(2026, 12, 4, 18, 0, tzinfo=dt.UTC), "SHORT_DATE_FORMAT")
        assert ("SHORT_DATE_FORMAT", "en") in render._COMPILED
        with override_settings(FORMAT_MODULE_PATH=None):
            assert render._COMPILED == {}


@pytest.mark.parametrize("value", ['<b>"Jo" & \'Al\'</b>', mark_safe("<i>safe</i>"), gettext_lazy("Minor"), 17, None,
                                   "", "\u202eevil", "a\x00b"])
def test_escaping_is_conditional_escape(value):
    with translation.override("es"):
        assert esc(value) == conditional_escape(value)
