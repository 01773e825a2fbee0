from django.contrib import admin
from django.urls import include, path

admin.site.site_header = "WMS administration"
admin.site.site_title = "WMS"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", include("apps.api.urls")),
    path("calendars/", include("apps.sla.urls")),
    path("notifications/", include("apps.notify.urls")),
    path("builder/", include("apps.builder.urls")),
    path("integrations/", include("apps.integrations.urls")),
    path("exceptions/", include("apps.integrations.queue_urls")),
    path("demo/", include("apps.demo.urls")),
    path("", include("apps.inbox.urls")),
]
