"""The benchmark harness in quick mode: it works, and the key pages' query counts hold."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from safehaven.audit import chain
from safehaven.bench import harness, quick, synth_more
from safehaven.core import synth

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def quick_result(django_db_setup, django_db_blocker):
    """Run the quick benchmark once for the module, in a transaction rolled back afterwards."""
    from django.db import transaction

    with django_db_blocker.unblock():
        with transaction.atomic():
            result = quick.run()
            verified = chain.verify()
            transaction.set_rollback(True)
    return result, verified


def test_query_counts_of_the_key_pages_do_not_grow_with_the_data(quick_result):
    result, _verified = quick_result
    small, large = result["sizes"]
    assert large > small
    assert result["grew"] == [], result["grew"]
    counted = [n for n, c in result["counts"][str(large)].items() if c is not None]
    assert {"worklist", "chart", "referral_list", "directory_search", "fhir_read"} <= set(counted)
    assert result["ok"] is True


def test_every_available_scenario_answers_and_has_a_floor(quick_result):
    result, _verified = quick_result
    measured = {name: t for name, t in result["timings"].items() if t.get("available")}
    assert {"worklist", "chart"} <= set(measured)
    for name, t in measured.items():
        assert t["n"] == 2, name
        assert t["median_ms"] > 0, name
        assert t["p95_ms"] >= t["median_ms"], name
        assert t["floor"]["median_ms"] > 0, name
        assert t["ratio_to_floor"] > 0, name


def test_the_floors_keep_the_audit_chain_intact(quick_result):
    _result, verified = quick_result
    assert verified.ok, verified.message


def test_the_full_synthetic_network_holds_every_capability(db):
    result = synth.generate(patients=40, seed=9, sites=2, encounters_per_person=4, full=True, services=25,
                            progress=False)
    assert result.people == 40
    assert result.skipped == {}
    for kind in ("screening responses", "care plans", "referrals", "due items", "consents"):
        assert result.extra.get(kind, 0) > 0, kind
    from safehaven.directory.models import Service
    from safehaven.referrals.models import Referral

    assert Service.objects.count() == 25
    assert Referral.objects.filter(service__isnull=False).count() == result.extra["referrals"]
    assert chain.verify().ok


def test_the_same_seed_gives_the_same_network(db):
    from django.db import transaction

    from safehaven.people.models import Encounter, Person
    from safehaven.referrals.models import Referral

    def snapshot():
        with transaction.atomic():
            synth.generate(patients=15, seed=4, sites=2, full=True, services=10, progress=False)
            shape = (
                list(Person.objects.order_by("pk").values_list("chosen_name", "site__name", "date_of_birth")),
                Encounter.objects.count(),
                list(Referral.objects.order_by("pk").values_list("need_domain", "status", "service_name")),
            )
            transaction.set_rollback(True)
        return shape

    assert snapshot() == snapshot()


def test_a_missing_capability_is_skipped_and_named(db, monkeypatch):
    import importlib

    real = importlib.import_module

    # importlib itself is patched (synth_more calls importlib.import_module), so the fake must
    # take every argument: libraries import lazily with package=... (fhir.resources does).
    def fake(name, *args, **kwargs):
        if name == "safehaven.followup.models":
            raise ImportError("no followup here")
        return real(name, *args, **kwargs)

    monkeypatch.setattr(synth_more.importlib, "import_module", fake)
    result = synth.generate(patients=10, seed=2, sites=1, full=True, services=5, progress=False)
    assert "followup" in result.skipped
    assert "due items" not in result.extra
    assert result.extra.get("referrals", 0) > 0


def test_a_route_that_does_not_exist_is_reported_not_available(db):
    scenario = harness.Scenario("nothing", "A page that is not there", None, reason="route not available")
    assert harness.measure(None, scenario, repeat=1) == {
        "label": "A page that is not there", "available": False, "reason": "route not available",
    }


def test_bench_command_refuses_to_generate_into_a_database_that_holds_people(cast):
    with pytest.raises(CommandError, match="already holds people"):
        call_command("bench", generate=10)


def test_bench_command_refuses_a_silly_repeat():
    with pytest.raises(CommandError, match="--repeat"):
        call_command("bench", measure="x", repeat=0)
