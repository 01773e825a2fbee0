"""Every metric is computed here, and only here: the Metrics API and the dashboards call these.

Entry points (all keyword-only; `scope` from `apps.metrics.policy.metrics_scope(user=...)`,
`metrics_filter` from `apps.metrics.filters.metrics_filter(...)`, `now` defaults to the clock):

- `metrics_summary(scope, metrics_filter, now)`: the API's headline numbers;
- `workflow_choices(scope)`: the workflows (and their versions) a filter may offer;
- panels, each a plain dict of numbers, with the `case_ids` behind each when asked
  (`with_case_ids=True`, the drill-down page): `wip_panel`, `aging_panel`, `approvals_panel`, `exceptions_panel`, `cycle_time_panel`,
  `rework_panel`, `sla_panel`;
- `bottleneck_steps(scope, metrics_filter)`: per step of the workflow, the time the cases closed in
  the range spent there (p50, p90) and the share that passed it (the bottleneck view).

Test cases are never counted. README "Metrics" defines each number.
"""

from .base import percentile, spread, workflow_choices
from .bottleneck import bottleneck_steps
from .panels import (
    aging_panel,
    approvals_panel,
    cycle_time_panel,
    exceptions_panel,
    rework_panel,
    sla_panel,
    wip_panel,
)
from .summary import metrics_summary

__all__ = [
    "aging_panel",
    "approvals_panel",
    "bottleneck_steps",
    "cycle_time_panel",
    "exceptions_panel",
    "metrics_summary",
    "percentile",
    "rework_panel",
    "sla_panel",
    "spread",
    "wip_panel",
    "workflow_choices",
]
