import pytest

from apps.definitions.selectors import version_live
from apps.definitions.services import draft_create_from


@pytest.fixture
def signed_in(client, demo):
    def _as(username):
        client.force_login(demo[username])
        return client

    return _as


@pytest.fixture
def draft(demo):
    """A new draft of purchase-approval, from version 1, by olivia."""
    return draft_create_from(version=version_live(key="purchase-approval"), actor=demo["olivia"])
