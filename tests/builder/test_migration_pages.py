"""The builder's "Migrate cases" page: upload, map other header names, preview a dry run, import."""

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from apps.cases.models import Case

HX = {"HTTP_HX_REQUEST": "true"}
KEY = "purchase-approval"
# A sheet with its own header names: "Ref" and "Supplier" are mapped onto external_id and vendor.
SHEET = (
    "Ref,amount,Supplier,cost_center,stage,owner,requested_by,created_at,Comments\n"
    "S-1,100,ACME,CC-1,approval,fiona,alice,2024-02-01,\n"
    "S-2,100,ACME,CC-1,approval,nobody,alice,2024-02-01,\n"
)


def _upload(client, text=SHEET, name="old.csv"):
    return client.post(
        reverse("builder:migrate-upload", args=[KEY]), {"file": SimpleUploadedFile(name, text.encode())}, **HX
    )


def _mapping(response):
    return {h: t for h, t in response.context["mapping"]}


def test_an_owner_maps_previews_and_imports(signed_in):
    client = signed_in("olivia")
    page = client.get(reverse("builder:migrate", args=[KEY]))
    assert page.status_code == 200 and b"Upload and map columns" in page.content

    mapped = _upload(client)
    assert mapped.status_code == 200
    assert _mapping(mapped) == {
        "Ref": "",
        "amount": "amount",
        "Supplier": "",
        "cost_center": "cost_center",
        "stage": "stage",
        "owner": "owner",
        "requested_by": "requested_by",
        "created_at": "created_at",
        "Comments": "",
    }
    token = mapped.context["token"]
    choice = {
        "token": token,
        "map-0": "external_id",
        "map-1": "amount",
        "map-2": "vendor",
        "map-3": "cost_center",
        "map-4": "stage",
        "map-5": "owner",
        "map-6": "requested_by",
        "map-7": "created_at",
        "map-8": "note",
    }

    preview = client.post(reverse("builder:migrate-run", args=[KEY]), {**choice, "action": "preview"}, **HX)
    assert preview.status_code == 200
    assert b"will be created" in preview.content and b"There is no active user &#x27;nobody&#x27;." in preview.content
    assert b"Dry run: 1 would be created, 0 skipped" in preview.content  # the message after the action
    assert b"Import 1 case" in preview.content
    assert Case.objects.count() == 0

    done = client.post(reverse("builder:migrate-run", args=[KEY]), {**choice, "action": "import"}, **HX)
    assert done.status_code == 200 and b"Imported 1 cases; 0 skipped" in done.content
    case = Case.objects.get(external_id="S-1")
    assert case.data["vendor"] == "ACME" and case.migrated

    gone = client.post(reverse("builder:migrate-run", args=[KEY]), {**choice, "action": "import"}, **HX)
    assert gone.status_code == 400 and b"no longer here" in gone.content  # the upload was used up

    shown = client.get(reverse("inbox:case", args=[case.pk]))
    assert b">migrated</span>" in shown.content and b"S-1" in shown.content


def test_a_wrong_file_is_named_on_the_page(signed_in):
    client = signed_in("olivia")
    assert _upload(client, name="old.pdf").status_code == 400
    response = client.post(reverse("builder:migrate-upload", args=[KEY]), {}, **HX)
    assert response.status_code == 400 and b"Choose the spreadsheet" in response.content


def test_the_export_link_downloads_the_cases(signed_in):
    client = signed_in("olivia")
    response = client.get(reverse("builder:migrate-export", args=[KEY, "csv"]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"external_id,amount,vendor")


def test_non_owners_get_403(signed_in):
    client = signed_in("alice")
    assert client.get(reverse("builder:migrate", args=[KEY])).status_code == 403
    assert _upload(client).status_code == 403
    assert client.get(reverse("builder:migrate-export", args=[KEY, "csv"])).status_code == 403
