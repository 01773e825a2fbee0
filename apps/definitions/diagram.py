"""A version's process diagram, laid out from its spec and drawn as SVG on the server.

The same layout feeds the BPMN export (bpmn.py), so the picture and the file agree. Left to
right: start, then per stage an optional check (the stage's rule), a parallel split, one task
per approver (its rule on its arrow, a check and a merge around it), the join with the stage's
policy, the merge of the skipped path; then the end.
"""

from dataclasses import dataclass, field
from xml.sax.saxutils import escape

from .reachability import condition_text

TASK_W, TASK_H, GATE, EVENT = 170, 56, 40, 34
COLUMN_GAP, LABEL_GAP, LANE_H, TOP = 50, 150, 92, 70
APPROVER_KINDS = {
    "manager": "requester's manager",
    "managers_manager": "manager's manager",
}


@dataclass
class Node:
    id: str
    kind: str  # start, end, task, parallel, exclusive
    name: str
    x: int = 0
    y: int = 0
    w: int = 0
    h: int = 0
    detail: str = ""

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


@dataclass
class Layout:
    nodes: list
    edges: list
    width: int
    height: int

    def node(self, node_id):
        return next(n for n in self.nodes if n.id == node_id)


def approver_detail(approver: dict) -> str:
    kind = approver.get("type")
    if kind == "role":
        return f"any member of {approver.get('role')}"
    if kind == "user":
        return f"named: {approver.get('user')}"
    return APPROVER_KINDS.get(kind, str(kind))


def policy_text(stage: dict) -> str:
    policy = stage.get("policy", "all")
    if policy == "any":
        return "any one approves"
    if policy == "n_of_m":
        return f"{stage.get('n')} of {len(stage.get('approvers', []))} approve"
    return "all approve"


def _size(node: Node) -> Node:
    node.w, node.h = {
        "task": (TASK_W, TASK_H),
        "parallel": (GATE, GATE),
        "exclusive": (GATE, GATE),
    }.get(node.kind, (EVENT, EVENT))
    return node


def layout(spec: dict) -> Layout:
    stages = [s for s in spec.get("stages", []) if isinstance(s, dict)]
    lanes = max([len(s.get("approvers", [])) or 1 for s in stages] or [1])
    height = TOP + lanes * LANE_H + 30
    mid = TOP + lanes * LANE_H // 2
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
    for s_index, stage in enumerate(stages):
        key = stage.get("key") or f"stage{s_index + 1}"
        name = stage.get("name") or key
        check = None
        if stage.get("when"):
            check = place(Node(f"{key}_check", "exclusive", f"{name}?"))
            connect(previous, check)
            x += GATE + LABEL_GAP
        split = place(Node(f"{key}_split", "parallel", f"{name}: in parallel"))
        connect(
            check or previous, split, label=condition_text(stage["when"]) if check else "", condition=stage.get("when")
        )
        x += GATE + COLUMN_GAP
        approvers = stage.get("approvers", [])
        ys = [mid + (i - (len(approvers) - 1) / 2) * LANE_H for i in range(len(approvers))]
        conditional = any(a.get("when") for a in approvers)
        check_x, task_x = x, x + (GATE + LABEL_GAP if conditional else 0)
        merge_x = task_x + TASK_W + COLUMN_GAP
        join_x = merge_x + (GATE + COLUMN_GAP if conditional else 0)
        join = Node(f"{key}_join", "parallel", f"{name}: {policy_text(stage)}", detail=policy_text(stage))
        for a_index, approver in enumerate(approvers):
            a_key = f"{key}_{approver.get('key') or a_index + 1}"
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
                connect(a_check, task, label=condition_text(approver["when"]), condition=approver["when"])
                connect(a_check, a_merge, label="otherwise", default=True)
                connect(task, a_merge)
                connect(a_merge, join)
            else:
                connect(split, task, label="always" if conditional else "")
                connect(task, join)
        x = join_x
        place(join)
        x += GATE + COLUMN_GAP
        previous = join
        if check:
            merge = place(Node(f"{key}_merge", "exclusive", ""))
            connect(join, merge)
            connect(check, merge, label="otherwise: skip", default=True)
            x += GATE + COLUMN_GAP
            previous = merge
    end = place(Node("end", "end", "Approved"))
    connect(previous, end)
    width = x + EVENT + 20
    by_id = {n.id: n for n in nodes}
    for edge in edges:
        edge.points = _route(by_id[edge.source], by_id[edge.target], edge=edge)
    return Layout(nodes, edges, width, height)


def _route(a: Node, b: Node, *, edge: Edge) -> list[tuple[int, int]]:
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


def _text(x, y, text, *, size=12, anchor="middle", weight="normal", fill="#1d2433", css=""):
    return (
        f'<text x="{x}" y="{y}" font-size="{size}" text-anchor="{anchor}" font-weight="{weight}" '
        f'fill="{fill}"{f" class={chr(34)}{css}{chr(34)}" if css else ""}>{escape(text)}</text>'
    )


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def render_svg(spec: dict, *, title: str = "") -> str:
    """The diagram as an inline SVG element (no scripts, no external resources)."""
    lay = layout(spec)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="diagram" viewBox="0 0 {lay.width} {lay.height}" '
        f'width="{lay.width}" height="{lay.height}" role="img" aria-label="{escape(title or "Workflow diagram")}" '
        'font-family="system-ui, sans-serif">',
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" '
        'orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="#5b6477"/></marker></defs>',
    ]
    if title:
        out.append(f"<title>{escape(title)}</title>")
    for edge in lay.edges:
        points = " ".join(f"{px},{py}" for px, py in edge.points)
        dash = ' stroke-dasharray="5 4"' if edge.default else ""
        out.append(
            f'<polyline class="flow" points="{points}" fill="none" stroke="#5b6477" stroke-width="1.5"{dash} '
            'marker-end="url(#arrow)"/>'
        )
        if edge.label:
            (x1, y1), (x2, y2) = edge.points[-2], edge.points[-1]
            if edge.default:
                lx, ly = (
                    (edge.points[1][0] + edge.points[2][0]) // 2,
                    edge.points[1][1] + (-6 if edge.label.startswith("otherwise: skip") else 12),
                )
            else:
                lx, ly = (x1 + x2) // 2 if y1 == y2 else x1 + 6, (y1 + y2) // 2 - 6 if y1 == y2 else (y1 + y2) // 2
            anchor = "middle" if y1 == y2 or edge.default else "start"
            css = "rule" if edge.condition else "otherwise"
            out.append(_text(lx, ly, _short(edge.label, 34), size=11, anchor=anchor, fill="#2145c0", css=css))
    for node in lay.nodes:
        if node.kind == "task":
            out.append(
                f'<g class="task" data-key="{escape(node.id)}"><rect x="{node.x}" y="{node.y}" width="{node.w}" '
                f'height="{node.h}" rx="10" fill="#eaf0ff" stroke="#2f5bea" stroke-width="1.5"/>'
                + _text(node.cx, node.y + 23, _short(node.name, 24), size=13, weight="600")
                + _text(node.cx, node.y + 41, _short(node.detail, 28), size=11, fill="#5b6477")
                + "</g>"
            )
        elif node.kind in {"parallel", "exclusive"}:
            c, half = (node.cx, node.cy), node.w // 2
            diamond = f"{c[0]},{c[1] - half} {c[0] + half},{c[1]} {c[0]},{c[1] + half} {c[0] - half},{c[1]}"
            mark = "+" if node.kind == "parallel" else "×"
            out.append(
                f'<g class="gateway {node.kind}"><polygon points="{diamond}" fill="#fff3dc" stroke="#9a5b00" '
                f'stroke-width="1.5"/>' + _text(c[0], c[1] + 6, mark, size=18, weight="700", fill="#9a5b00") + "</g>"
            )
            if node.detail:
                out.append(_text(c[0], node.y + node.h + 16, node.detail, size=11, fill="#9a5b00", css="policy"))
        else:
            end = node.kind == "end"
            out.append(
                f'<g class="event {node.kind}"><circle cx="{node.cx}" cy="{node.cy}" r="{node.w // 2}" '
                f'fill="{"#e5f5ec" if end else "#fff"}" stroke="{"#1f7a46" if end else "#5b6477"}" '
                f'stroke-width="{3 if end else 1.5}"/>'
                + _text(node.cx, node.y + node.h + 16, node.name, size=11, fill="#5b6477")
                + "</g>"
            )
    out.append("</svg>")
    return "".join(out)
