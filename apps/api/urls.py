from django.http import JsonResponse
from django.urls import path, re_path
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from . import (
    builder_views,
    evidence_views,
    exception_views,
    import_views,
    metrics_views,
    schedule_views,
    views,
    webhook_views,
)

# <id:...> (1 to 2**63-1, larger is a 404) is registered for every app by apps.core (converters.py).


@csrf_exempt  # a POST to an unknown path is a JSON 404, not the CSRF failure's HTML 403
def not_found(request, *args, **kwargs):
    """Unknown API paths answer in JSON, like every other API error."""
    return JsonResponse({"detail": "Not found."}, status=404)


urlpatterns = [
    # The schema is public (SERVE_PUBLIC): no authentication, so a stale token cannot turn it into a 401.
    path("schema/", SpectacularAPIView.as_view(authentication_classes=[]), name="api-schema"),
    # The split view serves Swagger UI's start script as a file (?script): no inline script, strict CSP.
    path(
        "docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema", authentication_classes=[]), name="api-docs"
    ),
    path("v1/auth/token/", views.TokenView.as_view(), name="api-token"),
    path("v1/workflows/", views.WorkflowListView.as_view(), name="api-workflows"),
    path("v1/cases/", views.CaseListView.as_view(), name="api-cases"),
    path("v1/cases/import/", import_views.CaseImportView.as_view(), name="api-cases-import"),
    path("v1/cases/export/", import_views.CaseExportView.as_view(), name="api-cases-export"),
    path("v1/cases/<id:case_id>/", views.CaseDetailView.as_view(), name="api-case"),
    path("v1/cases/<id:case_id>/steps/", exception_views.CaseStepListView.as_view(), name="api-case-steps"),
    path("v1/tasks/", views.TaskListView.as_view(), name="api-tasks"),
    path("v1/tasks/<id:task_id>/claim/", views.TaskClaimView.as_view(), name="api-task-claim"),
    path("v1/tasks/<id:task_id>/release/", views.TaskReleaseView.as_view(), name="api-task-release"),
    path("v1/tasks/<id:task_id>/reassign/", views.TaskReassignView.as_view(), name="api-task-reassign"),
    path("v1/tasks/<id:task_id>/complete/", views.TaskCompleteView.as_view(), name="api-task-complete"),
    path("v1/definitions/import/", builder_views.DefinitionImportView.as_view(), name="api-definition-import"),
    path(
        "v1/definitions/<slug:key>/export/", builder_views.DefinitionExportView.as_view(), name="api-definition-export"
    ),
    path("v1/webhooks/", webhook_views.WebhookListView.as_view(), name="api-webhooks"),
    path("v1/webhooks/<id:subscription_id>/", webhook_views.WebhookDetailView.as_view(), name="api-webhook"),
    path(
        "v1/webhooks/<id:subscription_id>/deliveries/",
        webhook_views.WebhookDeliveryListView.as_view(),
        name="api-webhook-deliveries",
    ),
    path(
        "v1/webhooks/deliveries/<id:delivery_id>/redeliver/",
        webhook_views.WebhookRedeliverView.as_view(),
        name="api-webhook-redeliver",
    ),
    path("v1/exceptions/", exception_views.ExceptionListView.as_view(), name="api-exceptions"),
    path("v1/exceptions/<id:run_id>/", exception_views.ExceptionDetailView.as_view(), name="api-exception"),
    path("v1/exceptions/<id:run_id>/retry/", exception_views.ExceptionRetryView.as_view(), name="api-exception-retry"),
    path(
        "v1/exceptions/<id:run_id>/retry-version/",
        exception_views.ExceptionRetryVersionView.as_view(),
        name="api-exception-retry-version",
    ),
    path("v1/exceptions/<id:run_id>/skip/", exception_views.ExceptionSkipView.as_view(), name="api-exception-skip"),
    path(
        "v1/exceptions/<id:run_id>/assign/", exception_views.ExceptionAssignView.as_view(), name="api-exception-assign"
    ),
    path(
        "v1/exceptions/<id:run_id>/cancel/", exception_views.ExceptionCancelView.as_view(), name="api-exception-cancel"
    ),
    path("v1/schedules/", schedule_views.ScheduleListView.as_view(), name="api-schedules"),
    path("v1/schedules/<id:schedule_id>/", schedule_views.ScheduleDetailView.as_view(), name="api-schedule"),
    path("v1/metrics/", metrics_views.MetricsView.as_view(), name="api-metrics"),
    path("v1/evidence/", evidence_views.EvidenceView.as_view(), name="api-evidence"),
    path("v1/hooks/<slug:endpoint>/", webhook_views.InboundHookView.as_view(), name="api-inbound-hook"),
    # [\s\S], not ".": a path with a newline in it is an API path too (the fuzz run sends them).
    re_path(r"^[\s\S]*$", not_found),
]
