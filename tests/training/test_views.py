"""Learner pages, certificates and the clinic's training rules: who may see what, and bad input."""

import re

import pytest
from django.urls import reverse
from django.utils.html import escape

from safehaven.training.models import Attempt, Completion, TrainingSettings
from tests.training.conftest import complete, right_answers

pytestmark = pytest.mark.django_db


def as_post(answers):
    return {f"q_{k}": v for k, v in answers.items()}


def learner_urls(module):
    return [reverse("training:home"), reverse("training:module", args=[module.code]),
            reverse("training:pre_test", args=[module.code]), reverse("training:check", args=[module.code])]


def test_every_page_requires_login(cast, client, curriculum):
    urls = learner_urls(curriculum[0]) + [reverse("training:staff"), reverse("training:settings")]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], url


def test_every_staff_role_and_the_trainee_can_learn(cast, client_for, curriculum):
    for user in (cast.alice, cast.bob, cast.fay, cast.ana, cast.erin, cast.tom):
        client = client_for(user)
        for url in learner_urls(curriculum[0]):
            assert client.get(url).status_code == 200, (user, url)


def test_roles_without_training_are_refused(cast, client_for, curriculum):
    client = client_for(cast.eve)
    for url in learner_urls(curriculum[0]):
        assert client.get(url).status_code == 403


def test_the_nav_shows_training_to_learners_only(cast, client_for, curriculum):
    page = client_for(cast.tom).get(reverse("training:home")).content.decode()
    assert f'href="{reverse("training:home")}"' in page
    other = client_for(cast.eve).get(reverse("core:home")).content.decode()
    assert f'href="{reverse("training:home")}"' not in other


def test_the_module_page_shows_readings_and_vignettes(cast, client_for, curriculum):
    page = client_for(cast.tom).get(reverse("training:module", args=["noticing-cues"])).content.decode()
    assert "Cues survivors name" in page and "A third visit this year" in page
    assert "Take the pre-test" in page


def test_an_unknown_module_is_404_even_with_hostile_text(cast, client_for, curriculum):
    client = client_for(cast.alice)
    for code in ["nope", "<script>alert(1)", "' OR 1=1 --", "\u202ecues"]:
        assert client.get(reverse("training:module", args=[code])).status_code == 404


def test_passing_the_check_on_the_page_completes_the_module(cast, client_for, curriculum):
    module = curriculum[0]
    response = client_for(cast.bob).post(reverse("training:check", args=[module.code]),
                                          as_post(right_answers(module)))
    assert response.status_code == 200
    page = response.content.decode()
    assert "3 of 3 right (100%)" in page and "Certificate (PDF)" in page
    assert Completion.objects.filter(user=cast.bob, module=module).exists()


def test_a_check_with_missing_answers_is_400_and_keeps_the_answers_given(cast, client_for, curriculum):
    module = curriculum[0]
    answers = right_answers(module)
    first_key, first_choice = next(iter(answers.items()))
    response = client_for(cast.bob).post(reverse("training:check", args=[module.code]),
                                          {f"q_{first_key}": first_choice})
    page = response.content.decode()
    assert response.status_code == 400
    assert "Choose one answer." in page
    assert re.search(rf'value="{first_choice}"[^>]*name="q_{first_key}"[^>]*checked|name="q_{first_key}" value="{first_choice}"[^>]*checked', page)
    assert not Attempt.objects.exists()


def test_a_check_with_hostile_answers_is_400_and_harmless(cast, client_for, curriculum):
    module = curriculum[0]
    data = {f"q_{k}": "<script>alert(1)</script>\x00" for k in right_answers(module)}
    response = client_for(cast.bob).post(reverse("training:check", args=[module.code]), data)
    assert response.status_code == 400
    assert "<script>alert(1)</script>" not in response.content.decode()
    assert not Attempt.objects.exists()


def test_the_pre_test_is_taken_once_and_does_not_complete(cast, client_for, curriculum):
    module = curriculum[0]
    client = client_for(cast.tom)
    url = reverse("training:pre_test", args=[module.code])
    response = client.post(url, as_post(right_answers(module)))
    assert response.status_code == 200 and "Now read the module" in response.content.decode()
    again = client.get(url)
    assert again.status_code == 302
    assert not Completion.objects.exists()


def test_my_modules_page_runs_a_fixed_number_of_queries(cast, client_for, curriculum, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for(cast.alice)
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("training:home"))
    for module in curriculum:
        complete(cast.alice, module)
    with CaptureQueriesContext(connection) as many:
        client.get(reverse("training:home"))
    assert len(few) == len(many)


def test_a_certificate_is_a_pdf_for_me_and_my_administrator_only(cast, client_for, curriculum):
    complete(cast.bob, curriculum[0])
    completion = Completion.objects.get()
    url = reverse("training:certificate", args=[completion.public_id])
    mine = client_for(cast.bob).get(url)
    assert mine.status_code == 200 and mine["Content-Type"] == "application/pdf"
    assert mine.content.startswith(b"%PDF")
    assert client_for(cast.erin).get(url).status_code == 200
    assert client_for(cast.alice).get(url).status_code == 404  # a colleague
    assert client_for(cast.dan).get(url).status_code == 404  # another clinic
    assert client_for(cast.bob).get(reverse("training:certificate", args=["not-a-uuid"])).status_code == 404


def test_the_staff_overview_is_for_administrators(cast, client_for, curriculum):
    assert client_for(cast.erin).get(reverse("training:staff")).status_code == 200
    for user in (cast.alice, cast.tom, cast.eve):
        assert client_for(user).get(reverse("training:staff")).status_code == 403


def test_the_clinic_switches_gates_on_from_the_settings_page(cast, client_for, curriculum):
    client = client_for(cast.erin)
    response = client.post(reverse("training:settings"), {
        "site": str(cast.site_a.public_id), "gate_screening": "on", "refresher_months": "12",
    })
    assert response.status_code == 302
    rules = TrainingSettings.objects.get(site=cast.site_a)
    assert rules.gate_screening and not rules.gate_break_glass


def test_the_settings_page_refuses_bad_input_with_a_message(cast, client_for, curriculum):
    client = client_for(cast.erin)
    for months in ["0", "61", "twelve", "", "1; DROP TABLE"]:
        response = client.post(reverse("training:settings"), {"gate_screening": "on", "refresher_months": months})
        assert response.status_code == 400, months
        assert "errorlist" in response.content.decode()
    assert not TrainingSettings.objects.exists()


def test_the_settings_page_is_for_clinic_administrators(cast, client_for, curriculum):
    for user in (cast.alice, cast.tom, cast.eve):
        assert client_for(user).get(reverse("training:settings")).status_code == 403


@pytest.mark.parametrize(("lang", "title", "word"), [
    ("es", "Reconocer las señales", "Formación"),
    ("fr", "Repérer les signaux", "Formation"),
])
def test_pages_and_modules_show_in_spanish_and_french(cast, client_for, curriculum, lang, title, word):
    client = client_for(cast.tom)
    client.cookies["django_language"] = lang
    page = client.get(reverse("training:home")).content.decode()
    assert title in page and word in page
    check = client.get(reverse("training:check", args=["noticing-cues"])).content.decode()
    assert escape(curriculum[0].questions.first().prompt[lang]) in check


def test_every_training_form_control_has_a_label(cast, client_for, curriculum):
    for user, url in [(cast.alice, reverse("training:check", args=["noticing-cues"])),
                      (cast.erin, reverse("training:settings"))]:
        page = client_for(user).get(url).content.decode()
        ids = set(re.findall(r'<(?:input|select|textarea)[^>]*\bid="([^"]+)"', page))
        labelled = set(re.findall(r'<label[^>]*for="([^"]+)"', page))
        assert ids <= labelled, (url, ids - labelled)
