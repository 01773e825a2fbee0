"""The manager chain reads who acts for each manager in the same query (routing to a manager is
one statement); `user_delegate` answers the same as when it asks the database itself."""

from datetime import timedelta

from django.utils import timezone

from apps.org.models import Absence
from apps.org.selectors import user_delegate, user_manager_chain


def test_the_chain_knows_the_managers_delegate_without_asking_again(users, django_assert_num_queries):
    alice, bob, frank = users["alice"], users["bob"], users["frank"]
    now = timezone.now()
    Absence.objects.create(user=bob, delegate=frank, starts=now - timedelta(hours=1), ends=now + timedelta(days=1))

    with django_assert_num_queries(1):
        [manager] = user_manager_chain(user=alice, limit=1, away_at=now)
    assert manager == bob
    with django_assert_num_queries(1):  # the delegate's row only
        assert user_delegate(user=manager, at=now) == frank


def test_an_inactive_delegate_of_the_latest_absence_means_nobody_acts_as_before(users):
    alice, bob, frank, fiona = users["alice"], users["bob"], users["frank"], users["fiona"]
    now = timezone.now()
    Absence.objects.create(user=bob, delegate=fiona, starts=now - timedelta(days=2), ends=now + timedelta(days=1))
    Absence.objects.create(user=bob, delegate=frank, starts=now - timedelta(hours=1), ends=now + timedelta(days=1))
    frank.is_active = False
    frank.save()

    [manager] = user_manager_chain(user=alice, limit=1, away_at=now)
    assert user_delegate(user=manager, at=now) is None
    fresh = type(bob).objects.get(pk=bob.pk)
    assert user_delegate(user=fresh, at=now) is None, "the same answer as the database lookup"


def test_without_an_absence_nobody_acts_and_nothing_more_is_asked(users, django_assert_num_queries):
    now = timezone.now()
    [manager] = user_manager_chain(user=users["alice"], limit=1, away_at=now)
    with django_assert_num_queries(0):
        assert user_delegate(user=manager, at=now) is None
