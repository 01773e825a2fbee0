"""One dataset for the authorization matrix, built once per module through the real services.

Every object comes in two: one that belongs to the people in the matrix's "own" column and one
that belongs to someone else. `Dataset.kwargs(kind, whose)` fills a URL's arguments from them.

    case      own: alice's 5,000 purchase (bob holds the manager task, fiona claimed finance)
              other: leo's 500 purchase (only carol, his manager, approves)
    escalated-case  own: alice's 300 purchase, its approval in the operators' queue, operators told
              other: leo's 500 purchase
    task      own: fiona's finance task on alice's case; other: carol's manager task on leo's case
    run       own: alice's invoice without a PO number, in the exception queue, routed to fiona
              other: leo's invoice without a PO number, unassigned in the queue
    notification  own: alice's; other: bob's
    definition    own: purchase-approval (olivia's, with a draft); other: one admin made and owns
    sop       version 1's procedure: own purchase-approval's (live); other admin-only's (v2 is live)

The rows are committed (not rolled back): each test still runs in its own transaction, so
whatever a request changes is undone. The module's data is flushed when its tests are done.
"""

from dataclasses import dataclass, field
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import transaction
from django.test import Client
from rest_framework.authtoken.models import Token

from apps.automation.models import StepRun
from apps.automation.services import step_assign
from apps.cases.attachments import case_attachment_add
from apps.cases.models import Case
from apps.cases.reassignment import operators_tell
from apps.cases.services import case_start, task_claim, task_requeue
from apps.core.heartbeats import SLA_SWEEP, STEP_SWEEP, WORKER, heartbeat_beat
from apps.definitions.importexport import definition_export
from apps.definitions.selectors import definition_get, version_live
from apps.definitions.services import definition_create, draft_create_from, version_publish
from apps.demo.management.commands.seed_demo import seed_demo_data
from apps.integrations.endpoints import endpoint_create
from apps.integrations.models import WebhookDelivery
from apps.integrations.services import event_publish, subscription_create, subscription_update
from apps.notify.services import notification_send
from apps.schedules.services import schedule_create
from apps.sla.models import BusinessCalendar

OTHER_DEFINITION = {
    "fields": [
        {"name": "amount", "type": "decimal", "label": "Amount", "required": True},
        {"name": "note", "type": "text", "label": "Note"},
    ],
    "stages": [{"key": "approval", "name": "Approval", "approvers": [{"key": "manager", "type": "manager"}]}],
}


@dataclass
class Dataset:
    users: dict
    objects: dict = field(default_factory=dict)  # kind -> (own kwargs, other kwargs)
    sessions: dict = field(default_factory=dict)  # username -> session cookie value
    tokens: dict = field(default_factory=dict)  # username -> API token
    bodies: dict = field(default_factory=dict)  # named request bodies that need the data (an export)

    def kwargs(self, kind: str, whose: str) -> dict:
        own, other = self.objects[kind]
        return dict(own if whose == "own" else other)


def _open_task(case, label):
    from tests.conftest import task_for

    return task_for(case, label)


def _invoice_without_po(actor):
    case, _ = case_start(
        workflow="invoice-processing",
        data={"invoice_number": f"INV-{actor.username}", "vendor": "ACME Ltd", "amount": "1200.00"},
        actor=actor,
    )
    return StepRun.objects.get(case=case, step_key="erp_check")


def build_dataset() -> Dataset:
    seed_demo_data()
    users = {u.username: u for u in get_user_model().objects.all()}
    data = Dataset(users=users)

    # Cases and tasks.
    own_case, _ = case_start(
        workflow="purchase-approval",
        data={"amount": "5000", "vendor": "ACME Ltd", "cost_center": "CC-100"},
        actor=users["alice"],
    )
    other_case, _ = case_start(
        workflow="purchase-approval",
        data={"amount": "500", "vendor": "Globex", "cost_center": "CC-200"},
        actor=users["leo"],
    )
    finance = _open_task(own_case, "Finance approval")
    task_claim(task_id=finance.pk, actor=users["fiona"])
    other_task = _open_task(other_case, "Manager approval")
    data.objects["case"] = ({"case_id": own_case.pk}, {"case_id": other_case.pk})
    # No automated step, asked of the operators: bob's approval moved to their queue and the
    # operators told (as a deactivation with nobody eligible to take over does).
    escalated, _ = case_start(
        workflow="purchase-approval",
        data={"amount": "300", "vendor": "Initrode", "cost_center": "CC-100"},
        actor=users["alice"],
    )
    waiting = _open_task(escalated, "Manager approval")
    task_requeue(task_id=waiting.pk, role="operators", reason="Matrix: bob left, nobody else may take it.")
    operators_tell(case=escalated, task=waiting, subject="Waits in your queue", reason="Matrix.", action=None)
    data.objects["escalated-case"] = ({"case_id": escalated.pk}, {"case_id": other_case.pk})
    data.objects["task"] = ({"task_id": finance.pk}, {"task_id": other_task.pk})

    attachments = []
    for case, actor in ((own_case, users["alice"]), (other_case, users["leo"])):
        upload = SimpleUploadedFile("quote.pdf", b"%PDF-1.4 quote", content_type="application/pdf")
        attachments.append(case_attachment_add(case=case, actor=actor, upload=upload))
    data.objects["attachment"] = tuple({"attachment_id": a.pk} for a in attachments)

    # Automated steps in the exception queue (no PO number: refused before any call is made).
    own_run, other_run = _invoice_without_po(users["alice"]), _invoice_without_po(users["leo"])
    assert own_run.status == other_run.status == "exception", (own_run.status, other_run.status)
    step_assign(run_id=own_run.pk, actor=users["oscar"], username="fiona", note="Please add the PO number.")
    data.objects["run"] = ({"run_id": own_run.pk}, {"run_id": other_run.pk})
    data.objects["missing-run"] = ({"run_id": 999_999_999},) * 2
    data.objects["invoice-case"] = ({"case_id": own_run.case_id}, {"case_id": other_run.case_id})

    # Definitions: olivia's with a draft; one admin owns (olivia may read, not edit).
    draft_create_from(version=version_live(key="purchase-approval"), actor=users["olivia"])
    other = definition_create(key="admin-only", name="Admin only", spec=OTHER_DEFINITION, actor=users["admin"])
    version_publish(version=other, actor=users["admin"])
    # Version 2 is live: version 1 is an old version nobody in the matrix has a case of.
    version_2 = draft_create_from(version=version_live(key="admin-only"), actor=users["admin"])
    version_publish(version=version_2, actor=users["admin"])
    draft_create_from(version=version_live(key="admin-only"), actor=users["admin"])
    data.objects["definition"] = ({"key": "purchase-approval"}, {"key": "admin-only"})
    # Schedules: one of olivia's workflow, one of admin's (olivia may not see or change it).
    own_schedule = schedule_create(
        definition=definition_get(key="purchase-approval"),
        actor=users["olivia"],
        name="Matrix weekly",
        cron="0 9 * * 1",
        requester="alice",
        data={"amount": "700", "vendor": "Initech"},
    )
    other_schedule = schedule_create(
        definition=other.definition,
        actor=users["admin"],
        name="Admin weekly",
        cron="0 9 * * 1",
        requester="alice",
        data={"amount": "700"},
    )
    data.objects["schedule"] = (
        {"key": "purchase-approval", "schedule_id": own_schedule.pk},
        {"key": "admin-only", "schedule_id": other_schedule.pk},
    )
    data.objects["api-schedule"] = ({"schedule_id": own_schedule.pk}, {"schedule_id": other_schedule.pk})
    # The SOP of version 1: purchase approval's is live (anyone may start it), admin-only's is old.
    data.objects["sop"] = ({"key": "purchase-approval", "number": 1}, {"key": "admin-only", "number": 1})
    export = definition_export(definition=other.definition, actor=users["admin"], version="1")
    data.bodies["import"] = {**export, "key": "imported-by-matrix"}

    # Notifications.
    with transaction.atomic():
        mine = notification_send(
            users=[users["alice"]], kind="task_assigned", subject="For alice", url="/", dedupe_key="matrix:alice"
        )
        theirs = notification_send(
            users=[users["bob"]], kind="task_assigned", subject="For bob", url="/", dedupe_key="matrix:bob"
        )
    data.objects["notification"] = ({"notification_id": mine[0].pk}, {"notification_id": theirs[0].pk})

    # A webhook subscription and one dead delivery (sent while it was inactive, so nothing left the
    # machine); then switched on again, so a redelivery is possible.
    subscription = subscription_create(
        actor=users["admin"], name="ERP", url="https://hooks.example.com/wms", events=["case.closed"]
    )
    with transaction.atomic():
        case = Case.objects.get(pk=other_case.pk)  # a fresh one: the case caches its subscriptions
        event_publish(name="case.closed", case=case, data=case.data)
        subscription_update(actor=users["admin"], subscription_id=subscription.pk, is_active=False)
    subscription_update(actor=users["admin"], subscription_id=subscription.pk, is_active=True)
    delivery = WebhookDelivery.objects.get(subscription=subscription)
    assert delivery.status == "dead", delivery.status
    data.objects["subscription"] = ({"subscription_id": subscription.pk},) * 2
    data.objects["delivery"] = ({"delivery_id": delivery.pk},) * 2

    endpoint = endpoint_create(
        actor=users["admin"],
        slug="orders",
        name="Orders",
        workflow="purchase-approval",
        run_as=users["alice"],
        field_map={"amount": "order.total", "vendor": "order.vendor"},
    )
    data.objects["endpoint"] = ({"endpoint": endpoint.slug},) * 2
    data.objects["inbound-endpoint"] = ({"endpoint_id": endpoint.pk},) * 2

    calendar = BusinessCalendar.objects.get(is_default=True)
    data.objects["calendar"] = ({"calendar_id": calendar.pk},) * 2
    data.objects[None] = ({}, {})

    # Signed-in sessions and API tokens, once.
    for name, user in users.items():
        client = Client()
        client.force_login(user)
        data.sessions[name] = client.cookies["sessionid"].value
        data.tokens[name] = Token.objects.get_or_create(user=user)[0].key
    assert Decimal(own_case.data["amount"]) >= 1000
    return data


@pytest.fixture(autouse=True)
def _live_worker(request):
    """/health/ is a 503 two minutes after the worker's last heartbeat, and a run of the matrix
    takes longer: each cell sees a worker and sweeps that just ran (the matrix is about who asks)."""
    if "dataset" in request.fixturenames:
        request.getfixturevalue("db")
        for name in (WORKER, SLA_SWEEP, STEP_SWEEP):
            heartbeat_beat(name=name)


@pytest.fixture(scope="module")
def dataset(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        data = build_dataset()
    yield data
    with django_db_blocker.unblock():
        call_command("flush", interactive=False, verbosity=0)
