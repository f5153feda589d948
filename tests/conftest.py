import pytest

from safehaven.testing.factories import login, make_cast


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
