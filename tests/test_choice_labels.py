"""get_FOO_display(): the same labels as Django's, in the request's language, without
translating every label of the field on every call."""

from unittest import mock

import pytest
from django.apps import apps
from django.db import models
from django.utils import translation

from safehaven.lib.models import ChoiceLabels

OURS = [m for m in apps.get_models() if m.__module__.startswith("safehaven.")]


def _choice_fields(model):
    return [f for f in model._meta.concrete_fields if f.choices]


def test_every_model_with_choices_looks_labels_up():
    missing = [m.__name__ for m in OURS if _choice_fields(m) and not issubclass(m, ChoiceLabels)]
    assert not missing, f"add ChoiceLabels to: {missing}"


@pytest.mark.parametrize("language", ["en", "es", "fr"])
def test_labels_are_djangos_in_the_active_language(language):
    checked = 0
    with translation.override(language):
        for model in OURS:
            for field in _choice_fields(model):
                for value in [v for v, _label in field.flatchoices] + ["not-a-choice", None]:
                    row = model()
                    setattr(row, field.attname, value)
                    ours = getattr(row, f"get_{field.name}_display")()
                    djangos = models.Model._get_FIELD_display(row, field)
                    assert ours == djangos, (model.__name__, field.name, value)
                    checked += 1
    assert checked > 300


def test_the_language_can_change_between_calls():
    from safehaven.people.models import Encounter

    encounter = Encounter(setting="outreach", status="finished")
    with translation.override("en"):
        english = encounter.get_setting_display()
    with translation.override("es"):
        spanish = encounter.get_setting_display()
    assert english == "Outreach" and spanish != english


def test_one_display_translates_one_label_not_every_choice():
    from safehaven.people.models import Encounter

    field = Encounter._meta.get_field("status")
    assert len(field.flatchoices) >= 5
    rows = [Encounter(status=value) for value, _label in field.flatchoices] * 20
    with translation.override("es"):
        rows[0].get_status_display()  # the map is built once per field
        real = translation._trans.gettext
        with mock.patch("django.utils.translation._trans.gettext", side_effect=real) as gettext:
            for row in rows:
                row.get_status_display()
    # Django's own get_FOO_display translates every label of the field on each call.
    assert gettext.call_count <= len(rows)
