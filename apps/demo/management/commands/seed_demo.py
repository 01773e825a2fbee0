"""Create the demo organisation and publish every workflow template of the library. Idempotent."""

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from apps.definitions.library import LIBRARY
from apps.definitions.models import DefinitionVersion, WorkflowDefinition
from apps.definitions.services import definition_create, draft_create_from, draft_update, spec_hash, version_publish
from apps.demo.history import history_seed
from apps.integrations.policy import INTEGRATORS
from apps.org import roles
from apps.org.models import Department
from apps.org.services import person_upsert
from apps.schedules.services import schedule_create
from apps.sla.services import calendar_ensure_default

PASSWORD = "demo"
TIME_ZONE = "Europe/Berlin"  # where the demo organisation works (its business calendar's zone)

# username, first, last, department, manager, title, roles, superuser
PEOPLE = [
    ("carol", "Carol", "Chen", "Management", None, "Director", [], False),
    ("bob", "Bob", "Baker", "Engineering", "carol", "Head of Engineering", [], False),
    ("alice", "Alice", "Adams", "Engineering", "bob", "Engineer", [], False),
    ("fiona", "Fiona", "Field", "Finance", "carol", "Finance officer", [roles.FINANCE], False),
    ("frank", "Frank", "Ford", "Finance", "carol", "Finance officer", [roles.FINANCE], False),
    ("leo", "Leo", "Lang", "Legal", "carol", "Counsel", [roles.LEGAL], False),
    ("audrey", "Audrey", "Auditor", "Internal Audit", None, "Auditor", [roles.AUDITORS], False),
    ("olivia", "Olivia", "Owens", "Operations", None, "Workflow owner", [roles.WORKFLOW_OWNERS], False),
    ("oscar", "Oscar", "Ortiz", "Operations", None, "Operator", [roles.OPERATORS], False),
    ("ivan", "Ivan", "Ivanov", "IT", None, "Integrator", [INTEGRATORS], False),
    ("sam", "Sam", "Stone", "IT", "carol", "Security officer", [roles.SECURITY], False),
    ("sally", "Sally", "Sorensen", "Sales", "carol", "Account executive", [roles.SALES], False),
    ("connie", "Connie", "Cruz", "Compliance", "carol", "Compliance officer", [roles.COMPLIANCE], False),
    ("opal", "Opal", "Olsen", "Operations", "carol", "Operations specialist", [roles.OPERATIONS], False),
    ("hanna", "Hanna", "Hill", "People", "carol", "HR partner", [roles.HR], False),
    ("paul", "Paul", "Park", "People", "carol", "Payroll specialist", [roles.PAYROLL], False),
    ("tom", "Tom", "Torres", "IT", "carol", "IT support engineer", [roles.IT_SUPPORT], False),
    ("dave", "Dave", "Singh", "IT", "tom", "Service desk agent", [roles.SERVICE_DESK], False),
    ("paula", "Paula", "Park", "Information Security", "carol", "Policy owner", [roles.POLICY_OWNERS], False),
    ("rita", "Rita", "Reyes", "Risk & Compliance", "carol", "Risk officer", [roles.RISK_COMPLIANCE], False),
    ("admin", "Ada", "Admin", None, None, "Administrator", [], True),
]


# Where people work and the cost centers they own: what routing rules may ask about a requester.
WHERE = {
    "carol": ("London", "CC-001"),
    "bob": ("Berlin", "CC-100"),
    "alice": ("Berlin", ""),
    "fiona": ("London", ""),
    "frank": ("London", ""),
    "ivan": ("Berlin", ""),
    "sam": ("Berlin", ""),
}


def seed_demo_data(*, stdout=None) -> None:
    with transaction.atomic():
        for name in [*roles.ALL_ROLES, INTEGRATORS]:
            Group.objects.get_or_create(name=name)
        users = {}
        for username, first, last, dept, manager, title, role_names, superuser in PEOPLE:
            users[username] = person_upsert(
                username=username,
                password=PASSWORD,
                first_name=first,
                last_name=last,
                email=f"{username}@example.com",
                department=dept,
                manager=users.get(manager) if manager else None,
                title=title,
                roles=role_names,
                is_superuser=superuser,
                time_zone=TIME_ZONE,
                location=WHERE.get(username, ("", ""))[0],
                cost_center=WHERE.get(username, ("", ""))[1],
            )
        Department.objects.filter(name="Engineering").update(head=users["bob"])
        Department.objects.filter(name="Management").update(head=users["carol"])
        calendar_ensure_default()
        for template in LIBRARY:
            _install(template, owner=users["olivia"], stdout=stdout)


def _install(template: dict, *, owner, stdout=None) -> None:
    """Publish the template unless a version of it already has exactly this spec.

    NOTE: any version, not only the live one: the demo history publishes a version 2 of purchase
    approval, and seeding again must not publish the template back over it."""
    definition = WorkflowDefinition.objects.filter(key=template["key"]).first()
    if definition is None:
        draft = definition_create(
            key=template["key"],
            name=template["name"],
            description=template["description"],
            spec=template["spec"],
            actor=owner,
        )
    else:
        if definition.versions.filter(content_hash=spec_hash(template["spec"])).exists():
            return
        live = definition.versions.filter(status="published").order_by("-number").first()
        draft = DefinitionVersion.objects.filter(definition=definition, status="draft").first()
        if draft is None:
            draft = draft_create_from(version=live, actor=owner) if live else None
        draft = draft_update(version=draft, spec=template["spec"], actor=owner)
    version = version_publish(version=draft, actor=owner)
    if stdout:
        stdout.write(f"Published {template['key']} version {version.number}")


# The recurring report's demo schedule: monthly, in fiona's name (frank prepares, carol reviews).
DEMO_SCHEDULE = {
    "name": "Monthly finance report",
    "kind": "cron",
    "cron": "0 9 1 * *",
    "requester": "fiona",
    "data": {"report_name": "Monthly finance report", "source": "general_ledger", "distribution": "carol, finance"},
}


def seed_demo_schedule(*, stdout=None) -> None:
    """One schedule of recurring-report, made now (after any history, so no period of the past is
    due): it starts nothing until its first period. Idempotent."""
    definition = WorkflowDefinition.objects.filter(key="recurring-report").first()
    # NOTE: by name: the demo history makes a schedule of its own (service_stories.py).
    if definition is None or definition.schedules.filter(name=DEMO_SCHEDULE["name"]).exists():
        return
    owner = definition.owner
    schedule = schedule_create(definition=definition, actor=owner, **DEMO_SCHEDULE)
    if stdout:
        stdout.write(
            f"Scheduled {definition.key}: '{schedule.name}', first run {schedule.next_due_at:%Y-%m-%d %H:%M} UTC"
        )


MAX_HISTORY_DAYS = 365
MSG_HISTORY_DAYS = f"--history takes a number of days from 1 to {MAX_HISTORY_DAYS}."


class Command(BaseCommand):
    help = (
        "Create the demo users (password 'demo') and publish the demo workflows. Idempotent. "
        "With --history DAYS, also live that many days of past cases (only into a database without cases)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="Allow seeding when DEBUG is off.")
        parser.add_argument(
            "--history",
            type=int,
            metavar="DAYS",
            default=0,
            help="Also create DAYS days of past cases through the services (skipped when cases exist).",
        )

    def handle(self, *args, force=False, history=0, **options):
        if not settings.DEBUG and not force:
            raise CommandError("Refusing to create demo users with a known password: DEBUG is off. Use --force.")
        if history and not 0 < history <= MAX_HISTORY_DAYS:
            raise CommandError(MSG_HISTORY_DAYS)
        if history:
            self.stdout.write(f"Demo history, {history} days (about a second a working day)...")
            report = history_seed(days=history, setup=lambda: seed_demo_data(stdout=self.stdout))
            for line in report.lines():
                self.stdout.write(line)
        else:
            seed_demo_data(stdout=self.stdout)
        seed_demo_schedule(stdout=self.stdout)
        self.stdout.write(self.style.SUCCESS("Demo data ready. Every demo user's password is 'demo'."))
