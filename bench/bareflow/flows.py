"""The baseline: the purchase case's shape in plain viewflow 2.4.

    start -> split -> manager_approval (assigned) -> join -> end
                   -> finance_approval (claimed)  ->

viewflow's own Process and Task models, the same lock as CaseFlow, and nothing else: no routing,
no audit trail, no history rows, no policy checks beyond viewflow's own.
"""

from django.contrib.auth import get_user_model
from viewflow import this
from viewflow.workflow import flow, lock

User = get_user_model()


class BareFlow(flow.Flow):
    """Bare purchase

    Baseline flow for the engine benchmark.
    """

    lock_impl = lock.SelectForUpdateLock(nowait=False)

    start = flow.StartHandle(this.start_process).Next(this.split)
    split = flow.Split().Next(this.manager_approval).Next(this.finance_approval)
    manager_approval = flow.View(None).Annotation(title="Manager approval").Assign(this.manager_of).Next(this.join)
    finance_approval = flow.View(None).Annotation(title="Finance approval").Next(this.join)
    join = flow.Join().Next(this.end)
    end = flow.End()

    def start_process(self, activation, *, data, manager):
        activation.process.data = {**data, "manager_id": manager.pk}
        return activation.process

    def manager_of(self, activation):
        return User(pk=activation.process.data["manager_id"])
