"""Typed reads of a version's spec: fields, stages, approvers, SLA policies, reason codes, texts.

The spec is stored as JSON (see spec.py for its shape and validator). Nothing outside this app
reads that JSON: the engine, the feature apps and the pages ask `spec_of(version)` and get
frozen objects with named attributes, so a key renamed or a default changed is one edit here
instead of six scattered `next(s for s in spec["stages"] if s["key"] == ...)`.

A published version never changes, so its typed view is built once per version instance and
kept on it (`version.typed`); a draft's view is rebuilt whenever its spec object is replaced.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils import timezone

from apps.core.errors import ValidationFailed
from apps.core.numbers import number

from .approval_checks import finite_number
from .conditions import Words, evaluate, fields_in, reads_requester
from .fields import MSG_REQUIRED, clean_data, clean_value, missing_fields, shown
from .spec import (
    SIMILAR_REQUESTER,
    STEP_DEFAULT_RETRY,
    STEP_DEFAULT_TIMEOUT_SECONDS,
    STEP_DEFAULT_WAIT_HOURS,
    STEP_TYPES,
)
from .texts import Texts
from .ui_spec import UI_DEFAULT_TIMEOUT_SECONDS

APPROVAL, HTTP, WAIT, UI = "approval", "http", "wait", "ui"
NUMBER_TYPES = {"decimal", "integer"}


def _text(value, default: str = "") -> str:
    return value if isinstance(value, str) else default


def _list(value) -> list | tuple:
    return value if isinstance(value, list | tuple) else ()


@dataclass(frozen=True)
class Field:
    name: str
    type: str
    label: str
    help: str
    required: bool
    required_before: str | None
    choices: tuple
    default: Any
    max_length: int | None
    raw: Mapping

    @property
    def not_requester(self) -> bool:
        """A person field that may not name the requester (the system owner of their own request)."""
        return self.raw.get("not_requester") is True

    @property
    def form_label(self) -> str:
        """The label on a form: the spec's, else the name written as words."""
        return _text(self.raw.get("label")) or self.name.replace("_", " ").capitalize()

    @property
    def min(self):
        """The smallest number allowed (as the spec wrote it), or None."""
        return self.raw.get("min")

    @property
    def max(self):
        """The largest number allowed (as the spec wrote it), or None."""
        return self.raw.get("max")

    @property
    def is_number(self) -> bool:
        return self.type in NUMBER_TYPES

    @property
    def show_when(self):
        """The condition under which the field applies (None: always)."""
        return self.raw.get("show_when") or None

    def shown(self, value) -> str:
        """A stored value as people read it: numbers as `number` writes them ("5,000"), a yes/no
        field's value as "Yes" or "No", an empty value as ""; everything else as its text."""
        if value is None or value == "":
            return ""
        if isinstance(value, bool):
            return "Yes" if value else "No"
        return number(value) if self.is_number else str(value)

    def clean_value(self, value):
        """The stored form of one value of this field; ValueError with the user-facing message."""
        return clean_value(self.raw, value)

    def as_dict(self) -> dict:
        """The field as the spec stores it: what the API publishes of a workflow's fields."""
        return dict(self.raw)

    @classmethod
    def of(cls, raw: Mapping) -> "Field":
        name = _text(raw.get("name"))
        return cls(
            name=name,
            type=_text(raw.get("type"), "text"),
            label=_text(raw.get("label")) or name,
            help=_text(raw.get("help")),
            required=bool(raw.get("required")),
            required_before=raw.get("required_before") or None,
            choices=tuple(raw.get("choices") or ()),
            default=raw.get("default"),
            max_length=raw.get("max_length"),
            raw=raw,
        )


@dataclass(frozen=True)
class Approver:
    key: str
    label: str
    type: str
    role: str
    user: str
    backup: str
    when: Any
    raw: Mapping
    field: str = ""  # "owners": the text field holding the key of the workflow whose owners approve
    # ("user_field": the user field naming the approver)
    fields: tuple[str, ...] = ()  # fields this approver fills in to approve (step fields)
    authority: bool = False  # a manager: climb the chain to the first whose limit covers the amount

    @classmethod
    def of(cls, raw: Mapping) -> "Approver":
        key = _text(raw.get("key"))
        return cls(
            key=key,
            label=_text(raw.get("label")) or key,
            type=_text(raw.get("type")),
            role=_text(raw.get("role")),
            user=_text(raw.get("user")),
            backup=_text(raw.get("backup")),
            when=raw.get("when"),
            raw=raw,
            field=_text(raw.get("field")),
            fields=tuple(n for n in _list(raw.get("fields")) if isinstance(n, str)),
            authority=raw.get("authority") is True,
        )


@dataclass(frozen=True)
class SlaLevel:
    action: str
    after_hours: Decimal
    notify: Mapping | None
    raw: Mapping

    @classmethod
    def of(cls, raw: Mapping) -> "SlaLevel":
        return cls(
            action=_text(raw.get("action")),
            after_hours=Decimal(str(raw.get("after_hours", 0))),
            notify=raw.get("notify"),
            raw=raw,
        )

    def as_dict(self) -> dict:
        """The level as the spec states it (an SLA clock keeps a copy of its levels)."""
        return dict(self.raw)


@dataclass(frozen=True)
class SlaPolicy:
    target_hours: Decimal
    business: bool
    levels: tuple[SlaLevel, ...]
    raw: Mapping
    pause_on_rework: bool = False

    @classmethod
    def of(cls, raw: Mapping | None) -> "SlaPolicy | None":
        if not isinstance(raw, Mapping) or raw.get("target_hours") is None:
            return None
        return cls(
            target_hours=Decimal(str(raw["target_hours"])),
            business=raw.get("business", True) is not False,
            levels=tuple(SlaLevel.of(level) for level in raw.get("levels") or () if isinstance(level, Mapping)),
            raw=raw,
            pause_on_rework=bool(raw.get("pause_on_rework")),
        )


@dataclass(frozen=True)
class Call:
    """The request template of an http step (or of its undo): placeholders not yet filled in."""

    method: str
    url: Any
    headers: Mapping
    body: Any
    raw: Mapping

    @classmethod
    def of(cls, raw: Mapping | None) -> "Call":
        raw = raw if isinstance(raw, Mapping) else {}
        return cls(
            method=str(raw.get("method", "POST")).upper(),
            url=raw.get("url", ""),
            headers=raw.get("headers") or {},
            body=raw.get("body"),
            raw=raw,
        )


@dataclass(frozen=True)
class Retry:
    """When an http step tries again: how often, how long it backs off, on which status codes."""

    attempts: int
    backoff_seconds: float
    max_backoff_seconds: float
    retry_on: frozenset

    @classmethod
    def of(cls, raw: Mapping | None) -> "Retry":
        raw = raw if isinstance(raw, Mapping) else {}
        return cls(
            attempts=int(raw.get("attempts", STEP_DEFAULT_RETRY["attempts"])),
            backoff_seconds=float(raw.get("backoff_seconds", STEP_DEFAULT_RETRY["backoff_seconds"])),
            max_backoff_seconds=float(raw.get("max_backoff_seconds", STEP_DEFAULT_RETRY["max_backoff_seconds"])),
            retry_on=frozenset(raw.get("retry_on", STEP_DEFAULT_RETRY["retry_on"])),
        )


@dataclass(frozen=True)
class Guard:
    """A ui step's guard: its look-up script, the selector present when the work was already
    done, and what to read off that page into the case then."""

    script: tuple
    found: str
    extract: Mapping

    @classmethod
    def of(cls, raw: Mapping) -> "Guard":
        extract = raw.get("extract")
        return cls(
            script=tuple(a for a in _list(raw.get("script")) if isinstance(a, Mapping)),
            found=_text(raw.get("found")),
            extract=extract if isinstance(extract, Mapping) else {},
        )


@dataclass(frozen=True)
class Stage:
    """An approval stage, or an automated step ("http": a call; "wait": a callback; "ui": a
    script run in a browser)."""

    key: str
    name: str
    type: str
    when: Any
    policy: str
    n: int | None
    approvers: tuple[Approver, ...]
    sla: SlaPolicy | None
    system: str
    on_failure: str
    timeout_hours: float
    raw: Mapping

    @classmethod
    def of(cls, raw: Mapping) -> "Stage":
        key = _text(raw.get("key"))
        return cls(
            key=key,
            name=_text(raw.get("name")) or key,
            type=_text(raw.get("type"), APPROVAL),
            when=raw.get("when"),
            policy=_text(raw.get("policy"), "all"),
            n=raw.get("n"),
            approvers=tuple(Approver.of(a) for a in raw.get("approvers") or () if isinstance(a, Mapping)),
            sla=SlaPolicy.of(raw.get("sla")),
            system=_text(raw.get("system")),
            on_failure=_text(raw.get("on_failure"), "exception_queue"),
            timeout_hours=float(raw.get("timeout_hours", STEP_DEFAULT_WAIT_HOURS)),
            raw=raw,
        )

    @property
    def is_step(self) -> bool:
        return self.type in STEP_TYPES

    @property
    def is_wait(self) -> bool:
        return self.type == WAIT

    @property
    def is_ui(self) -> bool:
        return self.type == UI

    @property
    def has_undo(self) -> bool:
        return not self.is_ui and isinstance(self.raw.get("undo"), Mapping)

    @property
    def script(self) -> tuple:
        """A ui step's actions (dicts with "do"), placeholders not yet filled in."""
        return tuple(a for a in _list(self.raw.get("script")) if isinstance(a, Mapping))

    @property
    def guard(self) -> "Guard | None":
        """A ui step's look-up that tells whether its work was already done; None without one."""
        return Guard.of(self.raw["guard"]) if isinstance(self.raw.get("guard"), Mapping) else None

    @property
    def has_guard(self) -> bool:
        return isinstance(self.raw.get("guard"), Mapping)

    # An http step's call. Read when asked (not when the spec is read): a draft being edited may
    # hold values that do not convert yet, and only the step runner needs them.

    @property
    def not_before(self) -> str:
        """The date field whose day this step waits for before it calls ("" when it calls at once)."""
        return _text(self.raw.get("not_before"))

    @property
    def reads_requester(self) -> bool:
        """Does the stage's condition, or one of its approvers', ask about the requester?"""
        return reads_requester(self.when) or any(reads_requester(a.when) for a in self.approvers)

    @property
    def request(self) -> Call:
        return Call.of(self.raw.get("request"))

    @property
    def undo(self) -> Call | None:
        """The call that takes the step's effect back, or None when it has none."""
        return Call.of(self.raw["undo"]) if self.has_undo else None

    @property
    def retry(self) -> Retry:
        return Retry.of(self.raw.get("retry"))

    @property
    def response_map(self) -> Mapping:
        """{field name: dotted path in the answer}: what a successful answer writes into the case."""
        response = self.raw.get("response")
        return (response.get("map") if isinstance(response, Mapping) else None) or {}

    @property
    def timeout_seconds(self) -> float:
        """An http step's wait for the answer; a ui step's wait per action."""
        default = UI_DEFAULT_TIMEOUT_SECONDS if self.is_ui else STEP_DEFAULT_TIMEOUT_SECONDS
        return float(self.raw.get("timeout_seconds", default))

    @property
    def extract_map(self) -> Mapping:
        """{field name: CSS selector}: what a ui step reads off the page into the case (its
        `extract` actions; the guard's `extract` when the guard finds the work done)."""
        return {a["field"]: a["selector"] for a in self.script if a.get("do") == "extract" and "field" in a}

    def approver(self, key: str) -> Approver | None:
        return next((a for a in self.approvers if a.key == key), None)


@dataclass(frozen=True)
class Authority:
    """Approval authority: how much each person may approve, on one number field of the case.
    A person's limit is their own (a "user" limit), else the highest of their roles' limits,
    else the default; None when none applies (no limit)."""

    field: str
    default_up_to: Decimal | None
    users: Mapping
    roles: Mapping

    @classmethod
    def of(cls, raw) -> "Authority | None":
        if not isinstance(raw, Mapping):
            return None
        users, roles = {}, {}
        for limit in _list(raw.get("limits")):
            up_to = finite_number(limit.get("up_to")) if isinstance(limit, Mapping) else None
            if up_to is not None:
                target = users if limit.get("user") else roles
                target[_text(limit.get("user") or limit.get("role"))] = up_to
        return cls(
            field=_text(raw.get("field")),
            default_up_to=finite_number(raw.get("default_up_to")),
            users=users,
            roles=roles,
        )

    def limit_of(self, *, username: str, role_names) -> Decimal | None:
        if username in self.users:
            return self.users[username]
        held = [self.roles[r] for r in role_names if r in self.roles]
        return max(held) if held else self.default_up_to


@dataclass(frozen=True)
class ReasonCode:
    code: str
    label: str

    def as_dict(self) -> dict:
        return {"code": self.code, "label": self.label}


@dataclass(frozen=True)
class SimilarCases:
    """What approvers are shown about earlier cases: within `months`, by the same requester
    (`by_requester`) and with the same value of each of `fields`."""

    months: int
    by_requester: bool
    fields: tuple[str, ...]

    @classmethod
    def of(cls, raw) -> "SimilarCases | None":
        if not isinstance(raw, Mapping) or not isinstance(raw.get("same"), list):
            return None
        same = [name for name in raw["same"] if isinstance(name, str)]
        months = raw.get("months")
        return cls(
            months=months if isinstance(months, int) and months > 0 else 12,
            by_requester=SIMILAR_REQUESTER in same,
            fields=tuple(name for name in same if name != SIMILAR_REQUESTER),
        )


class Spec:
    """The typed view of one spec (build it with `spec_of`)."""

    def __init__(self, raw: Mapping | None):
        raw = raw if isinstance(raw, Mapping) else {}
        self.raw = raw
        self.fields = tuple(Field.of(f) for f in raw.get("fields") or () if isinstance(f, Mapping))
        self.stages = tuple(Stage.of(s) for s in raw.get("stages") or () if isinstance(s, Mapping))
        self.reason_codes = tuple(
            ReasonCode(code=_text(c.get("code")), label=_text(c.get("label")) or _text(c.get("code")))
            for c in raw.get("reason_codes") or ()
            if isinstance(c, Mapping)
        )
        sla = raw.get("sla") if isinstance(raw.get("sla"), Mapping) else {}
        self._sla = {kind: SlaPolicy.of(policy) for kind, policy in sla.items()}
        self.calendar = _text(raw.get("calendar")).strip() or None
        self.on_missing_required = _text(raw.get("on_missing_required"), "return_to_requester")
        self.similar_cases = SimilarCases.of(raw.get("similar_cases"))
        self.texts = Texts.of(raw)  # the spec's own texts; `texts_of(version)` adds the fallback
        self.authority = Authority.of(raw.get("authority"))

    # --- fields ---------------------------------------------------------------------------

    @property
    def field_dicts(self) -> list:
        """The fields as the spec stores them (for code inside this app that takes them)."""
        return list(self.raw.get("fields") or [])

    def field(self, name: str) -> Field | None:
        return next((f for f in self.fields if f.name == name), None)

    def field_labels(self) -> dict[str, str]:
        return {f.name: f.label for f in self.fields}

    @property
    def words(self) -> Words:
        """How this version's conditions read to people: field labels, numbers formatted."""
        return Words(
            labels={f.name: f.form_label for f in self.fields},
            numeric=frozenset(f.name for f in self.fields if f.is_number),
        )

    def shown_fields(self, data) -> tuple[Field, ...]:
        """The fields that apply to `data` (see `fields_shown`)."""
        return fields_shown(self.fields, data)

    @property
    def controlling_fields(self) -> frozenset:
        """Fields whose value decides whether another field is shown (a form refreshes on them)."""
        return frozenset(name for f in self.fields for name in fields_in(f.show_when))

    def clean(self, data, *, base=None, intake: bool = True) -> dict:
        """Validate and normalise field values (ValidationFailed names each bad field)."""
        return clean_data(self.field_dicts, data, base=base, intake=intake)

    def clean_request(self, data, *, requester: str, base=None, intake: bool = True) -> dict:
        """`clean` for what a requester submits (intake, a resubmission): the fields approvers fill
        in at a step are not theirs, a person field marked not_requester may not name them, and a
        date field marked not_past may not be before today (the installation's date)."""
        return clean_data(
            self.field_dicts,
            data,
            base=base,
            intake=intake,
            requester=requester,
            steps=self.step_fields,
            today=timezone.localdate(),
        )

    @property
    def step_fields(self) -> dict[str, str]:
        """{field name: the stage's name} of every field an approver fills in at a step."""
        found = {}
        for stage in self.stages:
            for approver in stage.approvers:
                for name in approver.fields:
                    found.setdefault(name, stage.name)
        return found

    @property
    def intake_fields(self) -> tuple[Field, ...]:
        """The fields the requester fills in (the start form, a returned request)."""
        steps = self.step_fields
        return tuple(f for f in self.fields if f.name not in steps)

    def clean_step(self, data, *, names, base, approving: bool) -> dict:
        """The values an approver enters at their step (`names`: the approver's fields): checked
        like intake values, each required to approve. Returns only what changed;
        ValidationFailed names each bad field, and each field the approver may not fill."""
        data = data or {}
        errors = {
            name: [f"Not filled in at this step (fill in: {', '.join(names) or 'nothing'})."]
            for name in data
            if name not in names
        }
        if errors:
            raise ValidationFailed("Some fields are not valid.", field_errors=errors)
        own = [dict(f.raw, required=False) for f in self.fields if f.name in names]
        cleaned = clean_data(own, data, base={k: v for k, v in (base or {}).items() if k in names}, intake=False)
        if approving:
            missing = {n: [MSG_REQUIRED] for n in names if cleaned.get(n) in (None, "")}
            if missing:
                raise ValidationFailed("Some fields are not valid.", field_errors=missing)
        return {k: v for k, v in cleaned.items() if (base or {}).get(k) != v}

    def missing(self, data, *, stage: str) -> tuple[Field, ...]:
        """Required fields still empty before `stage`."""
        names = {f["name"] for f in missing_fields(self.field_dicts, data, stage=stage)}
        return tuple(f for f in self.fields if f.name in names)

    def missing_next(self, data, *, done=(), requester=None) -> tuple["Stage | None", tuple[Field, ...]]:
        """The stage a case with `data` goes to next from the start (its condition holds and, for
        an automated step, it is not in `done`) and the fields still empty that it requires.

        The same test the router applies before it enters a stage, so a form can name what is
        missing before the case is sent back for it."""
        for stage in self.stages:
            if not evaluate(stage.when, data, requester=requester).result:
                continue
            if stage.is_step and stage.key in done:
                continue
            return stage, self.missing(data, stage=stage.key)
        return None, ()

    # --- stages -----------------------------------------------------------------------------

    def stage(self, key: str) -> Stage | None:
        return next((s for s in self.stages if s.key == key), None)

    @property
    def steps(self) -> tuple[Stage, ...]:
        return tuple(s for s in self.stages if s.is_step)

    @property
    def has_steps(self) -> bool:
        return any(s.is_step for s in self.stages)

    # --- reason codes and SLA ---------------------------------------------------------------

    def reason_label(self, code: str) -> str | None:
        return next((c.label for c in self.reason_codes if c.code == code), None)

    def sla(self, kind: str, *, stage_key: str = "") -> SlaPolicy | None:
        """The SLA policy of a clock: a stage's own policy for its approvals (or, for a wait step,
        its wait), else the spec's policy for that kind ("approval", "rework", "case", "wait")."""
        if kind in (APPROVAL, WAIT) and stage_key:
            stage = self.stage(stage_key)
            if stage is not None and stage.sla is not None:
                return stage.sla
        return self._sla.get(kind)


def fields_shown(fields: tuple[Field, ...], data) -> tuple[Field, ...]:
    """The fields that apply to `data` (values as submitted or stored): those without a
    `show_when`, and those whose condition holds, decided top-down as at intake."""
    data = dict(data or {})
    kept = []
    for field in fields:
        if field.show_when and not shown(field.raw, data).result:
            data.pop(field.name, None)
            continue
        kept.append(field)
    return tuple(kept)


def spec_of(version) -> Spec:
    """The typed spec of a DefinitionVersion (or of anything with a `spec` JSON attribute)."""
    raw = getattr(version, "spec", None)
    cached = getattr(version, "_typed_spec", None)
    if cached is not None and cached.raw is raw:
        return cached
    typed = Spec(raw)
    try:
        version._typed_spec = typed
    except AttributeError:  # a read-only stand-in: nothing to keep it on
        pass
    return typed


def texts_of(version) -> Texts:
    """A version's description and start-form text. A version published before the texts were
    versioned has none of its own and reads its definition's description (see texts.py)."""
    definition = getattr(version, "definition", None)
    return Texts.of(spec_of(version).raw, fallback=getattr(definition, "description", "") or "")
