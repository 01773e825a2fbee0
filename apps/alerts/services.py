"""Thresholds a workflow's owners set, checked every hour, and the weekly digest.

A threshold is crossed when the oldest open case is older than N business days, the exception
rate is over N %, or the share of SLA clocks met is under N % (rates over the cases of the
rule's window). The owners are told once when a threshold is crossed (the row remembers since
when) and once when it is back within; a check that finds nothing new tells nobody, however
often it runs, and two checks at once cannot both tell (the crossing is a conditional UPDATE).

Numbers come from apps.metrics, the one place they are computed; test cases never count."""

from datetime import timedelta
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone

from apps.audit.models import Action
from apps.audit.services import audit_record
from apps.automation.models import ExceptionCategory
from apps.core.errors import NotAllowed, ValidationFailed
from apps.definitions.selectors import definition_keys_owned, definition_owners, definitions_published
from apps.metrics.filters import MetricsFilter
from apps.metrics.policy import MetricsScope
from apps.metrics.selectors import aging_panel, exceptions_panel, metrics_summary, sla_panel
from apps.notify.models import Kind
from apps.notify.services import notification_send
from apps.org import roles
from apps.org.selectors import role_members

from .models import AlertRule, Metric

BUSINESS_DAY_HOURS = 8  # a working day of the default calendar, as the aging panel's buckets count
EVERYTHING = MetricsScope(workflows=None)
STUCK_DAYS = 5  # the digest's "stuck": open longer than this many business days

MSG_NOT_OWNER = "Only the workflow's owners and administrators set its alert thresholds."
MSG_BAD_THRESHOLD = "Give a number of at least 0."
MSG_BAD_PERCENT = "Give a percentage between 0 and 100."
MSG_BAD_WINDOW = "Give a number of days between 1 and 365."
MSG_UNKNOWN_WORKFLOW = "No published workflow has the key '{key}'."
MSG_CROSSED = "{workflow}: {what} ({value})"
MSG_CLEARED = "{workflow}: back within its threshold ({what})"
WORDS = {
    Metric.AGING: ("the oldest open case is older than {t} business days", "{v} business days"),
    Metric.EXCEPTION_RATE: ("the exception rate is over {t} %", "{v} %"),
    Metric.SLA_MET: ("SLA met is under {t} %", "{v} % met"),
}


def user_may_set_alerts(*, user, workflow_key: str) -> bool:
    return user.is_superuser or workflow_key in definition_keys_owned(user=user)


@transaction.atomic
def alert_rule_set(*, actor, workflow_key: str, metric: str, threshold, window_days=30, active=True) -> AlertRule:
    """Set (or change) one threshold of a workflow; audited. A changed rule is judged afresh."""
    if workflow_key not in {v.definition.key for v in definitions_published()}:
        raise ValidationFailed(MSG_UNKNOWN_WORKFLOW.format(key=workflow_key), field_errors={"workflow": ["Unknown."]})
    if not user_may_set_alerts(user=actor, workflow_key=workflow_key):
        raise NotAllowed(MSG_NOT_OWNER)
    errors = {}
    if metric not in Metric.values:
        errors["metric"] = [f"Choose one of {', '.join(Metric.values)}."]
    try:
        value = Decimal(str(threshold).strip())
        if not value.is_finite() or value < 0:
            raise InvalidOperation
        if metric in (Metric.EXCEPTION_RATE, Metric.SLA_MET) and value > 100:
            errors["threshold"] = [MSG_BAD_PERCENT]
    except (InvalidOperation, ValueError):
        errors["threshold"] = [MSG_BAD_THRESHOLD]
    try:
        window = int(window_days)
        if not 1 <= window <= 365:
            raise ValueError
    except (TypeError, ValueError):
        errors["window_days"] = [MSG_BAD_WINDOW]
    if errors:
        raise ValidationFailed(" ".join(m for ms in errors.values() for m in ms), field_errors=errors)
    rule, _ = AlertRule.objects.update_or_create(
        workflow_key=workflow_key,
        metric=metric,
        defaults={
            "threshold": value.quantize(Decimal("0.01")),
            "window_days": window,
            "active": bool(active),
            "crossed_at": None,
            "changed_by": actor,
        },
    )
    audit_record(
        action=Action.ALERT_SET,
        actor=actor,
        reason=f"{workflow_key}: {rule.get_metric_display()} {rule.threshold}" + ("" if rule.active else " (off)"),
        context={"workflow": workflow_key, "metric": metric, "threshold": str(rule.threshold), "active": rule.active},
    )
    return rule


def alert_value(rule: AlertRule, *, now=None) -> Decimal | None:
    """The rule's number now (None: nothing to judge yet, e.g. no case started in the window)."""
    now = now or timezone.now()
    workflow = MetricsFilter(workflow=rule.workflow_key)
    if rule.metric == Metric.AGING:
        oldest = aging_panel(scope=EVERYTHING, metrics_filter=workflow, now=now)["oldest"]
        return _dec(oldest[0]["business_hours"] / BUSINESS_DAY_HOURS) if oldest else Decimal(0)
    window = MetricsFilter(
        workflow=rule.workflow_key, date_from=timezone.localdate(now) - timedelta(days=rule.window_days - 1)
    )
    summary = metrics_summary(scope=EVERYTHING, metrics_filter=window, now=now)
    if rule.metric == Metric.EXCEPTION_RATE:
        rate = summary["exception_rate"]
        return None if rate is None else _dec(rate * 100)
    met, breached = summary["sla"]["met"], summary["sla"]["breached"]
    return None if met + breached == 0 else _dec(100 * met / (met + breached))


def _dec(number) -> Decimal:
    return Decimal(str(round(float(number), 2)))


def is_crossed(rule: AlertRule, value: Decimal | None) -> bool:
    if value is None:
        return False
    return value < rule.threshold if rule.metric == Metric.SLA_MET else value > rule.threshold


def alerts_check(*, now=None) -> dict:
    """Judge every active rule; tell the owners of a workflow whose threshold was crossed or is
    back within since the last check. Returns {"checked", "crossed", "cleared"}."""
    now = now or timezone.now()
    counts = {"checked": 0, "crossed": 0, "cleared": 0}
    for rule in AlertRule.objects.filter(active=True):
        value = alert_value(rule, now=now)
        crossed = is_crossed(rule, value)
        AlertRule.objects.filter(pk=rule.pk).update(last_value=value, last_checked=now)
        counts["checked"] += 1
        if crossed and AlertRule.objects.filter(pk=rule.pk, crossed_at__isnull=True).update(crossed_at=now):
            counts["crossed"] += 1
            _tell(rule, value, now=now, crossed=True)
        elif not crossed and AlertRule.objects.filter(pk=rule.pk, crossed_at__isnull=False).update(crossed_at=None):
            counts["cleared"] += 1
            _tell(rule, value, now=now, crossed=False)
    return counts


def _tell(rule: AlertRule, value, *, now, crossed: bool) -> None:
    what, amount = WORDS[rule.metric]
    what = what.format(t=rule.threshold)
    subject = (MSG_CROSSED if crossed else MSG_CLEARED).format(
        workflow=rule.workflow_key, what=what, value=amount.format(v=value)
    )
    audit_record(
        action=Action.ALERT_CROSSED if crossed else Action.ALERT_CLEARED,
        reason=subject,
        context={
            "workflow": rule.workflow_key,
            "metric": rule.metric,
            "value": str(value),
            "threshold": str(rule.threshold),
        },
    )
    notification_send(
        users=definition_owners(key=rule.workflow_key),
        kind=Kind.NOTICE,
        subject=subject,
        body=f"Checked {timezone.localtime(now):%d %b %H:%M}. Thresholds are set on the workflow's alerts page.",
        url=f"/dashboards/{rule.workflow_key}/",
        dedupe_key=f"alert:{rule.pk}:{'crossed' if crossed else 'cleared'}:{now.isoformat()}",
    )


def digest_lines(*, workflows: list[str], now=None) -> list[str]:
    """The weekly digest of some workflows: stuck work, top exception categories, SLA misses
    over the last seven days, one line per workflow with something to say."""
    now = now or timezone.now()
    week = timezone.localdate(now) - timedelta(days=6)
    lines = []
    for key in workflows:
        parts = []
        oldest = aging_panel(scope=EVERYTHING, metrics_filter=MetricsFilter(workflow=key), now=now)["oldest"]
        stuck = [c for c in oldest if c["business_hours"] >= STUCK_DAYS * BUSINESS_DAY_HOURS]
        if stuck:
            ids = ", ".join(f"#{c['case_id']}" for c in stuck[:5])
            parts.append(f"{len(stuck)} open over {STUCK_DAYS} business days ({ids})")
        recent = MetricsFilter(workflow=key, date_from=week)
        categories = exceptions_panel(scope=EVERYTHING, metrics_filter=recent)["by_category"]
        top = sorted(categories, key=lambda c: -c["count"])[:3]
        if top:
            parts.append("exceptions: " + ", ".join(f"{_category(c['category'])} {c['count']}" for c in top))
        missed = sum(s["breached"] for s in sla_panel(scope=EVERYTHING, metrics_filter=recent, now=now)["by_stage"])
        if missed:
            parts.append(f"{missed} SLA miss{'es' if missed != 1 else ''}")
        if parts:
            lines.append(f"{key}: " + "; ".join(parts) + ".")
    return lines


def _category(value: str) -> str:
    """An exception category as the exception queue names it ("Missing data", not missing_data)."""
    labels = dict(ExceptionCategory.choices)
    return str(labels.get(value, value)).lower()


def digest_send(*, now=None) -> int:
    """Send each workflow owner the digest of their workflows, and the operators the digest of
    all (in the portal and by e-mail). Once per person per ISO week. Returns the people told."""
    now = now or timezone.now()
    year, week, _ = timezone.localdate(now).isocalendar()
    keys = [v.definition.key for v in definitions_published()]
    recipients: dict = {}
    for key in keys:
        for person in definition_owners(key=key):
            recipients.setdefault(person.pk, (person, []))[1].append(key)
    for person in role_members(role=roles.OPERATORS):
        recipients[person.pk] = (person, keys)
    told = 0
    for person, workflows in recipients.values():
        lines = digest_lines(workflows=workflows, now=now)
        body = "\n".join(lines) if lines else "Nothing stuck, no exceptions and no SLA misses this week."
        told += len(
            notification_send(
                users=[person],
                kind=Kind.NOTICE,
                subject=f"Weekly digest, week {week}: {len(lines)} workflow{'s' if len(lines) != 1 else ''} to look at",
                body=body,
                url="/dashboards/",
                dedupe_key=f"digest:{year}-{week}",
            )
        )
    return told
