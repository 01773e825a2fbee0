"""The demo history's access requests, IT service requests, policy exceptions and recurring
reports, told on their own seeded World (like template_stories.py) so that adding them leaves the
purchase and invoice stories as they were.

- Access: the system's owner and sam (security) approve and sam records what he granted; one is
  rejected by its owner with a reason code; one expires within the history, so its scheduled
  revoke step calls the demo access control (the in-process demo ERP) at the step sweep.
- IT: the demo ticketing desk opens a ticket for each request (its number is on the case), dave
  triages and tom resolves; one is critical (the urgent stage), one is a duplicate.
- Policy exceptions: the manager, paula from medium risk and rita for high risk decide; approved
  ones are in force until their expiry date; alice asks twice for the same policy (the first for
  three days, so its expiry step ends it within the history), so the approvers of her second one
  see the similar-cases count.
- Recurring report: a schedule made on the history's first morning starts a run every two working
  days through the schedules' own runner; one morning the runner is down and the run starts
  late (and is marked so); once the ERP's ledger is locked, the data step fails and oscar
  retries it.
"""

from datetime import datetime, time, timedelta

from apps.automation.models import StepRun, StepStatus
from apps.automation.repair import step_retry
from apps.cases.services import case_start, task_complete
from apps.definitions.models import WorkflowDefinition
from apps.demo.models import ErpMode
from apps.demo.services import erp_mode_set
from apps.schedules.services import schedule_create, schedules_run_due

from .world import Story, World

APPROVE, REJECT = "approve", "reject"
# system, its owner (who approves first), the access asked
SYSTEMS = [
    ("ERP production", "fiona", "Role AP_CLERK"),
    ("CI server", "ivan", "Deploy rights"),
    ("CRM", "sally", "Read"),
]
ACCESS_PLANS = ["expired", "rejected", "granted"]
IT_PLANS = [("resolved", "software"), ("urgent", "network"), ("resolved", "access"), ("duplicate", "other")]
IT_SUMMARIES = {
    "software": "Excel add-in crashes on start",
    "network": "VPN down for the whole Berlin office",
    "access": "Shared drive 'Finance' not visible",
    "other": "Printer on floor 2 jams again",
}
EXCEPTION_PLANS = ["repeat", "high", "rejected", "repeat", "medium"]
REPORT_EVERY_DAYS = 2
REPORT_SCHEDULE = {
    "name": "Accounts payable ageing",
    "kind": "business_days",
    "every_days": REPORT_EVERY_DAYS,
    "requester": "fiona",
    "data": {"report_name": "Accounts payable ageing", "source": "accounts_payable", "distribution": "carol"},
}
SCHEDULER_MINUTE = 7  # the runner's tick each working-day hour of the history (the q2 schedule ticks every minute)


def _start(world: World, workflow: str, requester: str, data: dict):
    case, _ = case_start(workflow=workflow, data=data, actor=world[requester])
    world.told[f"{workflow} cases"] += 1
    return case


def _approve_on(world: World, case) -> Story:
    """Whoever holds the case's open approvals approves, a few hours apart, until none is left."""
    while world.fresh(case).is_open:
        if not world.decide(world.fresh(case), APPROVE):
            return
        yield world.hours(1, 6)


# --- access request ------------------------------------------------------------------------------


def access(world: World, plan: str) -> Story:
    rng = world.rng
    system, owner, granted = SYSTEMS[world.numbers["access"] % len(SYSTEMS)]
    world.numbers["access"] += 1
    requester = rng.choice(["alice", "bob", "leo"])
    today = world.agenda.now.date()
    expires = today + timedelta(days=3 if plan == "expired" else rng.randrange(60, 120))
    data = {
        "system": system,
        "access_level": "write" if plan == "granted" else "read",
        "system_owner": owner,
        "ticket_reference": f"SD-{4700 + world.numbers['access']}",
        "justification": f"Needed for the {rng.choice(['month-end close', 'Atlas migration', 'audit sample'])}.",
        "access_expires": expires.isoformat(),
    }
    case = _start(world, "access-request", requester, data)
    yield world.hours(1, 5)
    if plan == "rejected":
        reason = "Read access is enough through the reports."
        world.decide(world.fresh(case), REJECT, reason_code="excessive_access", reason=reason)
        return
    world.decide(world.fresh(case), APPROVE)
    yield world.hours(1, 4)
    tasks = world.open_tasks(world.fresh(case))
    if tasks:
        task_complete(
            task_id=tasks[0].pk,
            actor=world["sam"],
            decision=APPROVE,
            data={"access_granted": f"{granted} on {system} for {requester}"},
        )
        world.told["approvals"] += 1
    # The revoke step waits for the expiry date; the step sweep calls the access control then.


# --- IT service request --------------------------------------------------------------------------


def it_service(world: World, plan: str, category: str) -> Story:
    rng = world.rng
    data = {
        "summary": IT_SUMMARIES[category],
        "category": category,
        "priority": "critical" if plan == "urgent" else rng.choice(["low", "medium"]),
        "details": "Since this morning; restarting did not help.",
    }
    case = _start(world, "it-service-request", rng.choice(["alice", "bob", "leo", "sally"]), data)
    yield 0.5 if plan == "urgent" else world.hours(1, 3)
    if plan == "duplicate":
        reason = "Same as the ticket opened yesterday for floor 2."
        world.decide(world.fresh(case), REJECT, reason_code="duplicate", reason=reason)
        return
    world.decide(world.fresh(case), APPROVE, label="Service desk triage")
    yield 1 if plan == "urgent" else world.hours(4, 20)
    yield from _approve_on(world, case)


# --- policy exception ----------------------------------------------------------------------------


def policy_exception(world: World, plan: str) -> Story:
    rng = world.rng
    repeat = plan == "repeat"
    # alice's first stay at the client's site is short: it ends (its expiry step runs) within the history
    short = repeat and not world.numbers["repeat"]
    world.numbers["repeat"] += repeat
    days = 3 if short else rng.randrange(30, 90)
    data = {
        "policy": "remote-access" if repeat else rng.choice(["software-installation", "data-retention"]),
        "exception": "Work from the client's site in Lyon" if repeat else "Keep test exports longer than 30 days",
        "rationale": "The client's network blocks our VPN; their on-site network is the only way in.",
        "risk": "low" if repeat else ("medium" if plan in ("medium", "rejected") else "high"),
        "compensating_controls": "Read-only access; no customer data leaves the client's network.",
        "expires_on": (world.agenda.now.date() + timedelta(days=days)).isoformat(),
    }
    case = _start(world, "policy-exception", "alice" if repeat else rng.choice(["bob", "leo"]), data)
    yield world.hours(1, 8)
    if plan == "rejected":
        reason = "Retention is a legal obligation: ask legal for a policy change instead."
        world.decide(
            world.fresh(case), REJECT, label="Policy owner approval", reason_code="risk_too_high", reason=reason
        )
        return
    yield from _approve_on(world, case)


# --- recurring report ----------------------------------------------------------------------------


def _report_failure(case) -> StepRun | None:
    return StepRun.objects.filter(case_id=case.pk, status=StepStatus.EXCEPTION).first()


def report(world: World, case) -> Story:
    """One scheduled run: oscar retries a failed data step; frank prepares, carol reviews."""
    run = _report_failure(case)
    if run is not None:
        yield world.hours(1, 3)
        step_retry(run_id=run.pk, actor=world["oscar"], note="Finance unlocked the ledger for the period.")
        world.told["repairs"] += 1
    yield world.hours(1, 4)
    yield from _approve_on(world, case)


def _scheduler_tick(world: World, *, locked: bool = False) -> None:
    """The schedules' runner, as q2 calls it; with the ledger locked, the ERP refuses the extract."""
    if locked:
        erp_mode_set(mode=ErpMode.REJECT, actor=world["oscar"])
    try:
        runs = schedules_run_due()
    finally:
        if locked:
            erp_mode_set(mode=ErpMode.OK, actor=world["oscar"])
    for run in runs:
        if run.case_id:
            world.told["recurring-report cases"] += 1
            world.told["late runs"] += run.started_late
            world.tell(report(world, run.case))


def _schedule_create(world: World) -> None:
    definition = WorkflowDefinition.objects.get(key="recurring-report")
    schedule_create(definition=definition, actor=world["olivia"], **{**REPORT_SCHEDULE, "requester": world["fiona"]})


# --- the plan ------------------------------------------------------------------------------------


def service_stories_plan(*, agenda, working: list, zone, seed: int) -> World:
    """Book these stories and the schedule runner on `agenda`; returns their World."""
    world = World(agenda=agenda, seed=seed)
    if not working:
        return world
    agenda.at(datetime.combine(working[0], time(7, 40), zone), lambda: _schedule_create(world))
    for number, day in enumerate(working):
        todays = []
        if number % 3 == 1:
            todays.append((access, (ACCESS_PLANS[(number // 3) % len(ACCESS_PLANS)],)))
        if number % 2 == 0:
            todays.append((it_service, IT_PLANS[(number // 2) % len(IT_PLANS)]))
        if number % 2 == 1:
            todays.append((policy_exception, (EXCEPTION_PLANS[(number // 2) % len(EXCEPTION_PLANS)],)))
        for story, args in todays:
            moment = datetime.combine(day, time(9 + world.rng.randrange(0, 7)), zone)
            agenda.at(moment, lambda story=story, args=args: world.tell(story(world, *args)))
        # The runner ticks every working hour; on the third working day it is down until noon (the
        # day's run starts late) and on the fifth the ERP's ledger is locked (that day's run fails at its data step).
        for hour in range(8, 18):
            if number == 2 and hour < 12:
                continue
            at = datetime.combine(day, time(hour, SCHEDULER_MINUTE), zone)
            agenda.at(at, lambda locked=number == 4: _scheduler_tick(world, locked=locked))
    return world
