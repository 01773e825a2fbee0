"""The bottleneck view's numbers: for each step a case can be at, how long the cases spent there
and the share of the cases that passed it.

Cases: closed in the range (any outcome), test cases never, the same filter and scope as every
metric (`scoped_cases`). Time: wall-clock hours (as the approval latency and the cycle time), per
case summed over its visits (a case returned once visits its stage twice), so p50 and p90 are
"how long a case that passed the step spent there". Steps, by `kind`:

- "approval": an approval stage; a visit runs from its first approval task's creation to the end
  of its last one (decided, or cancelled when the stage settled or the case closed);
- "approver": one approver of a stage (`key` "<stage>:<approver>"): the tasks a person decided,
  created to decided (an approval cancelled because others settled the stage is not a pass);
- "rework": back with the requester, from the return to the resubmission (or the case's end);
- "http" / "wait": an automated step (a UI step counts as "http"), from reached to done: retries, waiting for the callback and
  time in the exception queue included.
"""

from collections import defaultdict

from apps.automation.selectors import step_runs_for_metrics
from apps.cases.reporting import person_steps_passed
from apps.cases.taskinfo import REWORK

from ..filters import MetricsFilter
from ..policy import MetricsScope
from .base import closed_in, hours, scoped_cases, spread
from .summary import ratio

KIND_ORDER = {"approval": 0, "approver": 1, "http": 2, "wait": 2, "rework": 3}


def bottleneck_steps(*, scope: MetricsScope, metrics_filter: MetricsFilter) -> dict:
    """{closed, case_ids, versions, steps: [{key, kind, stage, approver, name, passed, share, p50,
    p90, case_ids}]}: the cases closed in the range, the version numbers they ran on, and per step
    the cases that passed it (see the module's docstring). Three queries."""
    closed = closed_in(scoped_cases(scope, metrics_filter), metrics_filter)
    ended = {pk: (finished, number) for pk, finished, number in closed.values_list("pk", "closed_at", "version_number")}
    if not ended:
        return {"closed": 0, "case_ids": [], "versions": [], "steps": []}
    # {(kind, key): {case_id: hours}}; names and stage/approver keys per step
    spent: dict[tuple, dict] = defaultdict(lambda: defaultdict(float))
    about: dict[tuple, dict] = {}
    visits: dict[tuple, list] = defaultdict(list)  # (case, stage, round) -> [(created, finished)]

    def add(kind: str, key: str, case_id: int, start, end, **facts) -> None:
        end = end or ended[case_id][0]  # NOTE: a closed case's tasks and steps have all ended
        spent[(kind, key)][case_id] += hours(start, end)
        about.setdefault((kind, key), {"stage": "", "approver": "", "name": "", **facts})

    for task in person_steps_passed(cases=closed):
        case_id = task["case_id"]
        if task["kind"] == REWORK:
            add("rework", "rework", case_id, task["created"], task["finished"])
            continue
        visits[(case_id, task["stage"], task["round"])].append((task["created"], task["finished"]))
        if task["decided"]:
            key = f"{task['stage']}:{task['approver']}"
            add(
                "approver",
                key,
                case_id,
                task["created"],
                task["finished"],
                stage=task["stage"],
                approver=task["approver"],
            )
    for (case_id, stage, _round), spans in visits.items():
        last = max((end or ended[case_id][0] for _, end in spans), default=None)
        add("approval", stage, case_id, min(start for start, _ in spans), last, stage=stage)
    for run in step_runs_for_metrics(cases=closed):
        add(run["kind"], run["step_key"], run["case_id"], run["created"], run["finished"], name=run["step_name"])

    steps = []
    for (kind, key), per_case in sorted(spent.items(), key=lambda item: (KIND_ORDER[item[0][0]], item[0][1])):
        steps.append(
            {
                "key": key,
                "kind": kind,
                **about[(kind, key)],
                "passed": len(per_case),
                "share": ratio(len(per_case), len(ended)),
                **{k: v for k, v in spread(per_case.values()).items() if k != "count"},
                "case_ids": sorted(per_case),
            }
        )
    return {
        "closed": len(ended),
        "case_ids": sorted(ended),
        "versions": sorted({number for _, number in ended.values()}),
        "steps": steps,
    }
