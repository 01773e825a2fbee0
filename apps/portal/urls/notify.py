from django.urls import path

from ..views import notify as views

app_name = "notify"

urlpatterns = [
    path("", views.notification_list, name="list"),
    path("read-all/", views.notification_read_all, name="read-all"),
    path("<id:notification_id>/read/", views.notification_read, name="read"),
    path("<id:notification_id>/open/", views.notification_open, name="open"),
    path("failed/", views.failed_list, name="failed"),
    path("failed/<id:notification_id>/retry/", views.failed_retry, name="retry"),
]
