"""What a dashboard shows of each metrics panel: a chart, the numbers in tables, the links behind them.

No number is computed here: each panel is apps.metrics' panel dict, laid out. Every number is a
Cell that knows the cases behind it (the selectors' `case_ids`) and a `ref` naming it, so the
drill-down page finds the same cell again, and the CSV export writes the same tables.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from django.utils.safestring import SafeString

from apps.metrics.selectors import (
    aging_panel,
    approvals_panel,
    cycle_time_panel,
    exceptions_panel,
    rework_panel,
    sla_panel,
    wip_panel,
)

from .charts import bar_chart, line_chart

NOTHING = "—"
WAITING_ON = [
    ("person", "a person (approval)"),
    ("system", "a system (routing, automated step)"),
    ("requester", "the requester (rework)"),
    ("exception", "an operator (exception)"),
]


@dataclass
class Cell:
    value: object  # what the CSV writes
    text: str = ""  # what the page shows
    ref: str = ""  # names the number for the drill-down
    case_ids: tuple = ()
    href: str = ""  # the drill-down page of this number
    about: str = ""  # what the number is, in words: "Open cases by stage: review, open cases"

    @property
    def shown(self) -> str:
        return self.text or (NOTHING if self.value is None else str(self.value))


@dataclass
class Table:
    key: str
    caption: str
    columns: list[str]
    rows: list[list[Cell]] = field(default_factory=list)
    note: str = ""


@dataclass
class Panel:
    key: str
    title: str
    about: str
    tables: list[Table]
    chart: SafeString | None = None

    def cells(self):
        for table in self.tables:
            for row in table.rows:
                yield from row

    def cell(self, ref: str) -> Cell | None:
        return next((c for c in self.cells() if c.ref == ref), None)

    def linked(self, link: Callable) -> "Panel":
        """The panel with every named number linked to its drill-down (`link(ref)`) and saying what
        it is ("Open cases by stage: review, open cases")."""
        for table in self.tables:
            for row in table.rows:
                label = row[0].shown if len(row) > 1 and not row[0].ref else ""
                for column, cell in zip(table.columns, row, strict=True):
                    if cell.ref:
                        cell.href = link(cell.ref)
                        cell.about = f"{table.caption}: {label + ', ' if label else ''}{column.lower()}"
        return self


def _label(value) -> Cell:
    return Cell(value=value)


# The cells of numbers, shared with the bottleneck view: clickable when there are cases behind.


def count_cell(n: int, ref: str, ids=()) -> Cell:
    """A count of cases (clickable when not zero)."""
    return Cell(value=n, ref=ref if n else "", case_ids=tuple(ids) if n else ())


def hours_cell(h, ref: str, ids, n: int) -> Cell:
    """Hours over `n` cases (clickable when there are any)."""
    return Cell(value=h, text=NOTHING if h is None else f"{h:,.1f}", ref=ref if n else "", case_ids=tuple(ids))


def share_cell(rate, ref: str, ids, n: int) -> Cell:
    """A share of `n` cases (clickable when there are any)."""
    return Cell(
        value=rate, text=NOTHING if rate is None else f"{rate * 100:.1f} %", ref=ref if n else "", case_ids=tuple(ids)
    )


def _behind(group: dict, key: str = "case_ids") -> list:
    """The cases behind a group's numbers: there when the panel was asked for them (the
    drill-down page), empty for the dashboard and the CSV."""
    return group.get(key, [])


# --- one function per panel: the metrics panel's dict -> Panel (link: ref -> drill-down URL) ----------


def wip(data: dict, link: Callable) -> Panel:
    by_stage = Table("stage", "Open cases by stage", ["Stage", "Open cases"])
    for group in data["by_stage"]:
        ref = f"stage:{group['stage']}"
        by_stage.rows.append([_label(group["stage"]), count_cell(group["count"], ref, _behind(group))])
    waiting = {g["waiting_on"]: g for g in data["by_waiting_on"]}
    by_state = Table("waiting", "Open cases by whom they wait on", ["Waiting on", "Open cases"])
    for key, words in WAITING_ON:
        group = waiting.get(key, {"count": 0, "case_ids": []})
        by_state.rows.append([_label(words), count_cell(group["count"], f"waiting:{key}", _behind(group))])
    every = sorted(pk for g in data["by_stage"] for pk in _behind(g))
    total = Table("open", "Open now", ["Open cases"], [[count_cell(data["open"], "open", every)]])
    chart = bar_chart(
        title="Open cases by stage",
        labels=[g["stage"] for g in data["by_stage"]],
        series=[
            (
                "open cases",
                [g["count"] for g in data["by_stage"]],
                [link(f"stage:{g['stage']}") for g in data["by_stage"]],
            )
        ],
    )
    return Panel(
        "wip", "Work in progress", "Cases open now (the date range does not apply).", [total, by_stage, by_state], chart
    )


def aging(data: dict, link: Callable) -> Panel:
    buckets = Table("bucket", "Open cases by age, in business hours", ["Age", "Open cases"])
    for bucket in data["buckets"]:
        ref = f"bucket:{bucket['bucket']}"
        buckets.rows.append([_label(bucket["bucket"]), count_cell(bucket["count"], ref, _behind(bucket))])
    oldest = Table("oldest", "The oldest open cases", ["Case", "Workflow", "Stage", "Business hours", "Hours"])
    for case in data["oldest"]:
        ref, ids = f"case:{case['case_id']}", (case["case_id"],)
        oldest.rows.append(
            [
                Cell(value=case["case_id"], text=f"#{case['case_id']}", ref=ref, case_ids=ids),
                _label(case["workflow"]),
                _label(case["stage"]),
                hours_cell(case["business_hours"], ref, ids, 1),
                hours_cell(case["hours"], ref, ids, 1),
            ]
        )
    chart = bar_chart(
        title="Open cases by age (business hours)",
        labels=[b["bucket"] for b in data["buckets"]],
        series=[
            (
                "open cases",
                [b["count"] for b in data["buckets"]],
                [link(f"bucket:{b['bucket']}") if b["count"] else None for b in data["buckets"]],
            )
        ],
    )
    return Panel(
        "aging",
        "Aging",
        "Open cases by age in business hours (each on its version's calendar; a day is 8 hours).",
        [buckets, oldest],
        chart,
    )


def approvals(data: dict, link: Callable) -> Panel:
    people = Table("person", "Pending with a person", ["Person", "Pending", "Oldest (hours)"])
    for group in data["by_person"]:
        ref = f"person:{group['owner']}"
        people.rows.append(
            [
                _label(group["owner"]),
                count_cell(group["count"], ref, _behind(group)),
                hours_cell(group["oldest_hours"], ref, _behind(group), group["count"]),
            ]
        )
    queues = Table("role", "Pending in a role's queue", ["Role queue", "Pending", "Oldest (hours)"])
    for group in data["by_role"]:
        ref = f"role:{group['role']}"
        queues.rows.append(
            [
                _label(group["role"]),
                count_cell(group["count"], ref, _behind(group)),
                hours_cell(group["oldest_hours"], ref, _behind(group), group["count"]),
            ]
        )
    latency = Table(
        "latency",
        "Approval latency per stage (decided in the range)",
        ["Stage", "Decided", "p50 (hours)", "p90 (hours)"],
    )
    for group in data["latency"]:
        ref = f"latency:{group['stage']}"
        ids = _behind(group)
        latency.rows.append(
            [
                _label(group["stage"]),
                count_cell(group["count"], ref, ids),
                hours_cell(group["p50"], ref, ids, group["count"]),
                hours_cell(group["p90"], ref, ids, group["count"]),
            ]
        )
    holders = [(g["owner"], f"person:{g['owner']}", g["count"]) for g in data["by_person"]]
    holders += [(f"{g['role']} queue", f"role:{g['role']}", g["count"]) for g in data["by_role"]]
    chart = bar_chart(
        title="Approvals pending, by person and by role's queue",
        labels=[h[0] for h in holders],
        series=[("pending", [h[2] for h in holders], [link(h[1]) for h in holders])],
        horizontal=True,
    )
    return Panel(
        "approvals",
        "Approvals",
        "Approval tasks open now, and how long the decided ones took.",
        [people, queues, latency],
        chart,
    )


def _failure_cells(counts: dict, ref: str) -> list[Cell]:
    """Failures, open, repaired: each lists exactly its own cases."""
    return [
        count_cell(counts["count"], ref, _behind(counts)),
        count_cell(counts["open"], f"{ref}:open", _behind(counts, "open_case_ids")),
        count_cell(counts["repaired"], f"{ref}:repaired", _behind(counts, "repaired_case_ids")),
    ]


def exceptions(data: dict, link: Callable) -> Panel:
    columns = ["Failures", "Open", "Repaired"]
    by_category = Table("category", "Step failures by category", ["Category", *columns])
    for group in data["by_category"]:
        by_category.rows.append([_label(group["category"]), *_failure_cells(group, f"category:{group['category']}")])
    recurring = Table(
        "recurring",
        "Recurring: the same step failing alike again and again",
        ["Step", "Category", *columns],
        note="Probably a missing rule: the data could be checked, or the case routed, before the step runs.",
    )
    for group in data["recurring"]:
        ref = f"recurring:{group['step_key']}:{group['category']}"
        recurring.rows.append(
            [_label(group["step_name"] or group["step_key"]), _label(group["category"]), *_failure_cells(group, ref)]
        )
    by_week = Table("week", "Step failures per week", ["Week of", "Category", *columns])
    for group in data["by_week"]:
        by_week.rows.append(
            [
                _label(group["week"]),
                _label(group["category"]),
                *_failure_cells(group, f"week:{group['week']}:{group['category']}"),
            ]
        )
    weeks = sorted({g["week"] for g in data["by_week"]})
    cells = {(g["week"], g["category"]): g["count"] for g in data["by_week"]}
    series = [
        (
            category,
            [cells.get((w, category), 0) for w in weeks],
            [link(f"week:{w}:{category}") if cells.get((w, category)) else None for w in weeks],
        )
        for category in sorted({g["category"] for g in data["by_week"]})
    ]
    chart = bar_chart(
        title="Step failures per week, by category", labels=weeks, series=series or [("failures", [], [])], stacked=True
    )
    return Panel(
        "exceptions",
        "Exceptions",
        "Automated steps that failed for good in the range, repaired since or not.",
        [by_category, recurring, by_week],
        chart,
    )


def _spread_row(label, group: dict, ref: str) -> list[Cell]:
    ids = _behind(group)
    return [
        _label(label),
        count_cell(group["count"], ref, ids),
        hours_cell(group["p50"], ref, ids, group["count"]),
        hours_cell(group["p90"], ref, ids, group["count"]),
    ]


def cycle_time(data: dict, link: Callable) -> Panel:
    overall = data["overall"]
    ids, n = _behind(overall), overall["count"]
    summary = Table(
        "overall",
        "Start to close, cases closed in the range",
        ["Closed cases", "p50 (hours)", "p90 (hours)", "p50 (business hours)", "p90 (business hours)"],
        [
            [
                count_cell(overall["count"], "overall", ids),
                hours_cell(overall["p50"], "overall", ids, n),
                hours_cell(overall["p90"], "overall", ids, n),
                hours_cell(overall["business_p50"], "overall", ids, n),
                hours_cell(overall["business_p90"], "overall", ids, n),
            ]
        ],
    )
    columns = ["Cases", "p50 (hours)", "p90 (hours)"]
    tables = [summary]
    for key, caption, head in (
        ("week", "Per week of closing", "Week of"),
        ("version", "Per version", "Version"),
        ("outcome", "Per outcome", "Outcome"),
    ):
        table = Table(key, caption, [head, *columns])
        for group in data[f"by_{key}"]:
            table.rows.append(_spread_row(group[key], group, f"{key}:{group[key]}"))
        tables.append(table)
    weeks = data["by_week"]
    chart = line_chart(
        title="Cycle time per week of closing (hours)",
        labels=[g["week"] for g in weeks],
        series=[
            (name, [g[name] for g in weeks], [link(f"week:{g['week']}") for g in weeks]) for name in ("p50", "p90")
        ],
    )
    return Panel(
        "cycle-time", "Cycle time", "Start to close of the cases closed in the range, in hours.", tables, chart
    )


def rework(data: dict, link: Callable) -> Panel:
    closed_ids = sorted(pk for g in data["returns_per_case"] for pk in _behind(g))
    returned = data["returned"]
    summary = Table(
        "summary",
        "Cases closed in the range",
        ["Closed cases", "Returned at least once", "Rework rate"],
        [
            [
                count_cell(data["closed"], "closed", closed_ids),
                count_cell(returned["count"], "returned", _behind(returned)),
                share_cell(data["rate"], "returned", _behind(returned), returned["count"]),
            ]
        ],
    )
    per_case = Table("returns", "Returns to the requester per case", ["Returns", "Cases"])
    for group in data["returns_per_case"]:
        per_case.rows.append(
            [_label(group["returns"]), count_cell(group["count"], f"returns:{group['returns']}", _behind(group))]
        )
    repairs = Table("repairs", "Repairs per automated step (failures dealt with by an operator)", ["Step", "Repairs"])
    for group in data["repairs_by_step"]:
        repairs.rows.append(
            [_label(group["step_key"]), count_cell(group["repairs"], f"repairs:{group['step_key']}", _behind(group))]
        )
    groups = data["returns_per_case"]
    chart = bar_chart(
        title="Closed cases by number of returns",
        labels=[f"{g['returns']} returns" if g["returns"] != 1 else "1 return" for g in groups],
        series=[("cases", [g["count"] for g in groups], [link(f"returns:{g['returns']}") for g in groups])],
    )
    return Panel(
        "rework",
        "Rework",
        "How often closed cases went back to their requester, and the repairs per step.",
        [summary, per_case, repairs],
        chart,
    )


def sla(data: dict, link: Callable) -> Panel:
    met_ids = sorted({pk for g in data["by_stage"] for pk in _behind(g)})
    breached_ids = sorted({pk for g in data["by_stage"] for pk in _behind(g, "breached_case_ids")})
    summary = Table(
        "total",
        "SLA clocks ended or breached in the range",
        ["Met", "Breached"],
        [[count_cell(data["met"], "clocks", met_ids), count_cell(data["breached"], "breached", breached_ids)]],
    )
    by_stage = Table("stage", "Met and breached by stage", ["Stage", "Met", "Breached"])
    for group in data["by_stage"]:
        stage = group["stage"]
        by_stage.rows.append(
            [
                _label(stage),
                count_cell(group["met"], f"stage:{stage}", _behind(group)),
                count_cell(group["breached"], f"stage:{stage}:breached", _behind(group, "breached_case_ids")),
            ]
        )
    escalations = Table("escalation", "Escalations fired, by level", ["Level", "Action", "Fired"])
    for group in data["escalations"]:
        ref = f"escalation:{group['level']}:{group['action']}"
        escalations.rows.append(
            [_label(group["level"]), _label(group["action"]), count_cell(group["count"], ref, _behind(group))]
        )
    stages = data["by_stage"]
    chart = bar_chart(
        title="SLA met and breached, by stage",
        labels=[g["stage"] for g in stages],
        series=[
            ("met", [g["met"] for g in stages], [link(f"stage:{g['stage']}") if g["met"] else None for g in stages]),
            (
                "breached",
                [g["breached"] for g in stages],
                [link(f"stage:{g['stage']}:breached") if g["breached"] else None for g in stages],
            ),
        ],
        stacked=True,
    )
    return Panel(
        "sla",
        "SLA",
        "Clocks of approvals, rework and whole cases that ended (met) or breached in the range.",
        [summary, by_stage, escalations],
        chart,
    )


@dataclass(frozen=True)
class PanelKind:
    key: str
    selector: Callable
    layout: Callable
    takes_now: bool = False


PANELS = {
    kind.key: kind
    for kind in (
        PanelKind("wip", wip_panel, wip),
        PanelKind("aging", aging_panel, aging, takes_now=True),
        PanelKind("approvals", approvals_panel, approvals, takes_now=True),
        PanelKind("exceptions", exceptions_panel, exceptions),
        PanelKind("cycle-time", cycle_time_panel, cycle_time),
        PanelKind("rework", rework_panel, rework),
        PanelKind("sla", sla_panel, sla, takes_now=True),
    )
}
# A manager who sees only their reports' approvals sees only that panel.
REPORTS_PANELS = ("approvals",)


def panel_build(*, key: str, scope, metrics_filter, link: Callable, now=None, with_case_ids=False) -> Panel:
    """The panel `key` for this person and filter; `link(ref)` makes the drill-down URL of a number.
    Each Cell's `case_ids` is filled only `with_case_ids` (the drill-down page); the dashboard and
    the CSV need the numbers alone."""
    kind = PANELS[key]
    extra = {"now": now} if kind.takes_now else {}
    data = kind.selector(scope=scope, metrics_filter=metrics_filter, with_case_ids=with_case_ids, **extra)
    return kind.layout(data, link).linked(link)


def panel_keys(scope) -> list[str]:
    return list(PANELS) if scope.sees_all or scope.workflows else list(REPORTS_PANELS)
