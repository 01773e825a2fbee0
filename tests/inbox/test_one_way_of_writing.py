"""Friction from issue 12: numbers written one way, field labels and step names as their owner
wrote them, header badges that are true, no "0 minutes ago", a favicon."""

import re
from datetime import timedelta

import pytest
from django.template import Context, Template
from django.utils import timezone

from apps.cases.services import task_complete
from apps.core.numbers import number
from apps.definitions.accessors import Field
from tests.conftest import task_for


@pytest.mark.parametrize(
    ("value", "shown"),
    [("5000.00", "5,000"), (5000, "5,000"), ("1234.5", "1,234.50"), ("0.10", "0.10"), ("-3", "-3"), ("ACME", "ACME")],
)
def test_one_number_format(value, shown):
    assert number(value) == shown


def test_nan_infinity_and_booleans_stay_their_text():
    assert [number(v) for v in ("NaN", "Infinity", True)] == ["NaN", "Infinity", "True"]


def test_a_field_shows_numbers_formatted_and_text_as_typed():
    amount = Field.of({"name": "amount", "type": "decimal", "label": "Amount"})
    count = Field.of({"name": "items", "type": "integer"})
    po = Field.of({"name": "po", "type": "text"})
    assert (amount.shown("5000.00"), count.shown(12000), po.shown("1000"), amount.shown("")) == (
        "5,000",
        "12,000",
        "1000",
        "",
    )


def test_case_and_task_pages_write_amounts_one_way(signed_in, start_purchase):
    case = start_purchase(amount="5000")
    for page in (
        signed_in("alice").get(f"/cases/{case.pk}/").content.decode(),
        signed_in("fiona").get(f"/tasks/{task_for(case, 'Finance approval').pk}/").content.decode(),
    ):
        assert "<dt>Amount</dt><dd>5,000</dd>" in page
        assert "Finance approval</strong>: Amount 5,000 &gt;= 1,000" in page
        assert "5000.00" not in page and "5,000.00" not in page


def test_a_notification_explains_the_route_in_the_same_words(start_purchase, users, django_capture_on_commit_callbacks):
    from apps.notify.models import Notification

    with django_capture_on_commit_callbacks(execute=True):
        start_purchase(amount="5000")
    (assigned,) = Notification.objects.filter(user=users["bob"])
    assert "Finance approval (Amount 5,000 >= 1,000)" in assigned.body


def test_the_explanation_names_fields_by_label_also_for_cases_routed_before(signed_in, start_purchase):
    """A case routed before labels were used (its stored text has keys) reads like a new one."""
    case = start_purchase(amount="5000", vendor_risk="high")
    route = dict(case.route)
    route["rules"] = [{**r, "text": r["text"].replace("Vendor risk", "vendor_risk")} for r in route["rules"]]
    type(case).objects.filter(pk=case.pk).update(route=route)
    page = signed_in("leo").get(f"/tasks/{task_for(case, 'Legal review').pk}/").content.decode()
    assert "Legal review</strong>: Vendor risk = high" in page and "vendor_risk" not in page


def test_the_sop_and_the_rule_tester_write_rules_with_labels_and_numbers(signed_in, demo):
    olivia = signed_in("olivia")
    sop = olivia.get("/builder/purchase-approval/versions/1/sop/").content.decode()
    assert "only when Amount &gt;= 1,000" in sop and "only when Vendor risk = high" in sop
    tester = olivia.get(
        "/builder/purchase-approval/tester/?run=1&requester=alice&amount=1500&vendor=ACME&cost_center=CC-1",
        HTTP_HX_REQUEST="true",
    ).content.decode()
    assert "Finance approval</strong>: Amount 1,500 &gt;= 1,000" in tester
    assert "Finance approval (Amount 1,500 &gt;= 1,000)" in tester  # the summary too


def test_the_timeline_names_a_step_as_its_owner_wrote_it(signed_in, publish, start):
    stages = [{"key": "erp_check", "name": "ERP check", "approvers": [{"key": "boss", "type": "manager"}]}]
    fields = [{"name": "po", "type": "text", "label": "PO", "required_before": "erp_check"}]
    case = start(publish("po-check", stages, fields=fields))  # no PO: returned before "ERP check"
    page = signed_in("alice").get(f"/cases/{case.pk}/").content.decode()
    assert "<td>ERP check</td>" in page and "Erp check" not in page


def _badges(client):
    header = client.get("/").content.decode().split("</header>")[0]
    return re.findall(r'<span class="badge role">([^<]+)</span>', header)


@pytest.mark.parametrize(
    ("username", "badges"),
    [
        ("alice", ["requester"]),
        ("bob", ["manager"]),
        ("carol", ["manager"]),
        ("fiona", ["finance"]),
        ("olivia", ["workflow-owners"]),
        ("admin", ["admin"]),
    ],
)
def test_the_header_badges_say_what_the_person_is(signed_in, username, badges):
    assert _badges(signed_in(username)) == badges


def test_a_done_row_says_approved_and_never_zero_minutes_ago(signed_in, start_purchase, users):
    case = start_purchase(amount="10")
    task_complete(task_id=task_for(case, "Manager approval").pk, actor=users["bob"], decision="approve")
    page = signed_in("bob").get("/inbox/?tab=done").content.decode()
    assert "Approved less than a minute ago" in page
    assert "0 minutes" not in page and "Approve " not in page


def test_age_reads_less_than_a_minute_then_minutes():
    render = Template("{% load portal %}{{ moment|age }}").render
    now = timezone.now()
    assert render(Context({"moment": now})) == "less than a minute"
    assert render(Context({"moment": now + timedelta(seconds=5)})) == "less than a minute"  # a clock a little ahead
    assert render(Context({"moment": now - timedelta(minutes=3, seconds=5)})) == "3\xa0minutes"


def test_every_page_links_the_favicon_and_favicon_ico_leads_to_it(signed_in, client):
    page = signed_in("alice").get("/").content.decode()
    assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in page
    response = client.get("/favicon.ico")
    assert response.status_code == 301 and response["Location"] == "/static/favicon.svg"


def test_a_yes_no_field_reads_yes_or_no_on_the_case_page(demo, client):
    from django.urls import reverse

    from apps.cases.services import case_start

    data = {"invoice_number": "INV-1", "vendor": "ACME Ltd", "amount": "80.00", "po_number": "PO-1"}
    asked, _ = case_start(
        workflow="invoice-processing", data={**data, "enter_in_supplier_portal": True}, actor=demo["alice"]
    )
    not_asked, _ = case_start(
        workflow="invoice-processing",
        data={**data, "invoice_number": "INV-2", "enter_in_supplier_portal": False},
        actor=demo["alice"],
    )
    client.force_login(demo["alice"])
    label = "<dt>Enter the order in the supplier portal</dt><dd>{}</dd>"
    assert label.format("Yes") in client.get(reverse("inbox:case", args=[asked.pk])).content.decode()
    assert label.format("No") in client.get(reverse("inbox:case", args=[not_asked.pk])).content.decode()
