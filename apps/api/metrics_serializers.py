"""How the Metrics API answers (GET /api/v1/metrics/): the only description of its shape, so the
OpenAPI schema and the answers cannot drift apart. README "Metrics" defines each number."""

from rest_framework import serializers


def _hours(help_text: str) -> serializers.FloatField:
    return serializers.FloatField(allow_null=True, help_text=help_text + " Null when there is nothing to measure.")


class WipOutput(serializers.Serializer):
    open = serializers.IntegerField(help_text="Cases open now (the date range does not apply).")
    by_stage = serializers.DictField(
        child=serializers.IntegerField(),
        help_text="Open cases by where they are: an approval stage's key, or rework / waiting / exception / routing.",
    )

    class Meta:
        ref_name = "MetricsWip"


class CycleTimeOutput(serializers.Serializer):
    p50 = _hours("Median hours from start to close (wall clock) of the cases closed in the range.")
    p90 = _hours("90th percentile of the same.")
    count = serializers.IntegerField(help_text="Cases closed in the range.")

    class Meta:
        ref_name = "MetricsCycleTime"


class LatencyOutput(serializers.Serializer):
    p50 = _hours("Median hours from an approval task's creation to its decision.")
    p90 = _hours("90th percentile of the same.")

    class Meta:
        ref_name = "MetricsLatency"


class SlaOutput(serializers.Serializer):
    met = serializers.IntegerField(help_text="SLA clocks that stopped in the range without a breach.")
    breached = serializers.IntegerField(help_text="SLA clocks that breached in the range.")

    class Meta:
        ref_name = "MetricsSla"


class PendingApprovalOutput(serializers.Serializer):
    owner = serializers.CharField(allow_null=True, help_text="Username holding the tasks (null: a role's queue).")
    role = serializers.CharField(allow_null=True, help_text="The role whose queue holds the tasks (null: a person).")
    count = serializers.IntegerField()
    oldest_hours = serializers.FloatField(help_text="Hours since the oldest of these tasks was created.")

    class Meta:
        ref_name = "MetricsPendingApproval"


class ExceptionCountOutput(serializers.Serializer):
    category = serializers.CharField(help_text="The failure's category (e.g. timeout, rejected, server_error).")
    count = serializers.IntegerField(help_text="Step failures in the range that reached the exception queue.")

    class Meta:
        ref_name = "MetricsExceptionCount"


class ScopeOutput(serializers.Serializer):
    sees = serializers.ChoiceField(
        ["all", "workflows", "reports"],
        help_text="all: every workflow; workflows: the ones you own; reports: only the approvals pending "
        "with the people who report to you.",
    )
    workflows = serializers.ListField(
        child=serializers.CharField(), allow_null=True, help_text="The workflows counted whole (null: all)."
    )

    class Meta:
        ref_name = "MetricsScope"


class FilterOutput(serializers.Serializer):
    workflow = serializers.CharField(allow_null=True)
    version = serializers.IntegerField(allow_null=True)
    date_from = serializers.DateField(allow_null=True)
    date_to = serializers.DateField(allow_null=True)
    team = serializers.IntegerField(allow_null=True, help_text="The department's id (null: every team).")
    role = serializers.CharField(allow_null=True, help_text="The role's key (null: any role).")

    class Meta:
        ref_name = "MetricsFilter"

    def get_fields(self):
        fields = super().get_fields()
        # "from" is a Python keyword: the answer names the range as the query does.
        fields["from"], fields["to"] = fields.pop("date_from"), fields.pop("date_to")
        fields["from"].source, fields["to"].source = "date_from", "date_to"
        return fields


class MetricsOutput(serializers.Serializer):
    """The numbers of the workflows the caller may see (test cases never counted)."""

    scope = ScopeOutput()
    filter = FilterOutput()
    wip = WipOutput()
    cycle_time_hours = CycleTimeOutput()
    approval_latency_hours = serializers.DictField(
        child=LatencyOutput(), help_text="Per approval stage key: approvals decided in the range."
    )
    started = serializers.IntegerField(help_text="Cases started in the range.")
    closed = serializers.IntegerField(help_text="Cases closed in the range.")
    exception_rate = serializers.FloatField(
        allow_null=True,
        help_text="Of the cases started in the range, the share with an automated step that reached the "
        "exception queue (0 to 1; null when none started).",
    )
    rework_rate = serializers.FloatField(
        allow_null=True,
        help_text="Of the cases closed in the range, the share returned to the requester at least once "
        "(0 to 1; null when none closed).",
    )
    sla = SlaOutput()
    pending_approvals = PendingApprovalOutput(many=True, help_text="Approval tasks open now, by holder.")
    exceptions = ExceptionCountOutput(many=True)
    outcomes = serializers.DictField(
        child=serializers.IntegerField(), help_text="Cases closed in the range, by outcome."
    )

    class Meta:
        ref_name = "Metrics"
