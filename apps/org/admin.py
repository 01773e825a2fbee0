from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import Absence, Department, Profile


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ["name", "head"]
    search_fields = ["name"]


@admin.register(Profile)
class ProfileAdmin(SimpleHistoryAdmin):
    list_display = ["user", "department", "manager", "title"]
    list_filter = ["department"]
    search_fields = ["user__username", "user__first_name", "user__last_name"]
    autocomplete_fields = ["user", "manager"]


@admin.register(Absence)
class AbsenceAdmin(SimpleHistoryAdmin):
    """Admins can set an absence for someone who could not do it themselves."""

    list_display = ["user", "starts", "ends", "delegate", "note"]
    list_filter = ["starts"]
    search_fields = ["user__username", "delegate__username"]
    autocomplete_fields = ["user", "delegate"]
    readonly_fields = ["created_by"]

    def save_model(self, request, obj, form, change):
        obj.created_by = obj.created_by or request.user
        super().save_model(request, obj, form, change)
