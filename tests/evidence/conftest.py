"""A small history to export: two workflows, a case before the range, a delegate's decision, a
rejection with a reason code, an attachment and a test case on a draft."""

import io
import json
import zipfile
from datetime import timedelta

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from apps.cases.attachments import case_attachment_add
from apps.cases.services import case_start_test, case_withdraw, task_complete
from apps.definitions.selectors import version_live
from apps.org.services import absence_set
from tests.conftest import task_for

QUOTE = b"%PDF-1.4 the quote"


@pytest.fixture
def history(start_purchase, publish, start, users):
    """{name: case}: `old` closed ten days ago; `rejected`, `delegated` (frank for bob) and
    `other` (another workflow) today; `test` a test case."""
    bob, frank = users["bob"], users["frank"]
    with time_machine.travel(timezone.now() - timedelta(days=10), tick=False):
        old = start_purchase(amount="100")
        case_withdraw(case_id=old.pk, actor=users["alice"], reason="Not needed any more")

    rejected = start_purchase(amount="5000", vendor="=HYPERLINK(1)")
    case_attachment_add(
        case=rejected, actor=users["alice"], upload=SimpleUploadedFile("quote 1.pdf", QUOTE, "application/pdf")
    )
    task_complete(
        task_id=task_for(rejected, "Manager approval").pk,
        actor=bob,
        decision="reject",
        reason_code="over_budget",
        reason="Q3 budget is spent.",
    )

    now = timezone.now()
    absence_set(user=bob, starts=now - timedelta(hours=1), ends=now + timedelta(days=2), delegate=frank, actor=bob)
    delegated = start_purchase(amount="500")
    task_complete(task_id=task_for(delegated, "Manager approval").pk, actor=frank, decision="approve")

    publish(
        "expenses",
        [
            {
                "key": "ok",
                "name": "OK",
                "policy": "all",
                "approvers": [{"key": "b", "label": "Bob", "type": "user", "user": "carol"}],
            }
        ],
    )
    other = start("expenses", amount="12")
    test = case_start_test(
        version=version_live(key="purchase-approval"),
        data={"amount": "5000", "vendor": "T", "cost_center": "CC"},
        actor=users["olivia"],
    )
    return {"old": old, "rejected": rejected, "delegated": delegated, "other": other, "test": test}


class Pack:
    """A written pack, read back: `files`, `text(name)`, `lines(name)`, `json(name)`."""

    def __init__(self, raw: bytes):
        self.raw = raw
        self.zip = zipfile.ZipFile(io.BytesIO(raw))
        self.files = set(self.zip.namelist())
        self.manifest = self.json("manifest.json")

    def text(self, name: str) -> str:
        return self.zip.read(name).decode("utf-8")

    def json(self, name: str):
        return json.loads(self.text(name))

    def lines(self, name: str) -> list[dict]:
        return [json.loads(line) for line in self.text(name).splitlines() if line]


def today() -> str:
    return timezone.localdate().isoformat()
