import pytest

from apps.definitions.selectors import version_live
from apps.definitions.services import draft_create_from


@pytest.fixture
def draft(demo):
    """A new draft of purchase-approval, from version 1, by olivia."""
    return draft_create_from(version=version_live(key="purchase-approval"), actor=demo["olivia"])
