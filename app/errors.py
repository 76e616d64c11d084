"""Typed domain errors, plain Python: the domain raises them; `api/problems.py` turns them
into RFC 9457 problem+json at the edge (no Flask here, so services and sync can import it)."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """Base of every error the domain raises; the API maps it to a problem response (`status`
    is the HTTP status it becomes, `slug` its problem type)."""

    status = 400
    slug = "bad-request"
    title = "Bad request"

    def __init__(
        self,
        detail: str | None = None,
        *,
        errors: dict[str, Any] | None = None,
        extra: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        self.errors = errors
        self.extra = extra or {}
        self.headers = headers or {}

    def to_problem(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": f"/problems/{self.slug}",
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
        }
        if self.errors is not None:
            body["errors"] = self.errors
        body.update(self.extra)
        return body


class ValidationFailed(DomainError):
    status, slug, title = 422, "validation-failed", "Validation failed"


class NotFound(DomainError):
    status, slug, title = 404, "not-found", "Not found"


class Forbidden(DomainError):
    status, slug, title = 403, "forbidden", "Forbidden"


class Unauthorized(DomainError):
    status, slug, title = 401, "unauthorized", "Authentication required"


class Conflict(DomainError):
    status, slug, title = 409, "conflict", "Conflict"


class TransitionNotAllowed(DomainError):
    status, slug, title = 409, "transition-not-allowed", "Transition not allowed"


class Gone(DomainError):
    status, slug, title = 410, "gone", "Gone"


class PayloadTooLarge(DomainError):
    status, slug, title = 413, "payload-too-large", "Payload too large"


class TooManyRequests(DomainError):
    status, slug, title = 429, "too-many-requests", "Too many requests"

    def __init__(self, detail: str | None = None, *, retry_after: int, **kw: Any) -> None:
        super().__init__(detail, **kw)
        self.headers["Retry-After"] = str(max(1, int(retry_after)))
        self.extra["retry_after"] = max(1, int(retry_after))


class UnsupportedMediaType(DomainError):
    status, slug, title = 415, "unsupported-media-type", "Unsupported media type"

    def __init__(self, detail: str = "Send the body as application/json.") -> None:
        super().__init__(detail)
