"""Settings come from the environment; production refuses to start without real secrets."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from safehaven.lib.env import ConfigurationError, database_from_url, env_bool, env_int

ROOT = Path(__file__).resolve().parent.parent
SECRETS = {
    "SAFEHAVEN_SECRET_KEY": "Zq8#vL2!pR7wX0@mN4$kT9^bY3&hJ6*cF1(dG5)sA8_eW2+uI7=oP4-lK0~jH3",
    "SAFEHAVEN_FIELD_KEYS": "k1:" + "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWY=",
    "SAFEHAVEN_AUDIT_KEY": "audit-7Yh2Lq9Vx4Pm1Rc8Kt5Wn3Bz6Gd0Fs",
    "SAFEHAVEN_ALLOWED_HOSTS": "clinic.example.org",
}


def run(code: str, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items()
             if not k.startswith(("SAFEHAVEN_", "DJANGO_")) and k != "DATABASE_URL"}
    clean.update(env)
    clean["SAFEHAVEN_VAR_DIR"] = "/tmp/safehaven-settings-test"
    return subprocess.run(  # noqa: S603 (our own interpreter and code)
        [sys.executable, "-c", code], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=120
    )


def test_typed_readers_fail_loudly(monkeypatch):
    monkeypatch.setenv("X_BOOL", "maybe")
    with pytest.raises(ConfigurationError, match="X_BOOL"):
        env_bool("X_BOOL", False)
    monkeypatch.setenv("X_INT", "ten")
    with pytest.raises(ConfigurationError, match="X_INT"):
        env_int("X_INT", 1)
    monkeypatch.setenv("X_INT", "3")
    with pytest.raises(ConfigurationError, match="at least 5"):
        env_int("X_INT", 10, minimum=5)


def test_database_urls_are_read():
    pg = database_from_url("postgres://u:p%40ss@db.local:5433/sh", base_dir="/x")
    assert (pg["ENGINE"], pg["NAME"], pg["USER"], pg["PASSWORD"], pg["HOST"], pg["PORT"]) == (
        "django.db.backends.postgresql", "sh", "u", "p@ss", "db.local", "5433")
    lite = database_from_url("sqlite:///var/x.sqlite3", base_dir="/base")
    assert lite["NAME"] == "/base/var/x.sqlite3"
    with pytest.raises(ConfigurationError):
        database_from_url("mysql://x/y", base_dir="/x")


def test_postgresql_binds_on_the_server_and_prepares_repeated_statements_unless_told_not_to():
    def options(query=""):
        return database_from_url(f"postgres://u@h/x{query}", base_dir="/")["OPTIONS"]

    assert options() == {"server_side_binding": True, "prepare_threshold": 5}
    assert options("?prepare_threshold=off") == {"server_side_binding": True, "prepare_threshold": None}
    assert options("?server_side_binding=off") == {"server_side_binding": False, "prepare_threshold": None}
    assert options("?prepare_threshold=2&sslmode=require") == {
        "server_side_binding": True, "prepare_threshold": 2, "sslmode": "require"}
    for bad in ("?prepare_threshold=soon", "?server_side_binding=maybe",
                "?server_side_binding=off&prepare_threshold=5"):
        with pytest.raises(ConfigurationError, match="DATABASE_URL"):
            options(bad)


def test_postgresql_really_reuses_prepared_statements(db):
    from django.db import connection

    from safehaven.accounts.models import Site

    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only")
    if connection.settings_dict["OPTIONS"].get("prepare_threshold") is None:
        pytest.skip("prepared statements turned off in DATABASE_URL")
    for _ in range(8):
        list(Site.objects.filter(pk=123456789))
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        prepared = [row[0] for row in cursor.fetchall()]
    assert any('"accounts_site"' in sql for sql in prepared), prepared


def test_sqlite_is_configured_not_to_lose_writes():
    cfg = database_from_url("sqlite:////tmp/x.sqlite3", base_dir="/")
    assert cfg["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
    assert "journal_mode=WAL" in cfg["OPTIONS"]["init_command"]
    assert "synchronous=FULL" in cfg["OPTIONS"]["init_command"]
    assert cfg["OPTIONS"]["timeout"] >= 5


def test_a_worker_keeps_its_database_connection_between_requests():
    # Reopening SQLite and re-running its PRAGMAs cost ~2 ms of CPU on every request.
    for url in ("sqlite:////tmp/x.sqlite3", "postgres://u@127.0.0.1:5432/x"):
        assert database_from_url(url, base_dir="/")["CONN_MAX_AGE"] >= 60


def test_sqlite_connection_really_uses_wal_and_full_sync(db, settings):
    from django.db import connection

    if connection.vendor != "sqlite":
        pytest.skip("SQLite only")
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA synchronous")
        assert cursor.fetchone()[0] == 2  # FULL


def test_production_refuses_to_start_without_secrets():
    result = run("import safehaven.settings", SAFEHAVEN_ENV="production")
    assert result.returncode != 0
    assert "SAFEHAVEN_SECRET_KEY must be set" in result.stderr


def test_production_refuses_the_development_secrets():
    from safehaven import settings as s

    result = run("import safehaven.settings", SAFEHAVEN_ENV="production",
                 **{**SECRETS, "SAFEHAVEN_SECRET_KEY": s._DEV_SECRET})
    assert result.returncode != 0
    assert "real secret" in result.stderr


def test_production_settings_pass_check_deploy_with_no_warnings():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
        env={**{k: v for k, v in os.environ.items() if not k.startswith(("SAFEHAVEN_", "DJANGO_"))},
             "SAFEHAVEN_ENV": "production", "DJANGO_SETTINGS_MODULE": "safehaven.settings",
             "SAFEHAVEN_VAR_DIR": "/tmp/safehaven-settings-test", **SECRETS},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_passwords_are_hashed_with_argon2_outside_tests():
    result = run("from safehaven import settings; print(settings.PASSWORD_HASHERS[0])")
    assert result.stdout.strip() == "django.contrib.auth.hashers.Argon2PasswordHasher", result.stderr


def test_env_example_lists_every_variable_the_settings_read():
    import re

    read = set(re.findall(r'"(SAFEHAVEN_[A-Z_]+|DATABASE_URL)"', (ROOT / "safehaven" / "settings.py").read_text()))
    listed = set(re.findall(r"^#?\s*([A-Z_]+)=", (ROOT / ".env.example").read_text(), re.M))
    assert read - listed == set()


def test_the_server_freezes_what_start_up_loaded():
    # Full garbage collections walked all of Django (40-50 ms, on random requests); the
    # WSGI entry point freezes what start-up loaded so they walk only what requests make.
    code = ("import gc, os; os.environ['SAFEHAVEN_ENV'] = 'development'; import safehaven.wsgi; "
            "print(gc.get_freeze_count())")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,  # noqa: S603
                         cwd=Path(__file__).resolve().parent.parent, timeout=120)
    assert int(out.stdout.strip().splitlines()[-1]) > 10_000
