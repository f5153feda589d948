"""Pages render in English, Spanish and French; controls are labelled; quick exit is everywhere."""

import re

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("lang", "word"), [("en", "Sign in"), ("es", "Iniciar sesión"), ("fr", "Se connecter")])
def test_sign_in_page_renders_in_each_language(client, lang, word):
    response = client.get(reverse("accounts:login"), HTTP_ACCEPT_LANGUAGE=lang)
    page = response.content.decode()
    assert f'lang="{lang}"' in page
    assert word in page


@pytest.mark.parametrize(("lang", "word"), [("es", "Equipo de atención"), ("fr", "Équipe de soins")])
def test_chart_renders_in_spanish_and_french(cast, client_for, lang, word):
    client = client_for(cast.alice)
    client.cookies["django_language"] = lang
    page = client.get(reverse("people:chart", args=[cast.patient.public_id])).content.decode()
    assert word in page


def test_every_form_control_has_a_label(cast, client_for):
    client = client_for(cast.alice)
    for url in [reverse("people:register"), reverse("people:chart", args=[cast.patient.public_id]),
                reverse("access:break_glass"), reverse("people:worklist")]:
        page = client.get(url).content.decode()
        ids = set(re.findall(r'<(?:input|select|textarea)[^>]*\bid="([^"]+)"', page))
        types = re.findall(r'<input[^>]*type="(hidden|submit)"[^>]*id="([^"]+)"', page)
        ids -= {i for _t, i in types}
        labelled = set(re.findall(r'<label[^>]*for="([^"]+)"', page))
        assert ids <= labelled, (url, ids - labelled)


def test_quick_exit_is_on_every_page_and_lands_somewhere_neutral(cast, client, client_for):
    pages = [client.get(reverse("accounts:login")),
             client_for(cast.alice).get(reverse("people:chart", args=[cast.patient.public_id]))]
    for page in pages:
        assert "data-quick-exit" in page.content.decode()
    neutral = client.get(reverse("core:neutral")).content.decode().lower()
    for word in ("safe haven", "clinic", "health", "traffick", "patient"):
        assert word not in neutral


def test_quick_exit_script_replaces_the_history_entry():
    from pathlib import Path

    script = (Path(__file__).resolve().parent.parent / "safehaven/core/static/safehaven/app.js").read_text()
    assert "location.replace" in script and "Escape" in script


def test_quick_exit_ends_the_session(cast, client_for):
    client = client_for(cast.alice)
    assert client.get(reverse("core:neutral"), {"exit": "1"}).status_code == 200
    response = client.get(reverse("people:chart", args=[cast.patient.public_id]))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
