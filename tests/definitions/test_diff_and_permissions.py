"""The version diff, field by field and rule by rule; who may change definitions."""

import copy
import xml.etree.ElementTree as ET

import pytest
from django.contrib.auth.models import Group

from apps.core.errors import NotAllowed
from apps.definitions.bpmn import BPMN, BPMNDI, render_bpmn
from apps.definitions.diagram import render_svg
from apps.definitions.diff import diff_count, spec_diff
from apps.definitions.library import PURCHASE_APPROVAL
from apps.definitions.policy import MSG_CANNOT_EDIT, MSG_NOT_AN_OWNER
from apps.definitions.selectors import version_live
from apps.definitions.services import definition_create, draft_create_from, draft_row_save, version_publish
from apps.definitions.sop import sop_markdown
from apps.org import roles


def test_diff_names_each_changed_field_stage_approver_rule_and_code():
    old = copy.deepcopy(PURCHASE_APPROVAL["spec"])
    new = copy.deepcopy(old)
    new["fields"][0]["label"] = "Total"
    new["fields"].append({"name": "urgent", "type": "boolean", "label": "Urgent"})
    new["stages"][0]["policy"] = "any"
    new["stages"][0]["approvers"][1]["when"]["all"][0]["value"] = "500"
    del new["stages"][0]["approvers"][2]
    new["reason_codes"] = new["reason_codes"][:-1]
    sections = {s["title"]: s["changes"] for s in spec_diff(old, new)}
    assert sections["Fields"][0] == {
        "kind": "field",
        "name": "amount",
        "change": "changed",
        "rows": [{"attr": "label", "old": "Amount", "new": "Total"}],
    }
    assert (sections["Fields"][1]["name"], sections["Fields"][1]["change"]) == ("urgent", "added")
    assert sections["Stages"][0]["rows"] == [{"attr": "policy", "old": "all", "new": "any"}]
    assert [(c["name"], c["change"]) for c in sections["Approvers"]] == [("approval / legal", "removed")]
    assert sections["Routing rules"][0]["rows"] == [
        {"attr": "applies when", "old": "amount >= 1000", "new": "amount >= 500"}
    ]
    assert [(c["name"], c["change"]) for c in sections["Reason codes"]] == [("other", "removed")]
    assert diff_count(spec_diff(old, copy.deepcopy(old))) == 0


def test_diff_page_shows_two_versions_side_by_side(client, demo):
    olivia = demo["olivia"]
    draft = draft_create_from(version=version_live(key="purchase-approval"), actor=olivia)
    draft_row_save(
        version=draft,
        section="clauses",
        parent="approver:approval:finance",
        index=0,
        values={"field": "amount", "op": ">=", "value": "500"},
        actor=olivia,
    )
    client.force_login(olivia)
    page = client.get("/builder/purchase-approval/diff/?from=1&to=draft").content.decode()
    assert (
        "1 change" in page and '<td class="old">amount &gt;= 1000</td><td class="new">amount &gt;= 500.00</td>' in page
    )


def test_bob_cannot_create_or_edit_definitions(demo):
    with pytest.raises(NotAllowed, match=MSG_NOT_AN_OWNER):
        definition_create(key="bobs", name="Bob's", actor=demo["bob"])
    live = version_live(key="purchase-approval")
    with pytest.raises(NotAllowed):
        draft_create_from(version=live, actor=demo["bob"])
    draft = draft_create_from(version=live, actor=demo["olivia"])
    with pytest.raises(NotAllowed):
        draft_row_save(version=draft, section="reason_codes", values={"code": "x", "label": "X"}, actor=demo["bob"])
    with pytest.raises(NotAllowed):
        version_publish(version=draft, actor=demo["bob"])


def test_another_owner_needs_the_object_permission_admins_do_not(demo, django_user_model):
    other = django_user_model.objects.create_user("otto", password="x")
    other.groups.add(Group.objects.get(name=roles.WORKFLOW_OWNERS))
    draft = draft_create_from(version=version_live(key="purchase-approval"), actor=demo["olivia"])
    with pytest.raises(NotAllowed, match=MSG_CANNOT_EDIT.format(key="purchase-approval")):
        draft_row_save(version=draft, section="reason_codes", values={"code": "x", "label": "X"}, actor=other)
    own = definition_create(key="ottos", name="Otto's", actor=other)
    draft_row_save(version=own, section="reason_codes", values={"code": "x", "label": "X"}, actor=other)
    draft_row_save(version=draft, section="reason_codes", values={"code": "x", "label": "X"}, actor=demo["admin"])


def test_diagram_bpmn_and_sop_come_from_the_spec():
    spec = PURCHASE_APPROVAL["spec"]
    svg = render_svg(spec, title="Purchase")
    assert svg.startswith("<svg") and svg.count('class="task"') == 3 and "Amount &gt;= 1,000" in svg
    root = ET.fromstring(render_bpmn(spec, key="purchase-approval", name="Purchase", version_label="version 1"))
    process = root.find(f"{{{BPMN}}}process")
    kinds = {child.tag.split("}")[1] for child in process}
    assert {"startEvent", "parallelGateway", "userTask", "exclusiveGateway", "sequenceFlow", "endEvent"} <= kinds
    tasks = [t.get("name") for t in process.findall(f"{{{BPMN}}}userTask")]
    assert tasks == ["Requester reworks", "Manager approval", "Finance approval", "Legal review"]
    split = process.find(f"{{{BPMN}}}parallelGateway[@id='approval_split']")
    assert len(split.findall(f"{{{BPMN}}}outgoing")) == 3  # the approvals run in parallel
    conditions = [e.text for e in process.iter(f"{{{BPMN}}}conditionExpression")]
    assert conditions == ["amount >= 1000", "vendor_risk = high", "stage returned", "stage approved", "stage rejected"]
    plane = root.find(f"{{{BPMNDI}}}BPMNDiagram/{{{BPMNDI}}}BPMNPlane")
    ids = {e.get("id") for e in process if e.get("id")}
    assert {s.get("bpmnElement") for s in plane} == ids


def test_sop_markdown(demo):
    text = sop_markdown(version=version_live(key="purchase-approval"))
    assert text.startswith("# Purchase approval — standard operating procedure")
    assert "- **Finance approval** — any member of finance, only when Amount >= 1,000." in text
    assert "| Cost center | text | required before the Approval stage |" in text  # the stage's name
    assert "| Cost center | text | required before the approval stage; at most 50" not in text
    assert "## Exceptions" in text and "`over_budget` — Over budget" in text
