"""GET /api/v1/workflows/: the published workflows a case can be started on."""

import copy

from apps.cases.models import Case
from apps.definitions.library import LIBRARY, PURCHASE_APPROVAL
from apps.definitions.models import DefinitionVersion
from apps.definitions.services import (
    definition_create,
    draft_create_from,
    draft_texts_update,
    draft_update,
    version_publish,
)
from tests.api.conftest import started

URL = "/api/v1/workflows/"


def _publish_v2_with_finance_from(amount: str, owner) -> None:
    live = DefinitionVersion.objects.get(definition__key="purchase-approval", status="published")
    spec = copy.deepcopy(live.spec)
    finance = next(a for a in spec["stages"][0]["approvers"] if a["key"] == "finance")
    finance["when"] = {"all": [{"field": "amount", "op": ">=", "value": amount}]}
    draft = draft_update(version=draft_create_from(version=live, actor=owner), spec=spec, actor=owner)
    version_publish(version=draft, actor=owner)


def test_lists_the_published_purchase_approval_with_its_fields(api):
    response = api("alice").get(URL)
    assert response.status_code == 200
    body = response.json()
    assert isinstance(body, list)
    # The demo seed publishes every library workflow.
    assert [w["key"] for w in body] == sorted(t["key"] for t in LIBRARY)
    workflow = next(w for w in body if w["key"] == "purchase-approval")
    assert workflow["name"] == "Purchase approval"
    assert workflow["version"] == 1
    fields = {f["name"]: f for f in workflow["fields"]}
    assert list(fields) == ["amount", "vendor", "vendor_risk", "cost_center", "description"]
    assert fields["amount"]["type"] == "decimal" and fields["amount"]["required"] is True
    assert fields["vendor"]["required"] is True
    assert fields["vendor_risk"]["choices"] == ["low", "medium", "high"]
    assert fields["vendor_risk"]["default"] == "low"
    assert fields["cost_center"]["required_before"] == "approval"


def test_every_signed_in_user_sees_the_same_workflows(api):
    bodies = [api(name).get(URL).json() for name in ["alice", "oscar", "audrey", "admin"]]
    assert all(body == bodies[0] for body in bodies)


def test_a_draft_only_definition_is_not_listed_and_cannot_be_started(api, users):
    spec = copy.deepcopy(PURCHASE_APPROVAL["spec"])
    definition_create(key="travel", name="Travel request", spec=spec, actor=users["olivia"])
    client = api("alice")
    assert "travel" not in [w["key"] for w in client.get(URL).json()]

    response = client.post("/api/v1/cases/", {"workflow": "travel", "data": {"amount": "10"}}, format="json")
    assert response.status_code == 400
    assert "workflow" in response.json()["errors"]
    assert Case.objects.count() == 0


def test_new_version_is_listed_and_used_by_new_cases_only(api, users):
    client = api("alice")
    before = started(client, amount="5000")
    assert {t["name"] for t in before["open_tasks"]} == {"Manager approval", "Finance approval"}

    _publish_v2_with_finance_from("10000", users["olivia"])

    listed = client.get(URL).json()
    assert {w["key"]: w["version"] for w in listed}["purchase-approval"] == 2
    assert {w["version"] for w in listed if w["key"] != "purchase-approval"} == {1}
    after = started(client, amount="5000")
    assert after["version"] == 2
    assert {t["name"] for t in after["open_tasks"]} == {"Manager approval"}
    # The running case stays pinned to the version it started on.
    pinned = client.get(f"/api/v1/cases/{before['id']}/").json()
    assert pinned["version"] == 1
    assert {t["name"] for t in pinned["open_tasks"]} == {"Manager approval", "Finance approval"}


def test_a_workflow_carries_its_live_versions_texts(api, users):
    client = api("alice")
    before = next(w for w in client.get(URL).json() if w["key"] == "purchase-approval")
    assert before["description"] == PURCHASE_APPROVAL["spec"]["description"]
    assert before["form_intro"] == PURCHASE_APPROVAL["spec"]["form_intro"] and "1,000" in before["form_intro"]

    olivia = users["olivia"]
    live = DefinitionVersion.objects.get(definition__key="purchase-approval", status="published")
    draft = draft_create_from(version=live, actor=olivia)
    draft = draft_texts_update(
        version=draft, description="Finance from 5,000.", form_intro="From 5,000 finance approves too.", actor=olivia
    )
    assert next(w for w in client.get(URL).json() if w["key"] == "purchase-approval") == before  # a draft is not live
    version_publish(version=draft, actor=olivia)

    after = next(w for w in client.get(URL).json() if w["key"] == "purchase-approval")
    assert (after["version"], after["description"], after["form_intro"]) == (
        2,
        "Finance from 5,000.",
        "From 5,000 finance approves too.",
    )
