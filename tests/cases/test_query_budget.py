"""The query cost of one purchase case is pinned so it cannot silently grow.

bench/engine.py compares the same case against a bare viewflow flow; see bench/README.md.
"""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.cases.services import task_complete
from tests.conftest import reload, task_for

# start + manager approval + finance approval (claimed on completion) + close, with the SLA
# clocks of both approvals, the assignment and decision notifications, the absence check and
# one webhook-subscription lookup per service call. Was 80 before the route stopped storing a
# task (-6), the lock read the case it locks (-2) and the start stopped locking its own new
# row (-1, and its savepoint -2); then the outbox work (one queue message per unit, no
# notification re-read: 69 -> 67), the lock finding a task's case in its own SELECT (-2), the
# requester read with the case (-1), a claim written once with its decision (-1) and the
# manager's absence read with the manager chain (-1), and the SLA clocks of a stage round
# written in one INSERT (-1). +1: the close settles the case's SLA clocks in one UPDATE (met or
# breached, and when they count), so the dashboards read a quarter's clocks by an index instead of
# classifying every clock ever started (bench/README.md "Dashboards benchmark").
# +1: the close reads the version's SLA calendar (apps.sla.clocks.case_cycle_record) so the case row
# the End node saves carries its business-hours cycle time; the wall-clock one, the returns and the
# exception mark ride on saves the case makes anyway (no statement). The dashboards no longer walk
# every closed case's calendar per request (bench/README.md "Dashboards benchmark").
# The audit hash chain (apps.audit.chain) adds, per service call (three here: start and two
# decisions), one read of the chain's heads, and on PostgreSQL the chain's advisory lock before
# it (SQLite's IMMEDIATE transactions already serialise writers): +3 on SQLite, +6 on PostgreSQL.
# +2: each decided approval writes its ApprovalDecision row (one INSERT per decision), so the
# approval latency of a date range reads a covering index of small rows instead of the tasks and
# their JSON (bench/README.md "Dashboards benchmark").
# +2: each decided approval settles its own SLA clock (one UPDATE per decision), so a dashboard
# classifies only the clocks still running and never joins a clock to its task.
CHAIN_STATEMENTS_PER_CALL = 2 if connection.vendor == "postgresql" else 1
PURCHASE_CASE_QUERY_BUDGET = 67 + 3 * CHAIN_STATEMENTS_PER_CALL


def test_one_purchase_case_stays_within_its_query_budget(start_purchase, users):
    start_purchase(amount="5000")  # warm caches (content types, groups) as a running server has them
    with CaptureQueriesContext(connection) as queries:
        case = start_purchase(amount="5000")
        task_complete(task_id=task_for(case, "Manager approval").pk, actor=users["bob"], decision="approve")
        task_complete(task_id=task_for(case, "Finance approval").pk, actor=users["fiona"], decision="approve")
    assert reload(case).outcome == "approved"
    # task_for() is the test's own lookup, not part of the case's cost.
    used = len(queries) - 2
    assert used <= PURCHASE_CASE_QUERY_BUDGET, "\n".join(q["sql"][:150] for q in queries.captured_queries)
