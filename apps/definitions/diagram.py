"""A version's process diagram, laid out from its spec and drawn as SVG on the server.

The same layout feeds the BPMN export (bpmn.py), so the picture and the file agree. Left to
right: start, then per stage an optional check (the stage's rule), a parallel split, one task
per approver (its rule on its arrow, a check and a merge around it), the join with the stage's
policy, the stage's outcome, the merge of the skipped path; then the end. An automated step is one
box between its check and merge: a service task (an HTTP call) or a receive task (a wait for a
callback).

Below the stages run the other two ways out of an approval stage: "return" (dashed) to the
requester's rework task, which goes back to the routing after the resubmission, and "reject" to
the end "Rejected". Conditions read with the version's field labels and numbers ("Amount >=
1,000"); the BPMN expressions keep the keys.

The words for steps (step_call, retry_text, ...) live here too, so the diagram, the SOP, the
diff and the builder describe a step alike.

An `Overlay` (optional; the builder draws none) paints numbers onto the same picture: a `Mark` per
node (a person's task, an automated step, the requester's rework) fills it and puts its words on
the node's second line (a link if it has one), a `Mark` per approval stage draws a tinted frame
around the stage with its words on top, and a legend runs under the diagram. The dashboards'
bottleneck view uses it; the colours are SVG attributes, so no stylesheet or inline style is needed.
"""

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from django.utils.safestring import SafeString

from .accessors import Spec
from .reachability import condition_text
from .spec import PLACEHOLDER, STEP_DEFAULT_RETRY, STEP_DEFAULT_WAIT_HOURS, STEP_TYPES

TASK_W, TASK_H, GATE, EVENT = 170, 56, 40, 34
COLUMN_GAP, LABEL_GAP, LANE_H, TOP = 50, 150, 92, 70
OUTCOME_GAP = 70  # after a stage's outcome gateway: room for the word "approved" on its arrow
# The ways out of an approval stage besides "approved", and the way back after a return.
APPROVED, RETURN, REJECT, RESUBMIT = "approved", "return", "reject", "resubmit"
REWORK_ID, REJECTED_ID, ROUTE_ID = "rework", "rejected", "route"
SVG_NS = "http://www.w3.org/2000/svg"
# Characters XML 1.0 cannot carry (C0 controls but tab and newlines, lone surrogates, U+FFFE/F).
XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
APPROVER_KINDS = {
    "manager": "requester's manager",
    "managers_manager": "manager's manager",
}


@dataclass
class Node:
    id: str
    kind: str  # start, end, task, service (http step), receive (wait step), parallel, exclusive
    name: str
    x: int = 0
    y: int = 0
    w: int = 0
    h: int = 0
    detail: str = ""
    note: str = ""  # a step's third line: its retries, or how long it waits
    undo: bool = False
    timeout_hours: float | None = None  # a wait step's limit (BPMN: a boundary timer)

    @property
    def cx(self):
        return self.x + self.w // 2

    @property
    def cy(self):
        return self.y + self.h // 2


@dataclass
class Edge:
    id: str
    source: str
    target: str
    label: str = ""
    condition: dict | None = None
    default: bool = False
    points: list = field(default_factory=list)
    outcome: str = ""  # approved / return / reject (out of a stage's outcome), resubmit (back to routing)


@dataclass(frozen=True)
class Mark:
    fill: str  # the node's (or the stage frame's) colour
    label: str  # replaces the node's detail line; a stage frame's words
    ink: str = "#1d2433"  # the colour of the text on `fill`
    title: str = ""  # the tooltip
    href: str = ""  # the node becomes a link


@dataclass
class Overlay:
    nodes: dict = field(default_factory=dict)  # node id -> Mark
    stages: dict = field(default_factory=dict)  # approval stage key -> Mark (a frame around it)
    legend: list = field(default_factory=list)  # [(fill, words)] under the diagram
    legend_title: str = ""


LEGEND_H = 44


@dataclass
class Layout:
    nodes: list
    edges: list
    width: int
    height: int

    def node(self, node_id):
        return next(n for n in self.nodes if n.id == node_id)


def approver_detail(approver: dict) -> str:
    detail = _approver_who(approver)
    if isinstance(approver.get("fields"), list) and approver["fields"]:
        detail += f"; fills in {', '.join(str(f) for f in approver['fields'])}"
    return detail


def _approver_who(approver: dict) -> str:
    kind = approver.get("type")
    if kind == "role":
        return f"any member of {approver.get('role')}"
    if kind == "user":
        return f"named: {approver.get('user')}"
    if kind == "user_field":
        return f"the person named in {approver.get('field')}"
    if kind == "department_role":
        return f"a member of {approver.get('role')} in the requester's department"
    if kind == "manager" and approver.get("authority") is True:
        return "requester's manager, or higher up when the amount is above their authority"
    return APPROVER_KINDS.get(kind, str(kind))


def policy_text(stage: dict) -> str:
    policy = stage.get("policy", "all")
    if policy == "any":
        return "any one approves"
    if policy == "n_of_m":
        return f"{stage.get('n')} of {len(stage.get('approvers', []))} approve"
    return "all approve"


DEFAULT_ATTEMPTS = STEP_DEFAULT_RETRY["attempts"]
DEFAULT_BACKOFF = STEP_DEFAULT_RETRY["backoff_seconds"]
DEFAULT_MAX_BACKOFF = STEP_DEFAULT_RETRY["max_backoff_seconds"]
DEFAULT_RETRY_ON = STEP_DEFAULT_RETRY["retry_on"]
DEFAULT_WAIT_HOURS = STEP_DEFAULT_WAIT_HOURS
STEP_KINDS = {"http": "HTTP step", "wait": "Wait", "ui": "UI step"}
CONCEALED = "…"


def is_step(stage) -> bool:
    return isinstance(stage, dict) and stage.get("type") in STEP_TYPES


def _hours(value) -> str:
    try:
        return f"{float(value):g}"
    except (TypeError, ValueError):
        return str(value)


def seconds_text(value) -> str:
    seconds = float(value)
    if seconds >= 60 and seconds % 60 == 0:
        return f"{seconds / 60:g} min"
    return f"{seconds:g} s"


def url_shown(url) -> str:
    """A step's URL as people may read it: placeholders stay, a password or a literal query value
    (which could be a key someone pasted) becomes "…". Secrets themselves are never in a spec."""
    url = str(url or "")
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    if parts.password:
        url = url.replace(f":{parts.password}@", f":{CONCEALED}@", 1)
    base, sep, query = url.partition("?")
    if not sep:
        return url
    shown = []
    for pair in query.split("&"):
        name, eq, value = pair.partition("=")
        keep = not value or PLACEHOLDER.fullmatch(value.strip())
        shown.append(f"{name}{eq}{value if keep else CONCEALED}")
    return f"{base}?{'&'.join(shown)}"


def request_text(request) -> str:
    """`POST https://erp/api/invoices` of a step's request (or undo)."""
    if not isinstance(request, dict):
        return ""
    return f"{str(request.get('method') or 'POST').upper()} {url_shown(request.get('url'))}".strip()


def step_attempts(stage: dict) -> int:
    retry = stage.get("retry") if isinstance(stage.get("retry"), dict) else {}
    attempts = retry.get("attempts", DEFAULT_ATTEMPTS)
    return attempts if isinstance(attempts, int) and not isinstance(attempts, bool) else DEFAULT_ATTEMPTS


def retry_text(stage: dict) -> str:
    """`3 attempts`: how often an HTTP step is tried before it counts as failed."""
    attempts = step_attempts(stage)
    return "1 attempt, no retry" if attempts == 1 else f"{attempts} attempts"


def wait_hours(stage: dict) -> str:
    return _hours(stage.get("timeout_hours", DEFAULT_WAIT_HOURS))


def step_detail(stage: dict) -> str:
    """What a step does, in a few words: `calls ERP` or `waits for Customer portal, up to 72 h`."""
    system = stage.get("system") or "another system"
    if stage.get("type") == "wait":
        return f"waits for {system}, up to {wait_hours(stage)} h"
    if stage.get("type") == "ui":
        return f"enters it in {system} (browser)"
    return f"calls {system}"


def approver_node_id(stage_key: str, approver_key, index: int) -> str:
    """The id of an approver's task in the diagram (the BPMN's too): `<stage>_<approver>`."""
    return f"{stage_key}_{approver_key or index + 1}"


def _size(node: Node) -> Node:
    node.w, node.h = {
        "task": (TASK_W, TASK_H),
        "service": (TASK_W, TASK_H),
        "receive": (TASK_W, TASK_H),
        "parallel": (GATE, GATE),
        "exclusive": (GATE, GATE),
    }.get(node.kind, (EVENT, EVENT))
    return node


def _step_node(key: str, name: str, stage: dict) -> Node:
    if stage.get("type") == "wait":
        hours = stage.get("timeout_hours", DEFAULT_WAIT_HOURS)
        return Node(
            key,
            "receive",
            name,
            detail=f"waits for {stage.get('system') or 'another system'}",
            note=f"up to {wait_hours(stage)} h",
            timeout_hours=float(hours) if isinstance(hours, int | float) and not isinstance(hours, bool) else None,
        )
    return Node(key, "service", name, detail=step_detail(stage), note=retry_text(stage), undo="undo" in stage)


def layout(spec: dict) -> Layout:
    stages = [s for s in spec.get("stages", []) if isinstance(s, dict)]
    words = Spec(spec).words
    lanes = max([len(s.get("approvers") if isinstance(s.get("approvers"), list) else []) or 1 for s in stages] or [1])
    height = TOP + lanes * LANE_H + 30
    mid = TOP + lanes * LANE_H // 2
    approving = any(not is_step(s) for s in stages)  # an approval stage can return or reject
    rework_y, rejected_y = height + 10, height + 66  # the lanes below the stages, when they are drawn
    nodes, edges, x = [], [], 50

    def place(node: Node, *, y_center=mid, column_x=None) -> Node:
        _size(node)
        node.x = column_x if column_x is not None else x
        node.y = y_center - node.h // 2
        nodes.append(node)
        return node

    def connect(source, target, **kwargs):
        edges.append(Edge(id=f"flow_{len(edges) + 1}", source=source.id, target=target.id, **kwargs))

    previous = place(Node("start", "start", "Request submitted"))
    x += EVENT + COLUMN_GAP
    route = rework = None
    if approving:  # where a resubmitted request joins the routing again
        route = place(Node(ROUTE_ID, "exclusive", "Route the request (again after a resubmission)"))
        connect(previous, route)
        previous = route
        x += GATE + COLUMN_GAP
        rework = place(
            Node(REWORK_ID, "task", "Requester reworks", detail="returned: fix and resubmit"),
            y_center=rework_y,
            column_x=route.cx - TASK_W // 2,
        )
        connect(rework, route, label=RESUBMIT, outcome=RESUBMIT)
    outcomes = []
    for s_index, stage in enumerate(stages):
        key = stage.get("key") or f"stage{s_index + 1}"
        name = stage.get("name") or key
        check = None
        if stage.get("when"):
            check = place(Node(f"{key}_check", "exclusive", f"{name}?"))
            connect(previous, check)
            x += GATE + LABEL_GAP
        rule = {"label": condition_text(stage["when"], words), "condition": stage.get("when")} if check else {}
        if is_step(stage):
            step = place(_step_node(key, name, stage))
            connect(check or previous, step, **rule)
            previous = step
            x += TASK_W + COLUMN_GAP
            if check:
                merge = place(Node(f"{key}_merge", "exclusive", ""))
                connect(step, merge)
                connect(check, merge, label="otherwise: skip", default=True)
                x += GATE + COLUMN_GAP
                previous = merge
            continue
        split = place(Node(f"{key}_split", "parallel", f"{name}: in parallel"))
        connect(check or previous, split, **rule)
        x += GATE + COLUMN_GAP
        approvers = stage.get("approvers", [])
        ys = [mid + (i - (len(approvers) - 1) / 2) * LANE_H for i in range(len(approvers))]
        conditional = any(a.get("when") for a in approvers)
        check_x, task_x = x, x + (GATE + LABEL_GAP if conditional else 0)
        merge_x = task_x + TASK_W + COLUMN_GAP
        join_x = merge_x + (GATE + COLUMN_GAP if conditional else 0)
        join = Node(f"{key}_join", "parallel", f"{name}: {policy_text(stage)}", detail=policy_text(stage))
        for a_index, approver in enumerate(approvers):
            a_key = approver_node_id(key, approver.get("key"), a_index)
            y = int(ys[a_index])
            task = place(
                Node(a_key, "task", approver.get("label") or approver.get("key", ""), detail=approver_detail(approver)),
                y_center=y,
                column_x=task_x,
            )
            if approver.get("when"):
                a_check = place(Node(f"{a_key}_check", "exclusive", f"{task.name}?"), y_center=y, column_x=check_x)
                a_merge = place(Node(f"{a_key}_merge", "exclusive", ""), y_center=y, column_x=merge_x)
                connect(split, a_check)
                connect(a_check, task, label=condition_text(approver["when"], words), condition=approver["when"])
                connect(a_check, a_merge, label="otherwise", default=True)
                connect(task, a_merge)
                connect(a_merge, join)
            else:
                connect(split, task, label="always" if conditional else "")
                connect(task, join)
        x = join_x
        place(join)
        x += GATE + COLUMN_GAP
        outcome = place(Node(f"{key}_outcome", "exclusive", f"{name}: approved, returned or rejected?"))
        connect(join, outcome)
        connect(outcome, rework, label=RETURN, outcome=RETURN)
        outcomes.append(outcome)
        x += GATE + OUTCOME_GAP
        previous = outcome
        if check:
            merge = place(Node(f"{key}_merge", "exclusive", ""))
            connect(outcome, merge)
            connect(check, merge, label="otherwise: skip", default=True)
            x += GATE + COLUMN_GAP
            previous = merge
    end = place(Node("end", "end", "Approved"))
    connect(previous, end)
    if approving:
        rejected = place(Node(REJECTED_ID, "end", "Rejected"), y_center=rejected_y, column_x=end.x)
        for outcome in outcomes:
            connect(outcome, rejected, label=REJECT, outcome=REJECT)
        height = rejected_y + EVENT // 2 + 30
    width = x + EVENT + 20
    for edge in edges:  # the way on out of a stage's outcome is its approval
        if edge.source in {o.id for o in outcomes} and not edge.outcome:
            edge.label, edge.outcome = APPROVED, APPROVED
    by_id = {n.id: n for n in nodes}
    for edge in edges:
        edge.points = _route(by_id[edge.source], by_id[edge.target], edge=edge)
    return Layout(nodes, edges, width, height)


def _route(a: Node, b: Node, *, edge: Edge) -> list[tuple[int, int]]:
    if edge.outcome == RETURN:  # down from the outcome, then left along the rework lane
        return [(a.cx, a.y + a.h), (a.cx, b.cy), (b.x + b.w, b.cy)]
    if edge.outcome == REJECT:  # down past the rework lane, then right to "Rejected"
        return [(a.cx, a.y + a.h), (a.cx, b.cy), (b.x, b.cy)]
    if edge.outcome == RESUBMIT:  # straight up from the rework task into the routing
        return [(a.cx, a.y), (b.cx, b.y + b.h)]
    if edge.default and edge.label.startswith("otherwise: skip"):  # the skipped path runs above the approvers
        return [(a.cx, a.y), (a.cx, TOP - 40), (b.cx, TOP - 40), (b.cx, b.y)]
    if edge.default:  # an approver that does not apply: around its task, below it
        below = a.y + a.h + 14
        return [(a.cx, a.y + a.h), (a.cx, below), (b.cx, below), (b.cx, b.y + b.h)]
    start, end = (a.x + a.w, a.cy), (b.x, b.cy)
    if a.cy == b.cy:
        return [start, end]
    if a.kind in {"parallel", "exclusive"} and b.kind not in {"parallel"} or a.kind == "parallel":
        # fan out: leave the gateway vertically, then run across
        return [(a.cx, a.y + a.h if b.cy > a.cy else a.y), (a.cx, b.cy), end]
    # fan in: run across, then drop into the gateway
    return [start, (b.cx, a.cy), (b.cx, b.y if a.cy < b.cy else b.y + b.h)]


def xml_text(value) -> str:
    """Text as XML 1.0 may carry it: control characters and lone surrogates, which no name needs
    and which would make the SVG or BPMN unreadable, are dropped. Escaping is the serializer's."""
    return XML_ILLEGAL.sub("", str(value))


def _add(parent, tag: str, text: str | None = None, **attrs) -> ET.Element:
    """One SVG element; `stroke_width=` becomes `stroke-width`, `class_=` `class`. ElementTree
    escapes every text and attribute value for its place, quotes included."""
    names = {key: key.rstrip("_").replace("_", "-") for key in attrs}
    element = ET.SubElement(parent, tag, {names[k]: xml_text(v) for k, v in attrs.items() if v is not None})
    if text is not None:
        element.text = xml_text(text)
    return element


def _text(parent, x, y, text, *, size=12, anchor="middle", weight="normal", fill="#1d2433", css=None):
    return _add(
        parent,
        "text",
        text,
        x=x,
        y=y,
        font_size=size,
        text_anchor=anchor,
        font_weight=weight,
        fill=fill,
        class_=css,
    )


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _marked(parent, mark: Mark | None):
    """Where a node is drawn: inside a link when its mark has one."""
    return _add(parent, "a", href=mark.href, class_="mark") if mark and mark.href else parent


def _task_svg(parent, node: Node, mark: Mark | None = None) -> None:
    css = "task rework" if node.id == REWORK_ID else "task"
    group = _add(_marked(parent, mark), "g", class_=f"{css} marked" if mark else css, data_key=node.id)
    tip = f"{node.name}: {node.detail}"  # the whole name; the label may be cut
    _add(group, "title", f"{tip}. {mark.title}" if mark and mark.title else tip)
    box = {"x": node.x, "y": node.y, "width": node.w, "height": node.h, "rx": 10}
    _add(group, "rect", **box, fill=mark.fill if mark else "#eaf0ff", stroke="#2f5bea", stroke_width=1.5)
    _text(
        group, node.cx, node.y + 23, _short(node.name, 24), size=13, weight="600", fill=mark.ink if mark else "#1d2433"
    )
    if mark:
        _text(group, node.cx, node.y + 41, _short(mark.label, 30), size=11, weight="600", fill=mark.ink, css="numbers")
    else:
        _text(group, node.cx, node.y + 41, _short(node.detail, 28), size=11, fill="#5b6477")


def _step_svg(parent, node: Node, mark: Mark | None = None) -> None:
    """A service task (gear-like mark, retries, an undo tag) or a receive task (envelope mark)."""
    service = node.kind == "service"
    fill, stroke = ("#eefaf3", "#1f7a46") if service else ("#f5f0ff", "#6a3fc1")
    x, y = node.x, node.y
    css = f"step {'http' if service else 'wait'}"
    group = _add(_marked(parent, mark), "g", class_=f"{css} marked" if mark else css, data_key=node.id)
    box = {"x": x, "y": y, "width": node.w, "height": node.h, "rx": 10}
    _add(group, "rect", **box, fill=mark.fill if mark else fill, stroke=stroke, stroke_width=1.5)
    tip = f"{node.name}: {node.detail}, {node.note}"
    _add(group, "title", f"{tip}. {mark.title}" if mark and mark.title else tip)
    if mark:
        _text(group, node.cx, y + 22, _short(node.name, 24), size=13, weight="600", fill=mark.ink)
        _text(group, node.cx, y + 42, _short(mark.label, 30), size=11, weight="600", fill=mark.ink, css="numbers")
        return
    if service:
        mark = {"fill": "none", "stroke": stroke, "stroke_width": 2, "stroke_dasharray": "3 2"}
        _add(group, "circle", cx=x + 14, cy=y + 14, r=6, **mark)
        _add(group, "circle", cx=x + 14, cy=y + 14, r=2, fill=stroke)
    else:
        _add(group, "rect", x=x + 7, y=y + 9, width=15, height=10, fill="#fff", stroke=stroke)
        points = f"{x + 7},{y + 9} {x + 14.5},{y + 15} {x + 22},{y + 9}"
        _add(group, "polyline", points=points, fill="none", stroke=stroke)
    _text(group, node.cx + 6, y + 18, _short(node.name, 22), size=13, weight="600")
    _text(group, node.cx, y + 34, _short(node.detail, 28), size=11, fill="#5b6477")
    _text(group, node.cx - (12 if node.undo else 0), y + 49, _short(node.note, 22), size=10, fill=stroke, css="note")
    if node.undo:
        undo = _add(group, "g", class_="undo")
        _add(undo, "title", "Has an undo call, run when the case is cancelled or fails")
        _add(undo, "rect", x=x + node.w - 40, y=y + node.h - 13, width=36, height=15, rx=7, fill="#fff", stroke=stroke)
        _text(undo, x + node.w - 22, y + node.h - 2, "undo", size=10, fill=stroke)


def _gateway_svg(parent, node: Node) -> None:
    (cx, cy), half = (node.cx, node.cy), node.w // 2
    group = _add(parent, "g", class_=f"gateway {node.kind}")
    if node.name:
        _add(group, "title", node.name)
    diamond = f"{cx},{cy - half} {cx + half},{cy} {cx},{cy + half} {cx - half},{cy}"
    _add(group, "polygon", points=diamond, fill="#fff3dc", stroke="#9a5b00", stroke_width=1.5)
    _text(group, cx, cy + 6, "+" if node.kind == "parallel" else "×", size=18, weight="700", fill="#9a5b00")
    if node.detail:
        _text(parent, cx, node.y + node.h + 16, node.detail, size=11, fill="#9a5b00", css="policy")


def _event_svg(parent, node: Node) -> None:
    end, rejected = node.kind == "end", node.id == REJECTED_ID
    group = _add(parent, "g", class_=f"event {node.kind}" + (" rejected" if rejected else ""))
    _add(
        group,
        "circle",
        cx=node.cx,
        cy=node.cy,
        r=node.w // 2,
        fill="#fde8e8" if rejected else "#e5f5ec" if end else "#fff",
        stroke="#b42c2c" if rejected else "#1f7a46" if end else "#5b6477",
        stroke_width=3 if end else 1.5,
    )
    _text(group, node.cx, node.y + node.h + 16, node.name, size=11, fill="#5b6477")


OUTCOME_COLOURS = {RETURN: "#9a5b00", RESUBMIT: "#9a5b00", REJECT: "#b42c2c"}


def _edge_svg(parent, edge: Edge) -> None:
    points = " ".join(f"{px},{py}" for px, py in edge.points)
    dash = "5 4" if edge.default or edge.outcome in {RETURN, RESUBMIT} else None
    colour = OUTCOME_COLOURS.get(edge.outcome, "#5b6477")
    line = {"fill": "none", "stroke": colour, "stroke_width": 1.5, "stroke_dasharray": dash}
    css = f"flow {edge.outcome}" if edge.outcome else "flow"
    _add(parent, "polyline", class_=css, points=points, **line, marker_end="url(#arrow)")
    if not edge.label:
        return
    (x1, y1), (x2, y2) = edge.points[-2], edge.points[-1]
    if edge.outcome in {RETURN, REJECT}:  # by the corner, on the side the path turns to
        (cx, cy), left = edge.points[1], edge.outcome == RETURN
        _text(
            parent,
            cx + (-8 if left else 8),
            cy - 6,
            edge.label,
            size=11,
            anchor="end" if left else "start",
            fill=colour,
            css=f"outcome {edge.outcome}",
        )
        return
    if edge.default:
        lx = (edge.points[1][0] + edge.points[2][0]) // 2
        ly = edge.points[1][1] + (-6 if edge.label.startswith("otherwise: skip") else 12)
    else:
        lx, ly = (x1 + x2) // 2 if y1 == y2 else x1 + 6, (y1 + y2) // 2 - 6 if y1 == y2 else (y1 + y2) // 2
    anchor = "middle" if y1 == y2 or edge.default else "start"
    css = f"outcome {edge.outcome}" if edge.outcome else "rule" if edge.condition else "otherwise"
    fill = colour if edge.outcome in OUTCOME_COLOURS else "#2145c0"
    label = _text(parent, lx, ly, _short(edge.label, 34), size=11, anchor=anchor, fill=fill, css=css)
    if len(edge.label) > 34:
        _add(label, "title", edge.label)


def _frame_svg(parent, lay: Layout, key: str, mark: Mark) -> None:
    """A tinted frame around an approval stage (its split to its outcome), its words on top."""
    ids = (f"{key}_split", f"{key}_outcome")
    ends = [n for n in lay.nodes if n.id in ids]
    if len(ends) != 2:
        return
    left, right = ends[0].x, ends[1].x + ends[1].w
    inside = [n for n in lay.nodes if left <= n.x <= right]
    x0, x1 = left - 10, right + 10
    y0, y1 = min(n.y for n in inside) - 24, max(n.y + n.h for n in inside) + 24
    group = _add(_marked(parent, mark), "g", class_="stage-frame", data_key=key)
    _add(group, "title", mark.title or mark.label)
    box = {"x": x0, "y": y0, "width": x1 - x0, "height": y1 - y0, "rx": 12}
    _add(group, "rect", **box, fill=mark.fill, fill_opacity=0.35, stroke=mark.fill, stroke_width=2)
    _text(group, x0 + 8, y0 + 15, _short(mark.label, 60), size=11, anchor="start", weight="600", css="numbers")


def _legend_svg(parent, overlay: Overlay, y: int) -> None:
    group = _add(parent, "g", class_="legend")
    x = 20
    if overlay.legend_title:
        _text(group, x, y + 17, overlay.legend_title, size=11, anchor="start", weight="600")
        x += 8 * len(overlay.legend_title) + 10
    for fill, words in overlay.legend:
        _add(group, "rect", x=x, y=y + 5, width=18, height=16, rx=3, fill=fill, stroke="#5b6477", stroke_width=0.5)
        _text(group, x + 24, y + 17, words, size=11, anchor="start", fill="#1d2433")
        x += 24 + 7 * len(words) + 18


def render_svg(spec: dict, *, title: str = "", overlay: Overlay | None = None) -> SafeString:
    """The diagram as an inline SVG element (no scripts, no styles, no external resources);
    with an `overlay`, the numbers painted on it (see the module's docstring).

    Built as an ElementTree and serialized by it, so every name from the spec is escaped for the
    text or attribute it lands in; that is why the result may be marked safe for templates."""
    lay = layout(spec)
    height = lay.height + (LEGEND_H if overlay and overlay.legend else 0)
    root = ET.Element("svg", {"xmlns": SVG_NS})
    root.attrib.update(
        {
            "class": "diagram",
            "viewBox": f"0 0 {lay.width} {height}",
            "width": str(lay.width),
            "height": str(height),
            "role": "img",
            "aria-label": xml_text(title or "Workflow diagram"),
            "font-family": "system-ui, sans-serif",
        }
    )
    marker = _add(_add(root, "defs"), "marker", id="arrow", viewBox="0 0 10 10", refX=10, refY=5, markerWidth=7)
    marker.attrib.update({"markerHeight": "7", "orient": "auto-start-reverse"})
    _add(marker, "path", d="M 0 0 L 10 5 L 0 10 z", fill="#5b6477")
    if title:
        _add(root, "title", title)
    for key, mark in (overlay.stages if overlay else {}).items():
        _frame_svg(root, lay, key, mark)
    for edge in lay.edges:
        _edge_svg(root, edge)
    drawers = {"task": _task_svg, "service": _step_svg, "receive": _step_svg}
    drawers.update(parallel=_gateway_svg, exclusive=_gateway_svg)
    marks = overlay.nodes if overlay else {}
    for node in lay.nodes:
        if node.id in marks and node.kind in {"task", "service", "receive"}:
            drawers[node.kind](root, node, marks[node.id])
        else:
            drawers.get(node.kind, _event_svg)(root, node)
    if overlay and overlay.legend:
        _legend_svg(root, overlay, lay.height)
    # NOTE: the one place a string becomes markup; ElementTree has escaped all of it.
    return SafeString(ET.tostring(root, encoding="unicode"))
