"""Forms every portal page may share. They only collect and display values: the checking is
done by the same service the API calls, whose field errors are put back here (ServiceErrorsForm).
CaseDataForm is built from a version's typed fields (`spec_of(version).fields`); the inbox
(intake, rework) and the exception queue (correcting a failed step's data) both show it."""

from django import forms

from apps.definitions.accessors import Field, fields_shown
from apps.definitions.conditions import fields_in

TEXT_MAX_LENGTH = 2000  # the widget's limit when the field sets none

WIDGETS = {
    "text": lambda spec: forms.TextInput(
        attrs={"maxlength": TEXT_MAX_LENGTH if spec.max_length is None else spec.max_length}
    ),
    "textarea": lambda spec: forms.Textarea(attrs={"rows": 3}),
    "decimal": lambda spec: forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal"}),
    "integer": lambda spec: forms.NumberInput(attrs={"step": "1"}),
    "date": lambda spec: forms.DateInput(attrs={"type": "date"}),
    "email": lambda spec: forms.EmailInput(),
    "user": lambda spec: forms.TextInput(attrs={"maxlength": 150, "autocomplete": "off"}),
}


def field_for(spec: Field) -> forms.Field:
    """The form field of one workflow field (a person: their username)."""
    common = {"label": spec.form_label, "help_text": spec.help, "required": False}
    if spec.type == "choice":
        choices = [(c, str(c).replace("_", " ").capitalize()) for c in spec.choices]
        if spec.default in (None, ""):
            choices = [("", "—")] + choices
        return forms.ChoiceField(choices=choices, initial=spec.default, **common)
    if spec.type == "boolean":
        return forms.BooleanField(initial=False if spec.default is None else spec.default, **common)
    return forms.CharField(widget=WIDGETS[spec.type](spec), initial=spec.default, strip=False, **common)


class ServiceErrorsForm(forms.Form):
    def put_errors(self, field_errors: dict) -> None:
        """Show a service's field errors next to the fields they name (others above the form)."""
        self.is_valid()  # builds cleaned_data so add_error works
        for name, problems in field_errors.items():
            target = name if name in self.fields else None
            for problem in problems if isinstance(problems, list) else [problems]:
                self.add_error(target, problem)


class CaseDataForm(ServiceErrorsForm):
    """The fields of a workflow version, for intake or for a returned request.

    Only the fields that apply are shown: a field with a `show_when` appears when its condition
    holds on the values at hand (submitted, else the case's, else the defaults). With
    `refresh_url`, changing a field another field depends on posts the form there (htmx) and the
    page swaps in the fields that apply now."""

    def __init__(self, *args, fields: tuple[Field, ...], missing=(), stages=(), refresh_url: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.types = {spec.name: spec.type for spec in fields}
        controlling = {name for spec in fields for name in fields_in(spec.show_when)}
        applies = fields_shown(fields, self._current(fields))
        self.specs = {spec.name: spec for spec in applies}
        self.missing = set(missing)
        stage_names = {stage.key: stage.name for stage in stages}  # "Approval", as the owner wrote it
        for spec in applies:
            field = field_for(spec)
            if refresh_url and spec.name in controlling:
                field.widget.attrs.update(
                    {
                        "hx-post": refresh_url,
                        "hx-trigger": "change",
                        "hx-target": "#case-fields",
                        "hx-select": "#case-fields",
                        "hx-swap": "outerHTML",
                    }
                )
            field.required_marker = spec.required
            field.required_before = spec.required_before
            field.required_before_name = stage_names.get(spec.required_before, spec.required_before)
            self.fields[spec.name] = field

    def _current(self, fields) -> dict:
        """The values that decide which fields apply: submitted, else initial, else defaults."""
        if self.is_bound:
            raw = {spec.name: self.data.get(self.add_prefix(spec.name)) for spec in fields}
            return {n: (v in {"on", "true", "1"}) if self.types[n] == "boolean" else v for n, v in raw.items()}
        return {spec.name: self.initial.get(spec.name, spec.default) for spec in fields}

    def values(self) -> dict:
        """What was submitted for the fields that apply, as raw values for the service to check."""
        return submitted_values(self, self.specs)


def submitted_values(form: forms.Form, specs: dict) -> dict:
    """The values of the workflow fields `specs` ({name: Field}) as submitted to `form`, raw
    (a checkbox as true or false), for the service to check."""
    data = {}
    for name, spec in specs.items():
        raw = form.data.get(form.add_prefix(name))
        if spec.type == "boolean":
            data[name] = raw in {"on", "true", "1"}
        elif raw is not None:
            data[name] = raw
    return data
