from django.contrib import admin

from .models import InboundDelivery, InboundEndpoint, WebhookDelivery, WebhookSubscription


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


@admin.register(InboundEndpoint)
class InboundEndpointAdmin(admin.ModelAdmin):
    """Read-only: endpoints are managed through apps.integrations.endpoints (validated, audited),
    from the portal or `manage.py inbound_endpoint`."""

    list_display = ["slug", "name", "workflow", "run_as", "is_active", "created", "created_by"]
    list_filter = ["is_active"]
    search_fields = ["slug", "name", "workflow"]
    exclude = ["secret"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(InboundDelivery)
class InboundDeliveryAdmin(admin.ModelAdmin):
    """The inbound log: every call, accepted or refused, with the reason. Read-only."""

    list_display = ["received", "endpoint", "delivery_id", "accepted", "reason", "case_id", "remote_addr"]
    list_filter = ["accepted"]
    search_fields = ["=delivery_id"]
    list_select_related = ["endpoint"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
