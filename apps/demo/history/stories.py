"""The demo history's stories: how one purchase or invoice goes, step by step.

Each story is a generator: it acts through the services, then yields the business hours until its
next step. What the SLA sweep and the step sweep do meanwhile (reminders, escalations, retries)
happens on its own, as it would in production.
"""

from apps.automation.models import StepRun, StepStatus
from apps.automation.repair import step_retry
from apps.automation.services import step_retry_due
from apps.cases.models import CaseState
from apps.cases.services import case_start, case_withdraw
from apps.demo.models import ErpMode
from apps.demo.services import KNOWN_VENDORS, erp_mode_set

from .world import Story, World

APPROVE, REJECT, RETURN = "approve", "reject", "return"
PURCHASERS = ["alice", "alice", "bob", "leo"]
INVOICE_CLERKS = ["alice", "bob"]
COST_CENTERS = ["CC-100", "CC-200", "CC-310", "CC-420"]
PURCHASE_VENDORS = ["ACME Ltd", "Globex", "Initech", "Officeland", "Stark Industries", "Northwind"]
ITEMS = ["Laptop", "Monitors", "Conference tickets", "Software licences", "Office chairs", "Test equipment"]
PURCHASE_REJECTIONS = [
    ("over_budget", "The team's budget for this quarter is spent."),
    ("vendor_not_approved", "Please buy from a framework vendor."),
    ("not_needed", "We already have spare ones in the store room."),
]
INVOICE_REJECTIONS = [
    ("duplicate", "Already paid under the same invoice number last week."),
    ("amount_mismatch", "The amount does not match the purchase order."),
    ("not_received", "The goods have not arrived yet."),
]
# A vendor name the ERP's vendor master does not know (a typo), and the one it meant.
VENDOR_TYPOS = {"ACME Ltd": "Acme Limited", "Globex": "Globex Corp.", "Initech": "Initech Inc"}


# --- purchase approval ---------------------------------------------------------------------------


def _purchase_data(world: World, *, cost_center: bool = True) -> dict:
    rng = world.rng
    big = rng.random() < 0.35
    amount = rng.randrange(1200, 9000, 50) if big else rng.randrange(80, 990, 5)
    data = {
        "amount": f"{amount}.00",
        "vendor": rng.choice(PURCHASE_VENDORS),
        "vendor_risk": "high" if rng.random() < 0.15 else "low",
        "description": f"{rng.choice(ITEMS)} for the team.",
    }
    if cost_center:
        data["cost_center"] = rng.choice(COST_CENTERS)
    return data


def _start(world: World, workflow: str, requester: str, data: dict):
    case, _ = case_start(workflow=workflow, data=data, actor=world[requester])
    world.told[f"{workflow} cases"] += 1
    return case


def _approve_all(world: World, case, *, within: tuple[float, float] = (1, 10)) -> Story:
    """Each approver in turn approves, some hours apart, until the case leaves approval."""
    while world.fresh(case).state == CaseState.APPROVAL:
        yield world.hours(*within)
        if not world.decide(world.fresh(case), APPROVE):
            return


def purchase(world: World, plan: str) -> Story:
    """One purchase request: `plan` is how it ends (approved, rejected, returned, withdrawn, stalled
    past its SLA, started without a cost center and sent back for it, or returned and still with
    the requester)."""
    rng = world.rng
    requester = rng.choice(PURCHASERS)
    case = _start(world, "purchase-approval", requester, _purchase_data(world, cost_center=plan != "incomplete"))
    if plan == "incomplete":
        # The engine sent it straight back for the cost center; the requester adds it.
        yield world.hours(1, 6)
        world.resubmit(world.fresh(case), data={"cost_center": rng.choice(COST_CENTERS)})
    elif plan in ("returned", "waiting_on_requester"):
        yield world.hours(0.5, 1) if plan == "waiting_on_requester" else world.hours(2, 8)
        world.decide(world.fresh(case), RETURN, reason="Please attach the quote and say which project pays.")
        if plan == "waiting_on_requester":
            return  # the requester has not answered yet
        yield world.hours(2, 12)
        world.resubmit(
            world.fresh(case),
            data={"description": f"{rng.choice(ITEMS)} for project Atlas; quote attached."},
            comment="Quote attached.",
        )
    elif plan == "rejected":
        yield world.hours(2, 12)
        code, reason = rng.choice(PURCHASE_REJECTIONS)
        world.decide(world.fresh(case), REJECT, reason_code=code, reason=reason)
        return
    elif plan == "withdrawn":
        yield world.hours(2, 10)
        case_withdraw(case_id=case.pk, actor=world[requester], reason="Bought it with the team card after all.")
        world.told["withdrawals"] += 1
        return
    elif plan == "stalled":
        # Nobody looks at it for two weeks' worth of business hours: the SLA sweep reminds,
        # escalates and reroutes meanwhile; then whoever holds it decides.
        yield world.hours(56, 80)
    yield from _approve_all(world, case)


# --- invoice processing --------------------------------------------------------------------------


def _invoice_data(world: World) -> dict:
    rng = world.rng
    world.numbers["invoice"] += 1
    return {
        "invoice_number": f"INV-{26000 + world.numbers['invoice']}",
        "vendor": rng.choice(KNOWN_VENDORS),
        "amount": f"{rng.randrange(150, 4000, 5)}.{rng.randrange(0, 100):02d}",
        "po_number": f"PO-{rng.randrange(4000, 4999)}",
    }


def _exception_of(case) -> StepRun | None:
    return StepRun.objects.filter(case_id=case.pk, status=StepStatus.EXCEPTION).first()


def _erp_down_while(world: World, start):
    """The ERP is down for maintenance while the invoice comes in: the step tries three times a
    few minutes apart, gives up, and the case goes to the exception queue; then the ERP is back."""
    oscar = world["oscar"]
    erp_mode_set(mode=ErpMode.DOWN, actor=oscar)
    try:
        case = start()
        for _ in range(3):
            world.agenda.wait(2)
            step_retry_due()
    finally:
        erp_mode_set(mode=ErpMode.OK, actor=oscar)
    return case


def invoice(world: World, plan: str) -> Story:
    """One supplier invoice: booked in the ERP, then approved by finance (and the manager from
    1,000). `plan`: approved, rejected, returned, or an exception an operator repairs (ERP down,
    a vendor name the ERP does not know, a missing PO number)."""
    rng = world.rng
    requester = rng.choice(INVOICE_CLERKS)
    data = _invoice_data(world)
    if plan == "erp_down":
        case = _erp_down_while(world, lambda: _start(world, "invoice-processing", requester, data))
        note, fix = "The ERP is back after its maintenance.", None
    elif plan == "bad_vendor":
        meant = rng.choice(list(VENDOR_TYPOS))
        case = _start(world, "invoice-processing", requester, {**data, "vendor": VENDOR_TYPOS[meant]})
        note, fix = "Vendor name as in the ERP's vendor master.", {"vendor": meant}
    elif plan in ("missing_po", "waiting_on_operator"):
        case = _start(world, "invoice-processing", requester, {**data, "po_number": ""})
        note, fix = "PO number from the purchase order.", {"po_number": f"PO-{rng.randrange(4000, 4999)}"}
    else:
        case = _start(world, "invoice-processing", requester, data)
        note = fix = None
    if note is not None:
        world.told["exceptions"] += _exception_of(case) is not None
        if plan == "waiting_on_operator":
            return  # in the exception queue; no operator has looked yet
        yield world.hours(0.5, 5)
        run = _exception_of(world.fresh(case))
        if run is not None:
            step_retry(run_id=run.pk, actor=world["oscar"], data=fix, note=note)
            world.told["repairs"] += 1
    if plan == "rejected":
        yield world.hours(2, 14)
        code, reason = rng.choice(INVOICE_REJECTIONS)
        world.decide(world.fresh(case), REJECT, label="Finance approval", reason_code=code, reason=reason)
        return
    if plan == "returned":
        yield world.hours(2, 10)
        world.decide(world.fresh(case), RETURN, label="Finance approval", reason="Add the delivery note number.")
        yield world.hours(1, 8)
        world.resubmit(world.fresh(case), data={"notes": f"Delivery note DN-{rng.randrange(100, 999)}."})
    yield from _approve_all(world, case, within=(1, 12))
