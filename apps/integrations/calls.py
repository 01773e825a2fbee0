"""Automated HTTP steps: building a request from a step's spec and a case, sending it once,
classifying the answer, and mapping the response back into case fields.

Nothing here touches the database: `apps.integrations.steps` runs attempts and records them.

A step's request is a template. Strings may hold placeholders::

    {{field.amount}}    a case field          (missing or empty: category "missing data")
    {{secret.ERP_TOKEN}} settings.WMS_SECRETS  (env WMS_SECRET_ERP_TOKEN; redacted in every log)
    {{endpoint.ERP}}    settings.WMS_ENDPOINTS (env WMS_ENDPOINT_ERP; a base URL per environment)
    {{case.id}}  {{case.workflow}}  {{step.key}}  {{step.idempotency_key}}

A body value that is exactly one placeholder keeps the field's JSON type; placeholders inside a
longer string are written as text. Secrets never sit in the spec, only their names.

Where a call may go: a configured endpoint (same scheme, host and port as a WMS_ENDPOINTS base
URL) is trusted, private network or not: an administrator put it in the environment. Any other
URL (a literal one in the spec, perhaps with a field in its host) goes through apps.core.netguard
at call time: resolved, every address checked, the checked address connected to; a non-public
address fails the step at once (category "configuration") without connecting.
"""

import http.client
import json
import random
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from datetime import timedelta
from email.utils import parsedate_to_datetime

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone

from apps.core.jsonsafe import json_loads_limited
from apps.core.netguard import AddressRefused, guarded_opener
from apps.definitions.accessors import Call, Field, Retry
from apps.definitions.spec import PLACEHOLDER, STEP_DEFAULT_RETRY, STEP_DEFAULT_TIMEOUT_SECONDS

from .models import ExceptionCategory

REDACTED = "***"
# Header names whose values are redacted even when they hold no {{secret.*}}.
SENSITIVE_HEADERS = {"authorization", "proxy-authorization", "x-api-key", "api-key", "cookie"}
IDEMPOTENCY_HEADER = "Idempotency-Key"
USER_AGENT = "WMS-Steps/1"
BODY_MAX = 4000  # characters of a response kept for operators
READ_MAX = 1_000_000  # bytes of an answer read (and parsed); more is cut

DEFAULT_TIMEOUT_SECONDS = STEP_DEFAULT_TIMEOUT_SECONDS
DEFAULT_RETRY = STEP_DEFAULT_RETRY
RETRY_AFTER_CAP = timedelta(hours=6)

MSG_MISSING_FIELD = "Field '{name}' is empty; the call to {system} needs it."
MSG_UNKNOWN_SECRET = "Secret '{name}' is not configured (set WMS_SECRET_{name} in the environment)."
MSG_UNKNOWN_ENDPOINT = "Endpoint '{name}' is not configured (set WMS_ENDPOINT_{name} in the environment)."
MSG_BAD_URL = "The step's URL '{url}' is not a full http:// or https:// URL."
MSG_TIMEOUT = "{system} did not answer within {seconds:g} s."
MSG_MALFORMED = "The request to {system} could not be sent as built ({error}); check the step's URL and headers."
MSG_UNREACHABLE = "{system} could not be reached: {reason}."
MSG_HTTP = "{system} answered {code}{detail}."
MSG_REDIRECT = "{system} answered with a redirect ({code}); steps do not follow redirects: check the URL."
MSG_ADDRESS_REFUSED = "Not called: {reason} Configure {system} as {{{{endpoint.NAME}}}} if it is yours."
MSG_NOT_JSON = "{system} answered {code} but the body is not JSON: {problem}."
MSG_MAP_MISSING = "{system}'s answer has no '{path}' for field '{name}'."
MSG_MAP_INVALID = "{system}'s answer has '{path}' = {value!r}, which does not fit field '{name}': {problem}"


class RequestProblem(Exception):
    """The request cannot be built: data or configuration is missing. Never sent."""

    def __init__(self, message: str, category: str):
        super().__init__(message)
        self.category = category


@dataclass
class CallResult:
    status_code: int | None = None
    headers: dict = field(default_factory=dict)
    body: str = ""
    error: str = ""
    timed_out: bool = False
    duration_ms: int = 0
    retry_after: timedelta | None = None
    malformed: bool = False
    refused: bool = False  # the address may not be called (apps.core.netguard); nothing was sent


@dataclass
class Verdict:
    outcome: str  # "succeeded", "retry" or "failed"
    category: str = ""
    message: str = ""
    mapped: dict = field(default_factory=dict)


# --- building the request ------------------------------------------------------------------------


def _secrets() -> dict:
    return getattr(settings, "WMS_SECRETS", {}) or {}


def _endpoints() -> dict:
    return getattr(settings, "WMS_ENDPOINTS", {}) or {}


def _lookup(kind: str, name: str, *, data: dict, context: dict, system: str):
    if kind == "field":
        value = data.get(name)
        if value is None or (isinstance(value, str) and not value.strip()):
            raise RequestProblem(MSG_MISSING_FIELD.format(name=name, system=system), ExceptionCategory.MISSING_DATA)
        return value
    if kind == "secret":
        if name not in _secrets():
            raise RequestProblem(MSG_UNKNOWN_SECRET.format(name=name), ExceptionCategory.CONFIGURATION)
        return _secrets()[name]
    if kind == "endpoint":
        if name not in _endpoints():
            raise RequestProblem(MSG_UNKNOWN_ENDPOINT.format(name=name), ExceptionCategory.CONFIGURATION)
        return str(_endpoints()[name]).rstrip("/")
    return context[kind][name]


def template_context(*, case_id: int, workflow: str, version: int, step_key: str, idempotency_key: str) -> dict:
    """What {{case.*}} and {{step.*}} placeholders read."""
    return {
        "case": {"id": case_id, "workflow": workflow, "version": version},
        "step": {"key": step_key, "idempotency_key": idempotency_key},
    }


def template_render(value, *, data: dict, context: dict, system: str, used_secrets: list, escape=None):
    """A template (text, or lists and objects of them) with its placeholders filled in; the
    values of the secrets it used are appended to `used_secrets` (for `redact`). `escape`, if
    given, is applied to each value placed inside a longer text (the UI runner quotes values
    that land in a CSS selector). Raises RequestProblem for an empty field or an unknown name."""
    return _render(value, data=data, context=context, system=system, used_secrets=used_secrets, escape=escape)


def _render(value, *, data: dict, context: dict, system: str, used_secrets: list, in_url: bool = False, escape=None):
    if isinstance(value, dict):
        return {
            k: _render(v, data=data, context=context, system=system, used_secrets=used_secrets, escape=escape)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [
            _render(v, data=data, context=context, system=system, used_secrets=used_secrets, escape=escape)
            for v in value
        ]
    if not isinstance(value, str):
        return value
    whole = PLACEHOLDER.fullmatch(value.strip())
    if whole:
        found = _lookup(whole[1], whole[2], data=data, context=context, system=system)
        if whole[1] == "secret":
            used_secrets.append(str(found))
        return found

    def text(match):
        found = _lookup(match[1], match[2], data=data, context=context, system=system)
        if match[1] == "secret":
            used_secrets.append(str(found))
        if in_url and match[1] != "endpoint":
            # A value is one path segment or query value: "a/../b", "?x", "@host" change nothing else.
            found = urllib.parse.quote(str(found), safe="")
            if match[1] == "secret":
                used_secrets.append(found)
        elif escape is not None and match[1] != "endpoint":
            found = escape(str(found))
        return str(found)

    return PLACEHOLDER.sub(text, value)


def request_build(
    *,
    call: Call,
    step_key: str,
    data: dict,
    case_id: int,
    workflow: str,
    version: int,
    idempotency_key: str,
    system: str,
):
    """(request, secrets used) for one attempt; raises RequestProblem when it cannot be built.

    The request is a dict: method, url, headers, body (JSON-ready, or None for GET/DELETE).
    """
    context = template_context(
        case_id=case_id, workflow=workflow, version=version, step_key=step_key, idempotency_key=idempotency_key
    )
    used: list[str] = []
    method = call.method
    url = _render(call.url, data=data, context=context, system=system, used_secrets=used, in_url=True)
    headers = _render(dict(call.headers), data=data, context=context, system=system, used_secrets=used)
    body = call.body
    if body is not None:
        body = json.loads(
            json.dumps(
                _render(body, data=data, context=context, system=system, used_secrets=used), cls=DjangoJSONEncoder
            )
        )
    parsed = urllib.parse.urlsplit(str(url))
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise RequestProblem(MSG_BAD_URL.format(url=redact(str(url), used)), ExceptionCategory.CONFIGURATION)
    headers = {str(k): str(v) for k, v in headers.items()}
    headers.setdefault(IDEMPOTENCY_HEADER, idempotency_key)
    return {"method": method, "url": str(url), "headers": headers, "body": body}, used


def redact(value, used_secrets: list[str]):
    """The value with every secret it holds replaced by ***, and sensitive headers blanked."""
    if isinstance(value, dict):
        return {
            k: (REDACTED if isinstance(k, str) and k.lower() in SENSITIVE_HEADERS else redact(v, used_secrets))
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [redact(v, used_secrets) for v in value]
    if isinstance(value, str):
        for secret in sorted(set(used_secrets), key=len, reverse=True):
            if secret:
                value = value.replace(secret, REDACTED)
    return value


# --- sending -------------------------------------------------------------------------------------


class NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect would re-send (or drop) the body somewhere else: answer with the 3xx instead."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


# Configured endpoints (trusted); and everything else, under the address rule.
no_redirects_opener = urllib.request.build_opener(NoRedirects)
guarded_no_redirects_opener = guarded_opener(NoRedirects)


def _origin(url) -> tuple:
    """(scheme, host, port) of a URL; ValueError when it has none (a port out of range, say)."""
    parts = urllib.parse.urlsplit(str(url))
    return parts.scheme.lower(), (parts.hostname or "").lower(), parts.port


def _configured_origins() -> set[tuple]:
    origins = set()
    for base in _endpoints().values():
        try:
            origins.add(_origin(base))
        except ValueError:
            continue
    return origins


def endpoint_trusted(url: str) -> bool:
    """Does the URL go to a configured endpoint's origin (scheme, host and port)?"""
    try:
        return _origin(url) in _configured_origins()
    except ValueError:
        return False


def _opener_for(url: str):
    """The trusted opener for a configured endpoint's origin; the guarded one for anything else."""
    return no_redirects_opener if endpoint_trusted(url) else guarded_no_redirects_opener


def call_send(request: dict, *, timeout: float) -> CallResult:
    """Send the request once. Never raises for what the network or the target does."""
    body = request.get("body")
    raw = None if body is None else json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
    headers = {"User-Agent": USER_AGENT, "Accept": "application/json", **request["headers"]}
    if raw is not None:
        headers.setdefault("Content-Type", "application/json")
    outgoing = urllib.request.Request(request["url"], data=raw, method=request["method"], headers=headers)
    started = time.monotonic()
    result = CallResult()
    try:
        with _opener_for(request["url"]).open(outgoing, timeout=timeout) as answer:
            result.status_code = answer.status
            result.headers = dict(answer.headers.items())
            result.body = _text(answer.read(READ_MAX))
    except urllib.error.HTTPError as answer:
        result.status_code = answer.code
        result.headers = dict(answer.headers.items()) if answer.headers else {}
        result.body = _text(answer.read(READ_MAX)) if answer.fp else ""
        answer.close()
        result.retry_after = retry_after_parse(result.headers.get("Retry-After"))
    except TimeoutError as failure:
        result.timed_out, result.error = True, str(failure) or "timed out"
    except urllib.error.URLError as failure:
        reason = failure.reason
        if isinstance(reason, AddressRefused):
            result.error, result.refused = str(reason), True
        else:
            result.timed_out = isinstance(reason, TimeoutError | socket.timeout)
            result.error = f"{type(reason).__name__}: {reason}" if not isinstance(reason, str) else reason
    except (http.client.InvalidURL, UnicodeError, ValueError) as failure:
        # The request itself is malformed (a URL or header the data made invalid): retrying
        # sends the same thing again.
        result.error, result.malformed = f"{type(failure).__name__}: {failure}", True
    except (OSError, http.client.HTTPException) as failure:
        result.error = f"{type(failure).__name__}: {failure}"
    result.duration_ms = int((time.monotonic() - started) * 1000)
    return result


def _text(raw: bytes) -> str:
    return raw.decode("utf-8", errors="replace")


def retry_after_parse(value: str | None, *, cap: timedelta = RETRY_AFTER_CAP) -> timedelta | None:
    """A Retry-After header: seconds or an HTTP date, as RFC 9110 allows; None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    try:
        wait = timedelta(seconds=int(value))
    except ValueError:
        try:
            wait = parsedate_to_datetime(value) - timezone.now()
        except (TypeError, ValueError):
            return None
    return min(max(wait, timedelta(0)), cap)


# --- judging the answer --------------------------------------------------------------------------


def path_value(document, path: str):
    """The value at a dotted path ("data.items.0.id"), or raise KeyError."""
    current = document
    for part in path.split("."):
        if isinstance(current, list) and part.isdigit() and int(part) < len(current):
            current = current[int(part)]
        elif isinstance(current, dict) and part in current:
            current = current[part]
        else:
            raise KeyError(path)
    return current


def call_judge(
    result: CallResult,
    *,
    retry_on: frozenset,
    response_map: dict,
    system: str,
    fields: tuple[Field, ...],
    timeout: float,
) -> Verdict:
    """What the answer means: succeeded (with the fields `response_map` maps), retry, or failed,
    and why. `retry_on`: the status codes worth another attempt (the step's Retry.retry_on)."""
    code = result.status_code
    if code is None:
        if result.refused:
            return Verdict(
                "failed",
                ExceptionCategory.CONFIGURATION,
                MSG_ADDRESS_REFUSED.format(reason=result.error, system=system),
            )
        if result.malformed:
            return Verdict(
                "failed", ExceptionCategory.CONFIGURATION, MSG_MALFORMED.format(system=system, error=result.error)
            )
        if result.timed_out:
            return Verdict("retry", ExceptionCategory.TIMEOUT, MSG_TIMEOUT.format(system=system, seconds=timeout))
        return Verdict(
            "retry", ExceptionCategory.UNAVAILABLE, MSG_UNREACHABLE.format(system=system, reason=result.error)
        )
    if 200 <= code < 300:
        mapping = response_map or {}
        if not mapping:
            return Verdict("succeeded")
        try:
            document = json_loads_limited(result.body) if result.body.strip() else None
        except ValueError as problem:  # JSONTooDeep included: the answer is JSON from outside
            return Verdict(
                "failed", ExceptionCategory.BAD_DATA, MSG_NOT_JSON.format(system=system, code=code, problem=problem)
            )
        by_name = {f.name: f for f in fields}
        mapped = {}
        for name, path in mapping.items():
            try:
                value = path_value(document, path)
            except KeyError:
                return Verdict(
                    "failed", ExceptionCategory.BAD_DATA, MSG_MAP_MISSING.format(system=system, path=path, name=name)
                )
            try:
                mapped[name] = by_name[name].clean_value(value) if value is not None else None
            except (ValueError, TypeError) as problem:
                message = MSG_MAP_INVALID.format(system=system, path=path, value=value, name=name, problem=problem)
                return Verdict("failed", ExceptionCategory.BAD_DATA, message)
        return Verdict("succeeded", mapped=mapped)
    detail = _detail(result.body)
    message = MSG_HTTP.format(system=system, code=code, detail=f": {detail}" if detail else "")
    if 300 <= code < 400:
        return Verdict("failed", ExceptionCategory.CONFIGURATION, MSG_REDIRECT.format(system=system, code=code))
    if code == 429:
        return Verdict("retry" if code in retry_on else "failed", ExceptionCategory.RATE_LIMITED, message)
    if code in retry_on:
        category = ExceptionCategory.TIMEOUT if code in (408, 504) else ExceptionCategory.UNAVAILABLE
        return Verdict("retry", category, message)
    if code in (401, 403, 404, 405):
        return Verdict("failed", ExceptionCategory.CONFIGURATION, message)
    if code < 500:
        return Verdict("failed", ExceptionCategory.REJECTED, message)
    return Verdict("failed", ExceptionCategory.UNAVAILABLE, message)


def _detail(body: str) -> str:
    """A short reason from an error body: its "message"/"error"/"detail", else its first line."""
    try:
        document = json_loads_limited(body)
    except ValueError:
        document = None
    if isinstance(document, dict):
        for key in ("message", "error", "detail", "reason"):
            if isinstance(document.get(key), str):
                return document[key][:200]
    return (body.strip().splitlines() or [""])[0][:200]


def retry_delay(*, attempts: int, retry: Retry, retry_after: timedelta | None = None) -> timedelta:
    """Exponential backoff with jitter after `attempts` failed tries; a Retry-After wins if longer."""
    base, cap = retry.backoff_seconds, retry.max_backoff_seconds
    delay = min(cap, base * 2 ** (attempts - 1))
    delay = random.uniform(delay / 2, delay)  # "equal jitter": never hammer, never wait less than half
    wait = timedelta(seconds=delay)
    if retry_after is not None and retry_after > wait:
        wait = retry_after
    return wait


def response_record(result: CallResult, used_secrets: list[str]) -> dict:
    """What operators see of an answer: status, a few headers, the body cut short, redacted."""
    keep = {k: v for k, v in result.headers.items() if k.lower() in {"content-type", "retry-after", "x-request-id"}}
    return redact(
        {
            "status": result.status_code,
            "headers": keep,
            "body": result.body[:BODY_MAX],
            "error": result.error,
            "duration_ms": result.duration_ms,
        },
        used_secrets,
    )
