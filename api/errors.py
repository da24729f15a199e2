"""One JSON shape for every API error, so clients can rely on it.

Every error body is ``{"detail": "...", "errors": {"field": ["message", ...]}}``
(``errors`` present when a field is to blame). Anything unexpected that reaches
here becomes a 400 or 404 only when it is the client's fault; the rest stays a
500 and is logged, because hiding server bugs helps nobody.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from django.utils.translation import gettext_lazy
from django.views import defaults
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler


def _flatten(detail: Any) -> Any:
    if isinstance(detail, dict):
        return {key: _flatten(value) for key, value in detail.items()}
    if isinstance(detail, list):
        return [
            str(item) if not isinstance(item, dict | list) else _flatten(item) for item in detail
        ]
    return [str(detail)]


API_PREFIX = "/api/"


def field_errors_body(errors: dict[str, list[str]]) -> dict[str, Any]:
    """The error body for field errors: the first as detail, all of them under errors."""
    first_field, first_messages = next(iter(errors.items()), ("", [""]))
    message = first_messages[0] if isinstance(first_messages, list) and first_messages else ""
    return {"detail": f"{first_field}: {message}" if first_field else message, "errors": errors}


def _json_or_django(django_view, status_code: int, detail):
    """An error view for the whole site: JSON in the API's shape under /api/, Django's own
    page elsewhere. Django answers an unknown API path, a Host it does not serve or too
    many fields with these views, before any API code runs (they were HTML pages).
    ``detail`` is lazy: said in the language of the request."""

    def view(request, exception=None):
        if request.path.startswith(API_PREFIX):
            return JsonResponse({"detail": str(detail)}, status=status_code)
        return django_view(request, exception)

    return view


not_found = _json_or_django(defaults.page_not_found, 404, gettext_lazy("no such API endpoint"))
bad_request = _json_or_django(
    defaults.bad_request,
    400,
    gettext_lazy(
        "bad request: a Host this server does not serve, or more fields or files than it reads"
    ),
)


def json_exception_handler(exc: Exception, context: dict) -> Response | None:
    if isinstance(exc, DjangoValidationError):
        detail = (
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
        exc = exceptions.ValidationError(detail)
    response = exception_handler(exc, context)
    if response is None:
        return None
    data = response.data
    if isinstance(exc, exceptions.ValidationError) and isinstance(data, dict):
        body = field_errors_body(_flatten(data))
    elif isinstance(exc, exceptions.ValidationError) and isinstance(data, list):
        body = {
            "detail": "; ".join(str(item) for item in data),
            "errors": {"non_field_errors": [str(i) for i in data]},
        }
    elif isinstance(data, dict) and "detail" in data:
        body = {"detail": str(data["detail"])}
    else:
        body = {"detail": str(data)}
    if isinstance(exc, Http404):
        response.status_code = status.HTTP_404_NOT_FOUND
    response.data = body
    return response
