"""UI steps run by the step machinery like HTTP steps, against a small portal served in the test
(tests/integrations/ui_portal.py): retries on a slow page, the exception queue with a screenshot
on a changed page, the repair with a later version's script, and a crash mid-script that the
guard keeps from entering the order twice."""

import csv
import hashlib
import io
from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone
from rest_framework.test import APIClient

from apps.audit.models import Action
from apps.automation.models import ExceptionCategory, StepKind, StepRun, StepStatus
from apps.automation.services import (
    MSG_NO_NEWER_SCRIPT,
    step_attempt,
    step_cancel_case,
    step_retry_version,
    step_skip,
)
from apps.cases.models import Attachment, CaseState
from apps.cases.services import case_start
from apps.core.errors import Conflict
from apps.definitions.selectors import version_live
from apps.definitions.services import draft_create_from, draft_update, version_publish
from apps.evidence.services import VIA_PORTAL, evidence_export
from tests.api.conftest import token_for
from tests.conftest import events, reload
from tests.evidence.conftest import Pack
from tests.integrations.ui_portal import PASSWORD, USER

from .conftest import APPROVAL

FIELDS = [
    {"name": "po_number", "type": "text", "label": "PO number", "required": True},
    {"name": "amount", "type": "decimal", "label": "Amount", "required": True},
    {"name": "supplier_order_number", "type": "text", "label": "Supplier order number"},
]
LOGIN = [
    {"do": "goto", "url": "{{endpoint.PORTAL}}/login/"},
    {"do": "fill", "selector": "#username", "value": "{{secret.PORTAL_USER}}"},
    {"do": "fill", "selector": "#password", "value": "{{secret.PORTAL_PASSWORD}}"},
    {"do": "click", "selector": "button[type=submit]"},
    {"do": "expect_text", "selector": "h1", "text": "Orders", "login": True},
]


def enter(po_selector="#po-number"):
    return [
        {"do": "goto", "url": "{{endpoint.PORTAL}}/orders/new/"},
        {"do": "fill", "selector": po_selector, "value": "{{field.po_number}}"},
        {"do": "fill", "selector": "#amount", "value": "{{field.amount}}"},
        {"do": "click", "selector": "#save"},
        {"do": "expect_text", "selector": "h1", "text": "Order saved"},
        {"do": "extract", "selector": "#order-number", "field": "supplier_order_number"},
        {"do": "screenshot", "name": "order entered"},
    ]


GUARD = {
    "script": [
        *LOGIN[:4],
        {"do": "goto", "url": "{{endpoint.PORTAL}}/orders/?q={{field.po_number}}"},
        {"do": "wait_for", "selector": "#results"},
    ],
    "found": 'td.po-number:text-is("{{field.po_number}}")',
    "extract": {"supplier_order_number": "td.so-number"},
}


def ui_step(*, guard=True, po_selector="#po-number", **overrides):
    step = {
        "key": "enter_order",
        "name": "Enter the order in the portal",
        "type": "ui",
        "system": "Supplier portal",
        "timeout_seconds": 4,
        "retry": {"attempts": 3, "backoff_seconds": 5, "max_backoff_seconds": 60},
        "script": [*LOGIN, *enter(po_selector)],
        **({"guard": GUARD} if guard else {}),
    }
    step.update(overrides)
    return step


pytestmark = pytest.mark.usefixtures("ui_runner")


@pytest.fixture
def portal(ui_portal):
    with override_settings(
        WMS_ENDPOINTS={"PORTAL": ui_portal.url}, WMS_SECRETS={"PORTAL_USER": USER, "PORTAL_PASSWORD": PASSWORD}
    ):
        yield ui_portal


@pytest.fixture
def start_order(publish, portal, run_committed, demo):
    published = []

    def _start(step=None, po="PO-4711"):
        if not published:
            published.append(publish("order-entry", [step or ui_step(), APPROVAL], fields=FIELDS))
        case, _ = run_committed(
            case_start, workflow="order-entry", data={"po_number": po, "amount": "120.50"}, actor=demo["alice"]
        )
        return reload(case)

    return _start


def screenshots(case):
    return list(Attachment.objects.filter(case=case).order_by("pk"))


def test_a_slow_portal_is_retried_after_a_backoff_then_the_order_is_entered(start_order, portal, sweep):
    portal.mode, portal.delay = "slow", 5
    case = start_order(ui_step(timeout_seconds=2))
    run = StepRun.objects.get(case=case)
    assert run.kind == StepKind.UI
    assert (run.status, run.category) == (StepStatus.RETRYING, ExceptionCategory.TIMEOUT)
    assert case.state == CaseState.WAITING and portal.orders == []

    portal.mode = "ok"
    sweep(at=timezone.now() + timedelta(seconds=6))
    case, run = reload(case), StepRun.objects.get(pk=run.pk)
    assert run.status == StepStatus.SUCCEEDED and case.state == CaseState.APPROVAL
    assert case.data["supplier_order_number"] == "SO-000001" and len(portal.orders) == 1
    assert list(run.attempt_log.values_list("outcome", "category")) == [("retry", "timeout"), ("succeeded", "")]
    shots = screenshots(case)
    assert [a.name for a in shots] == [
        "enter_order-attempt1-1-failure.png",
        "enter_order-attempt2-1-order-entered.png",
    ]
    for shot in shots:  # stored with the SHA-256 of what was stored, taken by nobody but the system
        with shot.file.open("rb") as stored:
            assert hashlib.sha256(stored.read()).hexdigest() == shot.sha256
        assert shot.uploaded_by_id is None and shot.content_type == "image/png"


def test_a_changed_page_lands_in_the_exception_queue_with_its_screenshot(start_order, portal, client, demo):
    portal.mode = "changed"
    case = start_order()
    run = StepRun.objects.get(case=case)
    assert (run.status, run.category, run.attempts) == (StepStatus.EXCEPTION, ExceptionCategory.PAGE_CHANGED, 1)
    assert reload(case).state == CaseState.EXCEPTION
    assert run.last_error.startswith("Action 7 (fill): '#po-number' was not found on ")
    (shot,) = screenshots(case)
    assert run.last_response["screenshots"][0]["attachment"] == shot.pk

    client.force_login(demo["oscar"])
    page = client.get(f"/exceptions/{run.pk}/").content.decode()
    assert "Page changed" in page
    assert f'<img src="/attachments/{shot.pk}/"' in page
    assert f"<code>{portal.url}/orders/new/</code>" in page and "New order" in page
    assert USER not in page and PASSWORD not in page
    assert "No guard." not in page  # this step looks first
    download = client.get(f"/attachments/{shot.pk}/")
    assert download.status_code == 200 and download["Content-Type"] == "image/png"
    client.force_login(demo["sally"])  # nothing to do with the case: the same download is refused
    assert client.get(f"/attachments/{shot.pk}/").status_code == 403

    client.force_login(demo["alice"])
    case_page = client.get(f"/cases/{case.pk}/").content.decode()
    assert "enter_order-attempt1-1-failure.png" in case_page and "taken by an automated step" in case_page

    out = io.BytesIO()
    evidence_export(
        actor=demo["audrey"],
        date_from=timezone.localdate().isoformat(),
        date_to=timezone.localdate().isoformat(),
        workflow="order-entry",
        out=out,
        via=VIA_PORTAL,
    )
    pack = Pack(out.getvalue())
    (row,) = list(csv.DictReader(io.StringIO(pack.text("attachments.csv"))))
    assert (row["name"], row["uploaded_by"], row["sha256_recorded"], row["sha256_matches"]) == (
        shot.name,
        "system",
        shot.sha256,
        "yes",
    )


def test_the_owner_fixes_the_selector_in_a_new_version_and_the_operator_retries_with_it(
    start_order, portal, client, demo, django_capture_on_commit_callbacks
):
    portal.mode = "changed"  # the portal renamed its PO field for good
    case = start_order()
    run = StepRun.objects.get(case=case)
    assert run.category == ExceptionCategory.PAGE_CHANGED
    client.force_login(demo["oscar"])
    assert "Retry with version" not in client.get(f"/exceptions/{run.pk}/").content.decode()

    v1 = version_live(key="order-entry")
    draft = draft_create_from(version=v1, actor=demo["olivia"])
    spec = {**draft.spec, "stages": [ui_step(po_selector="#purchase-order"), APPROVAL]}
    version_publish(version=draft_update(version=draft, spec=spec, actor=demo["olivia"]), actor=demo["olivia"])

    page = client.get(f"/exceptions/{run.pk}/").content.decode()
    assert "Retry with version 2&#x27;s script" in page or "Retry with version 2's script" in page
    with pytest.raises(Conflict) as refused:
        step_retry_version(run_id=run.pk, actor=demo["oscar"], version=3)
    assert str(refused.value) == MSG_NO_NEWER_SCRIPT.format(version=3, step=run.step_name)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/exceptions/{run.pk}/retry-version/", {"version": "2"})
    assert response.status_code == 302
    case, run = reload(case), StepRun.objects.get(pk=run.pk)
    assert run.status == StepStatus.SUCCEEDED and run.script_version == 2
    assert case.version_number == 1 and case.state == CaseState.APPROVAL  # the case stays on version 1
    assert [o["po"] for o in portal.orders] == ["PO-4711"]
    assert run.attempt_log.order_by("pk").last().request["script_version"] == 2
    (retried,) = events(case, Action.STEP_RETRIED)
    assert retried.actor == demo["oscar"] and retried.context["script_version"] == {"from": 1, "to": 2}
    assert events(case, Action.STEP_SUCCEEDED)[-1].context["script_version"] == 2


def test_an_integrator_repairs_a_page_change_with_a_later_version_through_the_api(
    start_order, portal, demo, django_capture_on_commit_callbacks
):
    portal.mode = "changed"
    case = start_order()
    run = StepRun.objects.get(case=case)
    oscar, alice = APIClient(), APIClient()
    oscar.credentials(HTTP_AUTHORIZATION=f"Token {token_for('oscar')}")
    alice.credentials(HTTP_AUTHORIZATION=f"Token {token_for('alice')}")
    detail = oscar.get(f"/api/v1/exceptions/{run.pk}/").json()
    (shot,) = screenshots(case)
    assert detail["ui"] == {
        "screenshot": shot.pk,
        "url": f"{portal.url}/orders/new/",
        "title": detail["ui"]["title"],
        "unguarded": False,
        "script_version": 1,
        "repair_version": None,  # nothing newer yet
    }

    v1 = version_live(key="order-entry")
    draft = draft_create_from(version=v1, actor=demo["olivia"])
    spec = {**draft.spec, "stages": [ui_step(po_selector="#purchase-order"), APPROVAL]}
    version_publish(version=draft_update(version=draft, spec=spec, actor=demo["olivia"]), actor=demo["olivia"])
    assert oscar.get(f"/api/v1/exceptions/{run.pk}/").json()["ui"]["repair_version"] == 2
    url = f"/api/v1/exceptions/{run.pk}/retry-version/"

    assert alice.post(url, {"version": 2}, format="json").status_code == 403  # the requester repairs nothing
    refused = oscar.post(url, {"version": "two", "notes": "x"}, format="json")
    assert refused.status_code == 400
    assert set(refused.json()["errors"]) == {"version", "notes"}, refused.json()
    stale = oscar.post(url, {"version": 3}, format="json")
    assert stale.status_code == 409
    assert MSG_NO_NEWER_SCRIPT.format(version=3, step=run.step_name) in stale.content.decode()
    assert StepRun.objects.get(pk=run.pk).status == StepStatus.EXCEPTION  # nothing moved

    with django_capture_on_commit_callbacks(execute=True):
        answer = oscar.post(url, {"version": 2, "note": "portal renamed the PO field"}, format="json")
    assert answer.status_code == 200, answer.content
    run = StepRun.objects.get(pk=run.pk)
    assert run.status == StepStatus.SUCCEEDED and run.script_version == 2
    assert answer.json()["id"] == run.pk
    assert [o["po"] for o in portal.orders] == ["PO-4711"]
    (retried,) = events(case, Action.STEP_RETRIED)
    assert retried.actor == demo["oscar"] and retried.context["script_version"] == {"from": 1, "to": 2}
    assert oscar.get(f"/api/v1/exceptions/{run.pk}/").json()["ui"]["script_version"] == 2


class WorkerDied(BaseException):
    """The worker process is killed: nothing after this point runs."""


def test_a_worker_killed_after_the_save_is_followed_by_a_retry_the_guard_stops(start_order, portal, monkeypatch, sweep):
    from apps.automation import attempts, base

    monkeypatch.setattr(base, "enqueue_ui", lambda ids: None)  # the worker takes the step by hand below
    case = start_order()
    run = StepRun.objects.get(case=case)

    def killed(lease, result):
        raise WorkerDied  # the portal saved the order; the worker dies before recording it

    monkeypatch.setattr(attempts, "_record", killed)
    with pytest.raises(WorkerDied):
        step_attempt(run_id=run.pk)
    assert len(portal.orders) == 1
    run = StepRun.objects.get(pk=run.pk)
    assert run.status == StepStatus.RUNNING  # its lease holds it

    monkeypatch.undo()  # a new worker, once the lease has ended
    gone = timezone.now() - timedelta(seconds=1)
    StepRun.objects.filter(pk=run.pk).update(lease_until=gone, next_attempt_at=gone)
    sweep(at=timezone.now())
    case, run = reload(case), StepRun.objects.get(pk=run.pk)
    assert run.status == StepStatus.SUCCEEDED and case.state == CaseState.APPROVAL
    assert len(portal.orders) == 1  # the guard found it: not entered twice
    assert case.data["supplier_order_number"] == "SO-000001"  # read from the search results
    assert list(run.attempt_log.order_by("pk").values_list("outcome", flat=True)) == ["lost", "succeeded"]
    succeeded = events(case, Action.STEP_SUCCEEDED)[-1]
    assert succeeded.context["guard_found"] is True and "not entered again" in succeeded.reason


def test_a_ui_step_without_a_guard_says_so_where_operators_look(start_order, portal, client, demo):
    portal.mode = "changed"
    case = start_order(ui_step(guard=False))
    run = StepRun.objects.get(case=case)
    client.force_login(demo["oscar"])
    assert "No guard." in client.get(f"/exceptions/{run.pk}/").content.decode()
    assert ">no guard</span>" in client.get(f"/cases/{case.pk}/").content.decode()


def test_ui_steps_are_queued_on_their_own_cluster(publish, portal, run_committed, demo, monkeypatch, sweep):
    from apps.automation import base

    queued = []
    monkeypatch.setattr(base, "async_task", lambda func, *args, **kwargs: queued.append(kwargs.get("cluster")))
    publish("order-entry", [ui_step(), APPROVAL], fields=FIELDS)
    case, _ = run_committed(
        case_start, workflow="order-entry", data={"po_number": "PO-1", "amount": "1"}, actor=demo["alice"]
    )
    assert queued == ["ui"]
    sweep(at=timezone.now() + timedelta(minutes=5))  # the message got lost: the sweep queues it again
    assert queued == ["ui", "ui"]


def test_a_failed_ui_step_is_skipped_or_its_case_cancelled_as_any_step(start_order, portal, demo, run_committed):
    portal.mode = "changed"
    case = start_order()
    run = StepRun.objects.get(case=case)
    run_committed(step_skip, run_id=run.pk, actor=demo["oscar"], reason="Entered in the portal by hand")
    assert reload(case).state == CaseState.APPROVAL and StepRun.objects.get(pk=run.pk).status == StepStatus.SKIPPED

    other = start_order(po="PO-4712")
    run = StepRun.objects.get(case=other)
    run_committed(step_cancel_case, run_id=run.pk, actor=demo["oscar"], reason="The supplier closed its portal")
    assert reload(other).state == CaseState.CANCELLED and portal.orders == []
