"""Create an inbound webhook endpoint from the command line (integrators' setup scripts).

    manage.py inbound_endpoint --by admin --slug erp-orders --name "ERP orders" \\
        --workflow purchase-approval --run-as integration --map amount=order.total --map vendor=order.supplier

    manage.py inbound_endpoint --by admin --slug customer-replies --name "Customer replies" \\
        --workflow invoice-processing --run-as integration --action complete_step --step customer \\
        --case-path reference.case --map customer_answer=answer

The secret is printed once (generated unless --secret is given); keep it in the sender's vault.
"""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from apps.core.errors import ServiceError
from apps.integrations.inbound import endpoint_create


class Command(BaseCommand):
    help = "Create an inbound webhook endpoint (starts cases or completes waiting steps)."

    def add_arguments(self, parser):
        parser.add_argument("--by", required=True, help="Username of the integrator or administrator creating it.")
        parser.add_argument("--slug", required=True)
        parser.add_argument("--name", required=True)
        parser.add_argument("--workflow", required=True, help="Workflow key.")
        parser.add_argument("--run-as", required=True, help="Username the calls act as.")
        parser.add_argument("--map", action="append", default=[], help="field=dotted.path (repeatable).")
        parser.add_argument("--action", default="start_case", choices=["start_case", "complete_step"])
        parser.add_argument("--step", default="", help="The wait step a callback completes.")
        parser.add_argument("--case-path", default="case_id", help="Where the body names the case.")
        parser.add_argument("--secret", default="", help="Leave out to have one generated.")

    def handle(self, *args, **o):
        users = get_user_model().objects
        actor = users.filter(username=o["by"]).first()
        run_as = users.filter(username=o["run_as"]).first()
        if actor is None:
            raise CommandError(f"--by: no user '{o['by']}'.")
        field_map = {}
        for item in o["map"]:
            field, sep, path = item.partition("=")
            if not sep or not field.strip() or not path.strip():
                raise CommandError(f"--map: '{item}' is not field=dotted.path.")
            field_map[field.strip()] = path.strip()
        try:
            endpoint = endpoint_create(
                actor=actor,
                slug=o["slug"],
                name=o["name"],
                workflow=o["workflow"],
                run_as=run_as,
                field_map=field_map,
                secret=o["secret"],
                action=o["action"],
                step=o["step"],
                case_path=o["case_path"],
            )
        except ServiceError as error:
            problems = "; ".join(f"{k}: {' '.join(v)}" for k, v in error.field_errors.items()) or error.message
            raise CommandError(problems) from None
        self.stdout.write(self.style.SUCCESS(f"Endpoint /api/v1/hooks/{endpoint.slug}/ created."))
        self.stdout.write(f"Secret (shown once): {endpoint.secret}")
