"""Custom viewflow nodes, built on viewflow's own extension points (subclassed activations).

- `StartCase`: viewflow's StartHandle that does not lock the row it has just inserted.
- `Route`: a Switch that first runs our routing decision, then dispatches on the case state;
  its task is never stored (the decision is audited as "case.routed").
- `ApprovalSplit`: a Split whose branch is instantiated once per item of a data source
  (viewflow 2.4 documents `data_source` but does not implement it).
- `ApprovalJoin`: a Join that reports the tasks it cancels (viewflow emits no signal for them).
- `HumanTask`: a View whose queue is a role (group) rather than a Django permission.
- `AutomatedStep`: a Handle (a task completed from outside the flow, here by a django-q2 worker
  or an inbound callback) that tells the flow when it is created, so the step can be queued.
"""

from django.db import transaction
from django.utils.timezone import now
from viewflow import this
from viewflow.workflow import flow
from viewflow.workflow.activation import Activation
from viewflow.workflow.exceptions import FlowRuntimeError
from viewflow.workflow.nodes.handle import HandleActivation
from viewflow.workflow.nodes.join import JoinActivation
from viewflow.workflow.nodes.split import SplitActivation
from viewflow.workflow.nodes.start import StartHandleActivation
from viewflow.workflow.nodes.switch import SwitchActivation
from viewflow.workflow.nodes.view import ViewActivation
from viewflow.workflow.signals import flow_started, task_started
from viewflow.workflow.status import STATUS
from viewflow.workflow.token import Token

from apps.org.selectors import user_has_role

from .locking import holding

ROLE_PREFIX = "role:"


class StartCaseActivation(StartHandleActivation):
    @Activation.status.transition(source=STATUS.NEW)
    def execute(self):
        """viewflow's start, but the new case's row is not locked with a SELECT ... FOR UPDATE:
        this transaction has just inserted it, so no other can see it (`locking.holding`)."""
        task_started.send(sender=self.flow_class, process=self.process, task=self.task)
        with transaction.atomic():
            self.process.save()
            with holding(self.process.pk), self.flow_class.lock(self.process.pk):
                self.complete()
                flow_started.send(sender=self.flow_class, process=self.process, task=self.task)
                self.activate_next()


class StartCase(flow.StartHandle):
    """A case started from code (`case_start`): viewflow's StartHandle without the lock query."""

    activation_class = StartCaseActivation


class RouteActivation(SwitchActivation):
    """The route is a decision, not work: its task is never stored.

    viewflow stores a task row for every node a case passes (an INSERT, a link to the previous
    task, an UPDATE when it completes); for the route, visited at start and after every stage,
    that was 6 of a purchase case's statements and told nobody anything the audit row
    "case.routed" does not. The task lives in memory while the route decides; the node it picks
    is created as the successor of the task that led into the route.
    """

    @classmethod
    def create(cls, flow_task, prev_activation, token, data=None, seed=None):
        task = flow_task.flow_class.task_class(process=prev_activation.process, flow_task=flow_task, token=token)
        task.data = data if data is not None else {}
        activation = cls(task)
        activation.prev_activation = prev_activation
        return activation

    # An unsaved task has no primary key to compare or hash by: the activation is itself.
    def __eq__(self, other):
        return self is other

    def __hash__(self):
        return id(self)

    @Activation.status.transition(source=STATUS.NEW, target=STATUS.DONE)
    def complete(self):
        self.task.finished = now()

    @Activation.status.super()
    def create_next(self):
        yield self.next_task._create(self.prev_activation, self.task.token)

    @Activation.status.super()
    def activate(self):
        # NOTE: no exception guard or savepoint (viewflow's Switch has both): every caller of
        # this flow propagates errors and rolls the whole transaction back. Revisit if the
        # flow gains background (job/timer) nodes that must park a failed route in ERROR.
        self.flow_task._decide(self)
        for node, cond in self.flow_task._branches:
            if cond is None or cond(self):
                self.next_task = node
                break
        if self.next_task is None:
            raise FlowRuntimeError(f"No next task available for {self.flow_task.name}")


class Route(flow.Switch):
    activation_class = RouteActivation

    def __init__(self, decide, **kwargs):
        super().__init__(**kwargs)
        self._decide = decide

    def _resolve(self, instance):
        super()._resolve(instance)
        self._decide = this.resolve(instance, self._decide)


class ApprovalSplitActivation(SplitActivation):
    @Activation.status.super()
    def activate(self):
        for node, cond, data_source in self.flow_task._branches:
            if cond and not cond(self):
                continue
            items = data_source(self) if data_source else [None]
            self.next_tasks.extend((node, item) for item in items)
        if not self.next_tasks:
            raise FlowRuntimeError(f"No approver for {self.flow_task.name}")

    @Activation.status.super()
    def create_next(self):
        """viewflow's Split.create_next (this split has no Join among its branches), then the
        node's `on_created(activation, tasks)` once every branch task exists."""
        token_source = Token.split_token_source(self.task.token, self.task.pk)
        created = []
        for next_task, data in self.next_tasks:
            activation = next_task._create(prev_activation=self, token=next(token_source), data=data)
            created.append(activation.task)
            yield activation
        if self.flow_task._on_created is not None:
            self.flow_task._on_created(self, created)


class ApprovalSplit(flow.Split):
    """One branch task per item returned by `data_source(activation)`, with `task.data` = item;
    `on_created(activation, tasks)` is called once all of them exist."""

    activation_class = ApprovalSplitActivation

    def __init__(self, on_created=None, **kwargs):
        super().__init__(**kwargs)
        self._on_created = on_created

    def _resolve(self, instance):
        super()._resolve(instance)
        self._on_created = this.resolve(instance, self._on_created)

    def Next(self, node, case=None, data_source=None):
        self._activate_next.append((node, case, data_source))
        return self


class ApprovalJoinActivation(JoinActivation):
    @classmethod
    def create(cls, flow_task, prev_activation, token, data=None, seed=None):
        """viewflow's Join.create, but reusing the in-memory case of the arriving branch.

        viewflow re-reads the process (and coerces it to the case, a second query) for every
        branch that reaches an existing join; the arriving activation already holds it.
        """
        task_class = flow_task.flow_class.task_class
        tasks = list(
            task_class._default_manager.filter(
                flow_task=flow_task, process=prev_activation.process, status__in=[STATUS.NEW, STATUS.STARTED]
            )[:2]
        )
        if len(tasks) > 1:
            raise FlowRuntimeError("More than one join instance for process found")
        if tasks:
            task = tasks[0]
        else:
            if token.is_split_token():
                token = token.get_base_split_token()
            task = task_class(process=prev_activation.process, flow_task=flow_task, token=token)
            task.data = data if data is not None else {}
            task.seed = seed
            task.save()
        task.process = prev_activation.process
        task.previous.add(prev_activation.task)
        return cls(task)

    def arrived_tasks(self) -> list:
        """The branch tasks that reached this join: the decided approvals of the round.

        NOTE: viewflow asks for them up to three times while completing one join; they
        cannot change in between (the flow lock is held), so they are read once.
        """
        if not hasattr(self, "_arrived"):
            self._arrived = list(self.task.previous.exclude(status__in=[STATUS.CANCELED, STATUS.REVIVED]))
        return self._arrived

    def _join_token_prefixes(self):
        return {prev.token.get_common_split_prefix(self.task.token, prev.pk) for prev in self.arrived_tasks()}

    def cancel_active_tasks(self, active_tasks):
        tasks = list(active_tasks)
        super().cancel_active_tasks(tasks)
        if self.flow_task._on_cancel is not None:
            self.flow_task._on_cancel(self, tasks)


class ApprovalJoin(flow.Join):
    activation_class = ApprovalJoinActivation

    def __init__(self, on_cancel=None, **kwargs):
        super().__init__(**kwargs)
        self._on_cancel = on_cancel

    def _resolve(self, instance):
        super()._resolve(instance)
        self._on_cancel = this.resolve(instance, self._on_cancel)


def task_role(task) -> str | None:
    """The role whose members may claim an unassigned task."""
    permission = task.owner_permission or ""
    return permission[len(ROLE_PREFIX) :] if permission.startswith(ROLE_PREFIX) else None


class HumanTaskActivation(ViewActivation):
    @Activation.status.transition(source=STATUS.NEW, target=STATUS.ASSIGNED)
    def assign(self, user, *, save: bool = True):
        """viewflow's assign; `save` False when the same transaction completes the task next
        (claimed as it is decided): its completion writes the owner too, one UPDATE instead of two."""
        self.task.owner = user
        if save:
            self.task.save()


class HumanTask(flow.View):
    """A person's task: assigned to a user, or queued for a role until a member claims it."""

    activation_class = HumanTaskActivation

    def __init__(self, **kwargs):
        super().__init__(view=None, **kwargs)

    def can_assign(self, user, task):
        if task.owner_id or user is None or not user.is_authenticated:
            return False
        role = task_role(task)
        return role is not None and user_has_role(user=user, role=role)

    def can_execute(self, user, task):
        return user is not None and task.owner_id is not None and task.owner_id == user.pk


class AutomatedStepActivation(HandleActivation):
    @Activation.status.super()
    def activate(self):
        """Stay NEW (waiting on the other system) and let the flow queue the work."""
        self.flow_task._on_create(self)


class AutomatedStep(flow.Handle):
    """A step another system completes: the task stays open until a worker or a callback
    finishes it (`activation.run(None)` then `activation.execute()` under the flow lock)."""

    activation_class = AutomatedStepActivation
    bpmn_element = "serviceTask"

    def __init__(self, on_create, **kwargs):
        super().__init__(**kwargs)
        self._on_create = on_create

    def _resolve(self, instance):
        super()._resolve(instance)
        self._on_create = this.resolve(instance, self._on_create)
