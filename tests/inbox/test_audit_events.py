"""The auditors' search of the audit trail across cases, and its CSV export (streamed, audited)."""

import csv
import io
from datetime import timedelta

import pytest
from django.utils import timezone

from apps.audit.models import Action, AuditEvent
from apps.cases.services import task_complete
from tests.conftest import task_for

URL = "/audit/events/"
EXPORT = "/audit/events/export.csv"


@pytest.fixture
def rejected(over_budget_rejection, start_purchase):
    """Two cases: bob rejected the first with a reason code; the second still waits."""
    return over_budget_rejection, start_purchase(amount="700")


def test_filters_by_who_and_what_and_shows_the_context_in_words(rejected, signed_in):
    first, _ = rejected
    page = signed_in("audrey").get(URL, {"actor": "BOB", "action": Action.TASK_DECIDED})

    assert page.status_code == 200
    body = page.content.decode()
    assert "1 event" in body
    assert f'<a href="/cases/{first.pk}/">#{first.pk}</a>' in body
    assert '<dt>Reason code</dt><dd data-context="reason_code">Over budget (over_budget)</dd>' in body
    assert "Q3 budget is spent." in body


def test_filters_by_workflow_request_and_days(rejected, signed_in, publish, start):
    first, second = rejected
    publish("travel", [{"key": "ok", "name": "OK", "policy": "all", "approvers": [{"key": "m", "type": "manager"}]}])
    other = start("travel", amount="10")
    auditor = signed_in("audrey")

    travel = auditor.get(URL, {"workflow": "travel"}).context["page"]
    assert {e.case_id for e in travel} == {other.pk}
    one_case = auditor.get(URL, {"case": second.pk}).context["page"]
    assert {e.case_id for e in one_case} == {second.pk}
    today = timezone.localdate()
    assert auditor.get(URL, {"date_from": today, "date_to": today}).context["page"].paginator.count > 0
    tomorrow = today + timedelta(days=1)
    assert auditor.get(URL, {"date_from": tomorrow}).context["page"].paginator.count == 0


@pytest.mark.parametrize(
    ("query", "field", "words"),
    [
        ({"date_from": "2026-13-01"}, "date_from", "From: Enter a valid date."),
        ({"date_from": "2026-12-02", "date_to": "2026-12-01"}, "date_to", "To: The end of the range comes before"),
        ({"action": "case.exploded"}, "action", "What: Select a valid choice."),
        ({"case": "abc"}, "case", "Request: Enter a whole number."),
        ({"actor": "x" * 151}, "actor", "Who: Ensure this value has at most 150 characters"),
    ],
)
def test_bad_filters_are_a_400_naming_the_field(users, signed_in, query, field, words):
    auditor = signed_in("audrey")
    page = auditor.get(URL, query)
    assert page.status_code == 400
    assert field in page.context["form"].errors
    assert words in page.content.decode()
    export = auditor.get(EXPORT, query)
    assert export.status_code == 400
    assert words in export.content.decode()
    assert not AuditEvent.objects.filter(action=Action.AUDIT_EXPORTED).exists()


def test_the_csv_holds_every_matching_event_with_its_words_and_the_export_is_audited(rejected, signed_in):
    first, _ = rejected
    response = signed_in("oscar").get(EXPORT, {"case": first.pk})

    assert response.status_code == 200
    assert response.streaming, "written while read: a year of events never sits in memory"
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    expected = AuditEvent.objects.filter(case_id=first.pk).count()
    assert len(rows) == expected
    assert [r["Event"] for r in rows] == [str(pk) for pk in sorted(int(r["Event"]) for r in rows)], "oldest first"
    decided = next(r for r in rows if r["Action"] == "task.decided")
    assert (decided["Who"], decided["Reason"]) == ("bob", "Q3 budget is spent.")
    assert decided["Context"] == "Reason code: Over budget (over_budget)"
    exported = AuditEvent.objects.get(action=Action.AUDIT_EXPORTED)
    assert (exported.actor_name, exported.context["rows"], exported.context["filters"]) == (
        "oscar",
        expected,
        {"case": str(first.pk)},
    )


def test_a_value_that_looks_like_a_formula_is_made_inert(start_purchase, users, signed_in):
    case = start_purchase(amount="500")
    task_complete(
        task_id=task_for(case, "Manager approval").pk, actor=users["bob"], decision="return", reason="=HYPERLINK(1)"
    )
    response = signed_in("audrey").get(EXPORT, {"action": Action.TASK_DECIDED})
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    assert "'=HYPERLINK(1)" in text


@pytest.mark.parametrize(
    ("username", "status"),
    [("alice", 403), ("fiona", 403), ("olivia", 403), ("oscar", 200), ("audrey", 200), ("admin", 200)],
)
def test_auditors_operators_and_admins_only(users, signed_in, username, status):
    client = signed_in(username)
    assert client.get(URL).status_code == status
    assert client.get(EXPORT).status_code == status
    assert client.get("/audit/access/").status_code == status


def test_the_pages_are_linked_for_their_readers_only(users, signed_in):
    assert 'href="/audit/events/"' in signed_in("oscar").get("/").content.decode()
    assert 'href="/audit/events/"' not in signed_in("alice").get("/").content.decode()
