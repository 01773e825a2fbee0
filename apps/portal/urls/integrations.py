from django.urls import path

from ..views import integrations as views

app_name = "integrations"

urlpatterns = [
    path("", views.subscription_list, name="list"),
    path("new/", views.subscription_create, name="create"),
    path("dead-letters/", views.dead_letters, name="dead-letters"),
    path("inbound/", views.inbound, name="inbound"),
    path("deliveries/<id:delivery_id>/redeliver/", views.delivery_redeliver, name="redeliver"),
    path("<id:subscription_id>/", views.subscription_detail, name="detail"),
    path("<id:subscription_id>/created/", views.subscription_created, name="created"),
    path("<id:subscription_id>/test/", views.subscription_test, name="test"),
    path("<id:subscription_id>/edit/", views.subscription_edit, name="edit"),
    path("<id:subscription_id>/deactivate/", views.subscription_deactivate, name="deactivate"),
]
