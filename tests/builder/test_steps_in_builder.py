"""Automated steps in the builder: every page renders for a definition that has them; the owner
sees them in the stage list and adds or changes an HTTP step, with mistakes shown at the field."""

import pytest

from apps.definitions.formvalues import MSG_UNKNOWN_FIELD
from apps.definitions.models import DefinitionVersion
from apps.definitions.selectors import version_live
from apps.definitions.services import draft_create_from
from apps.definitions.spec import validate_spec
from apps.definitions.step_editing import MSG_HEADER_LINE, MSG_IS_STEP, MSG_JSON
from tests.definitions.test_steps_review import FIELDS, STAGES

KEY = "invoice-check"
HX = {"HTTP_HX_REQUEST": "true"}
PAGES = [
    "/builder/",
    f"/builder/{KEY}/",
    f"/builder/{KEY}/draft/",
    f"/builder/{KEY}/draft/?edit=steps&index=0",
    f"/builder/{KEY}/draft/?edit=steps&index=new&type=wait",
    f"/builder/{KEY}/draft/?edit=stages&index=1",
    f"/builder/{KEY}/draft/rows/steps/?index=0",
    f"/builder/{KEY}/draft/rows/steps/?index=2",
    f"/builder/{KEY}/draft/rows/steps/?index=new&type=http",
    f"/builder/{KEY}/tester/",
    f"/builder/{KEY}/tester/?run=1&amount=700",
    f"/builder/{KEY}/impact/",
    f"/builder/{KEY}/diff/",
    f"/builder/{KEY}/diff/?from=1&to=draft",
    f"/builder/{KEY}/versions/1/",
    f"/builder/{KEY}/versions/draft/",
    f"/builder/{KEY}/versions/1/bpmn/",
    f"/builder/{KEY}/versions/1/sop/",
    f"/builder/{KEY}/versions/1/sop.md",
    f"/builder/{KEY}/export/",
    "/builder/import/",
]
NEW_STEP = {
    "index": "new",
    "type": "http",
    "key": "archive",
    "name": "Archive the invoice",
    "system": "DMS",
    "method": "PUT",
    "url": "{{endpoint.DMS}}/api/invoices/{{case.id}}",
    "headers": "Authorization: Bearer {{secret.DMS_TOKEN}}\nAccept: application/json",
    "body": '{"amount": "{{field.amount}}"}',
    "response_map": "erp_id = document.id",
    "timeout_seconds": "20",
    "attempts": "5",
    "undo_method": "DELETE",
    "undo_url": "{{endpoint.DMS}}/api/invoices/{{case.id}}",
    "on_failure": "exception_queue",
}


@pytest.fixture
def steps_draft(publish, demo):
    publish(KEY, STAGES, FIELDS)
    return draft_create_from(version=version_live(key=KEY), actor=demo["olivia"])


def spec_of(draft):
    return DefinitionVersion.objects.get(pk=draft.pk).spec


def test_every_builder_page_answers_for_the_owner(signed_in, steps_draft):
    client = signed_in("olivia")
    for url in PAGES:
        response = client.get(url)
        assert response.status_code == 200, (url, response.content[:800])


def test_the_stage_list_shows_the_steps(signed_in, steps_draft):
    page = signed_in("olivia").get(f"/builder/{KEY}/draft/").content.decode()
    assert "HTTP step</span>" in page and "Wait</span>" in page
    assert "calls ERP: POST {{endpoint.ERP}}/invoices" in page
    assert "waits for Customer portal, up to 72 h" in page
    assert "Approvers of “Approval”" in page and "Approvers of “Validate in ERP”" not in page
    assert "+ Add an HTTP step" in page and "/draft/rows/steps/?index=0" in page
    version = signed_in("olivia").get(f"/builder/{KEY}/versions/1/").content.decode()
    assert "calls ERP (POST {{endpoint.ERP}}/invoices)" in version and "Customer portal" in version


def test_the_step_form_holds_the_step(signed_in, steps_draft):
    form = signed_in("olivia").get(f"/builder/{KEY}/draft/rows/steps/?index=0", **HX).content.decode()
    assert form.startswith('<tr id="row-steps--0" class="editing">')
    assert 'value="{{endpoint.ERP}}/invoices"' in form and "Authorization: Bearer {{secret.ERP_TOKEN}}" in form
    assert "erp_id = data.id" in form and 'name="undo_url"' in form


def test_add_an_http_step(signed_in, steps_draft):
    response = signed_in("olivia").post(f"/builder/{KEY}/draft/rows/steps/", NEW_STEP, **HX)
    assert response.status_code == 200 and response["HX-Retarget"] == "#editor"
    step = spec_of(steps_draft)["stages"][-1]
    assert step == {
        "key": "archive",
        "name": "Archive the invoice",
        "type": "http",
        "system": "DMS",
        "request": {
            "method": "PUT",
            "url": "{{endpoint.DMS}}/api/invoices/{{case.id}}",
            "headers": {"Authorization": "Bearer {{secret.DMS_TOKEN}}", "Accept": "application/json"},
            "body": {"amount": "{{field.amount}}"},
        },
        "timeout_seconds": 20,
        "retry": {"attempts": 5},
        "response": {"map": {"erp_id": "document.id"}},
        "undo": {"method": "DELETE", "url": "{{endpoint.DMS}}/api/invoices/{{case.id}}"},
        "on_failure": "exception_queue",
    }
    assert validate_spec(spec_of(steps_draft)) == []


def test_add_a_wait(signed_in, steps_draft):
    data = {
        "index": "new",
        "type": "wait",
        "key": "signed",
        "name": "Signed",
        "system": "DocuSign",
        "timeout_hours": "48",
    }
    signed_in("olivia").post(f"/builder/{KEY}/draft/rows/steps/", data, **HX)
    assert spec_of(steps_draft)["stages"][-1] == {
        "key": "signed",
        "name": "Signed",
        "type": "wait",
        "system": "DocuSign",
        "timeout_hours": 48,
    }


def test_changing_a_step_keeps_its_condition_and_retry_policy(signed_in, steps_draft):
    client = signed_in("olivia")
    form = {**NEW_STEP, "index": "0", "key": "erp", "name": "Validate in ERP", "system": "ERP", "headers": ""}
    form.update(url="{{endpoint.ERP}}/v2/invoices", response_map="", undo_url="", attempts="3")
    client.post(f"/builder/{KEY}/draft/rows/steps/", form, **HX)
    step = spec_of(steps_draft)["stages"][0]
    assert step["request"]["url"] == "{{endpoint.ERP}}/v2/invoices" and "undo" not in step
    assert step["when"] == {"field": "amount", "op": ">=", "value": 100}
    assert step["retry"] == {"attempts": 3, "backoff_seconds": 10, "max_backoff_seconds": 600}
    diff = client.get(f"/builder/{KEY}/diff/?from=1&to=draft").content.decode()
    assert "{{endpoint.ERP}}/v2/invoices" in diff and "URL" in diff


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"url": "ftp://dms.example/x"}, "url", "the URL must start with http://, https:// or {{endpoint.NAME}}."),
        ({"url": "https://dms/{{field.nope}}"}, "url", "unknown field &#x27;nope&#x27; in {{field.nope}}."),
        ({"headers": "Authorization: Bearer abc123"}, "headers", "put credentials in the environment"),
        ({"headers": "no colon here"}, "headers", MSG_HEADER_LINE.format(line=1)),
        ({"body": "{amount: 1"}, "body", MSG_JSON.split(":")[0]),
        ({"response_map": "nope = data.id"}, "response_map", MSG_UNKNOWN_FIELD.format(field="nope")),
        ({"attempts": "50"}, "attempts", "Enter a whole number from 1 to 20."),
        ({"system": ""}, "system", "Name the system it talks to"),
    ],
)
def test_mistakes_come_back_at_the_field(signed_in, steps_draft, change, field, message):
    before = spec_of(steps_draft)
    response = signed_in("olivia").post(f"/builder/{KEY}/draft/rows/steps/", {**NEW_STEP, **change}, **HX)
    page = response.content.decode()
    assert response["HX-Retarget"] == "#row-steps--new" and page.startswith('<tr id="row-steps--new" class="editing">')
    block = page[page.index(f'name="{field}"') :]
    block = block[: block.index("</div>")]
    assert 'class="error"' in block and message.replace("'", "&#x27;") in block, block
    assert spec_of(steps_draft) == before


def test_the_stage_form_does_not_turn_a_step_into_a_stage(signed_in, steps_draft):
    before = spec_of(steps_draft)
    data = {"index": "0", "key": "erp", "name": "ERP", "policy": "all"}
    response = signed_in("olivia").post(f"/builder/{KEY}/draft/rows/stages/", data, **HX)
    assert MSG_IS_STEP in response.content.decode() and spec_of(steps_draft) == before


def test_steps_move_and_go_with_the_stages(signed_in, steps_draft):
    client = signed_in("olivia")
    client.post(f"/builder/{KEY}/draft/rows/stages/move/", {"index": "0", "direction": "down"}, **HX)
    assert [s["key"] for s in spec_of(steps_draft)["stages"]] == ["approval", "erp", "portal"]
    client.post(f"/builder/{KEY}/draft/rows/stages/remove/", {"index": "2"}, **HX)
    assert [s["key"] for s in spec_of(steps_draft)["stages"]] == ["approval", "erp"]
