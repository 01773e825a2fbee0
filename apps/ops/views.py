"""/health/ for load balancers, /metrics for Prometheus, and the operators' health page.

/health/ needs no sign-in and says only which check fails and why in a few words; /metrics needs
its token or an allowed address (access.py); the page is for operators and administrators.
"""

from datetime import timedelta

from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from apps.automation.selectors import step_failures_since
from apps.cases.selectors import case_throughput
from apps.core.errors import NotAllowed
from apps.portal.errors import map_service_errors, portal_errors

from .access import metrics_allowed
from .checks import health_run
from .collector import BusinessCollector
from .metrics import request_registry, request_summary
from .policy import MSG_NOT_OPERATOR, user_can_see_operations

MSG_METRICS_REFUSED = "Metrics need the bearer token or an allowed address."
LAST_HOUR = timedelta(hours=1)


def health_payload() -> tuple[dict, bool]:
    results = health_run()
    healthy = all(reason is None for reason in results.values())
    checks = {
        name: {"status": "ok"} if reason is None else {"status": "failing", "reason": reason}
        for name, reason in results.items()
    }
    return {"status": "ok" if healthy else "failing", "checks": checks}, healthy


@never_cache
@require_safe
@map_service_errors
def health(request):
    payload, healthy = health_payload()
    return JsonResponse(payload, status=200 if healthy else 503)


@never_cache
@require_safe
@map_service_errors
def metrics(request):
    if not metrics_allowed(request):
        return HttpResponse(MSG_METRICS_REFUSED, status=403, content_type="text/plain; charset=utf-8")
    business = CollectorRegistry(auto_describe=False)
    business.register(BusinessCollector())
    body = generate_latest(request_registry()) + generate_latest(business)
    return HttpResponse(body, content_type=CONTENT_TYPE_LATEST)


@never_cache
@require_safe
@portal_errors
def ops_health(request):
    if not user_can_see_operations(user=request.user):
        raise NotAllowed(MSG_NOT_OPERATOR)
    payload, healthy = health_payload()
    since = timezone.now() - LAST_HOUR
    return render(
        request,
        "ops/health.html",
        {
            "healthy": healthy,
            "checks": payload["checks"],
            "throughput": case_throughput(since=since),
            "step_failures": step_failures_since(since=since),
            "requests": request_summary(),
        },
    )
