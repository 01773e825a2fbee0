"""The case-visibility policy is one filter: a single case and the lists (portal, API, search)
agree for every rule and every demo person, and the policy asks the same number of queries
however many cases there are."""

from apps.cases.models import Case
from apps.cases.policy import case_can_view, case_visibility_filter
from apps.cases.selectors import case_list_for_user
from apps.cases.services import case_start, task_claim, task_requeue
from tests.conftest import task_for

PEOPLE = ["alice", "bob", "carol", "fiona", "frank", "leo", "audrey", "olivia", "oscar", "ivan", "admin"]


def _cases(users, start_purchase, publish):
    legal = publish(
        "legal-review",
        [{"key": "legal", "name": "Legal", "approvers": [{"key": "legal", "type": "role", "role": "legal"}]}],
    )
    big = start_purchase(amount="5000")  # bob approves, finance queue
    task_claim(task_id=task_for(big, "Finance approval").pk, actor=users["fiona"])
    queued = start_purchase(amount="300")
    task_requeue(task_id=task_for(queued, "Manager approval").pk, role="operators", reason="Nobody may take it.")
    legal_case, _ = case_start(workflow=legal, data={"amount": "1"}, actor=users["alice"])
    leos = start_purchase(actor=users["leo"], amount="500")
    return {"big": big, "queued": queued, "legal": legal_case, "leos": leos}


EXPECTED = {
    # Auditors and the admin read every case; olivia owns both workflows (read only). frank no
    # longer reads the big one: fiona took its finance approval from their queue.
    "big": {"alice", "bob", "carol", "fiona", "audrey", "olivia", "admin"},
    "queued": {"alice", "bob", "oscar", "audrey", "olivia", "admin"},
    "legal": {"alice", "bob", "leo", "audrey", "olivia", "admin"},
    "leos": {"leo", "carol", "audrey", "olivia", "admin"},
}


def test_every_rule_agrees_for_one_case_and_for_the_list(users, start_purchase, publish):
    cases = _cases(users, start_purchase, publish)
    for username in PEOPLE:
        user = users[username]
        listed = set(case_list_for_user(user=user).values_list("pk", flat=True))
        for name, case in cases.items():
            single = case_can_view(user=user, case=case)
            assert single == (case.pk in listed), (username, name)
            assert single == (username in EXPECTED[name]), (username, name, single)


def test_the_filter_asks_no_query_of_its_own(users, start_purchase, django_assert_num_queries):
    start_purchase(amount="5000")
    for username in ("olivia", "carol", "oscar"):
        user = users[username]
        case_visibility_filter(user)  # the roles are read once per request, then kept on the user
        with django_assert_num_queries(0):
            condition = case_visibility_filter(user)
        with django_assert_num_queries(1):
            assert Case.objects.filter(condition).distinct().count() >= 0
