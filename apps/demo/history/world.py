"""The demo organisation at work: who acts on a case's open task, and how a case's story is told
one step at a time on the agenda. Every change goes through the real services."""

import logging
import random
from collections import Counter
from collections.abc import Generator

from django.contrib.auth import get_user_model

from apps.cases.models import Case
from apps.cases.nodes import task_role
from apps.cases.policy import OPEN_TASK_STATUSES
from apps.cases.selectors import human_tasks
from apps.cases.services import task_complete
from apps.cases.taskinfo import task_info
from apps.core.errors import ServiceError
from apps.org.selectors import role_members

from .clock import Agenda

logger = logging.getLogger(__name__)

DECISION_WORDS = {"approve": "approvals", "reject": "rejections", "return": "returns"}
# A story yields how many business hours pass before its next step (None: it is over).
Story = Generator[float | None, None, None]


class World:
    def __init__(self, *, agenda: Agenda, seed: int):
        self.agenda = agenda
        self.rng = random.Random(seed)
        self.people = {u.username: u for u in get_user_model().objects.all()}
        self.told = Counter()  # what the stories did, for the command's summary
        self.numbers = Counter()  # running numbers of invoices, POs

    def __getitem__(self, username: str):
        return self.people[username]

    # --- telling stories ----------------------------------------------------------------------

    def tell(self, story: Story) -> None:
        """Run the story's next step now and book the one after; a step the services refuse
        (someone else acted first, the SLA sweep closed the case) ends the story."""
        try:
            pause = next(story)
        except StopIteration:
            return
        except ServiceError as refused:
            logger.info("demo history: a story ended early: %s", refused)
            self.told["stories ended early"] += 1
            return
        if pause is not None:
            self.agenda.after(pause, lambda: self.tell(story))

    def hours(self, low: float, high: float) -> float:
        return round(self.rng.uniform(low, high), 2)

    # --- acting on a case ---------------------------------------------------------------------

    @staticmethod
    def fresh(case: Case) -> Case:
        return Case.objects.get(pk=case.pk)

    @staticmethod
    def open_tasks(case: Case) -> list:
        return list(human_tasks().filter(process_id=case.pk, status__in=OPEN_TASK_STATUSES).order_by("created", "id"))

    def actor_for(self, task, case: Case):
        """Whoever holds the task; for a role queue's task, one of the role's members who is not
        the requester (the four-eyes rule would refuse them)."""
        if task.owner_id:
            return task.owner
        role = task_role(task)
        members = role_members(role=role, exclude_ids=[case.requester_id]) if role else []
        members = sorted(members, key=lambda u: u.username)
        return self.rng.choice(members) if members else None

    def decide(self, case: Case, decision: str, *, label: str = "", reason_code: str = "", reason: str = "") -> bool:
        """Decide one open approval task of the case (the one labelled `label` if open); False when
        there was none left to decide."""
        tasks = [t for t in self.open_tasks(case) if not task_info(t).is_rework]
        if label:
            tasks = [t for t in tasks if task_info(t).label == label] or tasks
        if not tasks:
            return False
        task = tasks[0]
        actor = self.actor_for(task, case)
        if actor is None:
            return False
        task_complete(task_id=task.pk, actor=actor, decision=decision, reason=reason, reason_code=reason_code or None)
        self.told[DECISION_WORDS[decision]] += 1
        return True

    def resubmit(self, case: Case, *, data: dict, comment: str = "") -> bool:
        """The requester sends a returned case back, with what was asked for."""
        tasks = [t for t in self.open_tasks(case) if task_info(t).is_rework]
        if not tasks:
            return False
        task_complete(task_id=tasks[0].pk, actor=tasks[0].owner, decision="submit", data=data, comment=comment)
        self.told["resubmissions"] += 1
        return True
