"""The procedure where the work happens: a version's SOP for whoever may start the workflow or
see one of its cases (without opening the builder), and the people who answer for the workflow,
for the start form, the task page and the case page."""

from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse

from apps.cases.policy import version_sop_can_view
from apps.core.errors import NotAllowed
from apps.definitions.selectors import definition_get, definition_owners, version_get
from apps.definitions.sop import sop_build, sop_markdown
from apps.portal.errors import portal_errors

MSG_SOP_HIDDEN = (
    "This procedure belongs to a version you have no case of; the live version's procedure is on its start form."
)


def workflow_card(*, key: str, number: int | None, subject: str) -> dict:
    """What the pages show about the workflow: its owners (with an e-mail to reach them) and the
    link to the SOP of version `number` (a test case on a draft: the builder's page of the draft,
    which only its owners open)."""
    if number:
        sop_url = reverse("inbox:sop", kwargs={"key": key, "number": number})
    else:
        sop_url = reverse("builder:sop", kwargs={"key": key, "ref": "draft"})
    return {
        "label": f"version {number}" if number else "the draft",
        "sop_url": sop_url,
        "owners": definition_owners(key=key),
        "subject": subject,
    }


def _sop_version(request, key: str, number: int):
    version = version_get(definition=definition_get(key=key), ref=number)
    if not version_sop_can_view(user=request.user, version=version):
        raise NotAllowed(MSG_SOP_HIDDEN)
    return version


@portal_errors
def workflow_sop(request, key, number):
    version = _sop_version(request, key, number)
    card = workflow_card(key=key, number=version.number, subject=f"{version.definition.name}, version {version.number}")
    return render(
        request, "inbox/sop.html", {"sop": sop_build(version=version), "version": version, "card": card, "on_sop": True}
    )


@portal_errors
def workflow_sop_markdown(request, key, number):
    version = _sop_version(request, key, number)
    response = HttpResponse(sop_markdown(version=version), content_type="text/markdown; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{key}-v{number}-sop.md"'
    return response
