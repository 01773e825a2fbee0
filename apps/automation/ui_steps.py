"""What UI steps add to the step machinery (attempts.py runs them like HTTP steps): which
version's script a run uses, how long its lease lasts, its screenshots as case evidence, and
the repair after a page change (the owner publishes a version with the fixed selector; the
operator retries the step with that version's script).

The browser work itself is transport: apps.integrations.ui.
"""

from apps.cases.attachments import case_evidence_store
from apps.definitions.accessors import Stage, spec_of
from apps.definitions.selectors import version_live_of, version_published_get
from apps.integrations.ui import UiResult, UiScript, max_run_seconds, ui_build

from .base import step_spec
from .models import StepKind, StepRun

SCREENSHOT_TYPE = "image/png"
MSG_UI_DONE = "{system}: the script ran to the end ({count} actions)."
MSG_UI_GUARDED = "{system} already had it (the guard found it): not entered again."


def run_stage(case, run: StepRun) -> Stage | None:
    """The step as the run uses it, whatever its kind: the case's version, or the later version
    whose script an operator chose for a UI step (`script_version`)."""
    if not run.script_version or run.script_version == case.version_number:
        return step_spec(case, run.step_key)
    version = version_published_get(definition=case.version.definition, number=run.script_version)
    stage = spec_of(version).stage(run.step_key) if version is not None else None
    return stage if stage is not None and stage.is_ui else None


def ui_lease_seconds(stage: Stage | None) -> float:
    """Long enough for every action to use its whole timeout, within the run's budget."""
    if stage is None:
        return 60.0
    actions = len(stage.script) + (len(stage.guard.script) + 1 if stage.guard else 0) + 1
    return min(stage.timeout_seconds * actions, max_run_seconds())


def ui_prepare(*, case, run: StepRun, stage: Stage) -> UiScript:
    """The script with the case's data filled in (RequestProblem when it cannot be)."""
    script = ui_build(
        stage=stage,
        data=case.data or {},
        case_id=case.pk,
        workflow=case.workflow_key,
        version=case.version_number,
        idempotency_key=run.idempotency_key,
        system=run.system,
    )
    # Which version's script this attempt ran: the record says so (a repair may use a later one).
    script.record = {"script_version": run.script_version or case.version_number, **script.record}
    return script


def ui_screenshots_store(case, run: StepRun, number: int, result: UiResult) -> list[dict]:
    """Store the attempt's screenshots as case attachments (with their SHA-256); what the attempt
    record keeps of them. Names and URLs are redacted already; no secret goes in."""
    stored = []
    for index, shot in enumerate(result.screenshots, 1):
        name = f"{run.step_key}-attempt{number}-{index}-{shot.name}".replace(" ", "-")[:200] + ".png"
        attachment = case_evidence_store(
            case=case,
            name=name,
            content=shot.png,
            content_type=SCREENSHOT_TYPE,
            context={"step_run": run.pk, "attempt": number, "screenshot": shot.name, "failure": shot.failure},
        )
        stored.append(
            {
                "name": shot.name,
                "attachment": attachment.pk,
                "sha256": attachment.sha256,
                "url": shot.url,
                "title": shot.title,
                "failure": shot.failure,
            }
        )
    return stored


def run_unguarded(stage: Stage | None) -> bool:
    """A UI step without a guard may enter its work twice after a crash: its pages say so."""
    return stage is not None and stage.is_ui and not stage.has_guard


def ui_reason(run: StepRun, result: UiResult) -> str:
    if result.guard_found:
        return MSG_UI_GUARDED.format(system=run.system)
    return MSG_UI_DONE.format(system=run.system, count=len(result.log))


def ui_repair_version(*, case, run: StepRun) -> int | None:
    """The latest published version's number when it has a UI step with this run's key and is
    not the script the run already uses; None otherwise (nothing newer to retry with)."""
    if run.kind != StepKind.UI or case.version_number == 0:
        return None
    live = version_live_of(definition=case.version.definition)
    if live is None or live.number == (run.script_version or case.version_number):
        return None
    stage = spec_of(live).stage(run.step_key)
    return live.number if stage is not None and stage.is_ui else None


def ui_page_facts(*, run: StepRun) -> dict:
    """What the exception page shows of a UI step's last attempt: the last screenshot (an
    attachment id), the page's URL and title (redacted), and whether the step has a guard."""
    response = run.last_response if isinstance(run.last_response, dict) else {}
    shots = [s for s in response.get("screenshots") or [] if isinstance(s, dict) and s.get("attachment")]
    stage = run_stage(run.case, run)
    return {
        "screenshot": shots[-1] if shots else None,
        "url": response.get("url", ""),
        "title": response.get("title", ""),
        "unguarded": run_unguarded(stage),
        "script_version": run.script_version or run.case.version_number,
    }
