"""Export a definition, import it on a clean database: identical spec and hash; imports are drafts."""

import json

import pytest
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command
from django.db import transaction
from hypothesis import given, settings
from hypothesis import strategies as st

from apps.audit.models import Action, AuditEvent
from apps.core.errors import Conflict, NotAllowed, ValidationFailed
from apps.definitions.importexport import (
    MAX_LENGTHS,
    MSG_BAD_DESCRIPTION,
    MSG_BAD_KEY,
    MSG_BAD_NAME,
    MSG_BAD_NUMBER,
    MSG_HASH_MISMATCH,
    MSG_INVALID_IMPORT,
    definition_export,
    definition_import,
)
from apps.definitions.models import DefinitionVersion, WorkflowDefinition
from apps.definitions.selectors import version_live
from apps.definitions.services import draft_row_save, spec_hash, version_publish
from apps.definitions.spec import validate_spec
from apps.org import roles
from apps.org.services import person_upsert


class _Rollback(Exception):
    pass


def test_round_trip_onto_a_clean_database(db, tmp_path, django_user_model):
    """Build and export inside a transaction that is then rolled back: the import meets an empty database."""
    path = tmp_path / "purchase.json"
    try:
        with transaction.atomic():
            from apps.demo.management.commands.seed_demo import seed_demo_data

            seed_demo_data()
            olivia = django_user_model.objects.get(username="olivia")
            from apps.definitions.services import draft_create_from

            draft = draft_create_from(version=version_live(key="purchase-approval"), actor=olivia)
            draft = draft_row_save(
                version=draft,
                section="clauses",
                parent="approver:approval:finance",
                index=0,
                values={"field": "amount", "op": ">=", "value": "500"},
                actor=olivia,
            )
            v2 = version_publish(version=draft, actor=olivia)
            source_hash, source_spec = v2.content_hash, v2.spec
            call_command("export_workflow", "purchase-approval", output=str(path))
            raise _Rollback
    except _Rollback:
        pass
    assert not WorkflowDefinition.objects.exists() and not django_user_model.objects.exists()
    exported = json.loads(path.read_text())
    assert [v["number"] for v in exported["versions"]] == [1, 2]

    for name in roles.ALL_ROLES:
        Group.objects.get_or_create(name=name)
    owner = person_upsert(
        username="olivia",
        password="x",
        first_name="O",
        last_name="O",
        email="o@example.com",
        department=None,
        manager=None,
        title="",
        roles=[roles.WORKFLOW_OWNERS],
        is_superuser=False,
    )
    person_upsert(
        username="carol",
        password="x",
        first_name="C",
        last_name="C",
        email="c@example.com",
        department=None,
        manager=None,
        title="",
        roles=[],
        is_superuser=False,
    )
    call_command("import_workflow", str(path), user="olivia")
    draft = DefinitionVersion.objects.get(definition__key="purchase-approval")
    assert draft.status == "draft" and draft.spec == source_spec and spec_hash(draft.spec) == source_hash
    assert draft.change_note == "Imported from purchase-approval version 2"
    published = version_publish(version=draft, actor=owner)
    assert published.number == 1 and published.content_hash == source_hash
    assert AuditEvent.objects.filter(action=Action.DEFINITION_IMPORTED, actor=owner).count() == 1


def test_import_never_overwrites_a_published_version(demo):
    olivia = demo["olivia"]
    v1 = version_live(key="purchase-approval")
    payload = definition_export(definition=v1.definition, actor=olivia, version=1)
    draft = definition_import(payload=payload, actor=olivia)
    assert draft.definition_id == v1.definition_id and draft.status == "draft" and draft.pk != v1.pk
    assert DefinitionVersion.objects.get(pk=v1.pk).spec == v1.spec
    with pytest.raises(Conflict):
        definition_import(payload=payload, actor=olivia)


def test_a_changed_file_or_a_stranger_is_refused(demo):
    live = version_live(key="purchase-approval")
    payload = definition_export(definition=live.definition, actor=demo["olivia"])
    payload["versions"][0]["spec"]["stages"][0]["policy"] = "any"
    with pytest.raises(ValidationFailed) as refused:
        definition_import(payload=payload, actor=demo["olivia"])
    assert refused.value.message == MSG_HASH_MISMATCH.format(number=1)
    with pytest.raises(NotAllowed):
        definition_import(payload=definition_export(definition=live.definition, actor=None), actor=demo["bob"])
    with pytest.raises(NotAllowed):
        definition_export(definition=live.definition, actor=demo["bob"])


def test_the_command_refuses_what_is_not_an_export(demo, tmp_path):
    path = tmp_path / "other.json"
    path.write_text('{"hello": 1}')
    with pytest.raises(CommandError, match="not a WMS workflow export"):
        call_command("import_workflow", str(path))
    with pytest.raises(CommandError, match="No active user 'nobody'"):
        call_command("import_workflow", str(path), user="nobody")


def test_api_export_and_import(client, demo):
    client.force_login(demo["olivia"])
    exported = client.get("/api/v1/definitions/purchase-approval/export/?version=1")
    assert (
        exported.status_code == 200
        and exported.json()["versions"][0]["content_hash"] == version_live(key="purchase-approval").content_hash
    )
    payload = exported.json()
    payload["key"], payload["name"] = "purchase-copy", "Purchase copy"
    created = client.post("/api/v1/definitions/import/", payload, content_type="application/json")
    assert created.status_code == 201, created.json()
    assert created.json()["spec_hash"] == payload["versions"][0]["content_hash"]
    client.force_login(demo["bob"])
    assert client.get("/api/v1/definitions/purchase-approval/export/").status_code == 403
    refused = client.post("/api/v1/definitions/import/", payload, content_type="application/json")
    assert refused.status_code == 403 and refused.json()["detail"].startswith("Only workflow owners")
    assert client.get("/api/v1/definitions/nope/export/").status_code in (403, 404)


# Bad input is refused naming the field, never a 500, and never a draft the builder cannot show.


def _export(demo, **changes):
    payload = definition_export(
        definition=version_live(key="purchase-approval").definition, actor=demo["olivia"], version=1
    )
    payload.update({"key": "purchase-copy", "name": "Purchase copy"}, **changes)
    return payload


def _broken_spec(payload, **spec_changes):
    entry = payload["versions"][0]
    entry["spec"] = {**entry["spec"], **spec_changes}
    entry.pop("content_hash")
    return payload


BAD_HEADERS = [
    ({"key": "has spaces!"}, "key", MSG_BAD_KEY),
    ({"key": "k" * 300}, "key", MSG_BAD_KEY),
    ({"key": 42}, "key", MSG_BAD_KEY),
    ({"name": "n" * 10_000}, "name", MSG_BAD_NAME),
    ({"name": ""}, "name", MSG_BAD_NAME),
    ({"description": ["not", "text"]}, "description", MSG_BAD_DESCRIPTION),
    ({"name": "Nul\u0000name"}, "name", MSG_BAD_NAME),
]


@pytest.mark.parametrize(("change", "field", "message"), BAD_HEADERS)
def test_a_bad_key_name_or_description_is_refused_naming_the_field(demo, change, field, message):
    with pytest.raises(ValidationFailed) as refused:
        definition_import(payload=_export(demo, **change), actor=demo["olivia"])
    assert refused.value.field_errors == {field: [message.format(max=MAX_LENGTHS.get(field))]}
    assert not WorkflowDefinition.objects.filter(key="purchase-copy").exists()


def test_a_spec_that_would_not_publish_is_not_imported(demo):
    payload = _broken_spec(_export(demo), fields="oops")
    with pytest.raises(ValidationFailed) as refused:
        definition_import(payload=payload, actor=demo["olivia"])
    assert "Add at least one field." in refused.value.field_errors["spec"]
    assert refused.value.message == MSG_INVALID_IMPORT.format(
        version="version 1", count=len(refused.value.field_errors["spec"])
    )
    assert not WorkflowDefinition.objects.filter(key="purchase-copy").exists()


def _stage_changed(payload, **changes):
    spec = payload["versions"][0]["spec"]
    stage = {**spec["stages"][0], **changes}
    return _broken_spec(payload, stages=[stage, *spec["stages"][1:]])


@pytest.mark.parametrize(
    "broken",
    [
        lambda p: _stage_changed(p, when={"field": ["amount"], "op": ">", "value": 1}),
        lambda p: _stage_changed(p, approvers=[{"key": {"a": 1}, "type": "manager"}]),
        lambda p: _stage_changed(p, approvers=[{"key": "m", "type": "manager", "when": {"field": {}, "op": "="}}]),
        lambda p: _broken_spec(p, reason_codes=[{"code": ["x"], "label": "X"}]),
    ],
    ids=["condition-field-a-list", "approver-key-an-object", "approver-condition-field-an-object", "code-a-list"],
)
def test_a_spec_with_a_list_or_object_where_a_name_goes_is_a_400_not_a_500(client, demo, broken):
    """A name the validator looks up in a set or dict, given as a list or an object, raised
    TypeError (unhashable): a 500 from the import instead of the spec's problems."""
    client.force_login(demo["olivia"])
    response = client.post("/api/v1/definitions/import/", broken(_export(demo)), content_type="application/json")
    assert response.status_code == 400, response.content[:300]
    assert response.json()["errors"]["spec"]
    assert not WorkflowDefinition.objects.filter(key="purchase-copy").exists()


def test_a_version_number_that_is_not_a_number_is_refused(demo):
    payload = _export(demo)
    payload["versions"][0]["number"] = {"deep": ["x"]}
    with pytest.raises(ValidationFailed) as refused:
        definition_import(payload=payload, actor=demo["olivia"])
    assert refused.value.field_errors == {"versions": [MSG_BAD_NUMBER]}


def test_the_api_refuses_bad_imports_with_400_naming_the_field(client, demo):
    client.force_login(demo["olivia"])
    for change, field, _ in BAD_HEADERS[:4]:
        response = client.post("/api/v1/definitions/import/", _export(demo, **change), content_type="application/json")
        assert response.status_code == 400, (change, response.content[:300])
        assert list(response.json()["errors"]) == [field]
    response = client.post(
        "/api/v1/definitions/import/", _broken_spec(_export(demo), fields="oops"), content_type="application/json"
    )
    assert response.status_code == 400 and "Add at least one field." in response.json()["errors"]["spec"]
    assert not WorkflowDefinition.objects.filter(key="purchase-copy").exists()


def test_the_builder_import_page_shows_the_refusal(client, demo):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(demo["olivia"])
    for payload, words in [
        (_export(demo, key="k" * 300), MSG_BAD_KEY.format(max=100)),
        (_broken_spec(_export(demo), fields="oops"), "Add at least one field."),
        ("[" * 1000 + "]" * 1000, "nested more than"),
    ]:
        text = payload if isinstance(payload, str) else json.dumps(payload)
        upload = SimpleUploadedFile("export.json", text.encode(), content_type="application/json")
        response = client.post("/builder/import/", {"file": upload})
        assert response.status_code == 400, response.content[:300]
        assert words in response.content.decode()
    assert not WorkflowDefinition.objects.filter(key="purchase-copy").exists()


def test_the_command_refuses_a_bad_import_with_the_reason(demo, tmp_path):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(_export(demo, name="n" * 10_000)))
    with pytest.raises(CommandError, match="name"):
        call_command("import_workflow", str(path), user="olivia")
    path.write_text(json.dumps(_broken_spec(_export(demo), fields="oops")))
    with pytest.raises(CommandError, match="problem"):
        call_command("import_workflow", str(path), user="olivia")
    path.write_text("[" * 1000 + "]" * 1000)
    with pytest.raises(CommandError, match="nested more than"):
        call_command("import_workflow", str(path), user="olivia")


def test_creating_a_definition_with_a_bad_key_is_a_refusal_naming_the_field(demo):
    from apps.definitions.services import definition_create

    with pytest.raises(ValidationFailed) as refused:
        definition_create(key="k" * 300, name="n" * 300, actor=demo["olivia"])
    assert set(refused.value.field_errors) == {"key", "name"}


_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False),
    st.text(max_size=4),
    st.sampled_from(["amount", "approval", "role", "all", "n_of_m", "decimal", "choice", "http", "wait", ">="]),
)
_KEYS = st.sampled_from(
    ["fields", "stages", "name", "type", "key", "approvers", "policy", "n", "when", "role", "choices", "min"]
    + ["max", "default", "required_before", "sla", "reason_codes", "code", "label", "on_missing_required"]
    + ["field", "op", "value", "all", "any", "request", "url", "method", "body", "retry", "calendar"]
)
_SPECS = st.dictionaries(
    _KEYS,
    st.recursive(_SCALARS, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_KEYS, inner, max_size=6)),
    max_size=6,
)


@settings(max_examples=300, deadline=None)
@given(_SPECS)
def test_the_validator_import_relies_on_answers_every_json_shape(spec):
    """Import runs the publish validator on whatever a file holds: it must answer with problems,
    never raise ({"stages": null} and "fields" as an object raised TypeError)."""
    assert isinstance(validate_spec(spec), list)


def test_a_ui_step_survives_export_and_import_whole(demo):
    """The invoice template's UI step (script, guard, selectors) comes back as it left."""
    olivia = demo["olivia"]
    live = version_live(key="invoice-processing")
    payload = json.loads(json.dumps(definition_export(definition=live.definition, actor=olivia, version=live.number)))
    draft = definition_import(payload=payload, actor=olivia)
    step = next(s for s in draft.spec["stages"] if s["key"] == "enter_order")
    assert step == next(s for s in live.spec["stages"] if s["key"] == "enter_order")
    assert step["type"] == "ui" and step["guard"]["found"] and len(step["script"]) == 9
    assert validate_spec(draft.spec) == []
