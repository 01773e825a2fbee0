"""Export a definition, import it on a clean database: identical spec and hash; imports are drafts."""

import json

import pytest
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command
from django.db import transaction

from apps.audit.models import Action, AuditEvent
from apps.core.errors import Conflict, NotAllowed, ValidationFailed
from apps.definitions.importexport import MSG_HASH_MISMATCH, definition_export, definition_import
from apps.definitions.models import DefinitionVersion, WorkflowDefinition
from apps.definitions.selectors import version_live
from apps.definitions.services import draft_row_save, spec_hash, version_publish
from apps.org import roles
from apps.org.services import person_upsert


class _Rollback(Exception):
    pass


def test_round_trip_onto_a_clean_database(db, tmp_path, django_user_model):
    """Build and export inside a transaction that is then rolled back: the import meets an empty database."""
    path = tmp_path / "purchase.json"
    try:
        with transaction.atomic():
            from apps.org.management.commands.seed_demo import seed_demo_data

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
