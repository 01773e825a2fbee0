from django.urls import path

from . import queue_views as views

app_name = "exceptions"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("<int:run_id>/", views.detail, name="detail"),
    path("<int:run_id>/retry/", views.retry, name="retry"),
    path("<int:run_id>/skip/", views.skip, name="skip"),
    path("<int:run_id>/assign/", views.assign, name="assign"),
    path("<int:run_id>/cancel/", views.cancel, name="cancel"),
]
