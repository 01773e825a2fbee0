"""Reads for the exception queue: failed automated steps waiting for an operator, and the steps
of one case. Permission is checked here, so every page that lists them refuses alike."""

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db.models import Count, Min, QuerySet
from django.db.models.functions import Coalesce
from django.utils import timezone

from apps.core.errors import NotAllowed, NotFound
from apps.definitions.accessors import spec_of

from .models import ExceptionCategory, StepAttempt, StepKind, StepRun, StepStatus
from .policy import user_can_repair_steps
from .repair import MSG_NOT_FOUND, MSG_NOT_OPERATOR, run_repairable
from .ui_steps import run_stage, run_unguarded, ui_page_facts, ui_repair_version

TABS = {"exceptions": "Exceptions", "retrying": "Retrying now"}
TAB_STATUS = {"exceptions": StepStatus.EXCEPTION, "retrying": StepStatus.RETRYING}
# A (workflow, step, category) that failed this often lately is a pattern, not bad luck.
RECURRING_COUNT = 3
RECURRING_DAYS = 30


def _ensure_operator(user) -> None:
    if not user_can_repair_steps(user=user):
        raise NotAllowed(MSG_NOT_OPERATOR)


def _queue(*, user, workflow: str = "", mine: bool = False) -> QuerySet[StepRun]:
    """Runs an operator may work on, with `since`: when they failed (or started, for retries)."""
    _ensure_operator(user)
    runs = StepRun.objects.annotate(since=Coalesce("failed_at", "created"))
    if workflow:
        runs = runs.filter(case__workflow_key=workflow)
    if mine:
        runs = runs.filter(assigned_to_id=user.pk)
    return runs


def exception_queue(*, user, tab: str = "exceptions", category: str = "", workflow: str = "", mine: bool = False):
    """One tab of the queue, grouped by category, oldest first within each."""
    runs = _queue(user=user, workflow=workflow, mine=mine).filter(status=TAB_STATUS.get(tab, StepStatus.EXCEPTION))
    if category:
        runs = runs.filter(category=category)
    return runs.select_related("case", "assigned_to").order_by("category", "since", "pk")


def exception_counts(*, user, workflow: str = "", mine: bool = False) -> dict:
    """Per tab, per category: how many runs and since when the oldest waits (one query)."""
    rows = (
        _queue(user=user, workflow=workflow, mine=mine)
        .filter(status__in=TAB_STATUS.values())
        .order_by()
        .values("status", "category")
        .annotate(n=Count("id"), oldest=Min("since"))
    )
    labels = dict(ExceptionCategory.choices)
    counts = {tab: {"total": 0, "categories": []} for tab in TABS}
    status_tab = {status: tab for tab, status in TAB_STATUS.items()}
    for row in sorted(rows, key=lambda r: r["category"]):
        tab = counts[status_tab[row["status"]]]
        tab["total"] += row["n"]
        tab["categories"].append(
            {
                "category": row["category"],
                "label": labels.get(row["category"], row["category"] or "Uncategorised"),
                "count": row["n"],
                "oldest": row["oldest"],
            }
        )
    return counts


def recurring_groups(*, at=None) -> set[tuple[str, str, str]]:
    """(workflow, step key, category) that failed RECURRING_COUNT times or more in the last
    RECURRING_DAYS: probably a rule missing upstream (one aggregate query).

    Counted from the attempt history, so failures an operator has since repaired still count."""
    since = (at or timezone.now()) - timedelta(days=RECURRING_DAYS)
    rows = (
        StepAttempt.objects.filter(outcome="failed", started__gte=since)
        .exclude(category="")
        .order_by()
        .values_list("run__case__workflow_key", "run__step_key", "category")
        .annotate(n=Count("id"))
        .filter(n__gte=RECURRING_COUNT)
    )
    return {(workflow, step, category) for workflow, step, category, _ in rows}


def queue_workflows(*, user) -> list[str]:
    """Workflows that have something in the queue, for the filter."""
    return list(
        _queue(user=user)
        .filter(status__in=TAB_STATUS.values())
        .order_by("case__workflow_key")
        .values_list("case__workflow_key", flat=True)
        .distinct()
    )


def step_run_get(*, user, run_id: int) -> StepRun:
    """A run with its case, for operators and for the person it is routed to. Anyone else learns
    nothing of the runs not routed to them, not even whether they exist (403 either way)."""
    run = (
        StepRun.objects.select_related("case__version__definition", "case__requester", "assigned_to", "undo_of")
        .filter(pk=run_id)
        .first()
    )
    if not user_can_repair_steps(user=user) and (run is None or run.assigned_to_id != user.pk):
        raise NotAllowed(MSG_NOT_OPERATOR)
    if run is None:
        raise NotFound(MSG_NOT_FOUND)
    return run


def step_run_attempts(*, run: StepRun) -> QuerySet[StepAttempt]:
    return run.attempt_log.order_by("started", "pk")


def step_runs_undone_on_cancel(*, run: StepRun) -> list[StepRun]:
    """Steps of the case that succeeded and have an undo call: cancelling the case undoes them."""
    spec = spec_of(run.case.version)
    undoable = {stage.key for stage in spec.stages if stage.has_undo}
    done = StepRun.objects.filter(case_id=run.case_id, kind=StepKind.CALL, status=StepStatus.SUCCEEDED)
    return [r for r in done.order_by("-finished", "-pk") if r.step_key in undoable]


def assignable_users(*, run: StepRun):
    """Active people an exception can be routed to (never the case's requester)."""
    return get_user_model().objects.filter(is_active=True).exclude(pk=run.case.requester_id).order_by("username")


def step_runs_for_case(*, case) -> list[StepRun]:
    """The automated steps of a case, in order; no query for workflows without any."""
    if not spec_of(case.version).has_steps:
        return []
    runs = list(StepRun.objects.filter(case_id=case.pk).select_related("assigned_to").order_by("created", "pk"))
    for run in runs:
        run.case = case  # already loaded: no query per run when a page reads run.case
        # The script the run uses (a later version's after a repair), as the exception page reads it.
        run.unguarded = run.kind == StepKind.UI and run_unguarded(run_stage(case, run))
    return runs


def user_may_repair(*, user, run: StepRun) -> bool:
    """Whether the actions are worth showing: the service decides again when one is used."""
    allowed = user_can_repair_steps(user=user) or run.assigned_to_id == user.pk
    return allowed and run.case.requester_id != user.pk and run_repairable(run)


# --- Operations (apps.ops): an automated step failed for good when an attempt ended "failed" (it
# went to the exception queue, or failed its case). Counted from the attempt log, so a repaired
# failure still counts; test cases never do.


def step_failure_counts() -> dict[tuple[str, str], int]:
    """Step failures ever, by (workflow, category) (one query)."""
    rows = (
        StepAttempt.objects.filter(outcome="failed", run__case__is_test=False)
        .order_by()
        .values_list("run__case__workflow_key", "category")
        .annotate(n=Count("id"))
    )
    return {(workflow, category): n for workflow, category, n in rows}


def step_failures_since(*, since) -> int:
    """Step failures since then (one query)."""
    return StepAttempt.objects.filter(outcome="failed", run__case__is_test=False, started__gte=since).count()


# --- Metrics (apps.metrics): a failure is an attempt that ended "failed", i.e. the step reached
# the exception queue (or failed its case). Read from the attempt log, so repaired ones count.


def case_had_step_failure():
    """An expression for Case querysets: one of the case's automated steps failed for good."""
    from django.db.models import Exists, OuterRef

    return Exists(StepAttempt.objects.filter(outcome="failed", run__case_id=OuterRef("pk")))


def step_failures_for_metrics(*, cases, moment_from=None, moment_to=None) -> list[dict]:
    """Failures of the automated steps of `cases` (a Case queryset) in [from, to), oldest first:
    {case_id, run_id, step_key, step_name, category, at, open}. `open`: the failure still waits
    in the exception queue (its run is in the queue and this is its latest failure); otherwise an
    operator repaired it (retry, skip, or cancelling the case). One query."""
    attempts = StepAttempt.objects.filter(outcome="failed", run__case_id__in=cases.values("pk"))
    if moment_from is not None:
        attempts = attempts.filter(started__gte=moment_from)
    if moment_to is not None:
        attempts = attempts.filter(started__lt=moment_to)
    rows = list(
        attempts.order_by("started", "pk").values_list(
            "run__case_id", "run_id", "run__step_key", "run__step_name", "category", "started", "run__status"
        )
    )
    latest = {row[1]: index for index, row in enumerate(rows)}
    return [
        {
            "case_id": case_id,
            "run_id": run_id,
            "step_key": step_key,
            "step_name": step_name,
            "category": category or "",
            "at": started,
            "open": status == StepStatus.EXCEPTION and latest[run_id] == index,
        }
        for index, (case_id, run_id, step_key, step_name, category, started, status) in enumerate(rows)
    ]


def step_failures_counted(*, cases, moment_from=None, moment_to=None) -> list[dict]:
    """`step_failures_for_metrics` counted by the database, for the numbers without the cases
    behind them: [{step_key, step_name, category, week (the Monday of the failure's week in the
    installation's time zone, as metrics' week_of), open, count}]. A failure is open as there:
    its run waits in the exception queue and no later failure of the run falls in the range.
    One query, whatever the number of failures."""
    from django.db.models import BooleanField, DateField, Exists, ExpressionWrapper, OuterRef, Q
    from django.db.models.functions import TruncWeek

    def in_range(attempts):
        if moment_from is not None:
            attempts = attempts.filter(started__gte=moment_from)
        if moment_to is not None:
            attempts = attempts.filter(started__lt=moment_to)
        return attempts

    failed = StepAttempt.objects.filter(outcome="failed")
    later = in_range(failed.filter(run_id=OuterRef("run_id"))).filter(
        Q(started__gt=OuterRef("started")) | Q(started=OuterRef("started"), pk__gt=OuterRef("pk"))
    )
    rows = (
        in_range(failed.filter(run__case_id__in=cases.values("pk")))
        .annotate(
            week=TruncWeek("started", tzinfo=timezone.get_current_timezone(), output_field=DateField()),
            still_open=ExpressionWrapper(
                Q(run__status=StepStatus.EXCEPTION) & ~Exists(later), output_field=BooleanField()
            ),
        )
        .order_by()
        .values_list("run__step_key", "run__step_name", "category", "week", "still_open")
        .annotate(n=Count("pk"))
    )
    return [
        {
            "step_key": step_key,
            "step_name": step_name,
            "category": category or "",
            "week": week,
            "open": bool(still_open),
            "count": n,
        }
        for step_key, step_name, category, week, still_open, n in rows
    ]


def step_runs_for_metrics(*, cases) -> list[dict]:
    """The automated steps (HTTP calls, UI steps and waits, not undo calls) of `cases` (a Case
    queryset), as {case_id, step_key, step_name, kind ("http", a UI step's too, or "wait"), created (reached), finished (done,
    skipped or cancelled; None while open)}. One query."""
    rows = (
        StepRun.objects.filter(case_id__in=cases.values("pk"), kind__in=[StepKind.CALL, StepKind.WAIT, StepKind.UI])
        .order_by()
        .values_list("case_id", "step_key", "step_name", "kind", "created", "finished")
    )
    return [
        {
            "case_id": case_id,
            "step_key": step_key,
            "step_name": step_name,
            "kind": "wait" if kind == StepKind.WAIT else "http",
            "created": created,
            "finished": finished,
        }
        for case_id, step_key, step_name, kind, created, finished in rows
    ]


def step_run_ui(*, run: StepRun, repairer: bool) -> dict | None:
    """A UI step's page facts for the exception page (see ui_steps.ui_page_facts), with the
    version a `repairer` may retry it with (`repair_version`, None when there is none or the
    reader may not repair: not looked up); None for other steps."""
    if run.kind != StepKind.UI:
        return None
    later = ui_repair_version(case=run.case, run=run) if repairer else None
    return {**ui_page_facts(run=run), "repair_version": later}
