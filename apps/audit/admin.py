from django.contrib import admin

from .models import AuditEvent, ChainHead, ChainVerification


class ReadOnlyAdmin(admin.ModelAdmin):
    """Read-only: the trail and its evidence are append-only, even for superusers."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ["seq", "at", "actor_name", "action", "case_id", "workflow", "version", "step", "reason"]
    list_filter = ["action", "workflow"]
    search_fields = ["actor_name", "reason", "comment", "=case_id", "=seq"]
    date_hierarchy = "at"


@admin.register(ChainHead)
class ChainHeadAdmin(ReadOnlyAdmin):
    list_display = ["day", "seq", "hash", "written_at"]


@admin.register(ChainVerification)
class ChainVerificationAdmin(ReadOnlyAdmin):
    list_display = ["at", "ok", "count", "message"]
    list_filter = ["ok"]
