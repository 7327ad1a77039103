"""URLs under /api/: version 1, and a problem document for every other path.

Every view here is wrapped in `problem_safety_net`, so whatever happens below (an unknown
method, an Http404 from outside ninja, a bug) the client gets a problem document, never one
of the site's HTML pages.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.urls import URLPattern, include, path, re_path, reverse
from django.views.decorators.csrf import csrf_exempt

from . import problems
from .main import api

View = Callable[..., HttpResponseBase]
_SAFE = ("GET", "HEAD")


def problem_safety_net(view: View, *, read_only: bool = False) -> View:
    """Turn anything that is not already a problem document into one. `read_only` views (the
    OpenAPI document, the docs page) answer GET and HEAD only."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if read_only and request.method not in _SAFE:
            return _method_not_allowed(request, _SAFE)
        try:
            # Read the body now, while nothing else has: the CSRF check may parse the form
            # data first, after which the raw body can no longer be read.
            request.body  # noqa: B018
        except RequestDataTooBig as exc:
            too_large = problems.body_error(exc)
            assert too_large is not None
            return too_large
        try:
            response = view(request, *args, **kwargs)
        except Http404 as exc:
            return problems.handle_not_found(request, exc)
        except Exception as exc:
            return problems.handle_unexpected(request, exc)
        if response.status_code == 405 and not _is_problem(response):
            allowed = [m.strip() for m in response.get("Allow", "").split(",") if m.strip()]
            return _method_not_allowed(request, allowed)
        return response

    # Ninja checks CSRF itself, for session-authenticated unsafe requests only; Django's
    # middleware would answer a token-authenticated POST with an HTML 403.
    return csrf_exempt(wrapper)


def _is_problem(response: HttpResponseBase) -> bool:
    return str(response.get("Content-Type", "")).startswith(problems.MEDIA_TYPE)


def _method_not_allowed(request: HttpRequest, allowed: Any) -> HttpResponse:
    methods = ", ".join(sorted(allowed))
    return problems.problem(
        status=405,
        code="method_not_allowed",
        detail=f"{request.method} is not allowed on {request.path}. Use {methods}.",
        headers={"Allow": methods},
    )


def api_index(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    """What a client finds at /api/v1/: where the description and the docs are."""
    return JsonResponse(
        {
            "title": api.title,
            "version": api.version,
            "openapi": request.build_absolute_uri(reverse("api-v1:openapi-json")),
            "docs": request.build_absolute_uri(reverse("api-v1:openapi-view")),
        }
    )


@csrf_exempt
def unknown_path(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    return problems.problem(
        status=404,
        code="not_found",
        detail=(
            f"There is no API endpoint at {request.path}. The operations are listed at "
            f"{reverse('api-v1:openapi-view')}."
        ),
    )


def _wrapped(patterns: list[Any]) -> list[Any]:
    result: list[Any] = []
    for pattern in patterns:
        if not isinstance(pattern, URLPattern):
            result.append(pattern)
            continue
        callback: View = pattern.callback
        read_only = pattern.name in {"openapi-json", "openapi-view", "api-root"}
        if pattern.name == "api-root":
            callback = api_index
        result.append(
            URLPattern(
                pattern.pattern,
                problem_safety_net(callback, read_only=read_only),
                pattern.default_args,
                pattern.name,
            )
        )
    return result


_patterns, _app_name, _namespace = api.urls

urlpatterns = [
    path("v1/", include((_wrapped(_patterns), _app_name), namespace=_namespace)),
    re_path(r"^.*$", unknown_path),
]
