"""Automated steps: running an HTTP step in django-q2 with retries (attempts.py), where a step
ends (outcomes.py: exception queue, compensation, callbacks, timeouts) and the operators' repair
loop (repair.py: edit data and retry, skip, route to a person, cancel the case).
attempts.py explains how one attempt survives a killed worker and a slow system.

The engine side (apps.cases.services: case_locked, step_done, step_exception, case_close) is
imported at module level: the engine never imports this app, so there is no circle to break.
Transport (the HTTP call itself, its judging) is apps.integrations.calls.
"""

from .attempts import step_attempt
from .base import STEP_TASK, step_key_for
from .outcomes import step_callback, step_retry_due, step_started, steps_close
from .repair import (
    MSG_ASSIGNEE_REQUESTER,
    MSG_ASSIGNEE_UNKNOWN,
    MSG_CASE_CLOSED_EDIT,
    MSG_NO_NEWER_SCRIPT,
    MSG_NOT_FOUND,
    MSG_NOT_OPERATOR,
    MSG_NOT_REPAIRABLE,
    MSG_NOT_UI,
    MSG_OWN_CASE,
    MSG_REASON_REQUIRED,
    REPAIRABLE,
    UNCERTAIN_NONE,
    UNCERTAIN_UNDO,
    step_assign,
    step_cancel_case,
    step_retry,
    step_retry_version,
    step_skip,
    uncertain_calls,
)

__all__ = [
    "MSG_ASSIGNEE_REQUESTER",
    "MSG_ASSIGNEE_UNKNOWN",
    "MSG_CASE_CLOSED_EDIT",
    "MSG_NOT_FOUND",
    "MSG_NOT_OPERATOR",
    "MSG_NOT_REPAIRABLE",
    "MSG_NOT_UI",
    "MSG_NO_NEWER_SCRIPT",
    "MSG_OWN_CASE",
    "MSG_REASON_REQUIRED",
    "REPAIRABLE",
    "STEP_TASK",
    "UNCERTAIN_NONE",
    "UNCERTAIN_UNDO",
    "step_assign",
    "step_attempt",
    "step_callback",
    "step_cancel_case",
    "step_key_for",
    "step_retry",
    "step_retry_due",
    "step_retry_version",
    "step_skip",
    "step_started",
    "steps_close",
    "uncertain_calls",
]
