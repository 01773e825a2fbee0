from django.urls import path

from ..views import evidence as views

app_name = "evidence"

urlpatterns = [
    path("", views.evidence_page, name="page"),
]
