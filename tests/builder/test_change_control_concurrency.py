"""Two first-ever change requests at once (PostgreSQL): both open, on one built-in workflow."""

from apps.builder.change_control import CHANGE_WORKFLOW, change_request_open
from apps.cases.models import Case
from apps.definitions import governance
from apps.definitions.models import WorkflowDefinition
from apps.definitions.selectors import definition_get, version_live
from apps.definitions.services import draft_create_from
from apps.org import roles
from apps.org.services import person_upsert
from tests.concurrency import POSTGRES_ONLY, run_together

pytestmark = POSTGRES_ONLY

KEYS = ["purchase-approval", "invoice-processing"]


def test_two_first_change_requests_at_once_both_open_on_one_built_in_workflow(demo):
    olivia = demo["olivia"]
    person_upsert(username="wendy", password="demo", roles=[roles.WORKFLOW_OWNERS], email="wendy@example.com")
    for key in KEYS:
        definition = definition_get(key=key)
        governance.definition_owner_add(definition=definition, actor=olivia, username="wendy")
        governance.definition_governance_update(
            definition=definition, actor=olivia, needs_second_approval=True, next_review=None
        )
        draft_create_from(version=version_live(key=key), actor=olivia)
    assert not WorkflowDefinition.objects.filter(key=CHANGE_WORKFLOW).exists()

    results = run_together(
        *(lambda key=key: change_request_open(definition=definition_get(key=key), actor=olivia) for key in KEYS)
    )

    assert not [r for r in results if isinstance(r, Exception)], results
    assert WorkflowDefinition.objects.filter(key=CHANGE_WORKFLOW).count() == 1
    cases = Case.objects.filter(pk__in=[change.case_id for change in results])
    assert {case.version_id for case in cases} == {version_live(key=CHANGE_WORKFLOW).pk}
    assert sorted(case.data["workflow"] for case in cases) == sorted(KEYS)
