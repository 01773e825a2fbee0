"""Who gets what from every page and API endpoint: the authorization matrix, written once.

tests/security/test_authz_matrix.py walks the URL conf and fails for any URL pattern without a
row here (and for any API view method without one), then requests every row as every demo role.

How to add a row
----------------
One line per (URL name, method[, object]):

    Row("inbox:case", "GET", "L  O/F  O/F  F  O  F  O", obj="case"),

- The name is the URL name with its namespace ("inbox:case", "api-case"); a pattern without a
  name is written as its route ("demo/erp/invoices/"), or as its view for a regular expression
  ("apps.api.urls.not_found", the API's catch-all).
- The answer string has one cell per role, in the order of ROLES below (anonymous, alice the
  requester, fiona the finance approver, oscar the operator, audrey the auditor, olivia the
  workflow owner, admin the superuser).
- A cell is one letter, or "own/other" when the URL names an object: "O/F" means ok on the
  role's own object, forbidden on someone else's. What "own" and "other" are for each kind of
  object is in tests/security/conftest.py (e.g. case: alice's case, where fiona holds the finance
  task; other: leo's case, where neither has anything to do).
- `obj` picks the objects that fill the URL's arguments (kinds in SINGLE have one object, and so
  one answer per role; "missing-run" is an id that does not exist); `data` is the body of a POST/PATCH
  (give a valid one, so that a refusal is about who asks, not about what was sent); `path`
  fills what the objects do not (a builder section, a version number).
- A role's answer that is wrong today but must not be papered over: write the cell as it SHOULD
  be and add `xfail={"audrey": "why, and who fixes it"}` (or "audrey/own" for one side only).
  The test reports it as xfail, and fails as soon as it passes, so the mark is removed.

Letters:
    O  ok: 2xx, or a redirect that is not to the login page
    L  login: a redirect to the login page, or 401
    F  forbidden: 403
    H  hidden: 404 where the code deliberately does not say whether the object exists
    M  method not allowed: 405
    B  bad request: 400 (the role got past authorization; the body was refused)
    C  conflict: 409
A 5xx is never an answer: every cell fails on one. A refused write (L, F, H, M) must also leave
the database as it was (audit trail, cases, tasks, comments ...).

Not covered: the Django admin (admin/), which has its own permission system (is_staff plus model
permissions, tested in tests/test_admin.py), and static/media files.
"""

from dataclasses import dataclass, field

ROLES = ("anonymous", "alice", "fiona", "oscar", "audrey", "olivia", "admin")
ANSWERS = {
    "O": "ok (2xx/3xx)",
    "L": "login (redirect to login, or 401)",
    "F": "forbidden (403)",
    "H": "hidden (404)",
    "M": "method not allowed (405)",
    "B": "bad request (400)",
    "C": "conflict (409)",
}

SINGLE = {"subscription", "delivery", "calendar", "endpoint", "inbound-endpoint", "missing-run"}

CASE_START = {"workflow": "purchase-approval", "data": {"amount": "700", "vendor": "Initech", "cost_center": "CC-1"}}
HOOK = {"name": "Matrix", "url": "https://hooks.example.com/matrix", "events": ["case.closed"]}
INBOUND = {
    "name": "Matrix",
    "slug": "matrix-in",
    "action": "start_case",
    "workflow": "purchase-approval",
    "run_as": "alice",
    "field_map": "amount=order.total",
}
BUILDER = {"section": "fields"}
SCHEDULE_FORM = {
    "name": "Matrix",
    "kind": "cron",
    "cron": "0 9 * * 1",
    "requester": "alice",
    "data.amount": "700",
    "data.vendor": "Initech",
}
SCHEDULE = {
    "workflow": "purchase-approval",
    "name": "Matrix",
    "cron": "0 9 * * 1",
    "requester": "alice",
    "data": {"amount": "700", "vendor": "Initech"},
}
VERSION_1 = {"ref": "1", "number": 1}


@dataclass(frozen=True)
class Row:
    name: str
    method: str
    answers: str
    obj: str | None = None
    data: dict | None = None
    path: dict = field(default_factory=dict)
    xfail: dict = field(default_factory=dict)
    files: bool = False  # send a small PDF as "attachments"

    def cells(self):
        """(role, whose, expected letter, xfail reason) for every cell of the row."""
        cells = self.answers.split()
        assert len(cells) == len(ROLES), f"{self.name} {self.method}: {len(cells)} cells for {len(ROLES)} roles"
        for role, cell in zip(ROLES, cells, strict=True):
            own, _, other = cell.partition("/")
            other = other or own
            assert {own, other} <= set(ANSWERS), f"{self.name} {self.method}: unknown answer {cell!r} for {role}"
            both = self.obj and self.obj not in SINGLE
            for whose, letter in (("own", own), ("other", other)) if both else (("own", own),):
                reason = self.xfail.get(f"{role}/{whose}") or self.xfail.get(role)
                yield role, whose, letter, reason


# fmt: off
#    name                          method   anon alice fiona oscar audrey olivia admin
ROWS = [
    # --- The API (token authentication; anonymous callers get 401) -----------------------------
    Row("api-schema",                "GET",   "O    O     O     O     O      O      O"),
    Row("api-docs",                  "GET",   "O    O     O     O     O      O      O"),
    # The token endpoint is public: the password is the authorization.
    Row("api-token",                 "POST",  "O    O     O     O     O      O      O",
        data={"username": "alice", "password": "demo"}),
    Row("api-workflows",             "GET",   "L    O     O     O     O      O      O"),
    Row("api-cases",                 "GET",   "L    O     O     O     O      O      O"),
    # Every signed-in person is a requester (apps/org/roles.py).
    Row("api-cases",                 "POST",  "L    O     O     O     O      O      O", data=CASE_START),
    # A workflow's owners read all its cases (olivia owns both demo workflows); deciding is not theirs.
    Row("api-case",                  "GET",   "L    O/F   O/F   F     O      O      O", obj="case"),
    Row("api-case",                  "GET",   "L    O/F   O/F   O     O      O      O", obj="invoice-case"),
    # Whoever is asked to act on a case reads it: the operators, for a task moved to their queue.
    Row("api-case",                  "GET",   "L    O/F   F     O/F   O      O      O", obj="escalated-case"),
    Row("api-case-steps",            "GET",   "L    O/F   O/F   O     O      O      O", obj="invoice-case"),
    Row("api-tasks",                 "GET",   "L    O     O     O     O      O      O"),
    Row("api-task-claim",            "POST",  "L    F     O/F   F     F      F      F", obj="task"),
    Row("api-task-release",          "POST",  "L    F     O/F   F     F      F      F", obj="task"),
    Row("api-task-reassign",         "POST",  "L    F     F     O     F      O      O", obj="task",
        data={"to": "role:finance", "reason": "Matrix: back to the queue"}),
    Row("api-task-complete",         "POST",  "L    F     O/F   F     F      F      F", obj="task",
        data={"decision": "approve"}),
    Row("api-definition-import",     "POST",  "L    F     F     F     F      O      O", data="import"),
    Row("api-definition-export",     "GET",   "L    F     F     F     F      O/F    O", obj="definition"),
    Row("api-cases-import",          "POST",  "L    B     B     B     B      B      B", data={}),
    Row("api-cases-export",          "GET",   "L    B     B     B     B      B      B"),
    Row("api-schedules",             "GET",   "L    F     F     F     F      O      O"),
    Row("api-schedules",             "POST",  "L    F     F     F     F      O      O", data=SCHEDULE),
    Row("api-schedule",              "GET",   "L    F     F     F     F      O/F    O", obj="api-schedule"),
    Row("api-schedule",              "PATCH", "L    F     F     F     F      O/F    O", obj="api-schedule",
        data={"name": "Renamed"}),
    Row("api-webhooks",              "GET",   "L    F     F     O     F      F      O"),
    Row("api-webhooks",              "POST",  "L    F     F     F     F      F      O", data=HOOK),
    Row("api-webhook",               "GET",   "L    F     F     O     F      F      O", obj="subscription"),
    Row("api-webhook",               "PATCH", "L    F     F     F     F      F      O", obj="subscription",
        data={"name": "Renamed"}),
    Row("api-webhook",               "DELETE", "L   F     F     F     F      F      O", obj="subscription"),
    Row("api-webhook-deliveries",    "GET",   "L    F     F     O     F      F      O", obj="subscription"),
    Row("api-webhook-redeliver",     "POST",  "L    F     F     O     F      F      O", obj="delivery"),
    Row("api-exceptions",            "GET",   "L    F     F     O     F      F      O"),
    # A step routed to fiona is hers to read and repair; the requester never repairs her own case.
    Row("api-exception",             "GET",   "L    F     O/F   O     F      F      O", obj="run"),
    Row("api-exception-retry",       "POST",  "L    F     O/F   O     F      F      O", obj="run", data={}),
    # On an HTTP step the retry with a later version's script is a conflict, for those who may repair it.
    Row("api-exception-retry-version", "POST", "L   F     C/F   C     F      F      C", obj="run",
        data={"version": 2}),
    Row("api-exception-skip",        "POST",  "L    F     O/F   O     F      F      O", obj="run",
        data={"reason": "Done by hand."}),
    Row("api-exception-assign",      "POST",  "L    F     O/F   O     F      F      O", obj="run",
        data={"username": "oscar"}),
    Row("api-exception-cancel",      "POST",  "L    F     O/F   O     F      F      O", obj="run",
        data={"reason": "Not needed."}),
    # Whether a step exists is told to those who may repair steps only: 403 for anyone else.
    Row("api-exception",             "GET",   "L    F     F     H     F      F      H", obj="missing-run"),
    Row("api-exception-retry",       "POST",  "L    F     F     H     F      F      H", obj="missing-run", data={}),
    Row("api-exception-retry-version", "POST", "L   F     F     H     F      F      H", obj="missing-run",
        data={"version": 2}),
    Row("api-exception-skip",        "POST",  "L    F     F     H     F      F      H", obj="missing-run",
        data={"reason": "Done by hand."}),
    Row("api-exception-assign",      "POST",  "L    F     F     H     F      F      H", obj="missing-run",
        data={"username": "oscar"}),
    Row("api-exception-cancel",      "POST",  "L    F     F     H     F      F      H", obj="missing-run",
        data={"reason": "Not needed."}),
    # Metrics: operators, auditors, admins all; a workflow owner hers; plain requesters and approvers none.
    Row("api-metrics",               "GET",   "L    F     F     O     O      O      O"),
    Row("api-evidence",              "GET",   "L    F     F     F     B      F      B"),  # no range given: 400 naming from/to
    # Inbound hooks authenticate by signature, not by who is signed in: unsigned is 401 for all.
    Row("api-inbound-hook",          "POST",  "L    L     L     L     L      L      L", obj="endpoint",
        data={"order": {"total": "10"}}),
    Row("apps.api.urls.not_found",   "GET",   "H    H     H     H     H      H      H",
        path={"_path": "/api/v1/nothing-here/"}),
    Row("apps.api.urls.not_found",   "POST",  "H    H     H     H     H      H      H",
        path={"_path": "/api/v1/nothing-here/"}, data={}),

    # --- Calendars (everyone reads; workflow owners and admins edit) -----------------------------
    Row("sla:calendars",             "GET",   "L    O     O     O     O      O      O"),
    Row("sla:calendar-new",          "GET",   "L    F     F     F     F      O      O"),
    Row("sla:calendar-new",          "POST",  "L    F     F     F     F      B      B", data={}),
    Row("sla:calendar",              "GET",   "L    O     O     O     O      O      O", obj="calendar"),
    Row("sla:calendar-edit",         "GET",   "L    F     F     F     F      O      O", obj="calendar"),
    Row("sla:calendar-edit",         "POST",  "L    F     F     F     F      B      B", obj="calendar", data={}),
    Row("sla:calendar-default",      "POST",  "L    F     F     F     F      O      O", obj="calendar"),

    # --- Notifications (one's own; someone else's is not found) ----------------------------------
    Row("notify:list",               "GET",   "L    O     O     O     O      O      O"),
    Row("notify:read-all",           "POST",  "L    O     O     O     O      O      O"),
    Row("notify:read",               "POST",  "L    O/H   H     H     H      H      H", obj="notification"),
    Row("notify:open",               "POST",  "L    O/H   H     H     H      H      H", obj="notification"),
    Row("notify:failed",             "GET",   "L    F     F     O     F      F      O"),
    Row("notify:retry",              "POST",  "L    F     F     O     F      F      O", obj="notification"),

    # --- One's own settings (the time zone): everybody signed in, for themselves only --------------
    # Alert thresholds: owners set their workflows', admins any; operators and auditors read.
    Row("alerts:list",               "GET",   "L    F     F     O     O      O      O"),
    Row("alerts:list",               "POST",  "L    F     F     F     F      O      O",
        data={"workflow": "purchase-approval", "metric": "aging_days", "threshold": "5", "window_days": "30",
              "active": "on"}),
    Row("me:settings",               "GET",   "L    O     O     O     O      O      O"),
    Row("me:settings",               "POST",  "L    O     O     O     O      O      O", data={"time_zone": "UTC"}),

    # --- The builder (workflow owners read every definition, edit their own) --------------------
    Row("builder:migrate",           "GET",   "L    F     F     F     F      O/F    O", obj="definition"),
    Row("builder:migrate-upload",    "POST",  "L    F     F     F     F      B/F    B", obj="definition", data={}),
    Row("builder:migrate-run",       "POST",  "L    F     F     F     F      B/F    B", obj="definition", data={}),
    Row("builder:migrate-export",    "GET",   "L    F     F     F     F      O/F    O", obj="definition",
        path={"fmt": "csv"}),
    Row("builder:index",             "GET",   "L    F     F     F     F      O      O"),
    Row("builder:new",               "POST",  "L    F     F     F     F      O      O",
        data={"key": "matrix-new", "name": "Matrix new"}),
    Row("builder:import",            "GET",   "L    F     F     F     F      O      O"),
    Row("builder:import",            "POST",  "L    F     F     F     F      B      B", data={}),
    Row("builder:definition",        "GET",   "L    F     F     F     F      O      O", obj="definition"),
    Row("builder:draft",             "GET",   "L    F     F     F     F      O/F    O", obj="definition"),
    Row("builder:row",               "GET",   "L    F     F     F     F      O/F    O", obj="definition", path=BUILDER),
    Row("builder:row",               "POST",  "L    F     F     F     F      B/F    B", obj="definition", path=BUILDER,
        data={"index": "0"}),
    Row("builder:row-remove",        "POST",  "L    F     F     F     F      O/F    O", obj="definition", path=BUILDER,
        data={"index": "1"}),
    Row("builder:row-move",          "POST",  "L    F     F     F     F      O/F    O", obj="definition", path=BUILDER,
        data={"index": "0", "direction": "down"}),
    Row("builder:rule",              "POST",  "L    F     F     F     F      O/F    O", obj="definition", data={}),
    Row("builder:settings",          "POST",  "L    F     F     F     F      O/F    O", obj="definition",
        data={"on_missing_required": "return_to_requester"}),
    Row("builder:texts",             "POST",  "L    F     F     F     F      O/F    O", obj="definition",
        data={"description": "From the matrix.", "form_intro": ""}),
    Row("builder:publish",           "POST",  "L    F     F     F     F      O/F    O", obj="definition",
        data={"note": "From the matrix."}),
    Row("builder:tester",            "GET",   "L    F     F     F     F      O/F    O", obj="definition"),
    Row("builder:tester",            "POST",  "L    F     F     F     F      B/F    B", obj="definition", data={}),
    Row("builder:impact",            "GET",   "L    F     F     F     F      O/F    O", obj="definition"),
    Row("builder:diff",              "GET",   "L    F     F     F     F      O      O", obj="definition"),
    Row("builder:export",            "GET",   "L    F     F     F     F      O/F    O", obj="definition"),
    Row("builder:new-draft",         "POST",  "L    F     F     F     F      O/F    O", obj="definition", path=VERSION_1),
    Row("builder:version",           "GET",   "L    F     F     F     F      O      O", obj="definition", path=VERSION_1),
    Row("builder:bpmn",              "GET",   "L    F     F     F     F      O      O", obj="definition", path=VERSION_1),
    Row("builder:sop",               "GET",   "L    F     F     F     F      O      O", obj="definition", path=VERSION_1),
    Row("builder:sop-md",            "GET",   "L    F     F     F     F      O      O", obj="definition", path=VERSION_1),
    # Change control (issue 14): the workflow's owners; feedback from whoever may open the task page.
    Row("builder:governance",        "POST",  "L    F     F     F     F      O/F    O", obj="definition",
        data={"next_review": "", "owner": ""}),
    Row("builder:owner-add",         "POST",  "L    F     F     F     F      O/F    O", obj="definition",
        data={"username": "admin"}),
    Row("builder:owner-remove",      "POST",  "L    F     F     F     F      O/F    O", obj="definition",
        data={"username": "admin"}),
    Row("builder:reviewed",          "POST",  "L    F     F     F     F      O/F    O", obj="definition"),
    Row("builder:backlog",           "GET",   "L    F     F     F     F      O/F    O", obj="definition"),
    Row("builder:feedback-done",     "POST",  "L    F     F     F     F      H/F    H", obj="definition",
        path={"feedback_id": 999999}),
    Row("builder:schedules",         "GET",   "L    F     F     F     F      O/F    O", obj="definition"),
    Row("builder:schedule-save",     "POST",  "L    F     F     F     F      O/F    O", obj="definition",
        data=SCHEDULE_FORM),
    Row("builder:schedule-toggle",   "POST",  "L    F     F     F     F      O/F    O", obj="schedule"),
    Row("builder:feedback",          "POST",  "L    O/F   O/F   O     O      O      O", obj="task",
        data={"text": "Matrix: this step is wrong"}),

    # --- Webhooks in the portal (operators watch, integrators and admins manage) ----------------
    Row("integrations:list",         "GET",   "L    F     F     O     F      F      O"),
    Row("integrations:create",       "GET",   "L    F     F     F     F      F      O"),
    Row("integrations:create",       "POST",  "L    F     F     F     F      F      O", data=HOOK),
    Row("integrations:dead-letters", "GET",   "L    F     F     O     F      F      O"),
    Row("integrations:inbound",      "GET",   "L    F     F     O     F      F      O"),
    Row("integrations:inbound-create", "GET", "L    F     F     F     F      F      O"),
    Row("integrations:inbound-create", "POST", "L    F     F     F     F      F      O", data=INBOUND),
    Row("integrations:inbound-created", "GET", "L    F     F     F     F      F      O", obj="inbound-endpoint"),
    Row("integrations:inbound-rotate", "POST", "L    F     F     F     F      F      O", obj="inbound-endpoint"),
    Row("integrations:inbound-rotated", "GET", "L    F     F     F     F      F      O", obj="inbound-endpoint"),
    Row("integrations:inbound-deactivate", "POST", "L    F     F     F     F      F      O", obj="inbound-endpoint"),
    Row("integrations:inbound-activate", "POST", "L    F     F     F     F      F      O", obj="inbound-endpoint"),
    Row("integrations:redeliver",    "POST",  "L    F     F     O     F      F      O", obj="delivery"),
    Row("integrations:detail",       "GET",   "L    F     F     O     F      F      O", obj="subscription"),
    Row("integrations:created",      "GET",   "L    F     F     F     F      F      O", obj="subscription"),
    Row("integrations:test",         "POST",  "L    F     F     F     F      F      O", obj="subscription"),
    Row("integrations:edit",         "GET",   "L    F     F     F     F      F      O", obj="subscription"),
    Row("integrations:edit",         "POST",  "L    F     F     F     F      F      O", obj="subscription", data=HOOK),
    Row("integrations:deactivate",   "POST",  "L    F     F     F     F      F      O", obj="subscription"),

    # --- Health and monitoring: /health/ for load balancers (no sign-in), /metrics for Prometheus
    # (its bearer token or an allowed address, never a session: none is configured in tests), the
    # operators' page.
    Row("ops:health",                "GET",   "O    O     O     O     O      O      O"),
    Row("ops:health",                "POST",  "M    M     M     M     M      M      M", data={}),
    Row("ops:metrics",               "GET",   "F    F     F     F     F      F      F"),
    Row("ops:ops-health",            "GET",   "L    F     F     O     F      F      O"),

    # --- Dashboards (apps.metrics.policy: owners their workflows, operators, auditors and admins all,
    # managers their reports' approvals; fiona and alice manage nobody). The cases behind a number
    # need the panel and the number named: without them a 400 for whoever may see dashboards.
    Row("dashboards:all",            "GET",   "L    F     F     O     O      O      O"),
    Row("dashboards:all",            "POST",  "M    M     M     M     M      M      M", data={}),
    Row("dashboards:workflow",       "GET",   "L    F     F     O     O      O      O",
        path={"workflow": "purchase-approval"}),
    Row("dashboards:panel-csv",      "GET",   "L    F     F     O     O      O      O", path={"panel": "wip"}),
    Row("dashboards:workflow-panel-csv", "GET", "L  F     F     O     O      O      O",
        path={"workflow": "purchase-approval", "panel": "sla"}),
    Row("dashboards:cases",          "GET",   "L    F     F     B     B      B      B"),
    Row("dashboards:charts-css",     "GET",   "O    O     O     O     O      O      O"),
    Row("dashboards:bottlenecks",    "GET",   "L    F     F     O     O      O      O",
        path={"workflow": "purchase-approval"}),
    Row("dashboards:bottlenecks",    "POST",  "M    M     M     M     M      M      M", data={},
        path={"workflow": "purchase-approval"}),
    Row("dashboards:bottleneck-csv", "GET",   "L    F     F     O     O      O      O",
        path={"workflow": "purchase-approval"}),
    Row("dashboards:bottleneck-cases", "GET", "L    F     F     B     B      B      B",
        path={"workflow": "purchase-approval"}),

    # --- The exception queue (operators; a step routed to a person is theirs) -------------------
    Row("exceptions:queue",          "GET",   "L    F     F     O     F      F      O"),
    Row("exceptions:detail",         "GET",   "L    F     O/F   O     F      F      O", obj="run"),
    Row("exceptions:retry",          "POST",  "L    F     O/F   O     F      F      O", obj="run", data={}),
    # A UI step's repair with a later version's script; on any other step the refusal is a message.
    Row("exceptions:retry-version",  "POST",  "L    F     O/F   O     F      F      O", obj="run",
        data={"version": "2"}),
    Row("exceptions:skip",           "POST",  "L    F     O/F   O     F      F      O", obj="run",
        data={"reason": "Done by hand."}),
    Row("exceptions:assign",         "POST",  "L    F     O/F   O     F      F      O", obj="run",
        data={"username": "oscar"}),
    Row("exceptions:cancel",         "POST",  "L    F     O/F   O     F      F      O", obj="run",
        data={"reason": "Not needed."}),
    Row("exceptions:detail",         "GET",   "L    F     F     H     F      F      H", obj="missing-run"),
    Row("exceptions:skip",           "POST",  "L    F     F     H     F      F      H", obj="missing-run",
        data={"reason": "Done by hand."}),

    # --- The demo ERP: the console for operators; its API wants the ERP's bearer token only -----
    Row("demo:erp",                  "GET",   "L    F     F     O     F      F      O"),
    Row("demo:erp-mode",             "POST",  "L    F     F     O     F      F      O", data={"mode": "ok"}),
    Row("demo:erp-invoices",         "POST",  "L    L     L     L     L      L      L", data={}),
    Row("demo:erp-access-revoke",    "POST",  "L    L     L     L     L      L      L", data={}),
    Row("demo:erp-exception-end",    "POST",  "L    L     L     L     L      L      L", data={}),
    Row("demo/erp/invoices/",        "POST",  "L    L     L     L     L      L      L", data={}),
    Row("demo:erp-reports",          "POST",  "L    L     L     L     L      L      L", data={}),
    Row("demo/erp/reports/",         "POST",  "L    L     L     L     L      L      L", data={}),
    Row("demo:erp-invoice",          "DELETE", "L   L     L     L     L      L      L", path={"reference": "INV-1"}),
    Row("demo/erp/invoices/<str:reference>/", "DELETE", "L L L L L L L", path={"reference": "INV-1"}),
    # --- The demo ticketing system: the same shape as the demo ERP ------------------------------------
    Row("demo:tickets",              "GET",   "L    F     F     O     F      F      O"),
    Row("demo:tickets-mode",         "POST",  "L    F     F     O     F      F      O", data={"mode": "ok"}),
    Row("demo:tickets-open",         "POST",  "L    L     L     L     L      L      L", data={}),
    Row("demo/tickets/api/tickets/", "POST",  "L    L     L     L     L      L      L", data={}),
    Row("demo:tickets-close",        "DELETE", "L   L     L     L     L      L      L", path={"number": "TCK-1"}),
    Row("demo/tickets/api/tickets/<str:number>/", "DELETE", "L L L L L L L", path={"number": "TCK-1"}),
    # --- The demo supplier portal: the console for operators; the portal's pages have their own
    # login (a WMS sign-in is not one), so every role is sent to the portal's login page (O) ------
    Row("demo:supplier",             "GET",   "L    F     F     O     F      F      O"),
    Row("demo:supplier-mode",        "POST",  "L    F     F     O     F      F      O", data={"mode": "ok"}),
    Row("demo:supplier-clear",       "POST",  "L    F     F     O     F      F      O"),
    Row("demo:supplier-login",       "GET",   "O    O     O     O     O      O      O"),
    Row("demo:supplier-login",       "POST",  "O    O     O     O     O      O      O",
        data={"username": "buyer", "password": "demo-supplier-password"}),
    Row("demo:supplier-logout",      "POST",  "O    O     O     O     O      O      O"),
    Row("demo:supplier-portal",      "GET",   "O    O     O     O     O      O      O"),
    Row("demo:supplier-order-new",   "GET",   "O    O     O     O     O      O      O"),
    Row("demo:supplier-order-new",   "POST",  "O    O     O     O     O      O      O",
        data={"po_number": "PO-1", "amount": "10", "currency": "EUR"}),
    Row("demo:supplier-order",       "GET",   "O    O     O     O     O      O      O", path={"number": "SO-000001"}),

    # --- The portal ---------------------------------------------------------------------------
    Row("favicon",                   "GET",   "O    O     O     O     O      O      O"),  # to the SVG icon
    Row("inbox:home",                "GET",   "L    O     O     O     O      O      O"),
    Row("inbox:login",               "GET",   "O    O     O     O     O      O      O"),
    Row("inbox:login",               "POST",  "O    O     O     O     O      O      O",
        data={"username": "alice", "password": "demo"}),
    # Signing out ends on the login page, whoever asked.
    Row("inbox:logout",              "POST",  "L    L     L     L     L      L      L"),
    Row("inbox:my-requests",         "GET",   "L    O     O     O     O      O      O"),
    Row("inbox:request-list",        "GET",   "L    O     O     O     O      O      O"),
    Row("inbox:request-start",       "GET",   "L    O     O     O     O      O      O", obj="definition"),
    Row("inbox:request-start",       "POST",  "L    B     B     B     B      B      B", obj="definition", data={}),
    # A version's procedure: the live one for everyone (anyone may start it); an old one for whoever
    # sees one of its cases, auditors, and the builders (owners, admins).
    Row("inbox:sop",                 "GET",   "L    O/F   O/F   O/F   O      O      O", obj="sop"),
    Row("inbox:sop-md",              "GET",   "L    O/F   O/F   O/F   O      O      O", obj="sop"),
    Row("inbox:inbox",               "GET",   "L    O     O     O     O      O      O"),
    # The requester reads the tasks of her case; she never decides them.
    # Operators and the workflow's owners open a task to move it (issue 12: they are asked to act).
    Row("inbox:task",                "GET",   "L    O/F   O/F   O     O      O      O", obj="task"),
    Row("inbox:task-decide",         "POST",  "L    F     O/F   F     F      F      F", obj="task",
        data={"decision": "approve"}),
    Row("inbox:task-claim",          "POST",  "L    F     O/F   F     F      F      F", obj="task"),
    Row("inbox:task-release",        "POST",  "L    F     O/F   F     F      F      F", obj="task"),
    Row("inbox:task-reassign",       "POST",  "L    F     F     O     F      O      O", obj="task",
        data={"reassign-to": "role:finance", "reassign-reason": "Matrix: back to the queue"}),
    # Owners read every case of their workflows (issue 17), and write to none they do not work on.
    Row("inbox:case",                "GET",   "L    O/F   O/F   F     O      O      O", obj="case"),
    Row("inbox:case",                "GET",   "L    O/F   O/F   O     O      O      O", obj="invoice-case"),
    Row("inbox:case",                "GET",   "L    O/F   F     O/F   O      O      O", obj="escalated-case"),
    Row("inbox:case-withdraw",       "POST",  "L    O/F   F     F     F      F      F", obj="case",
        data={"reason": "Changed my mind."}),
    # Only the people working on a case write to it; an auditor reads every case and writes to none.
    Row("inbox:case-comment",        "POST",  "L    O/F   O/F   F     F      F      O", obj="case",
        data={"body": "A comment."}),
    Row("inbox:case-attach",         "POST",  "L    O/F   O/F   F     F      F      O", obj="case",
        files=True),
    # Operators repair cases with automated steps; fiona repairs the step routed to her.
    Row("inbox:case-comment",        "POST",  "L    O/F   O/F   O     F      F      O", obj="invoice-case",
        data={"body": "A comment."}),
    Row("inbox:case-attach",         "POST",  "L    O/F   O/F   O     F      F      O", obj="invoice-case",
        files=True),
    Row("inbox:case-history",        "GET",   "L    F     F     F     O      F      O", obj="case"),
    Row("inbox:attachment",          "GET",   "L    O/F   O/F   F     O      O      O", obj="attachment"),
    Row("inbox:audit-search",        "GET",   "L    F     F     F     O      F      O"),
    Row("inbox:audit-export-csv",    "GET",   "L    F     F     F     O      F      O"),
    Row("inbox:audit-export-xlsx",   "GET",   "L    F     F     F     O      F      O"),
    # The audit trail across cases and the access page: auditors, operators, admins.
    Row("inbox:audit-events",        "GET",   "L    F     F     O     O      F      O"),
    Row("inbox:audit-events-export", "GET",   "L    F     F     O     O      F      O"),
    Row("evidence:page",             "GET",   "L    F     F     F     O      F      O"),
    Row("inbox:audit-access",        "GET",   "L    F     F     O     O      F      O"),
    Row("inbox:away",                "GET",   "L    O     O     O     O      O      O"),
    Row("inbox:away-handover",       "POST",  "L    O     O     O     O      O      O"),
]
# fmt: on
