"""The API docs page, rendered on the server from the OpenAPI document.

Ninja's Swagger and Redoc pages load their scripts from a CDN (or need inline styles our CSP
forbids); this node may run offline and its CSP allows no third-party scripts. So the docs are
a plain GOV.UK page: every operation with its parameters, body fields, responses and the
problem codes, readable without JavaScript and by a screen reader. The machine-readable
document is at openapi.json beside it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import slugify
from ninja.openapi.docs import DocsBase

from . import problems

if TYPE_CHECKING:
    from ninja import NinjaAPI

_METHOD_ORDER = ["get", "post", "put", "patch", "delete"]


@dataclass(frozen=True)
class Parameter:
    name: str
    location: str
    required: bool
    type: str
    description: str


@dataclass(frozen=True)
class Response:
    status: str
    description: str
    media_type: str
    schema: str


@dataclass
class Operation:
    method: str
    path: str
    operation_id: str
    summary: str
    description: str
    public: bool
    parameters: list[Parameter] = field(default_factory=list)
    body_schema: str = ""
    body_fields: list[Parameter] = field(default_factory=list)
    responses: list[Response] = field(default_factory=list)
    error_statuses: list[str] = field(default_factory=list)

    @property
    def anchor(self) -> str:
        return slugify(self.operation_id) or slugify(f"{self.method} {self.path}")


@dataclass
class Section:
    tag: str
    operations: list[Operation] = field(default_factory=list)

    @property
    def anchor(self) -> str:
        return slugify(self.tag)


@dataclass(frozen=True)
class SchemaDoc:
    name: str
    description: str
    fields: list[Parameter]


def _ref_name(ref: str) -> str:
    return ref.rsplit("/", 1)[-1]


def type_label(schema: dict[str, Any]) -> str:
    """A short human reading of a JSON Schema: 'string (date-time)', 'list of Organisation',
    'integer or null', 'one of: charity, cio'."""
    if "$ref" in schema:
        return _ref_name(schema["$ref"])
    if "enum" in schema:
        return "one of: " + ", ".join(str(v) for v in schema["enum"])
    for combiner in ("anyOf", "oneOf", "allOf"):
        if combiner in schema:
            parts = [type_label(s) for s in schema[combiner]]
            return " or ".join(dict.fromkeys(parts))
    kind = schema.get("type", "any")
    if kind == "array":
        return f"list of {type_label(schema.get('items', {}))}"
    if kind == "null":
        return "null"
    if "format" in schema:
        return f"{kind} ({schema['format']})"
    if "maxLength" in schema:
        return f"{kind} (up to {schema['maxLength']} characters)"
    return str(kind)


def _fields(schema: dict[str, Any], components: dict[str, Any]) -> list[Parameter]:
    if "$ref" in schema:
        schema = components.get(_ref_name(schema["$ref"]), {})
    required = set(schema.get("required", []))
    return [
        Parameter(
            name=name,
            location="body",
            required=name in required,
            type=type_label(prop),
            description=str(prop.get("description", "")),
        )
        for name, prop in schema.get("properties", {}).items()
    ]


def _schema_name(content: dict[str, Any]) -> tuple[str, str]:
    for media_type, body in content.items():
        schema = body.get("schema", {})
        return media_type, type_label(schema)
    return "", ""


def markdown_lite(text: str) -> SafeString:
    """The little Markdown the API description uses (paragraphs, **bold**, `code`), as HTML.
    Escaped first, so nothing in the text can inject markup."""
    paragraphs = []
    for block in re.split(r"\n\s*\n", text.strip()):
        html = str(escape(" ".join(block.split())))
        html = re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", html)
        html = re.sub(r"\*(.+?)\*", r"<em>\1</em>", html)
        html = re.sub(r"`(.+?)`", r"<code>\1</code>", html)
        paragraphs.append(f'<p class="govuk-body">{html}</p>')
    return mark_safe("\n".join(paragraphs))  # noqa: S308  (escaped above)


def docs_context(schema: dict[str, Any]) -> dict[str, Any]:
    """Turn an OpenAPI document into sections of operations and a list of schemas."""
    components: dict[str, Any] = schema.get("components", {}).get("schemas", {})
    sections: dict[str, Section] = {}
    for path, operations in schema.get("paths", {}).items():
        for method in sorted(
            operations, key=lambda m: _METHOD_ORDER.index(m) if m in _METHOD_ORDER else 99
        ):
            raw = operations[method]
            operation = Operation(
                method=method.upper(),
                path=path,
                operation_id=str(raw.get("operationId", "")),
                summary=str(raw.get("summary", "")),
                description=str(raw.get("description", "")),
                public={} in raw.get("security", []) or "security" not in raw,
            )
            for param in raw.get("parameters", []):
                operation.parameters.append(
                    Parameter(
                        name=str(param.get("name", "")),
                        location=str(param.get("in", "")),
                        required=bool(param.get("required", False)),
                        type=type_label(param.get("schema", {})),
                        description=str(
                            param.get("description", param.get("schema", {}).get("description", ""))
                        ),
                    )
                )
            body = raw.get("requestBody", {}).get("content", {})
            if body:
                _, operation.body_schema = _schema_name(body)
                first = next(iter(body.values())).get("schema", {})
                operation.body_fields = _fields(first, components)
            for status, response in sorted(
                raw.get("responses", {}).items(), key=lambda i: str(i[0])
            ):
                media_type, name = _schema_name(response.get("content", {}))
                if media_type == problems.MEDIA_TYPE:
                    operation.error_statuses.append(str(status))
                    continue
                operation.responses.append(
                    Response(str(status), str(response.get("description", "")), media_type, name)
                )
            for tag in raw.get("tags", ["Other"]):
                sections.setdefault(tag, Section(tag)).operations.append(operation)
    schema_docs = [
        SchemaDoc(name, str(definition.get("description", "")), _fields(definition, components))
        for name, definition in sorted(components.items())
        if definition.get("properties")
    ]
    info = schema.get("info", {})
    return {
        "info": info,
        "description_html": markdown_lite(str(info.get("description", ""))),
        "sections": list(sections.values()),
        "schemas": schema_docs,
        "problem_codes": [
            {"code": code, "status": status, "title": title, "type": problems.problem_type(code)}
            for code, (status, title) in sorted(
                problems.PROBLEMS.items(), key=lambda i: (i[1][0], i[0])
            )
        ],
    }


class ServerRenderedDocs(DocsBase):
    def render_page(self, request: HttpRequest, api: NinjaAPI, **kwargs: Any) -> HttpResponse:
        schema = api.get_openapi_schema(path_params=kwargs)
        context = docs_context(schema)
        context["openapi_url"] = reverse(f"{api.urls_namespace}:openapi-json", kwargs=kwargs)
        return render(request, "api/docs.html", context)
