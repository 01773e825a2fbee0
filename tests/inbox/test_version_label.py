"""A test case on a draft reads as "draft", not "v0" (issue 12)."""

import re

from apps.cases.services import case_start_test
from apps.definitions.selectors import version_live
from apps.definitions.services import draft_create_from


def test_a_test_case_on_a_draft_shows_draft_not_v0(demo, users, signed_in, start_purchase):
    real = start_purchase(amount="500")
    draft = draft_create_from(version=version_live(key="purchase-approval"), actor=users["olivia"])
    test = case_start_test(
        version=draft, data={"amount": "500", "vendor": "ACME", "cost_center": "CC-1"}, actor=users["alice"]
    )
    assert (real.version_label, test.version_label) == ("v1", "draft (test)")

    page = signed_in("alice").get("/requests/").content.decode()
    assert "<td>v1</td>" in page and '<td>draft (test) <span class="badge warn">TEST</span></td>' in page
    # No cell reads "v0" (the page's random CSP nonce and CSRF token may contain those two letters).
    assert not re.search(r">\s*v0\b", page)
    assert "draft (a test case) (pinned)" in signed_in("alice").get(f"/cases/{test.pk}/").content.decode()
