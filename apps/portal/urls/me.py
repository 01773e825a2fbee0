from django.urls import path

from ..views import me as views

app_name = "me"

urlpatterns = [
    path("", views.my_settings, name="settings"),
]
