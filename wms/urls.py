from django.contrib import admin
from django.urls import include, path

from apps.core.views import home

admin.site.site_header = "WMS administration"
admin.site.site_title = "WMS"

urlpatterns = [
    path("", home, name="home"),
    path("admin/", admin.site.urls),
    path("api/", include("apps.api.urls")),
]
