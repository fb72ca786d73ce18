"""Cattle's error documents, raised as one exception type and rendered by the app."""

from __future__ import annotations

from typing import Any

# Plain HTTP errors carry the standard text as both code and message (api/messages.properties).
STATUS_CODES = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Request Entity Too Large",
    414: "URI Too Long",
    431: "Request Header Fields Too Large",
    500: "Internal Server Error",
}


class ApiError(Exception):
    """An error answer: HTTP status plus Cattle's `code`, `message`, `detail`, `fieldName`."""

    def __init__(
        self,
        status: int,
        code: str | None = None,
        *,
        message: str | None = None,
        detail: str | None = None,
        field_name: str | None = None,
    ) -> None:
        self.status = status
        self.code = code or STATUS_CODES.get(status, "Error")
        # Status-only errors repeat the code as message; validation errors leave it null.
        self.message = message if message is not None or field_name else self.code
        self.detail = detail
        self.field_name = field_name
        # Extra response headers (e.g. a 401's WWW-Authenticate challenge).
        self.headers: dict[str, str] = {}
        super().__init__(f"{status} {self.code}")

    def __str__(self) -> str:
        """Everything the error document says but its random id, e.g. `422 InvalidReference
        (fieldName=registryId)` or `400 ServerAddressUsed: ServerAddressUsed`."""
        text = f"{self.status} {self.code}"
        if self.message is not None and self.message != self.code:
            text += f": {self.message}"
        if self.field_name is not None:
            text += f" (fieldName={self.field_name})"
        if self.detail is not None and self.detail != self.message:
            text += f" - {self.detail}"
        return text

    def document(self, error_id: str) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "id": error_id,
            "type": "error",
            "links": {},
            "actions": {},
            "status": self.status,
            "code": self.code,
            "message": self.message,
            "detail": self.detail,
        }
        if self.field_name is not None:
            doc["fieldName"] = self.field_name
        doc["baseType"] = "error"
        return doc


def validation_error(code: str, field_name: str) -> ApiError:
    """A 422 validation error: code and fieldName set, message and detail null."""
    return ApiError(422, code, field_name=field_name)


def not_found() -> ApiError:
    return ApiError(404)


def method_not_allowed() -> ApiError:
    return ApiError(405)
