from django.urls import path

from ..views import alerts as views

app_name = "alerts"

urlpatterns = [
    path("", views.alert_list, name="list"),
]
