"""What a pack holds, on a small constructed history (tests/evidence/conftest.py)."""

import csv
import hashlib
import io
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from apps.audit.models import AuditEvent
from apps.cases.attachments import case_attachment_add
from apps.core.errors import NotAllowed, ValidationFailed
from apps.evidence.services import VIA_COMMAND, VIA_PORTAL, evidence_export

from .conftest import QUOTE, Pack, today


def export(actor, workflow="", date_from=None, date_to=None, via=VIA_PORTAL) -> Pack:
    out = io.BytesIO()
    evidence_export(
        actor=actor, date_from=date_from or today(), date_to=date_to or today(), workflow=workflow, out=out, via=via
    )
    return Pack(out.getvalue())


def test_the_manifest_says_who_exported_which_range_and_hashes_every_file(history, users):
    pack = export(users["audrey"], workflow="purchase-approval")
    manifest = pack.manifest
    assert manifest["exported_by"] == {"username": "audrey", "user_id": users["audrey"].pk, "via": "portal"}
    assert manifest["exported_at"]
    assert (manifest["range"]["from"], manifest["range"]["to"], manifest["range"]["workflow"]) == (
        today(),
        today(),
        "purchase-approval",
    )
    assert set(manifest["files"]) == pack.files - {"manifest.json"}
    for name, described in manifest["files"].items():
        body = pack.zip.read(name)
        assert described == {"sha256": hashlib.sha256(body).hexdigest(), "bytes": len(body)}, name


def test_only_the_workflows_real_cases_open_in_the_range_are_in_the_pack(history, users):
    pack = export(users["audrey"], workflow="purchase-approval")
    ids = [row["case_id"] for row in pack.json("cases.json")]
    assert ids == [history["rejected"].pk, history["delegated"].pk]  # not old, other, nor the test case
    rows = list(csv.DictReader(io.StringIO(pack.text("cases.csv"))))
    assert [int(r["case_id"]) for r in rows] == ids
    assert rows[0]["outcome"] == "rejected" and rows[1]["outcome"] == "approved"
    assert '"vendor":"=HYPERLINK(1)"' in rows[0]["data"] and not rows[0]["data"].startswith("=")
    assert pack.json("cases.json")[0]["data"]["vendor"] == "=HYPERLINK(1)", "JSON keeps the value exactly"

    everything = export(users["audrey"])
    assert {r["case_id"] for r in everything.json("cases.json")} == {
        history["rejected"].pk,
        history["delegated"].pk,
        history["other"].pk,
    }


def test_a_range_that_covers_the_old_case_includes_it_and_not_todays(history, users):
    day = (timezone.localdate() - timedelta(days=10)).isoformat()
    pack = export(users["audrey"], date_from=day, date_to=day)
    assert [row["case_id"] for row in pack.json("cases.json")] == [history["old"].pk]
    assert pack.manifest["range"]["from"] == day


def test_decisions_carry_actor_on_behalf_of_reason_code_and_the_data(history, users):
    pack = export(users["audrey"], workflow="purchase-approval")
    decisions = {d["case_id"]: d for d in pack.lines("decisions.jsonl")}
    rejected = decisions[history["rejected"].pk]
    assert (rejected["actor"], rejected["decision"], rejected["reason_code"], rejected["reason"]) == (
        "bob",
        "reject",
        "over_budget",
        "Q3 budget is spent.",
    )
    assert rejected["data"]["amount"] == "5000.00"
    delegated = decisions[history["delegated"].pk]
    assert (delegated["actor"], delegated["on_behalf_of"], delegated["decision"]) == ("frank", "bob", "approve")


def test_the_full_trail_of_each_case_is_there_in_order(history, users):
    pack = export(users["audrey"], workflow="purchase-approval")
    events = pack.lines("audit_events.jsonl")
    ids = [history["rejected"].pk, history["delegated"].pk]
    expected = list(AuditEvent.objects.filter(case_id__in=ids).order_by("id").values_list("id", flat=True))
    assert [e["id"] for e in events] == expected
    assert pack.manifest["counts"]["events"] == len(expected)
    started = next(e for e in events if e["case_id"] == ids[0] and e["action"] == "case.started")
    assert started["actor_name"] == "alice" and started["data"]["vendor"] == "=HYPERLINK(1)"


def test_attachments_with_their_sha256_and_their_files(history, users):
    pack = export(users["audrey"], workflow="purchase-approval")
    (row,) = list(csv.DictReader(io.StringIO(pack.text("attachments.csv"))))
    digest = hashlib.sha256(QUOTE).hexdigest()
    assert (row["case_id"], row["name"], row["sha256_recorded"], row["sha256_file"], row["sha256_matches"]) == (
        str(history["rejected"].pk),
        "quote 1.pdf",
        digest,
        digest,
        "yes",
    )
    assert pack.zip.read(row["file_in_pack"]) == QUOTE


def test_the_versions_in_force_with_spec_and_sop(history, users):
    pack = export(users["audrey"], workflow="purchase-approval")
    (version,) = pack.json("workflows/versions.json")
    assert (version["workflow"], version["version"], version["cases_in_pack"]) == ("purchase-approval", 1, 2)
    spec = pack.json(version["spec"])
    assert [c["code"] for c in spec["reason_codes"]][:1] == ["over_budget"]
    assert "Purchase" in pack.text(version["sop"])


def test_role_memberships_now(history, users):
    pack = export(users["audrey"])
    rows = list(csv.DictReader(io.StringIO(pack.text("roles/memberships.csv"))))
    assert {"role": "auditors", "username": "audrey"}.items() <= next(
        r for r in rows if r["username"] == "audrey"
    ).items()
    assert {(r["role"], r["username"]) for r in rows} >= {("finance", "fiona"), ("finance", "frank"), ("legal", "leo")}
    assert pack.text("roles/changes.jsonl") == "" or pack.lines("roles/changes.jsonl")


def test_the_export_is_audited(history, users):
    pack = export(users["audrey"], workflow="purchase-approval")
    event = AuditEvent.objects.get(action="evidence.exported")
    assert event.actor_name == "audrey"
    assert event.context["range"] == {"from": today(), "to": today()}
    assert event.context["workflow"] == "purchase-approval"
    assert event.context["counts"]["cases"] == 2
    assert event.context["manifest_sha256"] == hashlib.sha256(pack.zip.read("manifest.json")).hexdigest()


def test_only_auditors_and_admins_export(history, users):
    for name in ("alice", "bob", "olivia", "oscar"):
        with pytest.raises(NotAllowed):
            export(users[name])
    assert export(users["admin"]).manifest["exported_by"]["username"] == "admin"
    assert export(None, via=VIA_COMMAND).manifest["exported_by"]["username"] == "SYSTEM"
    assert AuditEvent.objects.filter(action="evidence.exported").count() == 2


@pytest.mark.parametrize(
    ("date_from", "date_to", "workflow", "field"),
    [
        ("", "2026-01-01", "", "from"),
        ("2026-02-30", "2026-03-01", "", "from"),
        ("2026-03-01", "01/04/2026", "", "to"),
        ("2026-03-02", "2026-03-01", "", "to"),
        ("2026-03-01", "2026-03-02", "no-such-flow", "workflow"),
    ],
)
def test_bad_ranges_name_the_field(demo, users, date_from, date_to, workflow, field):
    with pytest.raises(ValidationFailed) as refused:
        export(users["audrey"], workflow=workflow, date_from=date_from or " ", date_to=date_to)
    assert set(refused.value.field_errors) == {field}
    assert not AuditEvent.objects.filter(action="evidence.exported").exists()


def test_the_statements_do_not_grow_with_the_cases(history, users, start_purchase, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        export(users["audrey"], workflow="purchase-approval")
    for _ in range(3):
        case = start_purchase(amount="5000")
        case_attachment_add(
            case=case, actor=users["alice"], upload=SimpleUploadedFile("q.pdf", QUOTE, "application/pdf")
        )
    with django_assert_max_num_queries(len(few.captured_queries)):
        pack = export(users["audrey"], workflow="purchase-approval")
    assert pack.manifest["counts"]["cases"] == 5 and pack.manifest["counts"]["attachments"] == 4
