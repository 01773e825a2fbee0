"""README "Workflow #2 from a template", followed step by step through the builder's pages: a
workflow owner picks a template, names the workflow, opens the draft, publishes it, and staff can
start requests on it. Runs for every template of the library (the list grows with it)."""

import pytest

from apps.cases.models import Case, CaseState
from apps.definitions.library import LIBRARY
from apps.definitions.models import WorkflowDefinition


def test_the_library_offers_every_template_in_the_new_workflow_form(signed_in):
    page = signed_in("olivia").get("/builder/").content.decode()
    for template in LIBRARY:
        assert f'<option value="{template["key"]}"' in page and f"Template: {template['name']}" in page


@pytest.mark.parametrize("template", LIBRARY, ids=[t["key"] for t in LIBRARY])
def test_from_template_to_a_published_workflow_two(template, signed_in, client, demo):
    owner = signed_in("olivia")
    key = f"{template['key']}-emea"
    created = owner.post(
        "/builder/new/", {"key": key, "name": f"{template['name']} (EMEA)", "template": template["key"]}
    )
    assert created.status_code == 302 and created["Location"] == f"/builder/{key}/draft/"
    draft = owner.get(created["Location"])
    assert draft.status_code == 200
    for stage in template["spec"]["stages"]:
        assert stage["name"] in draft.content.decode()

    published = owner.post(f"/builder/{key}/draft/publish/", {"note": "Workflow #2, from the template"})
    assert published.status_code == 302 and published["Location"] == f"/builder/{key}/versions/1/"
    definition = WorkflowDefinition.objects.get(key=key)
    live = definition.versions.get(number=1)
    assert live.spec == template["spec"]  # the template as it is, published
    version_page = owner.get(published["Location"])
    assert version_page.status_code == 200 and "<svg" in version_page.content.decode()  # its diagram
    assert owner.get(f"/workflows/{key}/v1/sop/").status_code == 200  # its procedure

    client.force_login(demo["alice"])
    assert f"/requests/new/{key}/" in client.get("/requests/new/").content.decode()
    assert client.get(f"/requests/new/{key}/").status_code == 200


def test_a_request_on_workflow_two_runs_like_on_the_template(signed_in, demo, client):
    owner = signed_in("olivia")
    owner.post("/builder/new/", {"key": "hr-request-emea", "name": "HR request (EMEA)", "template": "hr-request"})
    owner.post("/builder/hr-request-emea/draft/publish/", {"note": "EMEA"})
    client.force_login(demo["alice"])
    response = client.post(
        "/requests/new/hr-request-emea/",
        {"request_type": "payroll", "pay_period": "2026-11", "pay_issue": "tax"},
    )
    assert response.status_code == 302
    case = Case.objects.get(workflow_key="hr-request-emea")
    assert (case.state, case.stage) == (CaseState.APPROVAL, "payroll_review")
