from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import DefinitionVersion, WorkflowDefinition


class VersionInline(admin.TabularInline):
    model = DefinitionVersion
    fields = ["number", "status", "content_hash", "published_at", "published_by"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True


@admin.register(WorkflowDefinition)
class WorkflowDefinitionAdmin(SimpleHistoryAdmin):
    list_display = ["key", "name", "owner", "created"]
    search_fields = ["key", "name"]
    inlines = [VersionInline]


@admin.register(DefinitionVersion)
class DefinitionVersionAdmin(SimpleHistoryAdmin):
    list_display = ["definition", "number", "status", "published_at", "published_by", "content_hash"]
    list_filter = ["status", "definition"]
    readonly_fields = ["number", "status", "content_hash", "published_at", "published_by", "created", "created_by"]

    def has_change_permission(self, request, obj=None):
        # Published versions are immutable; drafts are edited through the builder.
        if obj is not None and obj.is_published:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False
