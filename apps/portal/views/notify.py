"""Portal pages: a person's notifications, and the operators' failed e-mail list."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRedirect, HttpResponseClientRefresh

from apps.core.errors import Conflict
from apps.notify import selectors, services
from apps.notify.models import Notification
from apps.notify.policy import user_can_manage_deliveries

from ..errors import portal_errors
from ..pages import paginate

MSG_ALL_READ = "All notifications marked read."
MSG_FAILED_FORBIDDEN = "Only operators and administrators can see failed e-mail deliveries."
MSG_RETRY_QUEUED = "E-mail to {user} queued again."


@portal_errors
def notification_list(request):
    return render(
        request,
        "notify/list.html",
        {
            "page": paginate(request, selectors.notifications_for_user(user=request.user)),
            "can_manage_deliveries": user_can_manage_deliveries(user=request.user),
        },
    )


@portal_errors
@require_POST
def notification_read(request, notification_id):
    notification = services.notification_mark_read(user=request.user, notification_id=notification_id)
    if request.htmx:
        # The row, and the header badge swapped out of band.
        return render(request, "notify/_read.html", {"notification": notification})
    return redirect("notify:list")


@portal_errors
@require_POST
def notification_open(request, notification_id):
    """Follow a notification's link, marking it read on the way."""
    notification = services.notification_mark_read(user=request.user, notification_id=notification_id)
    target = notification.url
    if not target or not url_has_allowed_host_and_scheme(target, allowed_hosts=None):
        target = reverse("notify:list")
    return HttpResponseClientRedirect(target) if request.htmx else redirect(target)


@portal_errors
@require_POST
def notification_read_all(request):
    services.notification_mark_all_read(user=request.user)
    if request.htmx:
        return HttpResponseClientRefresh()
    messages.success(request, MSG_ALL_READ)
    return redirect("notify:list")


def _operators_only(request):
    if not user_can_manage_deliveries(user=request.user):
        raise PermissionDenied(MSG_FAILED_FORBIDDEN)


@portal_errors
def failed_list(request):
    _operators_only(request)
    return render(
        request,
        "notify/failed.html",
        {
            "page": paginate(request, selectors.failed_deliveries()),
            "retry_minutes": services.BACKOFF_MINUTES[: services.MAX_ATTEMPTS - 1],
            "max_attempts": services.MAX_ATTEMPTS,
        },
    )


@portal_errors
@require_POST
def failed_retry(request, notification_id):
    _operators_only(request)
    try:
        notification = services.notification_retry(notification_id=notification_id, actor=request.user)
    except Conflict as conflict:
        messages.warning(request, conflict.message)
        return HttpResponseClientRefresh() if request.htmx else redirect("notify:failed")
    notification = Notification.objects.select_related("user").get(pk=notification.pk)
    if request.htmx:
        return render(request, "notify/_failed_row.html", {"notification": notification})
    messages.success(request, MSG_RETRY_QUEUED.format(user=notification.user.get_username()))
    return redirect("notify:failed")
