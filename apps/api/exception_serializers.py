"""How the exception queue looks in the API, and what its repair actions accept."""

from django.utils import timezone
from drf_spectacular.extensions import OpenApiSerializerExtension
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.automation.exception_selectors import QUEUE_STATUSES
from apps.automation.models import ExceptionCategory, StepKind, StepStatus

MSG_UNKNOWN_FIELD = "Unknown field."
MSG_NOT_A_STRING = "Not a valid string."


# --- input -----------------------------------------------------------------------------------------


class StrictCharField(serializers.CharField):
    """A string, and only a string: DRF's CharField would take 5 or 1.5 and turn it into one."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictInput(serializers.Serializer):
    """Rejects keys it does not know, so a misspelt `reasn` is a 400 and not silently ignored."""

    def to_internal_value(self, data):
        unknown = (
            {key: [MSG_UNKNOWN_FIELD] for key in sorted(set(data) - set(self.fields))} if hasattr(data, "keys") else {}
        )
        try:
            value = super().to_internal_value(data)
        except serializers.ValidationError as invalid:
            raise serializers.ValidationError({**invalid.detail, **unknown}) from None
        if unknown:
            raise serializers.ValidationError(unknown)
        return value


class QueueFilter(serializers.Serializer):
    status = serializers.ChoiceField(
        list(QUEUE_STATUSES),
        required=False,
        default="exception",
        help_text="exception: waiting for an operator; retrying: between automatic attempts; all-open: both, "
        "and the steps queued, running or waiting for a callback.",
    )
    category = serializers.ChoiceField(ExceptionCategory.choices, required=False, allow_blank=True, default="")
    workflow = serializers.CharField(required=False, default="", max_length=100, help_text="A workflow key.")
    assigned_to = serializers.CharField(
        required=False, default="", max_length=150, help_text="Username of the person the step is routed to."
    )

    class Meta:
        ref_name = "ExceptionQueueFilter"


class RetryInput(StrictInput):
    data = serializers.DictField(
        required=False,
        default=dict,
        help_text="Corrected case field values. Any change makes it a new request: the step's revision and "
        "Idempotency-Key go up.",
    )
    note = StrictCharField(required=False, allow_blank=True, default="", max_length=2000)

    class Meta:
        ref_name = "StepRetry"


class SkipInput(StrictInput):
    reason = StrictCharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=2000,
        help_text="Required: why the case goes on without it.",
    )

    class Meta:
        ref_name = "StepSkip"


class AssignInput(StrictInput):
    username = StrictCharField(max_length=150, help_text="An active user other than the case's requester.")
    note = StrictCharField(required=False, allow_blank=True, default="", max_length=2000)

    class Meta:
        ref_name = "StepAssign"


class RetryVersionInput(StrictInput):
    version = serializers.IntegerField(
        min_value=1,
        help_text="The published version whose script the UI step runs from now on: the workflow's latest, "
        "when it has a UI step with this key (the step's `ui.repair_version`). The case stays on its version.",
    )
    note = StrictCharField(required=False, allow_blank=True, default="", max_length=2000)

    class Meta:
        ref_name = "StepRetryVersion"


class CancelInput(StrictInput):
    reason = StrictCharField(
        required=False, allow_blank=True, default="", max_length=2000, help_text="Required: why the case is given up."
    )
    uncertain = serializers.ChoiceField(
        choices=["undo", "none"],
        required=False,
        allow_blank=True,
        default="",
        help_text=(
            "Required when a call of the case timed out (it may have taken effect): "
            '"undo" sends its undo call, "none" confirms it did not take effect.'
        ),
    )

    class Meta:
        ref_name = "StepCancelCase"


class StrictInputSchema(OpenApiSerializerExtension):
    """In the schema, a StrictInput takes no properties but its own (additionalProperties: false)."""

    target_class = StrictInput
    match_subclasses = True

    def map_serializer(self, auto_schema, direction):
        return {**auto_schema._map_basic_serializer(self.target, direction), "additionalProperties": False}


# --- output ----------------------------------------------------------------------------------------


class StepCaseOutput(serializers.Serializer):
    id = serializers.IntegerField()
    workflow = serializers.CharField(source="workflow_key")
    version = serializers.IntegerField(source="version_number")
    state = serializers.CharField()

    class Meta:
        ref_name = "StepRunCase"


class StepRunOutput(serializers.Serializer):
    id = serializers.IntegerField()
    case = StepCaseOutput()
    step_key = serializers.CharField()
    step_name = serializers.CharField()
    system = serializers.CharField()
    # NOTE: plain strings, not ChoiceFields: their enums would collide in the schema with the
    # task's `kind` and the delivery's `status` (drf-spectacular names enums by field name).
    kind = serializers.CharField(help_text=", ".join(StepKind.values))
    status = serializers.CharField(help_text=", ".join(StepStatus.values))
    category = serializers.CharField(help_text=", ".join(ExceptionCategory.values) + "; empty while nothing failed.")
    category_label = serializers.CharField(source="get_category_display")
    attempts = serializers.IntegerField(help_text="Attempts of the current revision.")
    revision = serializers.IntegerField(help_text="Goes up when an operator corrects the data.")
    idempotency_key = serializers.CharField()
    last_error = serializers.CharField()
    assigned_to = serializers.CharField(source="assigned_to.username", allow_null=True, default=None)
    failed_at = serializers.DateTimeField(allow_null=True, help_text="When it entered the exception queue.")
    age_seconds = serializers.SerializerMethodField(
        help_text="Seconds since it entered the exception queue (since it started, if it never failed)."
    )

    class Meta:
        ref_name = "StepRun"

    def get_age_seconds(self, run) -> int:
        now = self.context.get("now") or timezone.now()
        return max(0, int((now - (run.failed_at or run.created)).total_seconds()))


class StepAttemptOutput(serializers.Serializer):
    number = serializers.IntegerField()
    revision = serializers.IntegerField()
    started = serializers.DateTimeField()
    duration_ms = serializers.IntegerField(allow_null=True)
    status_code = serializers.IntegerField(allow_null=True)
    outcome = serializers.CharField(help_text="succeeded, retry, failed, lost or late.")
    category = serializers.CharField()
    error = serializers.CharField()
    request = serializers.JSONField(help_text="As sent, secrets replaced by ***.")
    response = serializers.JSONField()

    class Meta:
        ref_name = "StepAttempt"


class StepUiOutput(serializers.Serializer):
    """What the exception page shows of a UI step's last attempt (apps.automation ui_page_facts)."""

    screenshot = serializers.IntegerField(
        source="screenshot.attachment",
        allow_null=True,
        default=None,
        help_text="The case attachment of the last screenshot (GET /attachments/<id>/ in the portal).",
    )
    url = serializers.CharField(help_text="The page's address at the last attempt, secrets replaced by ***.")
    title = serializers.CharField()
    unguarded = serializers.BooleanField(
        help_text="The step has no guard: a retry after a crash may enter the work twice."
    )
    script_version = serializers.IntegerField(help_text="The version whose script the step runs.")
    repair_version = serializers.IntegerField(
        allow_null=True,
        help_text="A later published version whose script the step may be retried with "
        "(POST .../retry-version/); null when there is none or you may not repair the step.",
    )

    class Meta:
        ref_name = "StepUi"


class StepRunDetailOutput(StepRunOutput):
    last_request = serializers.JSONField(help_text="As sent, secrets replaced by ***.")
    last_response = serializers.JSONField()
    resolution = serializers.CharField(help_text="What an operator did, and why.")
    attempts_log = StepAttemptOutput(many=True)
    ui = serializers.SerializerMethodField(help_text="A UI step's page and scripts; null for other steps.")

    class Meta:
        ref_name = "StepRunDetail"

    @extend_schema_field(StepUiOutput(allow_null=True))
    def get_ui(self, run) -> dict | None:
        facts = self.context.get("ui")
        return None if facts is None else StepUiOutput(facts).data
