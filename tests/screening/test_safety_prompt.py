"""PHQ-9 item 9 skipped or "prefer not to say": staff are prompted to ask about safety in person.

Only staff see it (the session page after the tablet is handed back, the chart panel);
never the tablet or anything the person sees. Worked out from the answers when a page is
shown: nothing is recorded about the person.
"""

import json

import pytest
from django.urls import reverse

from safehaven.audit.models import AuditEvent
from safehaven.screening import actions, engine
from safehaven.screening.models import CueObservation, ResponseTask, ScreeningResponse

from . import lhc_forms

pytestmark = pytest.mark.django_db

PROMPT = "Question 9 was not answered — consider asking about safety in person."
PREFER_NOT = "__prefer_not__"


def phq9_form(item9, others="1"):
    """Staff or tablet form data for the PHQ-9: items 1-8 answered, item 9 as given ("" = skipped)."""
    data = {f"a{i}": others for i in range(8)}
    if item9 != "":
        data["a8"] = item9
    return data


def page(client, name, *args):
    return client.get(reverse(name, args=args)).content.decode()


@pytest.mark.parametrize("item9", ["", PREFER_NOT])
def test_staff_see_a_calm_prompt_on_the_session_page_and_the_chart(
    cast, client_for, instruments, private_session, item9
):
    client = client_for(cast.alice)
    ask = reverse("screening:ask", args=[private_session.public_id, instruments["PHQ9"].public_id])
    first = AuditEvent.objects.count()
    assert client.post(ask, phq9_form(item9)).status_code == 302
    session_page = page(client, "screening:session", private_session.public_id)
    chart = page(client, "people:chart", cast.patient.public_id)
    for text in (session_page, chart):
        assert PROMPT in text
    # Calm: not an alert, and nothing opened or recorded about the person.
    assert 'class="card safety-prompt"' in chart and "alert" not in chart.split(PROMPT)[0].rsplit("<p", 1)[-1]
    assert not ResponseTask.objects.exists() and not CueObservation.objects.exists()
    response = ScreeningResponse.objects.get()
    assert not response.positive
    assert response.results.get().value == 9  # prorated from eight answers, as any other PHQ-9
    events = AuditEvent.objects.order_by("seq")[first:]
    assert not any("safety" in e.action for e in events)
    assert AuditEvent.objects.get(action="screening.response.complete").detail == {
        "instrument": "PHQ9", "positive": False, "safety": False, "result": "complete"}


def test_no_prompt_when_item_9_is_answered(cast, client_for, instruments, private_session):
    client = client_for(cast.alice)
    ask = reverse("screening:ask", args=[private_session.public_id, instruments["PHQ9"].public_id])
    client.post(ask, phq9_form("0"))
    assert PROMPT not in page(client, "screening:session", private_session.public_id)
    assert PROMPT not in page(client, "people:chart", cast.patient.public_id)


def test_the_chart_prompt_follows_the_newest_phq9(cast, client_for, instruments, private_session):
    phq9 = instruments["PHQ9"]
    items = engine.answerable_items(phq9.resource)
    actions.record_response(by=cast.alice, session=private_session, instrument=phq9,
                            raw={i["linkId"]: "1" for i in items[:8]}, declined_items={items[8]["linkId"]})
    client = client_for(cast.alice)
    assert PROMPT in page(client, "people:chart", cast.patient.public_id)
    later = actions.start_session(by=cast.alice, person=cast.patient)
    actions.record_privacy(by=cast.alice, session=later, alone=True)
    actions.record_confidentiality(by=cast.alice, session=later)
    actions.record_response(by=cast.alice, session=later, instrument=phq9,
                            raw={i["linkId"]: "0" for i in items})
    assert PROMPT not in page(client, "people:chart", cast.patient.public_id)
    # The earlier session's own page still says what happened in it.
    assert PROMPT in page(client, "screening:session", private_session.public_id)


def test_the_tablet_never_shows_it_and_staff_see_it_once_the_tablet_is_handed_back(
    cast, client_for, instruments, private_session
):
    phq9 = instruments["PHQ9"]
    tablet = client_for(cast.alice)
    assert PROMPT not in page(tablet, "screening:tablet", private_session.public_id)
    url = reverse("screening:tablet_ask", args=[private_session.public_id, phq9.public_id])
    response = tablet.post(url, {**phq9_form(PREFER_NOT), "handback": "1"})
    assert response["Location"] == reverse("screening:handback", args=[private_session.public_id])
    for name, args in (("screening:handback", ()), ("screening:tablet", ()),
                       ("screening:tablet_ask", (phq9.public_id,))):
        text = page(tablet, name, private_session.public_id, *args)
        for words in (PROMPT, "not answered", "asking about safety", "safety-prompt"):
            assert words not in text, (name, words)
    # Staff, once they have the tablet back.
    staff = client_for(cast.alice)
    assert PROMPT in page(staff, "screening:session", private_session.public_id)


@pytest.mark.parametrize(("lang", "words"), [("es", "La pregunta 9"), ("fr", "La question 9")])
def test_the_prompt_in_spanish_and_french(cast, client_for, instruments, private_session, lang, words):
    phq9 = instruments["PHQ9"]
    items = engine.answerable_items(phq9.resource)
    actions.record_response(by=cast.alice, session=private_session, instrument=phq9,
                            raw={i["linkId"]: "1" for i in items[:8]})
    client = client_for(cast.alice)
    client.cookies["django_language"] = lang
    for text in (page(client, "people:chart", cast.patient.public_id),
                 page(client, "screening:session", private_session.public_id)):
        prompt = text.split('class="card safety-prompt">', 1)[1].split("</p>", 1)[0]
        assert words in prompt and PROMPT not in text


def test_safety_questions_come_from_the_safety_rule_or_the_item_9_code():
    shipped = dict(actions.shipped_instrument_files())
    assert engine.safety_questions(json.loads(shipped["phq-9.json"])) == [(9, "/44260-8")]
    # An LHC-Forms PHQ-9 has no safety rule, but codes item 9.
    assert engine.safety_questions(json.loads(lhc_forms.FIXTURE.read_text())) == [(9, "/44260-8")]
    for name in ("gad-7.json", "phq-2.json", "work-safety-adult.json"):
        assert engine.safety_questions(json.loads(shipped[name])) == []
    phq9 = json.loads(shipped["phq-9.json"])
    skipped, _ = engine.build_response(phq9, {"/44250-9": "1"})
    declined, _ = engine.build_response(phq9, {}, declined={"/44260-8"})
    answered, _ = engine.build_response(phq9, {"/44260-8": "0"})
    assert engine.unanswered_safety_questions(phq9, skipped) == [9]
    assert engine.unanswered_safety_questions(phq9, declined) == [9]
    assert engine.unanswered_safety_questions(phq9, answered) == []


def test_kept_questionnaires_follow_a_re_import_and_keep_the_query_count(
    cast, client_for, instruments, private_session
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from safehaven.screening import queries

    client = client_for(cast.alice)
    ask = reverse("screening:ask", args=[private_session.public_id, instruments["PHQ9"].public_id])
    assert client.post(ask, phq9_form("")).status_code == 302
    queries._QUESTIONNAIRES.clear()
    with CaptureQueriesContext(connection) as cold:
        assert queries.safety_prompts(cast.patient)[0]["numbers"] == [9]
    with CaptureQueriesContext(connection) as warm:
        assert queries.safety_prompts(cast.patient)[0]["numbers"] == [9]
    assert len(cold) == len(warm)  # the kept ones are not read again, but the query still runs
    # A re-import changes the resource in place and moves imported_at: the new one is used.
    phq9 = instruments["PHQ9"]
    changed = json.loads(json.dumps(phq9.resource))
    for item in engine.answerable_items(changed, self_administered=True):
        item["code"] = []
    changed["extension"] = [e for e in changed.get("extension", []) if e.get("url") != engine.SAFETY_URL]
    for _w, item in engine._walk_items(changed.get("item") or []):
        item["extension"] = [e for e in item.get("extension", []) if e.get("url") != engine.SAFETY_URL]
    assert not engine.safety_questions(changed)
    type(phq9).objects.filter(pk=phq9.pk).update(resource=changed, imported_at=timezone.now())
    assert queries.safety_prompts(cast.patient) == []
