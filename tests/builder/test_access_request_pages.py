"""The builder's pages read the access-request template (approvers named by a field, a step
field, a scheduled step, a requester rule) without breaking: version, SOP, BPMN, draft, tester."""

import pytest

PAGES = ["", "versions/1/", "versions/1/sop/", "versions/1/sop.md", "versions/1/bpmn/", "tester/"]


@pytest.mark.parametrize("page", PAGES)
def test_the_builder_shows_the_access_request_template(signed_in, page):
    response = signed_in("olivia").get(f"/builder/access-request/{page}")
    assert response.status_code == 200


def test_its_procedure_says_when_the_revoke_step_runs(signed_in):
    response = signed_in("olivia").get("/builder/access-request/versions/1/sop.md")
    text = response.content.decode()
    assert "automated, on the day in Access expires (not before): calls Access control" in text
    assert "the person named in system_owner" in text
    assert "any member of security; fills in access_granted" in text


def test_a_draft_of_it_opens_in_the_editor(signed_in):
    olivia = signed_in("olivia")
    olivia.post("/builder/access-request/versions/1/new-draft/")
    response = olivia.get("/builder/access-request/draft/")
    assert response.status_code == 200
    assert b"System owner approval" in response.content
