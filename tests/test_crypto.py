"""Sensitive fields are encrypted at rest and keys can be rotated."""

import pytest
from django.db import connection

from safehaven.lib import crypto
from safehaven.people import actions
from safehaven.people.models import Note, Person

pytestmark = pytest.mark.django_db(transaction=True)

SECRET_PHRASES = [
    "Rosalind Quintero-Vasquez",  # legal name
    "Chest pain since the shelter move",  # chief complaint
    "Disclosed controlling boyfriend keeps her ID",  # note
    "Avoid calling after 6pm",  # safety note
    "sunflower-code-word",  # code word
]


def test_raw_database_holds_none_of_the_plaintext(cast, settings):
    from safehaven.people.models import ContactPreferences

    person = cast.patient
    actions.update_person(by=cast.alice, person=person, version=person.version, safety_note=SECRET_PHRASES[3])
    ContactPreferences.objects.filter(person=person).update(code_word=SECRET_PHRASES[4])
    encounter = actions.start_encounter(by=cast.alice, person=person, setting="outreach", chief_complaint=SECRET_PHRASES[1])
    actions.write_note(by=cast.alice, encounter=encounter, body=SECRET_PHRASES[2])
    if connection.vendor == "sqlite":
        # Read the database file itself (and its write-ahead log), byte for byte.
        from pathlib import Path

        name = connection.settings_dict["NAME"]
        connection.close()
        raw = b"".join(Path(p).read_bytes() for p in (name, f"{name}-wal") if Path(p).exists())
        assert raw, "the test database must be a file"
        for phrase in SECRET_PHRASES:
            assert phrase.encode() not in raw, phrase
            assert phrase.encode("utf-16-le") not in raw, phrase
        assert crypto.PREFIX.encode() in raw
    else:
        with connection.cursor() as cursor:
            dump = []
            for table in connection.introspection.table_names(cursor):
                cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
                dump.extend(repr(row) for row in cursor.fetchall())
        text = "\n".join(dump)
        for phrase in SECRET_PHRASES:
            assert phrase not in text, phrase
        assert crypto.PREFIX in text
    # and the application still reads them
    assert Person.objects.get(pk=person.pk).legal_name == SECRET_PHRASES[0]
    assert Note.objects.get(encounter=encounter).body == SECRET_PHRASES[2]


def test_ciphertext_is_bound_to_its_column(cast):
    with connection.cursor() as cursor:
        cursor.execute("SELECT legal_name FROM people_person WHERE id = %s", [cast.patient.pk])
        stored = cursor.fetchone()[0]
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(stored, context="people.person.safety_note")
    assert crypto.decrypt(stored, context="people.person.legal_name") == "Rosalind Quintero-Vasquez"


def test_tampered_ciphertext_is_refused():
    stored = crypto.encrypt("hello", context="x")
    tampered = stored[:-4] + ("AAAA" if not stored.endswith("AAAA") else "BBBB")
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(tampered, context="x")


def test_keys_rotate_re_encrypts_with_the_new_primary_key(cast, settings):
    from django.core.management import call_command

    old = settings.FIELD_ENCRYPTION_KEYS
    new = crypto.new_key_spec("k2026")
    settings.FIELD_ENCRYPTION_KEYS = f"{new},{old}"
    try:
        call_command("keys", "rotate")
        with connection.cursor() as cursor:
            cursor.execute("SELECT legal_name FROM people_person WHERE id = %s", [cast.patient.pk])
            stored = cursor.fetchone()[0]
        assert crypto.key_id_of(stored) == "k2026"
        settings.FIELD_ENCRYPTION_KEYS = new  # the old key is gone; data still reads
        assert Person.objects.get(pk=cast.patient.pk).legal_name == "Rosalind Quintero-Vasquez"
    finally:
        settings.FIELD_ENCRYPTION_KEYS = old
