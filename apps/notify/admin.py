from django.contrib import admin, messages

from apps.core.errors import ServiceError

from .models import Notification
from .services import notification_retry


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    """Read-only: notifications are written by services. Failed e-mails can be retried."""

    list_display = ["created", "user", "kind", "subject", "read_at", "email_status", "email_attempts"]
    list_filter = ["kind", "email_status"]
    search_fields = ["subject", "user__username", "user__email", "dedupe_key", "=case_id", "=task_id"]
    date_hierarchy = "created"
    list_select_related = ["user"]
    actions = ["retry_email"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.action(description="Retry the e-mail now", permissions=["view"])
    def retry_email(self, request, queryset):
        retried = 0
        for pk in queryset.values_list("pk", flat=True):
            try:
                notification_retry(notification_id=pk, actor=request.user)
            except ServiceError as refusal:
                self.message_user(request, f"#{pk}: {refusal.message}", messages.WARNING)
            else:
                retried += 1
        if retried:
            self.message_user(request, f"{retried} e-mail(s) queued again.", messages.SUCCESS)
