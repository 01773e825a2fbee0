from django.contrib import admin

from .models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Read-only: the trail is append-only, even for superusers."""

    list_display = ["at", "actor_name", "action", "case_id", "workflow", "version", "step", "reason"]
    list_filter = ["action", "workflow"]
    search_fields = ["actor_name", "reason", "comment", "=case_id"]
    date_hierarchy = "at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
