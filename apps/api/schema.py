"""The API's error answers in the OpenAPI schema: one error shape, and on every operation the
error statuses it can answer, decided here once from how the operation is built.

The views document their successful answers; `document_errors` (a drf-spectacular
postprocessing hook, see SPECTACULAR_SETTINGS) adds the failures, so a new endpoint is documented
by the same rules without a decorator of its own. tests/api/test_schema.py checks the rules
against the code paths and tests/api/test_fuzz.py against what the API really answers.
"""

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.views import APIView

PAGING = {"page", "per_page"}
UNSAFE = {"post", "put", "patch", "delete"}

# Reads every signed-in user may make: they list only what the caller may see, so there is
# nothing to forbid (and unsafe requests are not among them: session callers can fail CSRF).
OPEN_TO_EVERY_USER = {
    ("/api/v1/workflows/", "get"),
    ("/api/v1/cases/", "get"),
    ("/api/v1/tasks/", "get"),
}

# What the rules below cannot see from the operation's shape, with the reason.
EXTRA_STATUSES = {
    # Wrong credentials (the endpoint itself needs none); locked out after repeated failures.
    ("/api/v1/auth/token/", "post"): {401, 429},
    # The signature is the authentication; an inactive run-as user is refused; the body is read raw.
    ("/api/v1/hooks/{endpoint}/", "post"): {400, 401, 403},
    # The definition already has a draft.
    ("/api/v1/definitions/import/", "post"): {409},
    # The same Idempotency-Key sent with a different request.
    ("/api/v1/cases/", "post"): {422},
}
# The inbound hook reads its body raw: any media type is taken, so none is unsupported.
RAW_BODY = {("/api/v1/hooks/{endpoint}/", "post")}

DESCRIPTIONS = {
    400: "Invalid input: `errors` names each bad field and its problems.",
    401: "Not signed in: no credentials, or an unknown or expired token.",
    403: "Signed in, but not allowed to do this (role, ownership, segregation of duties).",
    404: "No such object, or a page past the last one.",
    409: "The object is no longer in a state that allows this (already decided, closed), "
    "or someone else is changing it right now: retry shortly.",
    413: "The request body is too large.",
    415: "The request body is not in a supported media type.",
    422: "The same Idempotency-Key was used for a different request.",
    429: "Too many requests (or failed sign-ins): wait for the Retry-After seconds.",
    503: "The database is unavailable for a moment (a restart or failover): retry after Retry-After seconds.",
}


@extend_schema_field(
    {
        "type": "object",
        "additionalProperties": {
            "oneOf": [
                {"type": "array", "items": {"type": "string"}},
                {"type": "object", "additionalProperties": {}},
            ]
        },
        "description": "Field name -> its problems; a nested field (an object or a list's item, "
        "by index) holds an object of the same shape.",
    }
)
class FieldErrors(serializers.DictField):
    pass


class ErrorSerializer(serializers.Serializer):
    """Every error the API answers (apps/api/errors.py makes them so)."""

    detail = serializers.CharField(help_text="What went wrong, in words for a person.")
    errors = FieldErrors(required=False)

    class Meta:
        ref_name = "Error"


def error_statuses(*, path: str, method: str, operation: dict, view) -> set[int]:
    """The error statuses one operation can answer."""
    key = (path, method)
    parameters = operation.get("parameters", [])
    query = {p["name"] for p in parameters if p["in"] == "query"}
    has_path_id = any(p["in"] == "path" for p in parameters)
    has_body = "requestBody" in operation
    statuses = set(EXTRA_STATUSES.get(key, set()))
    if any(scheme for scheme in operation.get("security", [{}])):  # signed-in callers only
        statuses.add(401)
        if key not in OPEN_TO_EVERY_USER:
            statuses.add(403)
    if has_body or query - PAGING:
        statuses.add(400)
    if has_body:
        statuses.add(413)
        if key not in RAW_BODY:
            statuses.add(415)
    if has_path_id or query & PAGING:
        statuses.add(404)
    if method == "post" and has_path_id:  # an action on an object that may have moved on
        statuses.add(409)
    if view.get_throttles():
        statuses.add(429)
    statuses.add(503)  # the database is away (a restart, a failover): retry
    return statuses


def _error_component(generator) -> dict:
    """ErrorSerializer as drf-spectacular maps any serializer."""
    view = APIView()
    view.request = None
    mapper = AutoSchema()
    mapper.registry, mapper.method, mapper.path, mapper.view = generator.registry, "GET", "", view
    return mapper._map_serializer(ErrorSerializer, "response")


def _response(status: int) -> dict:
    response = {
        "description": DESCRIPTIONS[status],
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }
    if status in (429, 503):
        response["headers"] = {
            "Retry-After": {"schema": {"type": "integer"}, "description": "Seconds to wait before trying again."}
        }
    return response


def document_errors(result, generator, request, public):
    """POSTPROCESSING_HOOKS: add the error answers of every operation, and the Error component."""
    views = {(path, method.lower()): callback.cls for path, _, method, callback in generator.endpoints}
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = _error_component(generator)
    for path, item in result.get("paths", {}).items():
        for method, operation in item.items():
            view = views[(path, method)]()
            responses = operation.setdefault("responses", {})
            for status in sorted(error_statuses(path=path, method=method, operation=operation, view=view)):
                responses.setdefault(str(status), _response(status))
    return result
