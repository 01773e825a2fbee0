"""A running case keeps routing by the version it started on."""

import copy

import pytest

from apps.cases.services import task_complete
from apps.definitions.models import DefinitionVersion
from apps.definitions.selectors import version_live
from apps.definitions.services import draft_create_from, draft_update, version_publish
from tests.conftest import open_tasks, reload, task_for


def publish_threshold(users, threshold):
    live = version_live(key="purchase-approval")
    draft = draft_create_from(version=live, actor=users["olivia"])
    spec = copy.deepcopy(draft.spec)
    finance = spec["stages"][0]["approvers"][1]
    finance["when"]["all"][0]["value"] = threshold
    draft_update(version=draft, spec=spec, actor=users["olivia"])
    return version_publish(version=draft, actor=users["olivia"])


def test_case_keeps_routing_by_its_version_after_a_new_one_is_published(start_purchase, users):
    old_case = start_purchase(amount="700", cost_center=None)  # waits on the requester, on v1
    v2 = publish_threshold(users, "500")
    assert v2.number == 2
    new_case = start_purchase(amount="700")
    assert new_case.version_number == 2
    assert sorted(t.data["label"] for t in open_tasks(new_case)) == ["Finance approval", "Manager approval"]

    task_complete(
        task_id=task_for(old_case, "Rework: complete the request").pk,
        actor=users["alice"],
        decision="submit",
        data={"cost_center": "CC-1"},
    )
    old_case = reload(old_case)
    assert old_case.version_number == 1
    assert [t.data["label"] for t in open_tasks(old_case)] == ["Manager approval"], "v1: finance from 1,000"
    assert old_case.route["version"] == 1


def test_published_versions_are_immutable_and_hashed(demo):
    live = version_live(key="purchase-approval")
    assert len(live.content_hash) == 64
    live.spec = {}
    with pytest.raises(PermissionError):
        live.save()
    assert DefinitionVersion.objects.get(pk=live.pk).spec["fields"]


def test_a_draft_can_be_tried_as_a_test_case_through_the_real_engine(demo):
    from apps.cases.services import case_start_test

    live = version_live(key="purchase-approval")
    draft = draft_create_from(version=live, actor=demo["olivia"])
    case = case_start_test(
        version=draft, data={"amount": "100", "vendor": "X", "cost_center": "C"}, actor=demo["olivia"]
    )
    assert case.is_test and case.version_number == 0 and case.version_id == draft.pk
    assert [t.data["label"] for t in open_tasks(case)] == ["Manager approval"]
