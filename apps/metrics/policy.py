"""Who sees which metrics: decided here once, for the Metrics API and the dashboards.

- administrators, operators and auditors: every workflow, every pending approval;
- workflow owners: the workflows they own (and the approvals pending in them);
- managers (someone reports to them): the approvals pending with the people who report to them
  directly, in any workflow, and nothing else (unless they also own workflows);
- everyone else (plain requesters): nothing; they follow their own cases on the case pages.
"""

from dataclasses import dataclass

from apps.core.errors import NotAllowed
from apps.definitions.selectors import definition_keys_owned
from apps.org import roles
from apps.org.selectors import user_has_role, user_report_ids

MSG_NO_METRICS = (
    "Metrics are for workflow owners, operators, auditors, managers and administrators; "
    "follow your own requests on their case pages."
)
MSG_NOT_YOUR_WORKFLOW = "You see the metrics of the workflows you own; '{key}' is not one of them."


@dataclass(frozen=True)
class MetricsScope:
    """What a person may see. `workflows`: None for every workflow, else the keys of the ones
    they see whole. `reports`: ids of the people whose pending approvals they see in any workflow
    (a manager's direct reports); None when `workflows` already decides it."""

    workflows: frozenset[str] | None
    reports: frozenset[int] | None = None

    @property
    def sees_all(self) -> bool:
        return self.workflows is None

    @property
    def allowed(self) -> bool:
        return self.sees_all or bool(self.workflows) or bool(self.reports)

    def sees_workflow(self, key: str) -> bool:
        return self.sees_all or key in self.workflows

    @property
    def label(self) -> str:
        """ "all", "workflows" (owned ones, maybe plus reports' approvals) or "reports"."""
        if self.sees_all:
            return "all"
        return "workflows" if self.workflows else "reports"


def metrics_scope(*, user) -> MetricsScope:
    """The one predicate of who sees what (at most three queries, roles cached per request)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return MetricsScope(workflows=frozenset())
    if (
        user.is_superuser
        or user_has_role(user=user, role=roles.OPERATORS)
        or user_has_role(user=user, role=roles.AUDITORS)
    ):
        return MetricsScope(workflows=None)
    owned = definition_keys_owned(user=user) if user_has_role(user=user, role=roles.WORKFLOW_OWNERS) else set()
    return MetricsScope(workflows=frozenset(owned), reports=frozenset(user_report_ids(user=user)))


def ensure_can_see_metrics(*, scope: MetricsScope, workflow: str = "") -> None:
    if not scope.allowed:
        raise NotAllowed(MSG_NO_METRICS)
    if workflow and scope.workflows is not None and workflow not in scope.workflows and not scope.reports:
        raise NotAllowed(MSG_NOT_YOUR_WORKFLOW.format(key=workflow))
