from django.urls import path

from ..views import exceptions as views

app_name = "exceptions"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("<id:run_id>/", views.detail, name="detail"),
    path("<id:run_id>/retry/", views.retry, name="retry"),
    path("<id:run_id>/retry-version/", views.retry_version, name="retry-version"),
    path("<id:run_id>/skip/", views.skip, name="skip"),
    path("<id:run_id>/assign/", views.assign, name="assign"),
    path("<id:run_id>/cancel/", views.cancel, name="cancel"),
]
