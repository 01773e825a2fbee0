"""Issue 14, "This step is wrong": a short form on every task page; the note lands in the
workflow's improvement backlog, which its owners see next to the recurring exceptions."""

from django.conf import settings
from django.urls import reverse

from apps.audit.models import Action, AuditEvent
from apps.definitions.governance import MSG_FEEDBACK_EMPTY
from apps.definitions.models import Feedback, FeedbackStatus
from tests.conftest import open_tasks

TEXT = "The manager should not approve purchases under 100."


def _bob_task(start_purchase):
    case = start_purchase()
    return case, open_tasks(case)[0]


def test_the_task_page_has_the_form(start_purchase, signed_in):
    case, task = _bob_task(start_purchase)
    page = signed_in("bob").get(reverse("inbox:task", args=[task.pk])).content.decode()
    assert "This step is wrong?" in page and reverse("builder:feedback", args=[task.pk]) in page


def test_feedback_lands_in_the_backlog_and_owners_mark_it_done(start_purchase, signed_in, demo):
    case, task = _bob_task(start_purchase)
    response = signed_in("bob").post(
        reverse("builder:feedback", args=[task.pk]), {"text": TEXT}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert "the owners of Purchase approval see your note" in response.content.decode()
    item = Feedback.objects.get()
    assert (item.definition.key, item.version_number, item.author, item.text, item.case_id) == (
        "purchase-approval",
        1,
        demo["bob"],
        TEXT,
        case.pk,
    )
    assert item.step == task.data["label"] and item.status == FeedbackStatus.OPEN
    assert AuditEvent.objects.filter(action=Action.FEEDBACK_GIVEN, actor=demo["bob"]).count() == 1

    olivia = signed_in("olivia")
    backlog = olivia.get(reverse("builder:backlog", args=["purchase-approval"])).content.decode()
    assert TEXT in backlog and "Recurring exceptions" in backlog
    assert "1 feedback" in olivia.get(reverse("builder:index")).content.decode()
    olivia.post(reverse("builder:feedback-done", args=["purchase-approval", item.pk]))
    item.refresh_from_db()
    assert item.status == FeedbackStatus.DONE and item.done_by == demo["olivia"]
    after = olivia.get(reverse("builder:backlog", args=["purchase-approval"])).content.decode()
    assert "No open feedback" in after
    assert TEXT in after.split("<h3>Done</h3>")[1]  # kept, under Done


def test_empty_feedback_is_refused_at_the_field(start_purchase, signed_in):
    case, task = _bob_task(start_purchase)
    response = signed_in("bob").post(
        reverse("builder:feedback", args=[task.pk]), {"text": "  "}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 400
    assert MSG_FEEDBACK_EMPTY in response.content.decode()
    assert not Feedback.objects.exists()


def test_who_cannot_see_the_case_cannot_give_feedback_on_it(start_purchase, signed_in):
    case, task = _bob_task(start_purchase)
    response = signed_in("leo").post(reverse("builder:feedback", args=[task.pk]), {"text": TEXT})
    assert response.status_code == 403
    assert not Feedback.objects.exists()


def test_only_owners_see_the_backlog(start_purchase, signed_in):
    assert signed_in("bob").get(reverse("builder:backlog", args=["purchase-approval"])).status_code == 403


def test_feedback_asks_a_visitor_to_sign_in_first(start_purchase, client):
    case, task = _bob_task(start_purchase)
    response = client.post(reverse("builder:feedback", args=[task.pk]), {"text": TEXT})
    assert response.status_code == 302 and response.url.startswith(settings.LOGIN_URL)
    assert not Feedback.objects.exists()


def test_the_overview_counts_only_this_workflows_open_feedback(start_purchase, signed_in, demo):
    from apps.definitions.governance import feedback_done, feedback_give
    from apps.definitions.selectors import definition_get

    purchase, invoice = definition_get(key="purchase-approval"), definition_get(key="invoice-processing")
    for definition, text in [(purchase, "one"), (purchase, "two"), (purchase, "three"), (invoice, "other")]:
        feedback_give(definition=definition, version_number=1, step="Manager approval", actor=demo["bob"], text=text)
    feedback_done(feedback=Feedback.objects.get(text="three"), actor=demo["olivia"])
    page = signed_in("olivia").get(reverse("builder:definition", args=["purchase-approval"])).content.decode()
    backlog = reverse("builder:backlog", args=["purchase-approval"])
    assert f'<a href="{backlog}">2 open</a>' in page
