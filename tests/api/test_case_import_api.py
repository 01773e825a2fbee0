"""POST /api/v1/cases/import/ and GET /api/v1/cases/export/: the migration endpoints as a
workflow owner uses them, and their refusals (400 naming the problem, 403 for non-owners)."""

import io

from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook, load_workbook

from apps.cases.models import Case

IMPORT, EXPORT = "/api/v1/cases/import/", "/api/v1/cases/export/"
CSV = (
    "external_id,amount,vendor,cost_center,stage,owner,requested_by,created_at,outcome,note\n"
    "P-1,1200,ACME,CC-1,approval,fiona,alice,2024-03-01,,\n"
    "P-2,=1+1,Globex,CC-2,approval,fiona,alice,2024-03-01,,\n"
    "P-3,50,=HYPERLINK(1),CC-3,closed,,bob,2024-01-15T08:00,rejected,old\n"
)


def _file(text=CSV, name="cases.csv"):
    return SimpleUploadedFile(name, text.encode(), content_type="text/csv")


def _post(client, query="?workflow=purchase-approval", **data):
    return client.post(IMPORT + query, data, format="multipart")


def test_an_owner_previews_then_imports_a_csv(api):
    olivia = api("olivia")

    preview = _post(olivia, "?workflow=purchase-approval&dry_run=true", file=_file())

    assert preview.status_code == 200, preview.content
    body = preview.json()
    assert (body["created"], body["skipped"], body["errors"]) == (2, 0, 1)
    assert body["rows"][1] == {
        "row": 2,
        "external_id": "P-2",
        "status": "error",
        "case": None,
        "errors": {"amount": "Enter a number."},
    }
    assert Case.objects.count() == 0

    done = _post(olivia, file=_file()).json()
    assert [r["status"] for r in done["rows"]] == ["created", "error", "created"]
    assert Case.objects.filter(migrated=True).count() == 2
    again = _post(olivia, file=_file()).json()
    assert (again["created"], again["skipped"]) == (0, 2)


def test_the_export_is_formula_safe_and_an_xlsx_round_trips(api):
    olivia = api("olivia")
    _post(olivia, file=_file())

    exported = olivia.get(EXPORT, {"workflow": "purchase-approval", "format": "csv"})
    assert exported.status_code == 200 and exported["Content-Type"].startswith("text/csv")
    text = b"".join(exported.streaming_content).decode()
    assert "'=HYPERLINK(1)" in text and ",=HYPERLINK" not in text

    xlsx = olivia.get(EXPORT, {"workflow": "purchase-approval", "format": "xlsx"})
    assert xlsx.status_code == 200
    content = b"".join(xlsx.streaming_content)
    sheet = load_workbook(io.BytesIO(content)).active
    assert [c.value for c in sheet[1]][:2] == ["external_id", "amount"]
    Case.objects.all().delete()
    upload = SimpleUploadedFile("cases.xlsx", content)
    report = _post(olivia, file=upload).json()
    assert (report["created"], report["errors"]) == (2, 0), report
    assert Case.objects.get(external_id="P-3").data["vendor"] == "=HYPERLINK(1)"


def test_an_xlsx_file_is_read(api):
    workbook = Workbook()
    workbook.active.append(["external_id", "amount", "vendor", "cost_center", "stage", "owner", "requested_by"])
    workbook.active.append(["X-1", 99.5, "ACME", "CC-1", "approval", "role:finance", "alice"])
    buffer = io.BytesIO()
    workbook.save(buffer)

    report = _post(api("olivia"), file=SimpleUploadedFile("m.xlsx", buffer.getvalue())).json()

    assert report["rows"][0]["status"] == "created", report
    assert Case.objects.get(external_id="X-1").data["amount"] == "99.50"


def test_refusals_name_the_problem(api):
    olivia = api("olivia")

    missing = _post(olivia)
    assert missing.status_code == 400 and "file" in missing.json()["errors"]
    unknown = _post(olivia, "?workflow=no-such-flow", file=_file())
    assert unknown.status_code == 400 and "no-such-flow" in unknown.json()["errors"]["workflow"][0]
    nameless = _post(olivia, "", file=_file())
    assert nameless.status_code == 400 and "workflow" in nameless.json()["errors"]
    wrong = _post(olivia, file=_file("a,b\n1,2\n", name="cases.txt"))
    assert wrong.status_code == 400 and "cases.txt" in wrong.json()["detail"]
    columns = _post(olivia, file=_file("external_id,colour\nP-1,red\n"))
    assert columns.status_code == 400 and "colour" in columns.json()["detail"]
    bad_format = olivia.get(EXPORT, {"workflow": "purchase-approval", "format": "pdf"})
    assert bad_format.status_code == 400 and "pdf" in bad_format.json()["detail"]


def test_non_owners_are_refused(api):
    assert _post(api("alice"), file=_file()).status_code == 403
    assert api("alice").get(EXPORT, {"workflow": "purchase-approval"}).status_code == 403
    assert _post(api(), file=_file()).status_code == 401
    assert Case.objects.count() == 0
