"""Every form that takes free text, and registration end to end, with the hostile corpus.

A form never raises on hostile input: it either refuses with a message (NUL, over-long text,
impossible dates) or accepts text that is stored as typed (markup, SQL, formulas) and later
rendered inert. Names lose control characters and bidirectional overrides.
"""

import importlib
import inspect
import pkgutil

import pytest
from django import forms
from django.urls import reverse

import safehaven
from safehaven.people.models import Person
from tests.hostile.corpus import ALL, BAD_DATES, BAD_DATETIMES, CONTROL, NUL, RLO, SCRIPT, TEXT
from tests.hostile.helpers import changed, live_markup, row_counts

pytestmark = pytest.mark.django_db

# Keyword arguments for forms whose constructor needs its choices.
FORM_KWARGS = {
    "AssessmentForm": lambda: {"domains": []},
    "FilterForm": lambda: {"years": [2025], "sites": []},
    "CheckForm": lambda: {"questions": []},
}


def project_forms():
    """Yield every Form class declared in safehaven/<app>/forms.py."""
    for module in pkgutil.iter_modules(safehaven.__path__):
        try:
            forms_module = importlib.import_module(f"safehaven.{module.name}.forms")
        except ModuleNotFoundError:
            continue
        for name, cls in vars(forms_module).items():
            if inspect.isclass(cls) and issubclass(cls, forms.BaseForm) and cls.__module__ == forms_module.__name__:
                if not issubclass(cls, forms.ModelForm):
                    yield pytest.param(cls, id=f"{module.name}.{name}")


def build(cls, data):
    positional = ([],) if cls.__name__ == "CheckForm" else ()
    kwargs = FORM_KWARGS.get(cls.__name__, dict)()
    kwargs.pop("questions", None)
    if cls.__name__ == "FilterForm":
        return cls(data, **kwargs)
    return cls(*positional, data=data, **kwargs)


def text_fields(form) -> list[str]:
    return [name for name, field in form.fields.items()
            if isinstance(field, forms.CharField) and not isinstance(field.widget, forms.HiddenInput)]


def date_fields(form):
    return ([n for n, f in form.fields.items() if isinstance(f, forms.DateField)],
            [n for n, f in form.fields.items() if isinstance(f, forms.DateTimeField)])


@pytest.mark.parametrize("cls", list(project_forms()))
def test_every_form_refuses_or_accepts_hostile_text_without_raising(cls):
    names = text_fields(build(cls, None))
    dates, datetimes = date_fields(build(cls, None))
    for label, value in ALL:
        for name in names:
            form = build(cls, {name: value})
            form.is_valid()  # must not raise
            cleaned = form.cleaned_data.get(name)
            if isinstance(cleaned, str):
                assert "\x00" not in cleaned, (name, label)
                limit = form.fields[name].max_length
                assert limit is None or len(cleaned) <= limit, (name, label)
            if label == "nul" and name not in form.errors and cleaned not in (None, ""):
                pytest.fail(f"{cls.__name__}.{name} accepted a NUL character")
    for name in dates:
        for label, value in BAD_DATES:
            form = build(cls, {name: value})
            form.is_valid()
            assert name in form.errors, (cls.__name__, name, label)
            assert all(str(message).strip() for message in form.errors[name])
    for name in datetimes:
        for label, value in BAD_DATETIMES:
            form = build(cls, {name: value})
            form.is_valid()
            assert name in form.errors, (cls.__name__, name, label)


def test_there_are_free_text_forms_to_check():
    with_text = [p for p in project_forms() if text_fields(build(p.values[0], None))]
    assert len(with_text) >= 30


# ------------------------------------------------------------------ registration


def register_data(**overrides):
    data = {"chosen_name": "Paz", "age_band": "18-24", "preferred_language": "es",
            "neutral_sender": "Reminder", "safe_hours_start": "10:00", "safe_hours_end": "16:00",
            "do_not_contact": "on", "confirm_new": "yes"}
    data.update(overrides)
    return data


@pytest.mark.parametrize("label,name", CONTROL, ids=[label for label, _ in CONTROL])
def test_names_lose_control_characters_and_bidi_overrides_at_registration(cast, client_for, label, name):
    client = client_for(cast.alice)
    response = client.post(reverse("people:register"), register_data(chosen_name=name, legal_name=name + " Legal"))
    assert response.status_code == 302, label
    person = Person.objects.latest("pk")
    for stored in (person.chosen_name, person.legal_name):
        assert not any(ord(c) < 32 or 127 <= ord(c) < 160 for c in stored), (label, stored)
        assert not set(stored) & set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"), (label, stored)
    assert person.chosen_name.replace("\u200b", "").replace("\u200d", "").replace("\ufeff", "").startswith("Ro")
    chart = client.get(reverse("people:chart", args=[person.public_id]))
    assert RLO not in chart.content.decode()
    listing = client.get(reverse("people:worklist"))
    assert RLO not in listing.content.decode()


def test_right_to_left_names_are_kept_as_written(cast, client_for):
    name = "\u0645\u0631\u064a\u0645 \u05e9\u05e8\u05d4"  # Arabic and Hebrew letters, no override marks
    client_for(cast.alice).post(reverse("people:register"), register_data(chosen_name=name))
    assert Person.objects.filter(chosen_name=name).exists()


@pytest.mark.parametrize("label,name", SCRIPT, ids=[label for label, _ in SCRIPT])
def test_markup_in_names_is_stored_as_typed_and_shown_as_text(cast, client_for, label, name):
    client = client_for(cast.alice)
    response = client.post(reverse("people:register"), register_data(chosen_name=name, safety_note=name,
                                                                      pronouns=name[:40]))
    assert response.status_code == 302, label
    person = Person.objects.latest("pk")
    assert person.chosen_name == name.strip()
    for url in (reverse("people:chart", args=[person.public_id]), reverse("people:worklist"),
                reverse("people:edit", args=[person.public_id])):
        page = client.get(url)
        assert page.status_code == 200
        assert live_markup(page.content.decode()) == [], (label, url)
    if label == "template-tags":  # text is never evaluated as a template
        assert "{{ request.user }}" in client.get(reverse("people:chart", args=[person.public_id])).content.decode()


@pytest.mark.parametrize("field", ["chosen_name", "legal_name", "safety_note", "pronouns", "code_word"])
def test_refused_registrations_write_nothing_and_keep_the_answers(cast, client_for, field):
    client = client_for(cast.alice)
    for label, value in [NUL, ("too-long", "A" * 100_000)]:
        before = row_counts()
        data = register_data(**{field: value})
        response = client.post(reverse("people:register"), data)
        assert response.status_code == 400, (field, label)
        assert response.context["form"].errors, (field, label)
        assert changed(before, row_counts()) == {}, (field, label)
        assert 'value="Reminder"' in response.content.decode()  # the other answers are kept


@pytest.mark.parametrize("label,value", BAD_DATES, ids=[label for label, _ in BAD_DATES])
def test_impossible_birth_dates_are_refused_with_a_message(cast, client_for, label, value):
    before = row_counts()
    response = client_for(cast.alice).post(reverse("people:register"), register_data(date_of_birth=value))
    assert response.status_code == 400
    assert response.context["form"].errors["date_of_birth"]
    assert changed(before, row_counts()) == {}


def test_hostile_text_in_encounters_and_notes_is_saved_or_refused_and_shown_inert(cast, client_for):
    from safehaven.people.models import Encounter, Note

    client = client_for(cast.alice)
    start = reverse("people:start_encounter", args=[cast.patient.public_id])
    for label, value in TEXT:
        before = row_counts()
        response = client.post(start, {"setting": "outreach", "chief_complaint": value})
        if label == "nul":
            assert response.status_code == 400 and changed(before, row_counts()) == {}
            continue
        assert response.status_code == 302, label
    encounter = Encounter.objects.filter(person=cast.patient).latest("pk")
    note_url = reverse("people:encounter", args=[encounter.public_id])
    for label, value in TEXT:
        before = row_counts()
        response = client.post(note_url, {"kind": "progress", "body": value})
        assert response.status_code == (400 if label == "nul" else 302), label
        if label == "nul":
            assert changed(before, row_counts()) == {}
    bodies = [note.body for note in Note.objects.filter(encounter=encounter)]  # encrypted: compare in Python
    assert SCRIPT[0][1] in bodies and "' OR 1=1 --" in bodies
    for url in (note_url, reverse("people:chart", args=[cast.patient.public_id])):
        page = client.get(url).content.decode()
        assert live_markup(page) == [], url
        assert "&lt;script&gt;alert(" in page
