from django.contrib import admin

from .models import WebhookDelivery, WebhookSubscription


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(admin.ModelAdmin):
    """Read-only: subscriptions are managed through the portal or the API (validated, audited)."""

    list_display = ["name", "url", "is_active", "created", "created_by"]
    list_filter = ["is_active"]
    search_fields = ["name", "url"]
    exclude = ["secret"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = ["created", "subscription", "event", "status", "attempts", "last_status_code", "next_attempt_at"]
    list_filter = ["status", "event"]
    search_fields = ["=delivery_id"]
    list_select_related = ["subscription"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
