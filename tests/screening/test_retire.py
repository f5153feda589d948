"""Administrators retire an instrument version: no longer offered, its responses still shown."""

import json
import uuid

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from safehaven.audit.models import AuditEvent
from safehaven.screening import actions
from safehaven.screening.models import Instrument, ScoredResult

from . import lhc_forms
from .conftest import phq9_answers

pytestmark = pytest.mark.django_db

SHIPPED = dict(actions.shipped_instrument_files())


def status_url(instrument):
    return reverse("screening:instrument_status", args=[instrument.public_id])


def ask_url(session, instrument):
    return reverse("screening:ask", args=[session.public_id, instrument.public_id])


def test_two_imported_phq9s_are_both_offered_until_one_is_retired(cast, client_for, instruments, private_session):
    lhc = actions.import_instruments(by="test", files=[("lhc.json", lhc_forms.FIXTURE.read_text())])[0]
    assert any("Retire the one not to offer" in note for note in lhc.import_notes)
    admin, clinician = client_for(cast.erin), client_for(cast.alice)
    assert clinician.get(ask_url(private_session, lhc)).status_code == 200
    token = str(uuid.uuid4())
    response = admin.post(status_url(lhc), {"active": "0", "form_token": token})
    assert response.status_code == 302 and response["Location"] == reverse("screening:instruments")
    lhc.refresh_from_db()
    assert lhc.active is False
    event = AuditEvent.objects.get(action="screening.instrument.retire")
    assert event.object_id == str(lhc.public_id) and event.actor_id == str(cast.erin.public_id)
    assert event.detail == {"url": lhc.url, "version": lhc.version}
    # The same form sent twice (double click, retry): one change, one audit event.
    assert admin.post(status_url(lhc), {"active": "0", "form_token": token}).status_code == 302
    assert AuditEvent.objects.filter(action="screening.instrument.retire").count() == 1
    # No longer offered in a session, not even by its address; the shipped PHQ-9 still is.
    assert clinician.get(ask_url(private_session, lhc)).status_code == 404
    session_page = clinician.get(reverse("screening:session", args=[private_session.public_id])).content.decode()
    assert ask_url(private_session, lhc) not in session_page
    assert ask_url(private_session, instruments["PHQ9"]) in session_page
    page = admin.get(reverse("screening:instruments")).content.decode()
    assert "Retired: not offered" in page and "Offer again" in page
    # Offered again.
    assert admin.post(status_url(lhc), {"active": "1", "form_token": str(uuid.uuid4())}).status_code == 302
    lhc.refresh_from_db()
    assert lhc.active and AuditEvent.objects.filter(action="screening.instrument.activate").count() == 1
    assert clinician.get(ask_url(private_session, lhc)).status_code == 200


def test_responses_to_a_retired_instrument_still_show_and_a_paused_one_can_be_finished(
    cast, client_for, instruments, private_session
):
    phq9, gad7 = instruments["PHQ9"], instruments["GAD7"]
    actions.record_response(by=cast.alice, session=private_session, instrument=phq9,
                            raw=phq9_answers(phq9, [2, 2, 1, 1, 1, 1, 1, 1, 0]))
    actions.record_response(by=cast.alice, session=private_session, instrument=gad7,
                            raw={"/69725-0": "1"}, pause=True)
    for instrument in (phq9, gad7):
        actions.set_instrument_active(by=cast.erin, instrument=instrument, active=False)
        instrument.refresh_from_db()
    client = client_for(cast.alice)
    page = client.get(reverse("screening:session", args=[private_session.public_id])).content.decode()
    assert "PHQ-9 (mood)" in page and "10 Moderate (10-14)" in page
    chart = client.get(reverse("people:chart", args=[cast.patient.public_id])).content.decode()
    assert "10 Moderate (10-14)" in chart
    # The paused GAD-7 is offered to finish in this session, and scores.
    assert ask_url(private_session, gad7) in page
    data = {f"a{i}": "1" for i in range(7)}
    assert client.post(ask_url(private_session, gad7), data).status_code == 302
    assert ScoredResult.objects.get(code="70274-6").value == 7
    # A new session offers neither, and refuses to record them.
    session = actions.start_session(by=cast.alice, person=cast.patient)
    actions.record_privacy(by=cast.alice, session=session, alone=True)
    actions.record_confidentiality(by=cast.alice, session=session)
    assert client.get(ask_url(session, phq9)).status_code == 404
    with pytest.raises(actions.StepError, match="retired"):
        actions.record_response(by=cast.alice, session=session, instrument=phq9, raw={})


def test_only_administrators_retire_and_only_by_a_csrf_protected_post(cast, client_for, instruments):
    phq9 = instruments["PHQ9"]
    url = status_url(phq9)
    assert client_for(cast.alice).post(url, {"active": "0"}).status_code == 403
    assert client_for(cast.erin).get(url).status_code == 405
    anonymous = Client().post(url, {"active": "0"})
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]
    strict = client_for(cast.erin)
    strict.handler.enforce_csrf_checks = True
    assert strict.post(url, {"active": "0", "form_token": str(uuid.uuid4())}).status_code == 403
    assert client_for(cast.erin).post(url, {"active": "maybe"}).status_code == 400
    assert client_for(cast.erin).post(reverse("screening:instrument_status", args=[uuid.uuid4()]),
                                      {"active": "0"}).status_code == 404
    phq9.refresh_from_db()
    assert phq9.active and not AuditEvent.objects.filter(action="screening.instrument.retire").exists()


def test_the_page_carries_a_form_token_for_each_instrument(cast, client_for, instruments):
    page = client_for(cast.erin).get(reverse("screening:instruments")).content.decode()
    assert page.count('name="form_token"') == len(instruments)
    assert page.count('name="csrfmiddlewaretoken"') >= len(instruments)


def test_the_command_lists_retires_and_activates_by_canonical(cast, instruments, capsys):
    phq9 = instruments["PHQ9"]
    canonical = f"{phq9.url}|{phq9.version}"
    call_command("instruments", "retire", canonical)
    assert "is retired" in capsys.readouterr().out
    phq9.refresh_from_db()
    assert not phq9.active
    event = AuditEvent.objects.get(action="screening.instrument.retire")
    assert event.object_id == str(phq9.public_id) and event.actor_label == "cli"
    call_command("instruments", "list")
    assert f"{canonical}\tretired\tPHQ-9 (mood)" in capsys.readouterr().out
    call_command("instruments", "retire", canonical)
    assert "already retired" in capsys.readouterr().out
    assert AuditEvent.objects.filter(action="screening.instrument.retire").count() == 1
    call_command("instruments", "activate", phq9.url)  # one version: the url alone is enough
    phq9.refresh_from_db()
    assert phq9.active
    with pytest.raises(CommandError, match="no instrument"):
        call_command("instruments", "retire", "https://example.org/none")


def test_a_new_version_is_offered_instead_of_the_old_one_and_reimport_keeps_a_retirement(cast, instruments):
    old = instruments["PHQ9"]
    data = json.loads(SHIPPED["phq-9.json"])
    data["version"] = "9.9.9"
    new = actions.import_instruments(by="test", files=[("phq-9-new.json", json.dumps(data))])[0]
    old.refresh_from_db()
    assert new.active and not old.active
    assert any("version 9.9.9 is offered from now on" in note for note in new.import_notes)
    retired = AuditEvent.objects.get(action="screening.instrument.retire")
    assert retired.object_id == str(old.public_id) and "superseded" in retired.reason
    with pytest.raises(CommandError, match="several versions"):
        call_command("instruments", "retire", old.url)
    # Importing the retired version's file again replaces its content but does not offer it.
    again = actions.import_instruments(by="test", files=[("phq-9.json", SHIPPED["phq-9.json"])])[0]
    assert again.pk == old.pk and not again.active
    assert any("stays retired" in note for note in again.import_notes)
    assert Instrument.objects.get(pk=new.pk).active


def phq9_version(version):
    data = json.loads(SHIPPED["phq-9.json"])
    data["version"] = version
    return (f"phq-9-{version}.json", json.dumps(data))


def test_importing_an_older_version_keeps_the_newer_one_offered_and_imports_the_older_retired(db):
    newer = actions.import_instruments(by="test", files=[phq9_version("1.10.0")])[0]
    older = actions.import_instruments(by="test", files=[phq9_version("1.9.0")])[0]
    newer.refresh_from_db()
    older.refresh_from_db()
    # 1.10.0 is newer than 1.9.0 (by number, not by text): it stays offered.
    assert newer.active and not older.active
    assert any("1.9.0 is older than version 1.10.0" in note and "imported retired" in note
               for note in older.import_notes)
    retired = AuditEvent.objects.get(action="screening.instrument.retire")
    assert retired.object_id == str(older.public_id) and "older than version 1.10.0" in retired.reason
    # A version newer than both retires only the offered one before it.
    newest = actions.import_instruments(by="test", files=[phq9_version("1.11.0")])[0]
    assert {i.version: i.active for i in Instrument.objects.all()} == {
        "1.9.0": False, "1.10.0": False, "1.11.0": True}
    assert any("version 1.11.0 is offered from now on; version 1.10.0" in note for note in newest.import_notes)


def test_an_older_version_imported_while_an_even_older_one_is_offered_too_changes_nothing_offered(db):
    oldest = actions.import_instruments(by="test", files=[phq9_version("1.0.0")])[0]
    newest = actions.import_instruments(by="test", files=[phq9_version("2.0.0")])[0]
    actions.set_instrument_active(by="test", instrument=oldest, active=True)  # both offered, on purpose
    middle = actions.import_instruments(by="test", files=[phq9_version("1.5.0")])[0]
    assert {i.pk: i.active for i in Instrument.objects.all()} == {
        oldest.pk: True, newest.pk: True, middle.pk: False}
