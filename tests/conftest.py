import pytest

from safehaven.lib import prepared
from safehaven.testing.factories import login, make_cast

# Every prepared query also runs as a plain ORM query and must return the same rows.
prepared.CHECK = True


@pytest.fixture
def cast(db):
    """The shared cast of personas (see safehaven/testing/factories.py)."""
    return make_cast()


@pytest.fixture
def client_for(client):
    """Return a function that signs a user in (both factors) on a fresh client."""
    from django.test import Client

    def _client(user):
        return login(Client(), user)

    return _client


@pytest.fixture(autouse=True)
def _default_language():
    """Start every test in the default language.

    A request through the test client leaves its language active in the thread (Django's
    LocaleMiddleware activates it and nothing deactivates it), so code called outside a
    request in a later test would speak Spanish or French depending on test order.
    """
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.deactivate()
