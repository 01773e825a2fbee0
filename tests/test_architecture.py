"""The spec's JSON is read only in apps/definitions, a task's `data` only in apps/cases.

Everyone else asks `spec_of(version)` (apps.definitions.accessors) and `task_info(task)`
(apps.cases.taskinfo): a key renamed or a default changed is then one edit in one app. This test
reads the source of every other module (as Python syntax, so comments and docstrings may still
name the keys) and lists each raw read it finds.
"""

import ast
from pathlib import Path

APPS = Path(__file__).resolve().parent.parent / "apps"
OWNERS = {"definitions", "cases"}  # the apps that own the JSON they read
SPEC_KEYS = {"stages", "fields", "reason_codes"}
TASK_NAMES = {"task", "t"}
SPEC_NAMES = {"spec", "stage", "step"}  # what a spec, or a piece of one, is called where it is read

# Files allowed to read them anyway: none. (An entry here is a debt; move the read instead.)
ALLOWED: set[str] = set()

MSG = "{path}:{line}: {what}; read it through {instead}."


def _is_task(node: ast.AST) -> bool:
    """`task`, `t`, `something_task` or `x.task`: the names this codebase gives a viewflow task."""
    if isinstance(node, ast.Name):
        return node.id in TASK_NAMES or node.id.endswith("_task")
    return isinstance(node, ast.Attribute) and node.attr == "task"


def _is_spec(node: ast.AST) -> bool:
    """`x.spec`, or a local `spec` / `stage` / `step`."""
    if isinstance(node, ast.Name):
        return node.id in SPEC_NAMES
    return isinstance(node, ast.Attribute) and node.attr == "spec"


def _key(node: ast.AST) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _raw_reads(tree: ast.AST):
    """(line, what, instead) for each raw read of a spec or of a task's data."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr == "data" and _is_task(node.value):
            yield node.lineno, f"{ast.unparse(node)} (a task's data)", "apps.cases.taskinfo.task_info"
        elif isinstance(node, ast.Subscript) and (_is_spec(node.value) or _key(node.slice) in SPEC_KEYS):
            yield node.lineno, f"{ast.unparse(node)} (the spec's JSON)", "apps.definitions.accessors.spec_of"
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "get"
            and (_is_spec(node.func.value) or (node.args and _key(node.args[0]) in SPEC_KEYS))
        ):
            yield node.lineno, f"{ast.unparse(node)} (the spec's JSON)", "apps.definitions.accessors.spec_of"


def _modules():
    for path in sorted(APPS.rglob("*.py")):
        relative = path.relative_to(APPS)
        if relative.parts[0] in OWNERS or "migrations" in relative.parts:
            continue
        yield relative.as_posix(), path


def test_only_definitions_reads_the_spec_and_only_cases_reads_task_data():
    found = [
        MSG.format(path=f"apps/{name}", line=line, what=what, instead=instead)
        for name, path in _modules()
        if name not in ALLOWED
        for line, what, instead in _raw_reads(ast.parse(path.read_text(), filename=str(path)))
    ]
    assert found == [], "\n".join(found)


def test_the_check_finds_each_kind_of_raw_read():
    """The scanner itself: each forbidden shape is reported, the typed reads are not."""
    source = "\n".join(
        [
            'a = case.version.spec["stages"]',
            'b = version.spec.get("fields", [])',
            'c = [s for s in spec["fields"]]',
            'd = task.data.get("label")',
            'e = t.data["kind"]',
            "f = activation.task.data",
            "g = spec_of(case.version).stages",
            "h = task_info(task).label",
            'i = self.data.get("name")',  # a form's data: not a task's
            'j = case.route.get("approvers")',
            'k = stage.get("timeout_hours", 72)',
            'l = spec.get("calendar")',
        ]
    )
    lines = sorted({line for line, _, _ in _raw_reads(ast.parse(source))})
    assert lines == [1, 2, 3, 4, 5, 6, 11, 12]
