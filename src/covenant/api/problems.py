"""Every API error as an RFC 9457 problem document (`application/problem+json`).

One shape for all of them, so a client needs one error handler:

    {"type": "urn:social-covenant:problem:invalid", "title": "...", "status": 422,
     "detail": "name: Enter the organisation's name.", "code": "invalid",
     "errors": [{"field": "name", "pointer": "/name", "message": "..."}]}

`code` is the stable, machine-readable part (the same codes `CovenantError` subclasses carry);
`type` is a URN built from it, so it never depends on where a node is hosted. `errors` is
always present, empty unless single fields are at fault; each entry names the field, and
either a JSON pointer into the body or the query/path/header parameter.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.core.exceptions import ObjectDoesNotExist, RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse
from ninja.errors import HttpError
from ninja.errors import ValidationError as NinjaValidationError

from covenant.core.errors import CovenantError

logger = logging.getLogger(__name__)

MEDIA_TYPE = "application/problem+json"
TYPE_PREFIX = "urn:social-covenant:problem:"

# code -> (status, title). The titles are what a developer reads first; the detail says what
# was wrong with this request and how to put it right.
PROBLEMS: dict[str, tuple[int, str]] = {
    "bad_request": (400, "The request could not be understood"),
    "malformed_json": (400, "The request body is not valid JSON"),
    "invalid_idempotency_key": (400, "The Idempotency-Key header is not valid"),
    "not_authenticated": (401, "Sign in or give an API token"),
    "token_invalid": (401, "The API token is not valid"),
    "token_revoked": (401, "The API token has been revoked"),
    "token_expired": (401, "The API token has expired"),
    "forbidden": (403, "You do not have permission to do this"),
    "csrf_failed": (403, "The CSRF check failed"),
    "mfa_required": (403, "Set up a second factor first"),
    "not_found": (404, "Not found"),
    "method_not_allowed": (405, "This method is not allowed here"),
    "conflict": (409, "This clashes with something already recorded"),
    "idempotency_in_flight": (409, "A request with this Idempotency-Key is still running"),
    "request_too_large": (413, "The request body is too large"),
    "unsupported_media_type": (415, "Send the body as JSON"),
    "invalid": (422, "Some of the information is not valid"),
    "idempotency_key_reused": (422, "This Idempotency-Key was used for a different request"),
    "rate_limited": (429, "Too many requests"),
    "server_error": (500, "Something went wrong on the server"),
}


class UnsupportedMediaType(CovenantError):
    code = "unsupported_media_type"
    status = 415
    title = PROBLEMS["unsupported_media_type"][1]


class MalformedBody(CovenantError):
    code = "malformed_json"
    status = 400
    title = PROBLEMS["malformed_json"][1]


def problem_type(code: str) -> str:
    return f"{TYPE_PREFIX}{code}"


def problem(
    *,
    status: int,
    code: str,
    detail: str,
    title: str | None = None,
    errors: Iterable[Mapping[str, Any]] = (),
    headers: Mapping[str, str] | None = None,
) -> HttpResponse:
    """Build the response. Every error path in the API ends here."""
    body = {
        "type": problem_type(code),
        "title": title or PROBLEMS.get(code, (status, "The request could not be completed"))[1],
        "status": status,
        "detail": detail,
        "code": code,
        "errors": [dict(e) for e in errors],
    }
    response = HttpResponse(
        json.dumps(body, ensure_ascii=False), status=status, content_type=MEDIA_TYPE
    )
    if status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="Social Covenant API"'
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def field_errors(
    errors: Mapping[str, Sequence[str]], parameters: Iterable[str] = ()
) -> list[dict[str, str]]:
    """A CovenantError's {field: [messages]} as problem `errors` entries: a field that is one
    of the request's path or query `parameters` is named as such; any other is a body field
    and gets a JSON pointer."""
    names = set(parameters)
    return [
        {"field": field, "parameter": field, "message": message}
        if field in names
        else {"field": field, "pointer": f"/{field.replace('.', '/')}", "message": message}
        for field, messages in errors.items()
        for message in messages
    ]


def _parameters(request: HttpRequest | None) -> set[str]:
    if request is None:
        return set()
    match = getattr(request, "resolver_match", None)
    return set(match.kwargs if match is not None else ()) | set(request.GET)


def from_covenant_error(exc: CovenantError, request: HttpRequest | None = None) -> HttpResponse:
    return problem(
        status=exc.status,
        code=exc.code,
        title=PROBLEMS[exc.code][1] if exc.code in PROBLEMS else exc.title,
        detail=exc.message,
        errors=field_errors(exc.errors, _parameters(request)),
    )


# Pydantic error types -> a sentence a person can act on. Anything not listed keeps pydantic's
# own message, which is already readable ("Input should be a valid integer").
_MESSAGES: dict[str, str] = {
    "missing": "This is required.",
    "extra_forbidden": "This is not a field this endpoint accepts. Check the spelling.",
    "string_type": "Give this as a string.",
    "int_type": "Give this as a whole number.",
    "int_parsing": "Give this as a whole number.",
    "int_from_float": "Give this as a whole number.",
    "bool_type": "Give this as true or false.",
    "bool_parsing": "Give this as true or false.",
    "list_type": "Give this as a list.",
    "datetime_type": "Give this as a date and time, like 2026-03-31T17:00:00Z.",
    "datetime_parsing": "Give this as a date and time, like 2026-03-31T17:00:00Z.",
    "datetime_from_date_parsing": "Give this as a date and time, like 2026-03-31T17:00:00Z.",
    "string_too_long": "Use {max_length} characters or fewer.",
    "string_too_short": "Use at least {min_length} characters.",
    "greater_than_equal": "Give a number of {ge} or more.",
    "less_than_equal": "Give a number of {le} or less.",
    "greater_than": "Give a number greater than {gt}.",
    "less_than": "Give a number less than {lt}.",
    "enum": "Choose one of: {expected}.",
    "literal_error": "Choose one of: {expected}.",
    "string_pattern_mismatch": "This is not in the expected format.",
}
_BODY_NOT_OBJECT = {"model_type", "model_attributes_type", "dict_type"}


def _readable(error: Mapping[str, Any]) -> str:
    kind = str(error.get("type", ""))
    template = _MESSAGES.get(kind)
    if template is not None:
        try:
            return template.format(**(error.get("ctx") or {}))
        except (KeyError, IndexError, ValueError):
            return template
    message = str(error.get("msg", "This is not valid."))
    # Our own validators raise ValueError("...a sentence..."); pydantic prefixes it.
    for prefix in ("Value error, ", "Assertion failed, "):
        if message.startswith(prefix):
            message = message[len(prefix) :]
    return message


def validation_errors(raw: Sequence[Mapping[str, Any]]) -> list[dict[str, str]]:
    """Ninja's validation errors (loc = (source, param, *path)) as problem entries."""
    entries: list[dict[str, str]] = []
    for error in raw:
        loc = [str(part) for part in error.get("loc", ())]
        source = loc[0] if loc else "body"
        if source == "body":
            # ("body", "<parameter name>", *path into the JSON object)
            path = loc[2:]
            if not path:
                message = (
                    "Send a JSON object as the body."
                    if error.get("type") == "missing"
                    else "The body must be a JSON object."
                    if error.get("type") in _BODY_NOT_OBJECT
                    else _readable(error)
                )
                entries.append({"field": "", "pointer": "", "message": message})
                continue
            entries.append(
                {
                    "field": ".".join(path),
                    "pointer": "/"
                    + "/".join(p.replace("~", "~0").replace("/", "~1") for p in path),
                    "message": _readable(error),
                }
            )
        else:
            name = loc[-1] if len(loc) > 1 else source
            entries.append({"field": name, "parameter": name, "message": _readable(error)})
    return entries


def _summary(entries: Sequence[Mapping[str, str]]) -> str:
    if not entries:
        return "Some of the information is not valid."
    first = entries[0]
    text = f"{first['field']}: {first['message']}" if first["field"] else first["message"]
    if len(entries) > 1:
        text += f" (and {len(entries) - 1} more; see errors)"
    return text


# Handlers, registered on the NinjaAPI in main.py -------------------------------------------


def handle_covenant_error(request: HttpRequest, exc: Exception) -> HttpResponse:
    assert isinstance(exc, CovenantError)
    return from_covenant_error(exc, request)


def handle_validation_error(request: HttpRequest, exc: Exception) -> HttpResponse:
    assert isinstance(exc, NinjaValidationError)
    entries = validation_errors(exc.errors)
    return problem(status=422, code="invalid", detail=_summary(entries), errors=entries)


def body_error(cause: BaseException | None) -> HttpResponse | None:
    """The problem for a body ninja could not read, from the exception underneath."""
    if isinstance(cause, CovenantError):
        return from_covenant_error(cause)
    if isinstance(cause, RequestDataTooBig):
        return problem(
            status=413,
            code="request_too_large",
            detail="The request body is larger than this node accepts (2.5 MB).",
        )
    if isinstance(cause, json.JSONDecodeError | UnicodeDecodeError):
        return problem(
            status=400, code="malformed_json", detail=f"The request body is not valid JSON: {cause}"
        )
    if isinstance(cause, RecursionError):
        return problem(
            status=400,
            code="malformed_json",
            detail="The request body is not valid JSON: it is nested too deeply.",
        )
    return None


def handle_http_error(request: HttpRequest, exc: Exception) -> HttpResponse:
    assert isinstance(exc, HttpError)
    from_body = body_error(exc.__cause__)
    if from_body is not None:
        return from_body
    status = exc.status_code
    if status == 401:
        return problem(
            status=401,
            code="not_authenticated",
            detail="Sign in, or send an API token as 'Authorization: Bearer <token>'.",
        )
    if status == 429:
        wait = getattr(exc, "wait", None)
        detail = "Too many requests. " + (
            f"Try again in {int(wait) + 1} seconds." if wait else "Try again shortly."
        )
        return problem(status=429, code="rate_limited", detail=detail)
    if status == 403:
        return problem(status=403, code="forbidden", detail=str(exc))
    if status == 404:
        return problem(status=404, code="not_found", detail=str(exc))
    if 400 <= status < 500:
        return problem(status=status, code="bad_request", detail=str(exc))
    return handle_unexpected(request, exc)


def handle_not_found(request: HttpRequest, exc: Exception) -> HttpResponse:
    if isinstance(exc, ObjectDoesNotExist):
        model = getattr(getattr(exc, "model", None), "_meta", None)
        what = model.verbose_name if model is not None else "object"
        return problem(status=404, code="not_found", detail=f"No such {what}.")
    return problem(
        status=404,
        code="not_found",
        detail="There is nothing at this address. The API's operations are listed at /api/v1/docs.",
    )


def handle_unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
    """A bug, not the client's fault: log it in full, answer with a problem, never a page."""
    logger.error("Unhandled error in API %s %s", request.method, request.path, exc_info=exc)
    return problem(
        status=500,
        code="server_error",
        detail="Something went wrong on our side. It has been logged; try again later.",
    )


HANDLERS: list[tuple[type[Exception], Any]] = [
    (CovenantError, handle_covenant_error),
    (NinjaValidationError, handle_validation_error),
    (HttpError, handle_http_error),
    (Http404, handle_not_found),
    (ObjectDoesNotExist, handle_not_found),
    (Exception, handle_unexpected),
]
