"""Errors raised by services. Views and the API map them to HTTP status codes."""


class ServiceError(Exception):
    """Base for domain errors; `message` is shown to the user as is."""

    status_code = 400

    def __init__(self, message: str, *, field_errors: dict | None = None):
        super().__init__(message)
        self.message = message
        self.field_errors = field_errors or {}


class ValidationFailed(ServiceError):
    """Input is wrong; `field_errors` maps each bad field to its problems."""

    status_code = 400


class NotAllowed(ServiceError):
    """The actor may not do this (permissions, segregation of duties)."""

    status_code = 403


class NotFound(ServiceError):
    status_code = 404


class Conflict(ServiceError):
    """The object is no longer in a state that allows the action (already decided, closed)."""

    status_code = 409


class Busy(ServiceError):
    """Someone else is changing the same case right now; retrying shortly will work."""

    status_code = 409
