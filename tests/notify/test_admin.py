from django.test import override_settings

from apps.notify.models import Notification


@override_settings(EMAIL_BACKEND="tests.notify.backends.FailingBackend")
def test_admin_lists_filters_and_retries(client, users, notify, django_capture_on_commit_callbacks):
    (notification,) = notify([users["alice"]])
    client.force_login(users["admin"])
    assert (
        client.get("/admin/notify/notification/?email_status__exact=failed&kind__exact=task_assigned").status_code
        == 200
    )
    assert client.get(f"/admin/notify/notification/{notification.pk}/change/").status_code == 200
    assert client.get("/admin/notify/notification/add/").status_code == 403
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/admin/notify/notification/", {"action": "retry_email", "_selected_action": [notification.pk]})
    assert Notification.objects.get(pk=notification.pk).email_attempts == 2
