import datetime
import zoneinfo

import pytest

from safehaven.people import actions as people_actions

LA = zoneinfo.ZoneInfo("America/Los_Angeles")


def at_la(y, m, d, hh, mm=0) -> datetime.datetime:
    """Return an aware moment given in Los Angeles local time."""
    return datetime.datetime(y, m, d, hh, mm, tzinfo=LA)


@pytest.fixture
def reachable(cast):
    """Rosa, who agreed to texts and email between 9:00 and 17:00, with a code word."""
    people_actions.update_contact_preferences(
        by=cast.alice, person=cast.patient, do_not_contact=False, channels=["sms", "email"],
        phone="+1 555 0100", email="rosa@example.org", code_word="Sunflower",
        safe_hours_start=datetime.time(9, 0), safe_hours_end=datetime.time(17, 0),
        time_zone="America/Los_Angeles", neutral_sender="Your reminder",
    )
    cast.patient.refresh_from_db()
    return cast.patient


@pytest.fixture
def outbox(tmp_path, settings):
    """The file sender's outbox, in a temporary directory."""
    path = tmp_path / "outbox.jsonl"
    settings.FOLLOWUP_OUTBOX = str(path)
    settings.FOLLOWUP_SENDERS = {}
    return path
