"""Automated steps: running an HTTP step in django-q2 with retries (attempts.py), where a step
ends (outcomes.py: exception queue, compensation, callbacks, timeouts) and the operators' repair
loop (repair.py: edit data and retry, skip, route to a person, cancel the case).

An attempt is three short pieces, so no database lock is held while the other system answers:

1. lease (row lock on the step only): count the attempt, build the request, hold a lease long
   enough for the call; a worker killed mid-call leaves the step RUNNING and the retry sweep
   picks it up again once the lease ends;
2. the HTTP call, outside any transaction, with the step's idempotency key
   (`Idempotency-Key: wms-<case>-<step>-r<revision>`): the same for every attempt of a step, so a
   receiver that honours it sees one effect however often we retry; it changes only when an
   operator corrects the data the request is built from (a different request);
3. record (under the case's flow lock): the attempt, then success (map the answer into the
   case and move it on), a retry later (exponential backoff with jitter, Retry-After wins), or
   the exception queue. Only the attempt that holds the lease may move the case; a late answer
   of a lost attempt is recorded and changes nothing.
"""

from .attempts import step_attempt
from .base import STEP_TASK, step_key_for
from .outcomes import step_callback, step_retry_due, step_started, steps_close
from .repair import (
    MSG_ASSIGNEE_REQUESTER,
    MSG_ASSIGNEE_UNKNOWN,
    MSG_CASE_CLOSED_EDIT,
    MSG_NOT_FOUND,
    MSG_NOT_OPERATOR,
    MSG_NOT_REPAIRABLE,
    MSG_OWN_CASE,
    MSG_REASON_REQUIRED,
    REPAIRABLE,
    step_assign,
    step_cancel_case,
    step_retry,
    step_skip,
)

__all__ = [
    "MSG_ASSIGNEE_REQUESTER",
    "MSG_ASSIGNEE_UNKNOWN",
    "MSG_CASE_CLOSED_EDIT",
    "MSG_NOT_FOUND",
    "MSG_NOT_OPERATOR",
    "MSG_NOT_REPAIRABLE",
    "MSG_OWN_CASE",
    "MSG_REASON_REQUIRED",
    "REPAIRABLE",
    "STEP_TASK",
    "step_assign",
    "step_attempt",
    "step_callback",
    "step_cancel_case",
    "step_key_for",
    "step_retry",
    "step_retry_due",
    "step_skip",
    "step_started",
    "steps_close",
]
