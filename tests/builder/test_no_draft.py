"""The builder's Draft tab after a publish (issue 12): it was a 404; it offers to start a draft
from the live version."""

from apps.definitions.models import DefinitionVersion


def test_the_draft_tab_without_a_draft_offers_one_from_the_live_version(signed_in, demo):
    olivia = signed_in("olivia")
    assert not DefinitionVersion.objects.filter(definition__key="purchase-approval", status="draft").exists()

    page = olivia.get("/builder/purchase-approval/draft/")

    assert page.status_code == 200
    body = page.content.decode()
    assert (
        "Start a draft from version 1" in body and 'action="/builder/purchase-approval/versions/1/new-draft/"' in body
    )
    started = olivia.post("/builder/purchase-approval/versions/1/new-draft/")
    assert started.status_code == 302 and started["Location"].endswith("/builder/purchase-approval/draft/")
    assert "Start a draft" not in olivia.get("/builder/purchase-approval/draft/").content.decode()


def test_someone_who_cannot_edit_still_gets_403(signed_in, demo):
    assert signed_in("alice").get("/builder/purchase-approval/draft/").status_code == 403
