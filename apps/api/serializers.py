"""How workflows, cases and tasks look in the API. These serializers render every answer and are
what the OpenAPI schema documents, so what is returned and what is documented cannot drift apart
(tests/api/test_responses_match_schema.py holds them to it).

They read only what the selectors already loaded (open tasks, their owners and SLA clocks): a
serializer that queried per row would make every list cost more with its length.
"""

from collections import defaultdict
from dataclasses import asdict

from django.db.models import prefetch_related_objects
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.audit.models import AuditEvent
from apps.audit.words import CONTEXT_KEYS, context_words
from apps.cases.nodes import task_role
from apps.definitions.accessors import spec_of
from apps.sla.selectors_due import task_due_info

from . import task_data

OPEN_STATUSES = {"NEW", "ASSIGNED"}


class IsoDateTimeField(serializers.DateTimeField):
    """A moment as Python's isoformat() writes it ("2026-12-02T08:40:52.123456+00:00"), as the API
    always has: DRF's own field would write "Z" and move it to the server's time zone. A moment
    stored as an ISO string already (an SLA level's) passes unchanged."""

    def to_representation(self, value):
        return value if isinstance(value, str) else value.isoformat()


class TokenOutput(serializers.Serializer):
    token = serializers.CharField(source="key")

    class Meta:
        ref_name = "Token"


class WorkflowOutput(serializers.Serializer):
    """A published workflow a case can be started on, with its live version's fields."""

    key = serializers.CharField(source="definition.key")
    name = serializers.CharField(source="definition.name")
    description = serializers.CharField(
        source="texts.description", help_text="What the workflow is for, as its live version says."
    )
    form_intro = serializers.CharField(
        source="texts.form_intro", help_text="The live version's text shown above the start form (may be empty)."
    )
    version = serializers.IntegerField(source="number")
    # NOTE: not get_fields / fields(): Serializer has a get_fields of its own.
    fields = serializers.SerializerMethodField(method_name="spec_fields")
    reason_codes = serializers.SerializerMethodField(help_text="Each {code, label}: what a decision may cite.")

    class Meta:
        ref_name = "Workflow"

    @extend_schema_field(serializers.ListField(child=serializers.DictField()))
    def spec_fields(self, version) -> list:
        return [f.as_dict() for f in spec_of(version).fields]

    @extend_schema_field(serializers.ListField(child=serializers.DictField()))
    def get_reason_codes(self, version) -> list:
        return [c.as_dict() for c in spec_of(version).reason_codes]


class EscalationOutput(serializers.Serializer):
    action = serializers.CharField(help_text="What happens then: remind, escalate, notify, breach, ...")
    at = IsoDateTimeField()

    class Meta:
        ref_name = "Escalation"


class TaskOutput(serializers.Serializer):
    """How a task looks in the API."""

    id = serializers.IntegerField(source="pk")
    case = serializers.IntegerField(source="process_id")
    name = serializers.SerializerMethodField()
    kind = serializers.SerializerMethodField()
    status = serializers.SerializerMethodField(help_text="open while someone may act on it, else done, canceled, ...")
    assignee = serializers.SerializerMethodField(help_text="Username of the person it is assigned to.")
    role = serializers.SerializerMethodField(help_text="The role whose members may claim it while unassigned.")
    stage = serializers.SerializerMethodField()
    created = IsoDateTimeField()
    due = serializers.SerializerMethodField(help_text="When the task's SLA runs out; null without one.")
    breached = serializers.SerializerMethodField(help_text="Past its due (or was, when it was decided).")
    next_escalation = serializers.SerializerMethodField(help_text="The next SLA level that will fire, if any.")
    why = serializers.SerializerMethodField()
    missing = serializers.SerializerMethodField(help_text="Rework only: the fields to fill in.")
    message = serializers.SerializerMethodField(help_text="Rework only: the approver's note to the requester.")
    step_fields = serializers.SerializerMethodField(
        help_text="Approval only: the fields this step fills in, sent in `data` with the decision (required to approve)."
    )

    _due_of = None

    class Meta:
        ref_name = "Task"

    @extend_schema_field(serializers.CharField())
    def get_name(self, task) -> str:
        return task_data.task_label(task)

    @extend_schema_field(serializers.ChoiceField(task_data.KINDS))
    def get_kind(self, task) -> str:
        return task_data.task_kind(task)

    @extend_schema_field(serializers.CharField())
    def get_status(self, task) -> str:
        status = str(task.status)
        return "open" if status in OPEN_STATUSES else status.lower()

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_step_fields(self, task) -> list:
        return task_data.task_fields(task)

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_assignee(self, task) -> str | None:
        return task.owner.get_username() if task.owner_id else None

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_role(self, task) -> str | None:
        return task_role(task)

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_stage(self, task) -> str | None:
        return task_data.task_stage(task)

    @extend_schema_field(IsoDateTimeField(allow_null=True))
    def get_due(self, task) -> str | None:
        return self._due_info(task)["due"]

    @extend_schema_field(serializers.BooleanField())
    def get_breached(self, task) -> bool:
        return self._due_info(task)["breached"]

    @extend_schema_field(EscalationOutput(allow_null=True))
    def get_next_escalation(self, task) -> dict | None:
        return self._due_info(task)["next_escalation"]

    def _due_info(self, task) -> dict:
        """The SLA facts of the task being rendered, worked out once for its three fields (the
        fields of one task are rendered one after another)."""
        if self._due_of is not task:
            self._due_of, self._due = task, task_due_info(task)
        return self._due

    @extend_schema_field(serializers.CharField())
    def get_why(self, task) -> str:
        return task_data.task_why(task)

    @extend_schema_field(serializers.ListField(child=serializers.CharField(), allow_null=True))
    def get_missing(self, task) -> list | None:
        return task_data.task_missing(task)

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_message(self, task) -> str | None:
        return task_data.task_message(task)


class TaskDecidedOutput(TaskOutput):
    """A task just completed, with its decision and where the case stands after it."""

    decision = serializers.SerializerMethodField()
    case_status = serializers.CharField(source="process.status_label", help_text="open or closed, after the decision.")
    case_outcome = serializers.CharField(source="process.outcome", allow_null=True)
    case_state = serializers.CharField(source="process.state")

    class Meta:
        ref_name = "TaskDecided"

    @extend_schema_field(serializers.CharField())
    def get_decision(self, task) -> str:
        return task_data.task_decision(task)


class ContextChangeOutput(serializers.Serializer):
    field = serializers.CharField(help_text="The field's label in the case's version.")
    before = serializers.CharField(help_text="Its value before, as people read it ('(empty)' for none).")
    after = serializers.CharField(help_text="Its value after.")

    class Meta:
        ref_name = "ContextChange"


class ContextWordOutput(serializers.Serializer):
    """One line of an event's context in business words (apps.audit.words), as the case page shows it."""

    key = serializers.ChoiceField(
        choices=list(CONTEXT_KEYS),
        help_text="What the line is about: on_behalf_of, reason_code, sla_level, due, waited_for, "
        "waiting_since, asked (what the requester was asked), changes (a data correction, see `changes`), "
        "corrected, moved, system, attempts, uncertain, role, person, export.",
    )
    label = serializers.CharField(help_text='The line\'s label, e.g. "On behalf of", "SLA level".')
    text = serializers.CharField(help_text='The words, e.g. "bob", "Over budget (over_budget)".')
    changes = ContextChangeOutput(
        many=True, help_text="For a data correction: each field before and after; else empty."
    )

    class Meta:
        ref_name = "ContextWord"


class HistoryEntryOutput(serializers.Serializer):
    at = IsoDateTimeField()
    actor = serializers.CharField(source="actor_name", help_text="Username, or SYSTEM.")
    action = serializers.CharField()
    step = serializers.CharField()
    reason = serializers.CharField()
    reason_code = serializers.SerializerMethodField(
        help_text="The definition's reason code a decision cited, or empty."
    )
    on_behalf_of = serializers.SerializerMethodField(
        help_text="For a delegate's decision: the absent approver they acted for; else empty."
    )
    comment = serializers.CharField()
    context_words = serializers.SerializerMethodField(
        help_text="The event's context in business words, as the case page's timeline shows it: on behalf of "
        "whom, the reason code's label, the SLA level that fired, what an auto-close waited for, the fields a "
        "repair changed (before/after). Empty when the context holds nothing a person needs."
    )

    class Meta:
        ref_name = "HistoryEntry"

    def get_reason_code(self, event) -> str:
        return (event.context or {}).get("reason_code") or ""

    def get_on_behalf_of(self, event) -> str:
        return (event.context or {}).get("on_behalf_of") or ""

    @extend_schema_field(ContextWordOutput(many=True))
    def get_context_words(self, event) -> list:
        words = context_words(event, spec=getattr(event, "context_spec", None))
        return ContextWordOutput([asdict(w) for w in words], many=True).data


def history_attach(cases):
    """Each case's audit trail as `case.audit_trail`, for CaseOutput: read in one query for all
    of them (the trail keeps plain case ids, so Django cannot prefetch it), with the specs of
    their pinned versions to name the fields and codes of each event's context (one more query,
    none when the cases came with their versions, as a single case does). Returns the cases."""
    by_case = defaultdict(list)
    for event in AuditEvent.objects.filter(case_id__in=[c.pk for c in cases]).order_by("at", "id"):
        by_case[event.case_id].append(event)
    prefetch_related_objects(cases, "version")
    for case in cases:
        case.audit_trail = by_case[case.pk]
        spec = spec_of(case.version)
        for event in case.audit_trail:
            event.context_spec = spec
    return cases


class CaseOutput(serializers.Serializer):
    """How a case looks in the API: of cases loaded by apps.cases.selectors (their open tasks),
    passed through `history_attach` (their audit trail)."""

    id = serializers.IntegerField(source="pk")
    workflow = serializers.CharField(source="workflow_key")
    version = serializers.IntegerField(source="version_number")
    test = serializers.BooleanField(
        source="is_test", help_text="A trial run of a draft from the builder, not real work."
    )
    status = serializers.ChoiceField(["open", "closed"], source="status_label")
    outcome = serializers.CharField(allow_null=True)
    state = serializers.CharField()
    requester = serializers.SerializerMethodField(help_text="Username of who started it.")
    created = IsoDateTimeField()
    closed = IsoDateTimeField(source="finished", allow_null=True)
    closed_reason = serializers.CharField()
    data = serializers.DictField()
    open_tasks = TaskOutput(many=True)
    due = serializers.SerializerMethodField(help_text="The earliest due of its open tasks; null if none.")
    breached = serializers.SerializerMethodField(help_text="One of its open tasks is past its due.")
    route = serializers.DictField(help_text="Why the case is where it is: rules, inputs, outcome.")
    history = HistoryEntryOutput(many=True, source="audit_trail")

    _due_of = None

    class Meta:
        ref_name = "Case"

    @extend_schema_field(serializers.CharField())
    def get_requester(self, case) -> str:
        return case.requester.get_username()

    @extend_schema_field(IsoDateTimeField(allow_null=True))
    def get_due(self, case) -> str | None:
        dues = sorted(info["due"] for info in self._due_infos(case) if info["due"])
        return dues[0] if dues else None

    @extend_schema_field(serializers.BooleanField())
    def get_breached(self, case) -> bool:
        return any(info["breached"] for info in self._due_infos(case))

    def _due_infos(self, case) -> list[dict]:
        """The SLA facts of the case's open tasks, worked out once for its two fields."""
        if self._due_of is not case:
            self._due_of, self._dues = case, [task_due_info(task) for task in case.open_tasks]
        return self._dues
