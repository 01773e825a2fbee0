"""A version's texts (description, text above the start form) are versioned with its rules."""

import copy

import pytest

from apps.core.errors import Conflict, ValidationFailed
from apps.definitions.diff import spec_diff
from apps.definitions.importexport import definition_export, definition_import
from apps.definitions.library import PURCHASE_APPROVAL
from apps.definitions.models import DefinitionVersion
from apps.definitions.selectors import version_live
from apps.definitions.services import (
    definition_create,
    draft_create_from,
    draft_row_save,
    draft_texts_update,
    draft_update,
    version_publish,
)
from apps.definitions.sop import sop_build, sop_markdown
from apps.definitions.spec import validate_spec
from apps.definitions.texts import MSG_TEXT_LONG, MSG_TEXT_TYPE, numbers_in, stale_numbers, texts_set

FINANCE_RULE = "approver:approval:finance"


def _spec(**texts):
    return {**copy.deepcopy(PURCHASE_APPROVAL["spec"]), **texts}


# The validator.


def test_the_demo_texts_are_valid_and_texts_may_be_left_out():
    assert validate_spec(_spec()) == []
    spec = _spec()
    del spec["description"], spec["form_intro"]
    assert validate_spec(spec) == []


@pytest.mark.parametrize(
    ("texts", "problem"),
    [
        ({"description": 42}, "Description: must be text."),
        ({"form_intro": ["a", "b"]}, "Text above the start form: must be text."),
        ({"description": "x" * 2001}, "Description: at most 2,000 characters, please (this has 2,001)."),
        ({"form_intro": "a\x00b"}, "Text above the start form: must not contain NUL characters."),
    ],
)
def test_a_bad_text_is_named_in_the_problems(texts, problem):
    assert validate_spec(_spec(**texts)) == [problem]


def test_the_texts_form_names_each_bad_text_at_its_field():
    with pytest.raises(ValidationFailed) as refused:
        texts_set(_spec(), values={"description": "y" * 2001, "form_intro": 7})
    assert refused.value.field_errors == {
        "description": [MSG_TEXT_LONG.format(limit=2000, length=2001)],
        "form_intro": [MSG_TEXT_TYPE],
    }


def test_the_texts_form_trims_and_keeps_line_breaks():
    spec = texts_set(_spec(), values={"description": "  One.\r\nTwo.  ", "form_intro": ""})
    assert (spec["description"], spec["form_intro"]) == ("One.\nTwo.", "")


# Versioned with the rules.


def _raise_finance_to_5000(draft, olivia):
    draft = draft_row_save(
        version=draft,
        section="clauses",
        parent=FINANCE_RULE,
        index=0,
        values={"field": "amount", "op": ">=", "value": "5000"},
        actor=olivia,
    )
    return draft_texts_update(
        version=draft,
        description="Purchases of 5,000 or more also need finance.",
        form_intro="From 5,000 finance approves too.",
        actor=olivia,
    )


def test_a_new_version_has_its_own_texts_and_the_old_one_keeps_its_words(demo, draft_of_purchase):
    olivia = demo["olivia"]
    v1 = version_live(key="purchase-approval")
    v2 = version_publish(version=_raise_finance_to_5000(draft_of_purchase, olivia), actor=olivia)

    v1 = DefinitionVersion.objects.get(pk=v1.pk)
    assert "1,000" in v1.texts.description and "1,000" in v1.texts.form_intro
    assert v2.texts.description == "Purchases of 5,000 or more also need finance."
    assert v2.texts.form_intro == "From 5,000 finance approves too."
    # The texts are part of what the content hash proves.
    assert v1.content_hash != v2.content_hash


def test_texts_of_a_published_version_cannot_change(demo):
    v1 = version_live(key="purchase-approval")
    with pytest.raises(Conflict, match="Only a draft can be changed; version 1 is published."):
        draft_texts_update(version=v1, description="Changed", form_intro="", actor=demo["olivia"])
    assert "1,000" in DefinitionVersion.objects.get(pk=v1.pk).texts.description


def test_a_version_from_before_versioned_texts_reads_the_definitions_description(demo):
    """Published versions are frozen and hashed, so they are not rewritten: they fall back."""
    olivia = demo["olivia"]
    spec = _spec()
    del spec["description"], spec["form_intro"]
    draft = definition_create(key="old", name="Old", description="What it was for.", spec=spec, actor=olivia)
    draft = draft_update(version=draft, spec=spec, actor=olivia)  # as the spec was stored before
    version = DefinitionVersion.objects.get(pk=draft.pk)
    assert "description" not in version.spec
    assert (version.texts.description, version.texts.own, version.texts.form_intro) == ("What it was for.", False, "")

    # Published from now on, a version carries the text itself, so later edits of the
    # definition leave it alone; so does the next draft.
    v1 = version_publish(version=version, actor=olivia)
    assert v1.spec["description"] == "What it was for." and v1.texts.own
    v1.definition.description = "Something else"
    v1.definition.save()
    assert DefinitionVersion.objects.get(pk=v1.pk).texts.description == "What it was for."
    assert draft_create_from(version=v1, actor=olivia).texts.description == "What it was for."


def test_the_texts_travel_with_an_exported_version(demo):
    olivia = demo["olivia"]
    payload = definition_export(definition=version_live(key="purchase-approval").definition, actor=olivia)
    payload = {**payload, "key": "purchase-copy"}
    draft = definition_import(payload=payload, actor=olivia)
    assert draft.texts.form_intro == PURCHASE_APPROVAL["spec"]["form_intro"]

    entry = {**payload["versions"][0], "content_hash": ""}
    entry["spec"] = {**entry["spec"], "form_intro": 5}
    with pytest.raises(ValidationFailed) as refused:
        definition_import(payload={**payload, "key": "bad-copy", "versions": [entry]}, actor=olivia)
    assert refused.value.field_errors["spec"] == ["Text above the start form: must be text."]


# The SOP and the diff.


def test_the_sop_of_each_version_uses_that_versions_texts(demo, draft_of_purchase):
    olivia = demo["olivia"]
    v1 = version_live(key="purchase-approval")
    v2 = version_publish(version=_raise_finance_to_5000(draft_of_purchase, olivia), actor=olivia)

    assert "purchases of 1,000 or more" in sop_build(version=v1)["purpose"]
    assert sop_build(version=v2)["purpose"] == "Purchases of 5,000 or more also need finance."
    markdown = sop_markdown(version=v2)
    assert "## Purpose\n\nPurchases of 5,000 or more also need finance.\n" in markdown
    assert "The start form says:\n\n> From 5,000 finance approves too.\n" in markdown
    assert "1,000" not in markdown


def test_a_text_starting_like_markdown_stays_text_in_the_sop(demo):
    draft = draft_create_from(version=version_live(key="purchase-approval"), actor=demo["olivia"])
    draft = draft_texts_update(
        version=draft, description="# Not a heading", form_intro="- not\n1. a list", actor=demo["olivia"]
    )
    markdown = sop_markdown(version=draft)
    assert "\\# Not a heading" in markdown and "> \\- not\n>\n> 1\\. a list" in markdown


def test_the_diff_shows_text_changes():
    old = _spec()
    new = _spec(form_intro="From 5,000 finance approves too.")
    texts = next(s for s in spec_diff(old, new) if s["title"] == "Texts")
    assert [(c["name"], c["rows"][0]["new"]) for c in texts["changes"]] == [
        ("Text above the start form", "From 5,000 finance approves too.")
    ]
    assert "1,000" in texts["changes"][0]["rows"][0]["old"]
    assert next(s for s in spec_diff(old, old) if s["title"] == "Texts")["changes"] == []


# The builder's warning: texts that still quote a number the rules no longer use.


def test_numbers_in_a_text():
    assert numbers_in("Purchases of 1,000 or more, from 12.5 hours") == {1000, 12.5}
    assert numbers_in("v2 of CC-1 on 2026-12-02") == set()


def test_a_text_that_quotes_the_old_threshold_is_warned_about(demo, draft_of_purchase):
    olivia = demo["olivia"]
    live = version_live(key="purchase-approval")
    draft = draft_row_save(
        version=draft_of_purchase,
        section="clauses",
        parent=FINANCE_RULE,
        index=0,
        values={"field": "amount", "op": ">=", "value": "5000"},
        actor=olivia,
    )
    warnings = stale_numbers(draft.spec, live.spec, texts=draft.texts)
    assert warnings == [
        "The texts mention 1,000, which the live version's rules use and this draft's rules no longer do"
        " (they now use 5,000). Check the description and the text above the start form."
    ]
    draft = _raise_finance_to_5000(draft, olivia)
    assert stale_numbers(draft.spec, live.spec, texts=draft.texts) == []
    # Nothing to compare with before the first version.
    assert stale_numbers(draft.spec, None, texts=draft.texts) == []
