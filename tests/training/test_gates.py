"""Competency gates: switched on by the clinic, enforced by the same gatekeepers as access."""

import pytest
from dateutil.relativedelta import relativedelta
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from safehaven.access.actions import break_glass
from safehaven.access.gate import GATE_CHECKS, get_person_for
from safehaven.access.models import BreakGlassGrant
from safehaven.accounts.models import User
from safehaven.accounts.permissions import Perm
from safehaven.training import actions
from safehaven.training.gate import forget_gate_cache, training_gate
from safehaven.training.models import Completion, Module
from tests.training.conftest import complete, complete_core

pytestmark = pytest.mark.django_db


def switch_gates(cast, *, screening=True, break_glass=True, site=None):
    actions.update_settings(by=cast.erin, site=site or cast.site_a, gate_screening=screening,
                            gate_break_glass=break_glass, refresher_months=12)


def fresh(user):
    """The same staff member as a new request would load them (no cached gate answers)."""
    return User.objects.get(pk=user.pk)


def test_the_gate_check_is_registered_with_the_gatekeepers():
    assert training_gate in GATE_CHECKS


def test_gates_are_off_until_the_clinic_switches_them_on(cast, curriculum):
    assert get_person_for(cast.alice, cast.patient.public_id, need=Perm.SCREEN) == cast.patient


def test_an_untrained_clinician_cannot_open_a_screen_and_is_told_what_to_complete(cast, curriculum):
    switch_gates(cast)
    with pytest.raises(PermissionDenied) as exc:
        get_person_for(fresh(cast.alice), cast.patient.public_id, need=Perm.SCREEN)
    message = str(exc.value)
    assert "administer screens" in message
    for module in Module.objects.filter(core=True):
        assert module.title["en"] in message
    assert Module.objects.get(code="consent-first-exam").title["en"] not in message  # not core


def test_the_gate_does_not_touch_ordinary_chart_access(cast, curriculum):
    switch_gates(cast)
    assert get_person_for(fresh(cast.alice), cast.patient.public_id, need=Perm.VIEW_PERSON) == cast.patient


def test_completing_the_core_modules_opens_the_gate(cast, curriculum):
    switch_gates(cast)
    alice = fresh(cast.alice)
    with pytest.raises(PermissionDenied):
        get_person_for(alice, cast.patient.public_id, need=Perm.SCREEN)
    complete_core(alice)  # the action forgets the cached answer
    assert get_person_for(alice, cast.patient.public_id, need=Perm.SCREEN) == cast.patient


def test_an_expired_core_module_closes_the_gate_again(cast, curriculum):
    switch_gates(cast)
    complete_core(cast.alice)
    Completion.objects.filter(user=cast.alice, module__code="asking-privately").update(
        expires_at=timezone.now() - relativedelta(days=1)
    )
    with pytest.raises(PermissionDenied) as exc:
        get_person_for(fresh(cast.alice), cast.patient.public_id, need=Perm.SCREEN)
    assert "Asking privately" in str(exc.value) and "Noticing cues" not in str(exc.value)


def test_a_gate_at_one_site_does_not_hold_back_staff_at_another(cast, curriculum):
    switch_gates(cast)
    assert get_person_for(fresh(cast.dan), cast.other_patient.public_id, need=Perm.SCREEN) == cast.other_patient


def test_the_screening_gate_alone_leaves_emergency_access_open(cast, curriculum):
    switch_gates(cast, screening=True, break_glass=False)
    grant = break_glass(by=fresh(cast.carol), person=cast.patient, reason="Unconscious in the waiting room")
    assert grant.pk


def test_break_the_glass_is_refused_to_an_untrained_clinician(cast, curriculum):
    switch_gates(cast)
    with pytest.raises(PermissionDenied, match="use emergency access"):
        break_glass(by=fresh(cast.carol), person=cast.patient, reason="Unconscious in the waiting room")
    assert not BreakGlassGrant.objects.exists()


def test_the_break_glass_page_answers_403_with_the_modules_to_complete(cast, curriculum, client_for):
    switch_gates(cast)
    client = client_for(cast.carol)
    response = client.post(reverse("access:break_glass"), {
        "record_id": str(cast.patient.public_id), "reason": "Unconscious in the waiting room",
    })
    page = response.content.decode()
    assert response.status_code == 403
    assert "Responding to a disclosure" in page and "Training" in page
    assert not BreakGlassGrant.objects.exists()
    complete_core(cast.carol)
    response = client.post(reverse("access:break_glass"), {
        "record_id": str(cast.patient.public_id), "reason": "Unconscious in the waiting room",
    })
    assert response.status_code == 302 and BreakGlassGrant.objects.filter(user=cast.carol).exists()


def test_a_screening_page_answers_403_to_an_untrained_clinician(cast, curriculum, client_for):
    try:
        url = reverse("screening:start", args=[cast.patient.public_id])
    except NoReverseMatch:
        pytest.skip("the screening pages are not installed")
    switch_gates(cast)
    response = client_for(cast.alice).post(url, {"mode": "staff"})
    assert response.status_code == 403
    assert "administer screens" in response.content.decode()
    complete_core(cast.alice)
    assert client_for(cast.alice).post(url, {"mode": "staff"}).status_code != 403


def test_the_404_for_another_team_still_comes_before_the_gate(cast, curriculum):
    switch_gates(cast)
    from django.http import Http404

    with pytest.raises(Http404):
        get_person_for(fresh(cast.carol), cast.patient.public_id, need=Perm.SCREEN)


def test_the_check_costs_one_query_and_is_cached_on_the_user(cast, curriculum):
    switch_gates(cast)
    complete_core(cast.alice)
    alice = fresh(cast.alice)
    with CaptureQueriesContext(connection) as first:
        training_gate(alice, Perm.SCREEN, cast.patient)
    with CaptureQueriesContext(connection) as second:
        training_gate(alice, Perm.BREAK_GLASS, cast.patient)
        training_gate(alice, Perm.SCREEN, cast.patient)
    assert len(first) == 1 and len(second) == 0
    someone = fresh(cast.alice)
    with CaptureQueriesContext(connection) as ungated:
        training_gate(someone, Perm.VIEW_PERSON, cast.patient)
    assert len(ungated) == 0
    forget_gate_cache(alice)
    with CaptureQueriesContext(connection) as again:
        training_gate(alice, Perm.SCREEN, cast.patient)
    assert len(again) == 1


def test_a_non_core_module_is_not_needed(cast, curriculum):
    switch_gates(cast)
    complete_core(cast.alice)
    complete(cast.alice, Module.objects.get(code="consent-first-exam"))
    Completion.objects.filter(module__code="consent-first-exam").update(expires_at=timezone.now())
    assert get_person_for(fresh(cast.alice), cast.patient.public_id, need=Perm.SCREEN) == cast.patient


def test_my_training_page_says_which_core_modules_hold_me_back(cast, curriculum, client_for):
    switch_gates(cast)
    page = client_for(cast.alice).get(reverse("training:home")).content.decode()
    assert "waits until you complete these core modules" in page and "Harbor Clinic" in page
    complete_core(cast.alice)
    page = client_for(cast.alice).get(reverse("training:home")).content.decode()
    assert "waits until you complete" not in page
