from django.urls import path

from ..views import sla as views

app_name = "sla"

urlpatterns = [
    path("", views.calendar_list, name="calendars"),
    path("new/", views.calendar_new, name="calendar-new"),
    path("<id:calendar_id>/", views.calendar_detail, name="calendar"),
    path("<id:calendar_id>/edit/", views.calendar_edit, name="calendar-edit"),
    path("<id:calendar_id>/default/", views.calendar_make_default, name="calendar-default"),
]
