import pytest

from safehaven.screening import actions
from safehaven.screening.models import Instrument


@pytest.fixture
def instruments(db):
    """The instruments shipped with Safe Haven, imported, by name."""
    actions.import_instruments(by="test", files=actions.shipped_instrument_files())
    return {i.name: i for i in Instrument.objects.all()}


@pytest.fixture
def private_session(cast):
    """A session with Rosa after the privacy check (alone) and the confidentiality explanation."""
    session = actions.start_session(by=cast.alice, person=cast.patient)
    actions.record_privacy(by=cast.alice, session=session, alone=True)
    actions.record_confidentiality(by=cast.alice, session=session)
    return session


def phq9_answers(instrument, values):
    """Return form answers (option indexes) for the nine PHQ-9 items from scores 0-3."""
    from safehaven.screening import engine

    items = engine.answerable_items(instrument.resource)
    return {item["linkId"]: str(v) for item, v in zip(items, values, strict=True)}
