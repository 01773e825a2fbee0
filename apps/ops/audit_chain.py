"""The daily verification of the audit trail's hash chain (apps.audit.chain): run it, record the
result and the day's chain heads, and tell operators and auditors when the chain is broken."""

from django.db import transaction
from django.utils import timezone

from apps.audit.models import ChainVerification
from apps.audit.services import chain_verify
from apps.notify.models import Kind
from apps.notify.services import notification_send
from apps.org import roles
from apps.org.selectors import role_members

MSG_BROKEN = "The audit trail's chain is broken"


def audit_chain_check() -> ChainVerification:
    """Verify the whole chain; on a break, notify every operator and auditor once per run."""
    verification = chain_verify()
    if not verification.ok:
        with transaction.atomic():
            notification_send(
                users=[*role_members(role=roles.OPERATORS), *role_members(role=roles.AUDITORS)],
                kind=Kind.EXCEPTION,
                subject=MSG_BROKEN,
                body=(
                    f"Verified {timezone.localtime(verification.at):%d %b %Y %H:%M}: {verification.message}"
                    " Someone with the database owner's rights changed the audit table; compare with the"
                    " last evidence export and run `manage.py audit_verify` to see it again."
                ),
                url="/audit/cases/",
                dedupe_key=f"audit-chain:{verification.pk}",
            )
    return verification
