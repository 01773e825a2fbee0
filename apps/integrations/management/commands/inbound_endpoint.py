"""Create an inbound webhook endpoint from the command line (integrators' setup scripts), rotate its
secret, deactivate or reactivate it. The portal (Webhooks › Inbound) does the same through the same
services (apps.integrations.endpoints).

    manage.py inbound_endpoint --by admin --slug erp-orders --name "ERP orders" \\
        --workflow purchase-approval --run-as integration --map amount=order.total --map vendor=order.supplier

    manage.py inbound_endpoint --by admin --slug customer-replies --name "Customer replies" \\
        --workflow invoice-processing --run-as integration --action complete_step --step customer \\
        --case-path reference.case --map customer_answer=answer

    manage.py inbound_endpoint --by admin --slug erp-orders --rotate       # a new secret, printed once
    manage.py inbound_endpoint --by admin --slug erp-orders --deactivate   # or --activate

The secret is printed once (generated unless --secret is given); keep it in the sender's vault.
A rotated secret replaces the old one at once: the old one is refused from the next call.
"""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from apps.core.errors import ServiceError
from apps.integrations import endpoints, selectors


class Command(BaseCommand):
    help = (
        "Create an inbound webhook endpoint (starts cases or completes waiting steps), rotate its secret, "
        "deactivate or activate it."
    )

    def add_arguments(self, parser):
        parser.add_argument("--by", required=True, help="Username of the integrator or administrator acting.")
        parser.add_argument("--slug", required=True)
        change = parser.add_mutually_exclusive_group()
        change.add_argument("--rotate", action="store_true", help="Give the endpoint a new secret.")
        change.add_argument("--deactivate", action="store_true", help="Refuse every call to the endpoint.")
        change.add_argument("--activate", action="store_true", help="Take calls again.")
        parser.add_argument("--name", default="", help="When creating.")
        parser.add_argument("--workflow", default="", help="Workflow key (when creating).")
        parser.add_argument("--run-as", default="", help="Username the calls act as (when creating).")
        parser.add_argument("--map", action="append", default=[], help="field=dotted.path (repeatable).")
        parser.add_argument("--action", default="start_case", choices=["start_case", "complete_step"])
        parser.add_argument("--step", default="", help="The wait step a callback completes.")
        parser.add_argument("--case-path", default="case_id", help="Where the body names the case.")
        parser.add_argument("--secret", default="", help="Leave out to have one generated (create, rotate).")

    def handle(self, *args, **o):
        actor = get_user_model().objects.filter(username=o["by"]).first()
        if actor is None:
            raise CommandError(f"--by: no user '{o['by']}'.")
        try:
            if o["rotate"] or o["deactivate"] or o["activate"]:
                self._change(actor, o)
            else:
                self._create(actor, o)
        except ServiceError as error:
            problems = "; ".join(f"{k}: {' '.join(v)}" for k, v in error.field_errors.items()) or error.message
            raise CommandError(problems) from None

    def _create(self, actor, o):
        endpoint = endpoints.endpoint_create(
            actor=actor,
            slug=o["slug"],
            name=o["name"],
            workflow=o["workflow"],
            run_as=o["run_as"],
            field_map=endpoints.field_map_parse(o["map"]),
            secret=o["secret"],
            action=o["action"],
            step=o["step"],
            case_path=o["case_path"],
        )
        self.stdout.write(self.style.SUCCESS(f"Endpoint /api/v1/hooks/{endpoint.slug}/ created."))
        self.stdout.write(f"Secret (shown once): {endpoint.secret}")

    def _change(self, actor, o):
        endpoint = selectors.inbound_endpoint_get(user=actor, slug=o["slug"])
        if o["rotate"]:
            endpoint = endpoints.endpoint_secret_rotate(actor=actor, endpoint_id=endpoint.pk, secret=o["secret"])
            self.stdout.write(self.style.SUCCESS(f"Endpoint /api/v1/hooks/{endpoint.slug}/: new secret."))
            self.stdout.write(f"Secret (shown once; the old one no longer works): {endpoint.secret}")
        elif o["deactivate"]:
            endpoints.endpoint_deactivate(actor=actor, endpoint_id=endpoint.pk)
            self.stdout.write(self.style.SUCCESS(f"Endpoint /api/v1/hooks/{endpoint.slug}/ deactivated."))
        else:
            endpoints.endpoint_activate(actor=actor, endpoint_id=endpoint.pk)
            self.stdout.write(self.style.SUCCESS(f"Endpoint /api/v1/hooks/{endpoint.slug}/ active."))
