"""Instruments in the person's language on the tablet; translations marked as not verified."""

import json
import re

import pytest
from django.urls import reverse
from django.utils.html import escape

from safehaven.screening import actions, engine

pytestmark = pytest.mark.django_db

SHIPPED = {name: json.loads(text) for name, text in actions.shipped_instrument_files()}
# Words that must never reach a person's screen, in English, Spanish and French.
LABELS = re.compile(
    r"traffick|\btrata\b|tr[aá]fico de personas|\btraite\b|exploit|explota|victim|v[ií]ctima",
    re.IGNORECASE,
)


def asked_items(questionnaire):
    """The items a person sees: displays and questions, not calculated totals."""
    return [item for _w, item in engine._walk_items(questionnaire["item"])
            if item["type"] != "group" and engine.ext_value(item, engine.CALCULATED_URL) is None]


def codings(item):
    return [option["valueCoding"] for option in item.get("answerOption") or [] if "valueCoding" in option]


@pytest.mark.parametrize("name", sorted(SHIPPED))
@pytest.mark.parametrize("lang", ["es", "fr"])
def test_every_shipped_instrument_has_its_text_and_answers_in_spanish_and_french(name, lang):
    questionnaire = SHIPPED[name]
    for item in asked_items(questionnaire):
        text = engine.translated(item, "text", lang)
        assert text and text != item["text"], (name, item["linkId"])
        for coding in codings(item):
            label = engine.translated(coding, "display", lang)
            assert label and (label != coding["display"] or label[0].isdigit()), (name, coding["code"])


@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_translations_are_marked_not_verified(name):
    assert engine.translations(SHIPPED[name]) == {"es": False, "fr": False}


def test_a_verified_translation_says_so_per_language():
    data = json.loads(json.dumps(SHIPPED["phq-9.json"]))
    for ext in data["extension"]:
        if ext["url"] == engine.TRANSLATION_VERIFIED_URL and ext["extension"][0]["valueCode"] == "es":
            ext["extension"][1]["valueBoolean"] = True
    assert engine.translations(data) == {"es": True, "fr": False}
    del data["extension"][-2:]
    assert engine.translations(data) == {"es": False, "fr": False}  # absent means not verified


def test_without_a_translation_the_english_text_is_used():
    item = {"linkId": "x", "text": "Plain text"}
    assert engine.translated(item, "text", "fr") == "Plain text"


@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_no_patient_facing_text_names_a_label(name):
    for item in asked_items(SHIPPED[name]):
        texts = [item["text"]] + [engine.translated(item, "text", lang) for lang in ("es", "fr")]
        for coding in codings(item):
            texts += [coding["display"]] + [engine.translated(coding, "display", lang) for lang in ("es", "fr")]
        for text in texts:
            assert not LABELS.search(text), (name, item["linkId"], text)


@pytest.mark.parametrize("lang,yes,prefer_not", [
    ("es", "Sí", "Prefiero no decirlo"), ("fr", "Oui", "Je préfère ne pas répondre"),
])
def test_the_tablet_shows_every_instrument_in_the_persons_language(
    cast, client_for, instruments, private_session, lang, yes, prefer_not
):
    cast.patient.preferred_language = lang
    cast.patient.save()
    client = client_for(cast.alice)
    home = client.get(reverse("screening:tablet", args=[private_session.public_id])).content.decode()
    assert f'lang="{lang}"' in home and not LABELS.search(home)
    for instrument in instruments.values():
        url = reverse("screening:tablet_ask", args=[private_session.public_id, instrument.public_id])
        page = client.get(url).content.decode()
        assert f'lang="{lang}"' in page and prefer_not in page
        assert not LABELS.search(page), instrument.name
        for item in asked_items(instrument.resource):
            assert escape(engine.translated(item, "text", lang)) in page, (instrument.name, item["linkId"])
            assert escape(item["text"]) not in page, (instrument.name, item["linkId"])
            for coding in codings(item):
                assert escape(engine.translated(coding, "display", lang)) in page
            if item["type"] == "boolean":
                assert f"> {yes}</label>" in page
    handback = client.get(reverse("screening:handback", args=[private_session.public_id])).content.decode()
    assert f'lang="{lang}"' in handback and not LABELS.search(handback)


def test_a_person_with_another_language_gets_english_and_staff_get_their_own(
    cast, client_for, instruments, private_session
):
    phq9 = instruments["PHQ9"]
    cast.patient.preferred_language = "other"
    cast.patient.save()
    client = client_for(cast.alice)
    tablet = client.get(reverse("screening:tablet_ask", args=[private_session.public_id, phq9.public_id]))
    assert "Little interest or pleasure in doing things" in tablet.content.decode()
    staff = client.get(reverse("screening:ask", args=[private_session.public_id, phq9.public_id]))
    assert "Little interest or pleasure in doing things" in staff.content.decode()


def test_a_refused_answer_on_the_tablet_gets_a_plain_message_in_the_persons_language(
    cast, client_for, instruments, private_session
):
    cast.patient.preferred_language = "fr"
    cast.patient.save()
    phq9 = instruments["PHQ9"]
    url = reverse("screening:tablet_ask", args=[private_session.public_id, phq9.public_id])
    response = client_for(cast.alice).post(url, {"a0": "9"})
    page = response.content.decode()
    assert response.status_code == 400
    assert escape("Certaines réponses n'ont pas pu être enregistrées") in page
    assert "/44250-9" not in page


def test_administrators_see_translation_status_next_to_wording_status(cast, client_for, instruments):
    page = client_for(cast.erin).get(reverse("screening:instruments")).content.decode()
    assert "wording verified: no" in page
    assert "es translation verified: no" in page and "fr translation verified: no" in page
    assert "not the validated published versions" in page


def test_the_import_command_reports_translation_status(capsys):
    from django.core.management import call_command

    call_command("instruments", "import", "--shipped")
    out = capsys.readouterr().out
    assert "PHQ-9 (mood)" in out
    assert out.count("es translation verified: no; fr translation verified: no") == len(SHIPPED)
