"""The `wms_` business series of /metrics, computed at scrape time from the database.

Read from the database (not counted in process memory), so every web process answers the same
numbers whatever the web and worker processes did. Counters are counts of rows that only ever grow
(cases started, cases closed, breached clocks, failed attempts), so Prometheus' rate() works on
them. Test cases are never counted. A scrape costs a handful of aggregate queries (a test pins it).
"""

from django.utils import timezone
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

from apps.automation.selectors import step_failure_counts
from apps.cases.selectors import case_counts_by_outcome, open_task_counts
from apps.core.heartbeats import WORKER, heartbeat_times
from apps.sla.selectors import sla_breach_counts

from .queue import queue_depth, queue_oldest_enqueued


def _age(moment, now) -> float:
    return max(0.0, (now - moment).total_seconds())


class BusinessCollector:
    """A prometheus_client collector: registered on the registry of one scrape, never globally."""

    def collect(self):
        now = timezone.now()
        yield from self._cases()
        tasks = GaugeMetricFamily("wms_open_tasks", "Open tasks for people.", labels=["workflow", "stage"])
        for (workflow, stage), n in sorted(open_task_counts().items()):
            tasks.add_metric([workflow, stage], n)
        yield tasks
        breaches = CounterMetricFamily("wms_sla_breaches", "SLA clocks breached.", labels=["workflow", "kind"])
        for (workflow, kind), n in sorted(sla_breach_counts().items()):
            breaches.add_metric([workflow, kind], n)
        yield breaches
        failures = CounterMetricFamily(
            "wms_step_failures", "Automated steps that failed for good.", labels=["workflow", "category"]
        )
        for (workflow, category), n in sorted(step_failure_counts().items()):
            failures.add_metric([workflow, category or "uncategorised"], n)
        yield failures
        yield GaugeMetricFamily("wms_queue_depth", "Messages waiting in the task queue.", value=queue_depth())
        oldest = queue_oldest_enqueued()
        yield GaugeMetricFamily(
            "wms_queue_oldest_age_seconds",
            "Age of the oldest waiting message (0 when none waits).",
            value=_age(oldest, now) if oldest else 0.0,
        )
        yield from self._heartbeats(now)

    def _cases(self):
        started = CounterMetricFamily("wms_cases_started", "Cases started.", labels=["workflow"])
        closed = CounterMetricFamily("wms_cases_closed", "Cases closed.", labels=["workflow", "outcome"])
        per_workflow: dict[str, int] = {}
        for (workflow, outcome), n in sorted(
            case_counts_by_outcome().items(), key=lambda kv: (kv[0][0], kv[0][1] or "")
        ):
            per_workflow[workflow] = per_workflow.get(workflow, 0) + n
            if outcome is not None:
                closed.add_metric([workflow, outcome], n)
        for workflow, n in per_workflow.items():
            started.add_metric([workflow], n)
        yield started
        yield closed

    def _heartbeats(self, now):
        beats = heartbeat_times()
        worker = beats.get(WORKER)
        # NOTE: no beat yet reads as NaN, not 0: "never" must not look like "just now".
        yield GaugeMetricFamily(
            "wms_worker_heartbeat_age_seconds",
            "Seconds since a worker last beat (NaN: never).",
            value=_age(worker, now) if worker else float("nan"),
        )
        jobs = GaugeMetricFamily(
            "wms_job_last_run_age_seconds", "Seconds since each background job last finished a run.", labels=["job"]
        )
        for name, at in sorted(beats.items()):
            jobs.add_metric([name], _age(at, now))
        yield jobs
