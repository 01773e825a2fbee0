from django.urls import path

from . import views

app_name = "ops"

urlpatterns = [
    path("health/", views.health, name="health"),
    path("metrics", views.metrics, name="metrics"),
    path("ops/health/", views.ops_health, name="ops-health"),
]
