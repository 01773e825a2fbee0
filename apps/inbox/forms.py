"""The inbox's own forms (decision, attachments, comments, audit search, absence). The forms
other pages share, and the case data form generated from a version's field specs, live in
apps.portal.forms."""

from django import forms
from django.utils import timezone

from apps.cases.models import Outcome
from apps.portal.forms import ServiceErrorsForm, field_for, submitted_values


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class AttachmentsForm(forms.Form):
    attachments = forms.FileField(
        required=False,
        widget=MultipleFileInput(),
        help_text="PDF, images, text, CSV, Word or Excel; at most 10 MB each.",
    )


class DecisionForm(ServiceErrorsForm):
    reason_code = forms.ChoiceField(required=False, label="Reason")
    reason = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 2}), label="Explain (required to reject or return)"
    )
    comment = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}), label="Comment")

    def __init__(self, *args, reason_codes: list[dict], step_fields=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason_code"].choices = [("", "—")] + [(c["code"], c["label"]) for c in reason_codes]
        # What this step fills in (the workflow's "fields" of the approver), above the reason.
        self.step_specs = {spec.name: spec for spec in step_fields}
        for spec in reversed(step_fields):
            field = field_for(spec)
            field.label = f"{field.label} (required to approve)"
            self.fields = {spec.name: field, **self.fields}

    def step_values(self) -> dict:
        """The step fields as submitted, raw, for the service to check."""
        return submitted_values(self, self.step_specs)


class ReassignForm(ServiceErrorsForm):
    prefix = "reassign"  # the task page's decision form has a "reason" too
    to = forms.CharField(
        max_length=160,
        label="Give it to",
        help_text="A username, or role:<key> to put it back in a role's queue (e.g. role:finance).",
    )
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), max_length=2000, label="Why")


class CommentForm(forms.Form):
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 2, "placeholder": "Add a comment"}), label="")


class CaseSearchForm(forms.Form):
    q = forms.CharField(
        required=False,
        max_length=200,
        label="Text",
        widget=forms.TextInput(attrs={"placeholder": "#42, vendor, description, requester"}),
    )
    workflow = forms.ChoiceField(required=False)
    status = forms.ChoiceField(required=False, choices=[("", "Any"), ("open", "Open"), ("closed", "Closed")])
    # Every outcome a case can end with (issue 12: cancelled and failed were missing).
    outcome = forms.ChoiceField(required=False, choices=[("", "Any"), *Outcome.choices])
    requester = forms.CharField(required=False, max_length=150)
    date_from = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}), label="From")
    date_to = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}), label="To")
    # Test cases (tried from the builder) are not real work: left out unless asked for.
    tests = forms.ChoiceField(
        required=False, label="Test cases", choices=[("", "Leave out"), ("include", "Include"), ("only", "Only")]
    )

    def __init__(self, *args, workflows: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["workflow"].choices = [("", "Any")] + [(w, w) for w in workflows]


class AbsenceForm(ServiceErrorsForm):
    starts = forms.DateTimeField(widget=forms.DateTimeInput(attrs={"type": "datetime-local"}), label="From")
    ends = forms.DateTimeField(widget=forms.DateTimeInput(attrs={"type": "datetime-local"}), label="Until")
    delegate = forms.ModelChoiceField(queryset=None, label="Delegate", help_text="Acts for you while you are away.")
    note = forms.CharField(required=False, max_length=200)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        from django.contrib.auth import get_user_model

        self.fields["delegate"].queryset = (
            get_user_model().objects.filter(is_active=True).exclude(pk=user.pk).order_by("username")
        )
        # NOTE: the times typed here are wall-clock times in the person's zone (the active one).
        zone = timezone.get_current_timezone_name()
        for name in ("starts", "ends"):
            self.fields[name].label = f"{self.fields[name].label} ({zone})"


MSG_RANGE_ORDER = "The end of the range comes before its start."
MSG_NOT_AFTER_TODAY = "Choose a day up to today."


def _date_input(label: str) -> forms.DateField:
    return forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}), label=label)


class AuditEventSearchForm(forms.Form):
    """The auditors' search across cases: who, what, in which workflow, when (days in the
    reader's time zone, both ends included)."""

    actor = forms.CharField(
        required=False,
        max_length=150,
        label="Who",
        widget=forms.TextInput(attrs={"placeholder": "username or SYSTEM"}),
    )
    action = forms.ChoiceField(required=False, label="What")
    workflow = forms.ChoiceField(required=False)
    case = forms.IntegerField(required=False, min_value=1, max_value=2**62, label="Request")
    date_from = _date_input("From")
    date_to = _date_input("To")

    def __init__(self, *args, workflows: list[str], actions, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["action"].choices = [("", "Any")] + list(actions)
        self.fields["workflow"].choices = [("", "Any")] + [(w, w) for w in workflows]

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", MSG_RANGE_ORDER)
        return cleaned


class AccessForm(forms.Form):
    """The access page's day: who held which role at the end of it (empty: now)."""

    at = _date_input("On")

    def clean_at(self):
        day = self.cleaned_data.get("at")
        if day and day > timezone.localdate():
            raise forms.ValidationError(MSG_NOT_AFTER_TODAY)
        return day
