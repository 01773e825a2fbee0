from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import Case


@admin.register(Case)
class CaseAdmin(SimpleHistoryAdmin):
    list_display = ["id", "workflow_key", "version_number", "requester", "state", "outcome", "status", "created"]
    list_filter = ["workflow_key", "state", "outcome", "status"]
    search_fields = ["=id", "requester__username", "workflow_key"]
    readonly_fields = [
        "flow_class",
        "definition",
        "version",
        "workflow_key",
        "version_number",
        "requester",
        "state",
        "outcome",
        "closed_reason",
        "stage",
        "round",
        "route",
        "data",
        "status",
        "created",
        "finished",
        "idempotency_key",
        "idempotency_hash",
    ]
    exclude = ["parent_task", "seed_content_type", "seed_object_id", "artifact_content_type", "artifact_object_id"]

    def has_add_permission(self, request):
        return False  # cases start through the portal or the API, never by hand

    def has_delete_permission(self, request, obj=None):
        return False
