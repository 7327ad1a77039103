"""The node's JSON API: one NinjaAPI that every app adds its router to.

To add an app's endpoints, write `covenant/<app>/api.py` with a `router` and add one line to
ROUTERS below. Everything else is shared here: authentication (auth.py), errors as problem
documents (problems.py), Idempotency-Key on every POST (idempotency.py), pagination
(pagination.py) and the OpenAPI document with a docs page that works offline (docs.py).
"""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpRequest
from ninja import NinjaAPI, Router
from ninja.openapi.schema import OpenAPISchema
from ninja.parser import Parser
from ninja.types import DictStrAny

from covenant.challenges.api import router as challenges_router
from covenant.commissioning.api import router as commissioning_router
from covenant.core.api import router as core_router
from covenant.funds.api import router as funds_router
from covenant.places.api import router as places_router
from covenant.reserve.api import router as reserve_router
from covenant.supplies.api import router as supplies_router
from covenant.transport.api import router as transport_router
from covenant.volunteering.api import router as volunteering_router

from . import problems
from .api import router as me_router
from .auth import SIGNED_IN, anonymous
from .docs import ServerRenderedDocs
from .idempotency import HEADER as IDEMPOTENCY_HEADER
from .idempotency import idempotent
from .schemas import Problem

# (prefix, router) for each app. Prefixes are part of the public API: add, never rename.
ROUTERS: list[tuple[str, Router]] = [
    ("", me_router),
    ("", core_router),
    ("/places", places_router),
    ("/volunteering", volunteering_router),
    ("/reserve", reserve_router),
    ("/supplies", supplies_router),
    ("/funds", funds_router),
    ("/commissioning", commissioning_router),
    ("/challenges", challenges_router),
    ("/transport", transport_router),
]

DESCRIPTION = """\
The JSON API of a Social Covenant node.

**Authentication.** Send an organisation's API token as `Authorization: Bearer <token>`
(administrators make tokens on the organisation's *API tokens* page), or use the session of a
signed-in person from the browser, with the `X-CSRFToken` header on unsafe requests.

**Errors** are RFC 9457 problem documents (`application/problem+json`) with a stable `code`;
validation errors list each field at fault in `errors`.

**Retries.** Every POST accepts an `Idempotency-Key` header (1-255 printable characters, like a
UUID). Repeating a request with the same key returns the first answer with
`Idempotent-Replayed: true` instead of doing the work twice; keys are kept for 24 hours.

**Lists** take `limit` (1-200, default 50) and `offset`, and return `count`, `next`,
`previous` and `results`.
"""

# The error answers every operation may give, documented once rather than per endpoint.
_COMMON_ERRORS = {
    "400": "The request is malformed (not JSON, or a bad Idempotency-Key).",
    "401": "No valid session or API token.",
    "403": "Not allowed for this person or token (missing role or scope, CSRF).",
    "404": "The object does not exist or is not visible to you.",
    "422": "The input is not valid; `errors` lists each field at fault.",
}
_POST_ERRORS = {
    "409": "A conflicting record exists, or a request with this Idempotency-Key is running.",
}
_BODY_ERRORS = {"415": "The body is not sent as application/json."}


class JsonOnlyParser(Parser):
    """JSON bodies only: say so plainly when a client sends a form or plain text."""

    def parse_body(self, request: HttpRequest) -> DictStrAny:
        content_type = (request.content_type or "").lower()
        if (
            content_type
            and content_type != "application/json"
            and not content_type.endswith("+json")
        ):
            raise problems.UnsupportedMediaType(
                f"Send the body as JSON with 'Content-Type: application/json' "
                f"(this request said '{content_type}')."
            )
        try:
            data: DictStrAny = json.loads(request.body)
        except (ValueError, RecursionError) as exc:
            if isinstance(exc, RecursionError):
                raise problems.MalformedBody(
                    "The request body is not valid JSON: it is nested too deeply."
                ) from None
            raise problems.MalformedBody(f"The request body is not valid JSON: {exc}") from None
        return data


class CovenantAPI(NinjaAPI):
    def get_openapi_operation_id(self, operation: Any) -> str:
        # The view function's name (organisations_list, membership_grant): stable, readable,
        # and what generated clients call their methods.
        return str(operation.view_func.__name__)

    def get_openapi_schema(
        self, *, path_prefix: str | None = None, path_params: DictStrAny | None = None
    ) -> OpenAPISchema:
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        public = {
            self.get_openapi_operation_id(operation)
            for bound in self._get_bound_routers()
            for path_view in bound.path_operations.values()
            for operation in path_view.operations
            if anonymous in operation.auth_callbacks
        }
        return document_conventions(schema, public_operations=public)


def document_conventions(schema: OpenAPISchema, *, public_operations: set[str]) -> OpenAPISchema:
    """Add what every operation shares to the generated schema: the problem responses, the
    Idempotency-Key header on POSTs, and optional authentication on public reads."""
    components = schema.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    problem_schema = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    for name, definition in problem_schema.pop("$defs", {}).items():
        schemas.setdefault(name, definition)
    schemas["Problem"] = problem_schema
    problem_ref = {"$ref": "#/components/schemas/Problem"}
    for operations in schema.get("paths", {}).values():
        for method, operation in operations.items():
            errors = dict(_COMMON_ERRORS)
            if "requestBody" in operation:
                errors.update(_BODY_ERRORS)
            if method == "post":
                errors.update(_POST_ERRORS)
                operation.setdefault("parameters", []).append(
                    {
                        "in": "header",
                        "name": IDEMPOTENCY_HEADER,
                        "required": False,
                        "description": "Makes a retry safe: the same key and request return "
                        "the first answer. 1-255 printable characters; kept for 24 hours.",
                        "schema": {"type": "string", "minLength": 1, "maxLength": 255},
                    }
                )
            responses = {str(k): v for k, v in operation.get("responses", {}).items()}
            operation["responses"] = responses
            for status, description in errors.items():
                responses.setdefault(
                    status,
                    {
                        "description": description,
                        "content": {problems.MEDIA_TYPE: {"schema": problem_ref}},
                    },
                )
            if operation.get("operationId") in public_operations:
                # An empty requirement: the operation also works with no credentials at all.
                operation.setdefault("security", []).append({})
    return schema


def build_api() -> CovenantAPI:
    api = CovenantAPI(
        title="Social Covenant API",
        version="1",
        description=DESCRIPTION,
        urls_namespace="api-v1",
        docs=ServerRenderedDocs(),
        docs_url="/docs",
        openapi_url="/openapi.json",
        auth=SIGNED_IN,
        parser=JsonOnlyParser(),
    )
    for exc_class, handler in problems.HANDLERS:
        api.add_exception_handler(exc_class, handler)
    api.add_decorator(idempotent, mode="view")
    for prefix, router in ROUTERS:
        api.add_router(prefix, router)
    return api


api = build_api()
