"""`manage.py qcluster` that stops at one point of a step's attempt, for
tests/steps/test_worker_kill_points.py to SIGKILL it there.

Run as a script by that test, never collected by pytest (the name does not start with `test_`):

    python tests/steps/kill_point_cluster.py <point> <marker file>

The stop is applied here, inside the child, before q2 forks its worker (the fork inherits it), so
the production code has no fault-injection hook. At the point the worker writes the marker file
and sleeps; the test waits for the marker, then kills the whole cluster.

Points:
- before_call:  the lease is committed, the HTTP call not sent yet (`call_send` replaced);
- during_call:  nothing replaced here: the test's receiver holds the request;
- after_answer: the answer arrived and the recording transaction has recorded the attempt and
                moved the case, but has not committed (`step_done` wrapped, inside the flow lock);
- after_commit: the attempt is committed, the q2 worker has not acknowledged the message yet
                (the task function wrapped: it returns, then stops before q2 sees the return).
"""

import os
import sys
import time
from pathlib import Path

POINTS = ("before_call", "during_call", "after_answer", "after_commit")
# Longer than any test waits: the worker is killed long before it wakes up.
HOLD_SECONDS = 120


def _stop_here(marker: Path, point: str) -> None:
    marker.write_text(f"{point} {os.getpid()}\n")
    time.sleep(HOLD_SECONDS)
    raise SystemExit(f"{point}: nobody killed this worker")


def install(point: str, marker: Path) -> None:
    """Make the worker stop at `point` (after django.setup(), before the cluster forks)."""
    if point == "before_call":
        from apps.automation import attempts

        def call_send(request, timeout):
            _stop_here(marker, point)

        attempts.call_send = call_send
    elif point == "after_answer":
        from apps.cases import services as engine

        step_done = engine.step_done

        def stopping_step_done(**kwargs):
            step_done(**kwargs)  # the case has moved on, inside the uncommitted transaction
            _stop_here(marker, point)

        engine.step_done = stopping_step_done  # looked up by attempts._record at call time
    elif point == "after_commit":
        from apps.automation import tasks

        step_attempt = tasks.step_attempt

        def stopping_step_attempt(ids):
            step_attempt(ids)  # committed
            _stop_here(marker, point)

        tasks.step_attempt = stopping_step_attempt  # q2 locates the function by name in the worker
    elif point != "during_call":
        raise SystemExit(f"unknown point {point!r}; one of {', '.join(POINTS)}")


def main() -> None:
    point, marker = sys.argv[1], Path(sys.argv[2])
    base = Path(__file__).resolve().parents[2]
    sys.path.insert(0, str(base))
    os.chdir(base)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wms.settings.test")

    import django

    django.setup()
    install(point, marker)

    from django.core.management import call_command

    call_command("qcluster")


if __name__ == "__main__":
    main()
