from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from apps.portal.views.favicon import favicon

admin.site.site_header = "WMS administration"
admin.site.site_title = "WMS"

urlpatterns = [
    path("favicon.ico", favicon, name="favicon"),
    path("admin/", admin.site.urls),
    path("api/", include("apps.api.urls")),
    path("calendars/", include("apps.portal.urls.sla")),
    path("notifications/", include("apps.portal.urls.notify")),
    path("settings/", include("apps.portal.urls.me")),
    path("alerts/", include("apps.portal.urls.alerts")),
    path("builder/", include("apps.builder.urls")),
    path("integrations/", include("apps.portal.urls.integrations")),
    path("exceptions/", include("apps.portal.urls.exceptions")),
    path("dashboards/", include("apps.dashboards.urls")),
    path("audit/evidence/", include("apps.portal.urls.evidence")),
    path("", include("apps.ops.urls")),
    path("", include("apps.inbox.urls")),
]
if settings.WMS_DEMO_ERP:
    urlpatterns.insert(-1, path("demo/", include("apps.demo.urls")))

handler404 = "apps.portal.errors.page_not_found"
