from apps.cases.models import Case
from apps.cases.services import task_complete
from tests.conftest import task_for


def test_purchase_with_finance_approved_end_to_end(start_purchase, users):
    case = start_purchase(amount="5000")
    task_complete(task_id=task_for(case, "Manager approval").pk, actor=users["bob"], decision="approve")
    task_complete(task_id=task_for(case, "Finance approval").pk, actor=users["fiona"], decision="approve")
    case = Case.objects.get(pk=case.pk)
    assert (case.status_label, case.outcome) == ("closed", "approved")
