"""Request metrics for /metrics: one latency histogram by method, route and status, recorded by
RequestMetricsMiddleware.

Several gunicorn processes: with PROMETHEUS_MULTIPROC_DIR set (in the environment, before the
processes start) prometheus_client keeps each process's values in files there and a scrape sums
them (`MultiProcessCollector`), so whichever process answers /metrics reports all of them.
Without it the values are this process's own (one web process, development).
"""

import bisect
import os
import time

from prometheus_client import CollectorRegistry, Histogram, multiprocess

# Our own registry, not prometheus_client's global one: a scrape shows exactly what we chose.
REQUESTS = CollectorRegistry(auto_describe=True)
REQUEST_SECONDS = Histogram(
    "wms_http_request_duration_seconds",
    "Time to answer a request, by method, URL pattern and status code.",
    ["method", "route", "status"],
    registry=REQUESTS,
)
UNMATCHED = "unmatched"  # a path no URL pattern matches: one series, whatever was asked
METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}  # any other: "other"


def multiprocess_dir() -> str:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR", "")


def request_registry() -> CollectorRegistry:
    """Where the request metrics of every web process are read from."""
    if not multiprocess_dir():
        return REQUESTS
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    return registry


class RequestMetricsMiddleware:
    """Times every request and counts it under its URL pattern (never the raw path: ids in paths
    would make a series per case)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        start = time.perf_counter()
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        route = ("/" + match.route) if match is not None and match.route else UNMATCHED
        method = request.method if request.method in METHODS else "other"
        REQUEST_SECONDS.labels(method, route, str(response.status_code)).observe(time.perf_counter() - start)
        return response


def request_summary() -> dict:
    """Requests answered, their p50/p95 latency and the share of 5xx, since the web processes
    started (all of them in multiprocess mode), from the histogram's buckets."""
    buckets: dict[float, float] = {}
    total = errors = 0.0
    for family in request_registry().collect():
        if family.name != "wms_http_request_duration_seconds":
            continue
        for sample in family.samples:
            if sample.name.endswith("_bucket"):
                bound = float(sample.labels["le"])
                buckets[bound] = buckets.get(bound, 0.0) + sample.value
            elif sample.name.endswith("_count"):
                total += sample.value
                if sample.labels.get("status", "").startswith("5"):
                    errors += sample.value
    bounds = sorted(buckets)
    counts = [buckets[b] for b in bounds]
    return {
        "requests": int(total),
        "p50": _quantile(bounds, counts, total, 0.50),
        "p95": _quantile(bounds, counts, total, 0.95),
        "errors": int(errors),
        "error_percent": round(100 * errors / total, 2) if total else None,
    }


def _quantile(bounds: list[float], cumulative: list[float], total: float, q: float) -> float | None:
    """Prometheus' histogram_quantile: linear within the bucket the rank falls in."""
    if not total:
        return None
    rank = q * total
    i = bisect.bisect_left(cumulative, rank)
    if i >= len(bounds):
        return None
    upper = bounds[i]
    if upper == float("inf"):
        return bounds[i - 1] if i else None
    lower = bounds[i - 1] if i else 0.0
    below = cumulative[i - 1] if i else 0.0
    inside = cumulative[i] - below
    return lower + (upper - lower) * ((rank - below) / inside if inside else 0)
