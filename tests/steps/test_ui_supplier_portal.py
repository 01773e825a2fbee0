"""The invoice template's UI step end to end against the demo supplier portal (apps.demo, served
by the live server, driven by Debian's Chromium): the vendor's upgrade renames a field, the step
lands in the exception queue with a screenshot, the owner fixes the selector in a new version and
the operator retries with it; then a worker killed after the portal saved an order, whose retry
the guard keeps from entering it twice."""

from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone

from apps.automation.models import ExceptionCategory, StepRun, StepStatus
from apps.automation.services import step_attempt, step_retry_version
from apps.cases.models import Attachment, CaseState
from apps.cases.services import case_start, task_complete
from apps.definitions.selectors import version_live
from apps.definitions.services import draft_create_from, draft_update, version_publish
from apps.demo.models import SupplierOrder, SupplierPortalMode
from apps.demo.supplier import supplier_mode_set
from tests.conftest import open_tasks, reload

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("ui_runner")]


class WorkerDied(BaseException):
    """The worker process is killed: nothing after this point runs."""


@pytest.fixture
def portal(live_server):
    with override_settings(
        WMS_ENDPOINTS={
            "ERP": live_server.url + "/demo/erp",
            "SUPPLIER_PORTAL": live_server.url + "/demo/supplier/portal",
        }
    ):
        yield live_server


@pytest.fixture
def approved_invoice(demo, portal, django_capture_on_commit_callbacks):
    """An invoice that asks for the supplier portal, validated in the ERP and approved by finance:
    approving it starts the UI step (run inline, as q2 does in tests)."""

    def _invoice(po_number):
        data = {
            "invoice_number": f"INV-{po_number}",
            "vendor": "ACME Ltd",
            "amount": "800.00",
            "po_number": po_number,
            "currency": "USD",
            "enter_in_supplier_portal": True,
        }
        with django_capture_on_commit_callbacks(execute=True):
            case, _ = case_start(workflow="invoice-processing", data=data, actor=demo["alice"])
        (task,) = open_tasks(reload(case))
        with django_capture_on_commit_callbacks(execute=True):
            task_complete(task_id=task.pk, actor=demo["fiona"], decision="approve")
        return reload(case)

    return _invoice


def orders(po_number):
    return list(SupplierOrder.objects.filter(po_number=po_number))


def test_a_page_change_lands_in_the_queue_and_a_new_version_repairs_it(
    demo, approved_invoice, client, django_capture_on_commit_callbacks
):
    supplier_mode_set(mode=SupplierPortalMode.CHANGED, actor=demo["oscar"])  # the vendor's upgrade
    case = approved_invoice("PO-5001")
    run = StepRun.objects.get(case=case, step_key="enter_order")
    assert (run.status, run.category) == (StepStatus.EXCEPTION, ExceptionCategory.PAGE_CHANGED)
    assert case.state == CaseState.EXCEPTION and orders("PO-5001") == []
    (shot,) = Attachment.objects.filter(case=case)
    assert shot.name == "enter_order-attempt1-1-failure.png" and shot.content_type == "image/png"

    client.force_login(demo["oscar"])
    page = client.get(f"/exceptions/{run.pk}/").content.decode()
    assert "Page changed" in page and f'<img src="/attachments/{shot.pk}/"' in page
    assert "/demo/supplier/portal/orders/new/" in page and "demo-supplier-password" not in page

    # The owner publishes the fixed selector; the operator retries with that version's script.
    draft = draft_create_from(version=version_live(key="invoice-processing"), actor=demo["olivia"])
    spec = draft.spec
    step = next(s for s in spec["stages"] if s["key"] == "enter_order")
    fill = next(a for a in step["script"] if a.get("selector") == "#po-number")
    fill["selector"] = "#purchase-order"
    version = version_publish(
        version=draft_update(version=draft, spec=spec, actor=demo["olivia"]), actor=demo["olivia"]
    )
    with django_capture_on_commit_callbacks(execute=True):
        step_retry_version(run_id=run.pk, actor=demo["oscar"], version=version.number)

    case, run = reload(case), StepRun.objects.get(pk=run.pk)
    (order,) = orders("PO-5001")
    assert run.status == StepStatus.SUCCEEDED and run.script_version == version.number
    assert case.data["supplier_order_number"] == order.number and order.currency == "USD"
    assert case.state == CaseState.APPROVED
    assert Attachment.objects.filter(case=case).count() == 2  # the failure, then "order entered"


def test_a_worker_killed_after_the_save_is_retried_and_the_guard_enters_the_order_once(
    demo, approved_invoice, monkeypatch, django_capture_on_commit_callbacks
):
    from apps.automation import attempts, base

    monkeypatch.setattr(base, "enqueue_ui", lambda ids: None)  # the worker takes the step by hand below
    case = approved_invoice("PO-5002")
    run = StepRun.objects.get(case=case, step_key="enter_order")

    def killed(lease, result):
        raise WorkerDied  # the portal saved the order; the worker dies before recording it

    monkeypatch.setattr(attempts, "_record", killed)
    with pytest.raises(WorkerDied):
        step_attempt(run_id=run.pk)
    assert len(orders("PO-5002")) == 1
    assert StepRun.objects.get(pk=run.pk).status == StepStatus.RUNNING

    monkeypatch.undo()  # another worker, once the lease has ended
    gone = timezone.now() - timedelta(seconds=1)
    StepRun.objects.filter(pk=run.pk).update(lease_until=gone, next_attempt_at=gone)
    from apps.automation.services import step_retry_due

    with django_capture_on_commit_callbacks(execute=True):
        step_retry_due(at=timezone.now())
    case, run = reload(case), StepRun.objects.get(pk=run.pk)
    (order,) = orders("PO-5002")  # one order only: the guard found it
    assert run.status == StepStatus.SUCCEEDED and case.state == CaseState.APPROVED
    assert case.data["supplier_order_number"] == order.number
    assert list(run.attempt_log.order_by("pk").values_list("outcome", flat=True)) == ["lost", "succeeded"]
