"""One unit of work, one queue message: the after-commit effects of a service call leave together,
written in the transaction with the ORM broker and on commit otherwise (q2's sync mode in tests)."""

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.db import connection, transaction

from apps.audit.services import audit_batch
from apps.core.outbox import DISPATCH_TASK, outbox_dispatch
from apps.notify.models import Notification
from apps.notify.services import notification_send


@pytest.fixture
def people(db):
    User = get_user_model()
    return {name: User.objects.create_user(name, email=f"{name}@example.com") for name in ["bob", "carol"]}


@pytest.fixture
def orm_broker(monkeypatch):
    """The ORM broker as in production (not q2's sync mode): record what would be enqueued and
    whether it happened inside the transaction."""
    sent = []

    def async_task(func, message):
        sent.append({"func": func, "message": message, "in_transaction": connection.in_atomic_block})

    monkeypatch.setattr("apps.core.outbox._enqueues_in_transaction", lambda: connection.in_atomic_block)
    monkeypatch.setattr("apps.core.outbox.async_task", async_task)
    return sent


def _notify(user, key):
    return notification_send(users=[user], kind="notice", subject="Hello", dedupe_key=key)


def test_one_enqueue_per_unit_written_in_the_transaction(people, orm_broker, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic(), audit_batch():
        _notify(people["bob"], "a")
        with audit_batch():  # a nested batch joins the unit
            _notify(people["carol"], "b")
        assert orm_broker == [], "nothing leaves before the unit ends"
    (sent,) = orm_broker
    assert sent["func"] == DISPATCH_TASK and sent["in_transaction"]
    ids = sorted(Notification.objects.values_list("pk", flat=True))
    assert sent["message"] == {"notify.deliver": ["apps.notify.tasks.deliver", 20, ids]}
    assert mail.outbox == [], "the worker sends, not the request"


def test_the_worker_mails_each_notification_once(people, orm_broker, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic(), audit_batch():
        _notify(people["bob"], "a")
        _notify(people["carol"], "a")
    (sent,) = orm_broker
    outbox_dispatch(sent["message"])
    outbox_dispatch(sent["message"])  # q2 hands an unacknowledged message out again
    assert sorted(m.to[0] for m in mail.outbox) == ["bob@example.com", "carol@example.com"]
    assert set(Notification.objects.values_list("email_status", flat=True)) == {"sent"}


def test_a_failed_unit_sends_nothing(people, orm_broker, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
        with transaction.atomic(), audit_batch():
            _notify(people["bob"], "a")
            raise RuntimeError("the decision failed")
    assert orm_broker == [] and not Notification.objects.exists()


def test_items_of_a_rolled_back_savepoint_are_dropped(people, orm_broker, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic(), audit_batch():
        _notify(people["bob"], "kept")
        with pytest.raises(RuntimeError), transaction.atomic():
            _notify(people["carol"], "dropped")
            raise RuntimeError("this part failed")
    (sent,) = orm_broker
    kept = Notification.objects.get()
    assert kept.dedupe_key == "kept" and sent["message"]["notify.deliver"][2] == [kept.pk]


def test_big_units_are_split_by_the_worker(people, orm_broker, monkeypatch):
    calls = []
    monkeypatch.setattr("apps.notify.tasks.deliver", calls.append)
    outbox_dispatch({"notify.deliver": ["apps.notify.tasks.deliver", 2, [1, 2, 3, 4, 5]]})
    assert calls == [[1, 2]]
    assert [s["message"]["notify.deliver"][2] for s in orm_broker] == [[3, 4], [5]]


def test_sync_mode_sends_one_message_after_commit(people, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks, transaction.atomic(), audit_batch():
        _notify(people["bob"], "a")
        _notify(people["carol"], "b")
    dispatches = [c for c in callbacks if c.__qualname__.endswith("enqueue_committed")]
    assert len(dispatches) == 1 and mail.outbox == []
    dispatches[0]()
    assert sorted(m.to[0] for m in mail.outbox) == ["bob@example.com", "carol@example.com"]


def test_notification_send_is_one_insert_in_a_unit(people, orm_broker, django_assert_num_queries):
    with transaction.atomic(), audit_batch():
        with django_assert_num_queries(1):
            created = notification_send(
                users=[people["bob"], people["carol"]], kind="notice", subject="Hello", dedupe_key="k"
            )
        assert [n.user.username for n in created] == ["bob", "carol"] and all(n.pk for n in created)
        with django_assert_num_queries(1):
            again = notification_send(users=[people["bob"]], kind="notice", subject="Hello", dedupe_key="k")
        assert again == [], "already notified under this key"


def test_with_redis_the_message_leaves_on_commit(people, monkeypatch, django_capture_on_commit_callbacks):
    from django_q.conf import Conf

    sent = []
    monkeypatch.setattr(Conf, "SYNC", False)
    monkeypatch.setattr(Conf, "ORM", None)  # Q2_REDIS_URL set: the broker is not the database
    monkeypatch.setattr("apps.core.outbox.async_task", lambda func, message: sent.append(message))
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        with audit_batch():
            _notify(people["bob"], "a")
            _notify(people["carol"], "b")
        assert sent == [], "the unit ended, the transaction has not committed yet"
    (message,) = sent
    assert len(message["notify.deliver"][2]) == 2


@pytest.mark.django_db(transaction=True)  # no test-wide transaction around the unit
def test_a_unit_opened_outside_a_transaction_does_not_claim_to_write_in_it(people, orm_broker):
    from apps.core.outbox import outbox_in_transaction

    with audit_batch(), transaction.atomic():
        assert not outbox_in_transaction(), "the unit ends after the commit: its message is not in it"
    with transaction.atomic(), audit_batch():
        assert outbox_in_transaction()
