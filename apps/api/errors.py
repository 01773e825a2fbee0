"""One error shape for the whole API: {"detail": "...", "errors": {"field": ["problem", ...]}}."""

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.db import InterfaceError, OperationalError
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from apps.core.errors import ServiceError

MSG_TOO_LARGE = "The request body is larger than this server accepts ({limit} bytes)."
MSG_TOO_MANY = "The request has too many fields or files."
MSG_DB_UNAVAILABLE = "The database is unavailable for a moment; nothing was changed. Try again shortly."
DB_RETRY_AFTER_SECONDS = 5


def exception_handler(exc, context):
    if isinstance(exc, RequestDataTooBig):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        return Response({"detail": MSG_TOO_LARGE.format(limit=limit)}, status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE)
    if isinstance(exc, TooManyFieldsSent | TooManyFilesSent):
        return Response({"detail": MSG_TOO_MANY}, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, OperationalError | InterfaceError):
        # A restart or failover of the database (the request's transaction was rolled back): a
        # retryable 503, not a 500. Lock timeouts of the flow lock are mapped earlier, to 409 Busy.
        return Response(
            {"detail": MSG_DB_UNAVAILABLE},
            status=status.HTTP_503_SERVICE_UNAVAILABLE,
            headers={"Retry-After": str(DB_RETRY_AFTER_SECONDS)},
        )
    if isinstance(exc, ServiceError):
        body = {"detail": exc.message}
        if exc.field_errors:
            body["errors"] = exc.field_errors
        return Response(body, status=exc.status_code)
    if isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        errors = response.data if isinstance(response.data, dict) else {"non_field_errors": response.data}
        response.data = {"detail": "Invalid input: " + ", ".join(sorted(errors)) + ".", "errors": errors}
        response.status_code = status.HTTP_400_BAD_REQUEST
    elif isinstance(exc, exceptions.ParseError):
        response.data = {"detail": f"Malformed request body: {exc.detail}"}
    return response
