from django.urls import path

from ..views import inbound
from ..views import integrations as views

app_name = "integrations"

urlpatterns = [
    path("", views.subscription_list, name="list"),
    path("new/", views.subscription_create, name="create"),
    path("dead-letters/", views.dead_letters, name="dead-letters"),
    path("inbound/", inbound.inbound, name="inbound"),
    path("inbound/new/", inbound.endpoint_create, name="inbound-create"),
    path("inbound/<id:endpoint_id>/created/", inbound.endpoint_secret, name="inbound-created"),
    path("inbound/<id:endpoint_id>/rotate/", inbound.endpoint_rotate, name="inbound-rotate"),
    path("inbound/<id:endpoint_id>/rotated/", inbound.endpoint_secret, {"rotated": True}, name="inbound-rotated"),
    path("inbound/<id:endpoint_id>/deactivate/", inbound.endpoint_deactivate, name="inbound-deactivate"),
    path("inbound/<id:endpoint_id>/activate/", inbound.endpoint_activate, name="inbound-activate"),
    path("deliveries/<id:delivery_id>/redeliver/", views.delivery_redeliver, name="redeliver"),
    path("<id:subscription_id>/", views.subscription_detail, name="detail"),
    path("<id:subscription_id>/created/", views.subscription_created, name="created"),
    path("<id:subscription_id>/test/", views.subscription_test, name="test"),
    path("<id:subscription_id>/edit/", views.subscription_edit, name="edit"),
    path("<id:subscription_id>/deactivate/", views.subscription_deactivate, name="deactivate"),
]
