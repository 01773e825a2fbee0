"""Migration from spreadsheets: a messy file's report row by row, dry runs, idempotency, the
round trip through an export, and imported cases behaving as ordinary cases of the engine."""

import csv
import io
import json
from datetime import datetime

import pytest
from django.core.management import call_command
from django.utils import timezone

from apps.audit.models import Action, AuditEvent
from apps.cases import importing
from apps.cases.importing import case_export_rows, cases_import, import_columns
from apps.cases.models import Case, CaseState
from apps.cases.services import task_complete
from apps.core.errors import NotAllowed, ValidationFailed
from apps.core.input_guard import MSG_NUL
from apps.core.sheets import csv_stream, sheet_rows
from apps.definitions.fields import MSG_NOT_A_NUMBER, MSG_REQUIRED
from apps.definitions.selectors import version_live
from apps.sla.models import ClockKind, SlaClock
from tests.conftest import open_tasks

WORKFLOW = "purchase-approval"
HEADER = "external_id,amount,vendor,cost_center,stage,owner,requested_by,created_at,outcome,note"
MESSY = [
    HEADER,
    "P-1,1200,ACME,CC-1,approval,fiona,alice,2024-03-01,,from the 2024 sheet",
    "P-2,300,Globex,CC-2,approval,role:finance,alice,2024-03-02T10:30,,",
    "P-3,50,Initech,CC-3,closed,,bob,2024-01-15,approved,",
    "P-4,80,Umbrella,CC-4,approval,fiona,alice,31/12/2024,,",
    "P-5,90,Hooli,CC-5,approval,nobody,alice,2024-03-01,,",
    "P-6,,Stark,CC-6,approval,fiona,alice,2024-03-01,,",
    "P-1,10,Dup Inc,CC-7,approval,fiona,alice,2024-03-01,,",
    "P-8,10,Wayne,CC-8,review,fiona,alice,2024-03-01,,",
    ",10,NoId,CC-9,approval,fiona,alice,2024-03-01,,",
    "P-10,abc,Acme,CC-10,approval,fiona,ghost,2024-03-01,,",
    "P-11,10,Self,CC-11,approval,alice,alice,2024-03-01,,",
    "P-12,10,Open,CC-12,approval,fiona,alice,2024-03-01,rejected,",
    "P-13,10,Closed,CC-13,closed,,alice,2024-03-01,,",
]


def _rows(lines):
    return sheet_rows(io.BytesIO("\n".join(lines).encode()), fmt="csv")


def _import(lines=MESSY, *, actor=None, dry_run=False):
    headers, rows = _rows(lines)
    return cases_import(workflow=WORKFLOW, headers=headers, rows=rows, actor=actor, dry_run=dry_run)


def _outline(report):
    return [(r["row"], r["external_id"], r["status"], r["errors"]) for r in report["rows"]]


def _messy_outline():
    return [
        (1, "P-1", "created", {}),
        (2, "P-2", "created", {}),
        (3, "P-3", "created", {}),
        (4, "P-4", "error", {"created_at": importing.MSG_BAD_DATE.format(value="31/12/2024")}),
        (5, "P-5", "error", {"owner": importing.MSG_NO_USER.format(username="nobody")}),
        (6, "P-6", "error", {"amount": MSG_REQUIRED}),
        (7, "P-1", "error", {"external_id": importing.MSG_DUPLICATE.format(row=1)}),
        (
            8,
            "P-8",
            "error",
            {"stage": importing.MSG_STAGE_UNKNOWN.format(stage="review", stages="approval")},
        ),
        (9, "", "error", {"external_id": importing.MSG_REQUIRED}),
        (
            10,
            "P-10",
            "error",
            {"amount": MSG_NOT_A_NUMBER, "requested_by": importing.MSG_NO_USER.format(username="ghost")},
        ),
        (11, "P-11", "error", {"owner": "alice asked for this case and cannot approve it."}),
        (12, "P-12", "error", {"outcome": importing.MSG_OUTCOME_OPEN.format(stage="approval")}),
        (
            13,
            "P-13",
            "error",
            {"outcome": importing.MSG_OUTCOME_REQUIRED.format(outcomes="approved, rejected, withdrawn, cancelled")},
        ),
    ]


def test_a_messy_file_is_reported_row_by_row_and_its_good_rows_imported(demo):
    report = _import(actor=demo["olivia"])

    outline = _outline(report)
    expected = _messy_outline()
    # The segregation-of-duties refusal is the engine's own words; only its subject is asserted.
    assert outline[10][3]["owner"].startswith("alice")
    expected[10] = outline[10]
    assert outline == expected
    assert (report["created"], report["skipped"], report["errors"]) == (3, 0, 10)
    created = {r["external_id"]: r["case"] for r in report["rows"] if r["status"] == "created"}
    assert set(Case.objects.values_list("external_id", "pk")) == set(created.items())


def test_a_dry_run_writes_nothing_and_reports_the_same(demo):
    before = AuditEvent.objects.count()

    dry = _import(actor=demo["olivia"], dry_run=True)

    assert Case.objects.count() == 0
    assert AuditEvent.objects.count() == before
    assert [r["case"] for r in dry["rows"]] == [None] * len(dry["rows"])
    real = _import(actor=demo["olivia"])
    assert _outline(dry) == _outline(real)
    assert (dry["created"], dry["skipped"], dry["errors"]) == (real["created"], real["skipped"], real["errors"])


def test_importing_the_same_file_again_skips_what_exists(demo):
    first = _import(actor=demo["olivia"])
    second = _import(actor=demo["olivia"])

    assert (second["created"], second["skipped"], second["errors"]) == (0, 3, 10)
    skipped = {r["external_id"]: r["case"] for r in second["rows"] if r["status"] == "skipped"}
    assert skipped == {r["external_id"]: r["case"] for r in first["rows"] if r["status"] == "created"}
    assert Case.objects.count() == 3


def test_an_imported_case_is_an_ordinary_case_at_its_stage(demo):
    report = _import(actor=demo["olivia"])
    ids = {r["external_id"]: r["case"] for r in report["rows"] if r["status"] == "created"}
    began = timezone.make_aware(datetime(2024, 3, 1))

    case = Case.objects.get(pk=ids["P-1"])
    assert (case.migrated, case.state, case.stage, case.created) == (True, CaseState.APPROVAL, "approval", began)
    assert case.requester == demo["alice"] and case.migration_note == "from the 2024 sheet"
    (task,) = open_tasks(case)
    assert task.owner == demo["fiona"] and task.created == began
    clocks = {c.kind: c.started for c in SlaClock.objects.filter(case=case)}
    assert clocks == {ClockKind.APPROVAL: began}  # purchase approval has no whole-case SLA
    event = AuditEvent.objects.get(case_id=case.pk, action=Action.CASE_IMPORTED)
    assert event.context["source"]["vendor"] == "ACME" and event.context["row"] == 1

    task_complete(task_id=task.pk, decision="approve", actor=demo["fiona"])
    case.refresh_from_db()
    assert case.state == CaseState.APPROVED  # the engine carries on from the stage it resumed at

    queued = Case.objects.get(pk=ids["P-2"])
    (task,) = open_tasks(queued)
    assert task.owner is None and task.owner_permission == "role:finance"

    closed = Case.objects.get(pk=ids["P-3"])
    assert (closed.is_open, closed.outcome, closed.requester) == (False, "approved", demo["bob"])
    assert not SlaClock.objects.filter(case=closed).exists()


def _export_csv():
    version = version_live(key=WORKFLOW)
    return "".join(csv_stream(import_columns(version), case_export_rows(version=version)))


def test_an_export_reimports_as_the_same_cases(demo):
    _import(actor=demo["olivia"])

    text = _export_csv()
    lines = text.splitlines()
    rows = list(csv.DictReader(lines))
    assert rows[0] | {} == {
        "external_id": "P-1",
        "amount": "1200.00",
        "vendor": "ACME",
        "vendor_risk": "low",
        "cost_center": "CC-1",
        "description": "",
        "stage": "approval",
        "owner": "fiona",
        "requested_by": "alice",
        "created_at": timezone.make_aware(datetime(2024, 3, 1)).isoformat(),
        "outcome": "",
        "note": "from the 2024 sheet",
    }
    assert [(r["external_id"], r["stage"], r["owner"], r["outcome"]) for r in rows] == [
        ("P-1", "approval", "fiona", ""),
        ("P-2", "approval", "role:finance", ""),
        ("P-3", "closed", "", "approved"),
    ]

    again = _import(lines, actor=demo["olivia"])
    assert (again["created"], again["skipped"], again["errors"]) == (0, 3, 0)

    Case.objects.all().delete()  # the other installation: the same file makes the same cases
    fresh = _import(lines, actor=demo["olivia"])
    assert (fresh["created"], fresh["errors"]) == (3, 0)
    assert _export_csv() == text


def test_an_ordinary_case_exports_with_an_id_the_import_recognises(demo, start_purchase):
    case = start_purchase()

    lines = _export_csv().splitlines()
    report = _import(lines, actor=demo["olivia"])

    assert report["rows"][0]["external_id"] == f"case-{case.pk}"
    assert (report["rows"][0]["status"], report["rows"][0]["case"]) == ("skipped", case.pk)


def test_only_the_workflows_owners_import(demo):
    with pytest.raises(NotAllowed):
        _import(actor=demo["alice"])
    assert Case.objects.count() == 0


def test_a_file_with_unknown_columns_is_refused_naming_them(demo):
    with pytest.raises(ValidationFailed) as refused:
        _import(["external_id,amount,colour", "P-1,5,red"], actor=demo["olivia"])
    assert "Unknown columns: colour." in refused.value.message


def test_the_command_prints_the_report(demo, tmp_path):
    path = tmp_path / "cases.csv"
    path.write_text("\n".join(MESSY[:4]))
    out = io.StringIO()

    call_command("import_cases", str(path), "--workflow", WORKFLOW, "--dry-run", stdout=out)

    report = json.loads(out.getvalue())
    assert (report["created"], report["errors"]) == (3, 0) and Case.objects.count() == 0
    call_command("import_cases", str(path), "--workflow", WORKFLOW, stdout=io.StringIO())
    assert Case.objects.filter(migrated=True).count() == 3


def test_a_file_that_breaks_halfway_says_where(demo):
    good = "".join(f"E-{i},10,V,CC,nowhere,fiona,alice,,,\n" for i in range(400))
    headers, rows = sheet_rows(io.BytesIO(f"{HEADER}\n{good}".encode() + b"\xff\xfe,1\n"), fmt="csv")

    with pytest.raises(ValidationFailed) as refused:
        cases_import(workflow=WORKFLOW, headers=headers, rows=rows, actor=demo["olivia"], dry_run=True)

    assert "at row 401" in refused.value.message
    assert Case.objects.count() == 0


def test_external_id_is_unique_per_workflow_in_the_database(demo):
    from django.db import IntegrityError, transaction

    _import(MESSY[:3], actor=demo["olivia"])
    first, second = Case.objects.order_by("pk")

    with pytest.raises(IntegrityError), transaction.atomic():
        Case.objects.filter(pk=second.pk).update(external_id=first.external_id)


def test_a_nul_character_is_a_row_error_on_every_database(demo):
    report = _import([HEADER, "P-1,10,ACME,CC-1,approval,fi\x00ona,alice,,,note\x00"], actor=demo["olivia"])

    assert report["rows"][0]["errors"] == {"owner": MSG_NUL, "note": MSG_NUL}
