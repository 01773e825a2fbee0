"""The demo history's customer onboardings and HR requests (the `customer-onboarding` and
`hr-request` templates), told on their own seeded World so that adding them leaves the purchase
and invoice stories exactly as they were.

Every third working day sally onboards a customer: the customer portal answers (its callback, as
the inbound endpoint would deliver it) or a person records the documents, compliance and
operations decide; one customer never answers and is still waiting at the end. Every other working
day alice or bob asks HR for leave, a data change, a pay correction or a letter.
"""

from datetime import datetime, time

from apps.automation.models import StepRun, StepStatus
from apps.automation.services import step_callback, step_skip
from apps.cases.services import case_start

from .world import Story, World

APPROVE, REJECT = "approve", "reject"
COMPANIES = ["Globex", "Initech", "Umbrella Corp", "Hooli", "Vandelay Industries", "Soylent", "Wonka Industries"]
ONBOARDING_PLANS = ["activated", "recorded_by_hand", "activated", "kyc_failed", "activated", "never_answers"]
HR_PLANS = ["leave", "payroll", "personal_data", "leave", "reference_letter", "leave_refused"]


def _start(world: World, workflow: str, requester: str, data: dict):
    case, _ = case_start(workflow=workflow, data=data, actor=world[requester])
    world.told[f"{workflow} cases"] += 1
    return case


def _waiting_step(case) -> StepRun | None:
    return StepRun.objects.filter(case=case, step_key="customer_documents", status=StepStatus.WAITING).first()


def onboarding(world: World, plan: str) -> Story:
    rng = world.rng
    company = rng.choice(COMPANIES)
    segment = rng.choice(["small_business", "mid_market", "enterprise"])
    data = {
        "company_name": company,
        "contact_name": f"{rng.choice(['Dana', 'Lee', 'Sasha', 'Kim'])} {rng.choice(['Ito', 'Berg', 'Moreau'])}",
        "contact_email": f"onboarding@{company.split()[0].lower()}.example",
        "segment": segment,
        "risk_level": rng.choice(["low", "low", "medium", "high"]),
        "expected_monthly_volume": str(rng.randrange(5, 200) * 1000),
    }
    case = _start(world, "customer-onboarding", "sally", data)
    if segment == "enterprise":
        yield world.hours(1, 6)
        world.decide(world.fresh(case), APPROVE)
    if plan == "never_answers":
        return  # the contact is reminded, sally and her manager are told; still waiting at the end
    yield world.hours(4, 20)
    run = _waiting_step(world.fresh(case))
    if run is None:
        return
    if plan == "recorded_by_hand":
        step_skip(run_id=run.pk, actor=world["oscar"], reason="The documents came by e-mail to sally.")
    else:
        reference = f"CP-{world.numbers['portal'] + 4700}"
        world.numbers["portal"] += 1
        step_callback(
            case_id=case.pk,
            step_key="customer_documents",
            data={"documents_received": True, "customer_reference": reference},
            actor=world["ivan"],
            delivery=f"demo-{reference}",
        )
    yield world.hours(2, 10)
    if plan == "kyc_failed":
        world.decide(world.fresh(case), REJECT, reason_code="kyc_failed", reason="The ownership cannot be verified.")
        return
    while world.fresh(case).is_open:
        if not world.decide(world.fresh(case), APPROVE):
            return
        yield world.hours(1, 8)


def _hr_data(world: World, plan: str) -> dict:
    rng = world.rng
    if plan in ("leave", "leave_refused"):
        day = rng.randrange(1, 20)
        return {
            "request_type": "leave",
            "leave_type": rng.choice(["annual", "annual", "parental", "unpaid"]),
            "leave_start": f"2027-02-{day:02d}",
            "leave_end": f"2027-02-{day + rng.randrange(0, 8):02d}",
        }
    if plan == "payroll":
        return {"request_type": "payroll", "pay_period": "2026-11", "pay_issue": rng.choice(["wrong_amount", "tax"])}
    if plan == "personal_data":
        return {"request_type": "personal_data", "change_details": "New address: Lindenstrasse 12, Berlin"}
    return {"request_type": "reference_letter", "letter_purpose": rng.choice(["Landlord", "Bank", "Visa application"])}


def hr_request(world: World, plan: str) -> Story:
    case = _start(world, "hr-request", world.rng.choice(["alice", "bob"]), _hr_data(world, plan))
    while world.fresh(case).is_open:
        yield world.hours(2, 14)
        if plan == "leave_refused":
            world.decide(world.fresh(case), REJECT, reason_code="team_coverage", reason="Two others are away then.")
            return
        if not world.decide(world.fresh(case), APPROVE):
            return


def template_stories_plan(*, agenda, working: list, zone, seed: int) -> World:
    """Book the onboardings and HR requests of the history on `agenda`; returns their World."""
    world = World(agenda=agenda, seed=seed)
    for number, day in enumerate(working):
        todays = []
        if number % 3 == 0:
            todays.append((onboarding, ONBOARDING_PLANS[(number // 3) % len(ONBOARDING_PLANS)]))
        if number % 2 == 1:
            todays.append((hr_request, HR_PLANS[(number // 2) % len(HR_PLANS)]))
        for story, plan in todays:
            moment = datetime.combine(day, time(10 + world.rng.randrange(0, 6)), zone)
            agenda.at(moment, lambda story=story, plan=plan: world.tell(story(world, plan)))
    return world
