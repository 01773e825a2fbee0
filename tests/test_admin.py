"""The admin shows definitions, versions, cases with their history, and the audit trail."""

import pytest

from apps.cases.services import task_complete
from tests.conftest import task_for


@pytest.mark.parametrize(
    "url",
    [
        "/admin/definitions/workflowdefinition/",
        "/admin/definitions/definitionversion/",
        "/admin/cases/case/",
        "/admin/audit/auditevent/",
        "/admin/audit/chainhead/",
        "/admin/audit/chainverification/",
        "/admin/org/profile/",
    ],
)
def test_admin_lists_load(client, demo, start_purchase, url):
    start_purchase()
    client.force_login(demo["admin"])
    assert client.get(url).status_code == 200


def test_case_history_page_shows_each_change_and_who(client, demo, start_purchase):
    case = start_purchase(amount="5000", cost_center=None)
    task_complete(
        task_id=task_for(case, "Rework: complete the request").pk,
        actor=demo["alice"],
        decision="submit",
        data={"cost_center": "CC-9"},
    )
    client.force_login(demo["admin"])
    page = client.get(f"/admin/cases/case/{case.pk}/history/")
    assert page.status_code == 200
    assert b"alice" in page.content


def test_audit_events_are_read_only_in_the_admin(client, demo, start_purchase):
    case = start_purchase()
    client.force_login(demo["admin"])
    from apps.audit.models import AuditEvent

    event = AuditEvent.objects.filter(case_id=case.pk).first()
    response = client.post(f"/admin/audit/auditevent/{event.pk}/delete/", {"post": "yes"})
    assert response.status_code == 403
    assert AuditEvent.objects.filter(pk=event.pk).exists()
