"""The directory search benchmark runs, leaves the database as it was, and can save its result."""

import json

import pytest
from django.core.management import call_command

from safehaven.directory.models import Service

pytestmark = pytest.mark.django_db


def test_bench_rolls_back_and_saves(tmp_path, monkeypatch, capsys):
    from safehaven.bench import report

    monkeypatch.setattr(report, "RESULTS", tmp_path)
    before = Service.objects.count()
    call_command("directory", "bench", "--services", "60", "--runs", "12", "--save", "directory-test")
    assert Service.objects.count() == before
    saved = json.loads((tmp_path / "directory-test.json").read_text())
    assert saved["services"] == 60 and saved["runs"] == 12
    assert 0 < saved["p50_ms"] <= saved["p95_ms"] <= saved["max_ms"]
    assert saved["machine"]["nproc"] >= 1
    assert "60 services, 12 searches" in capsys.readouterr().out
