from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import Department, Profile


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
