"""Pagination for every list in the API: `limit` and `offset` in, `count`, `next`,
`previous` and `results` out.

Limit/offset rather than pages because clients that sync a list (a rota system, a funder's
dashboard) think in offsets; `next` and `previous` are full URLs, so most never compute one.
Out-of-range values are refused with a 422 problem rather than quietly clamped, so a client
never believes it received 1,000 rows when it got 200.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Field, Schema
from ninja.pagination import PaginationBase

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
# Far beyond any real list; stops a huge offset reaching the database as an overflow.
MAX_OFFSET = 10_000_000


class Pagination(PaginationBase):
    class Input(Schema):
        limit: int = Field(
            DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description=f"How many results (1-{MAX_LIMIT})."
        )
        offset: int = Field(
            0, ge=0, le=MAX_OFFSET, description="How many results to skip from the start."
        )

    class Output(Schema):
        count: int = Field(description="How many results there are in all.")
        next: str | None = Field(description="The URL of the next page, if there is one.")
        previous: str | None = Field(description="The URL of the previous page, if any.")
        results: list[Any]

    items_attribute = "results"

    def paginate_queryset(
        self,
        queryset: QuerySet[Any],
        pagination: Input,
        request: HttpRequest,
        **params: Any,
    ) -> dict[str, Any]:
        limit, offset = pagination.limit, pagination.offset
        count = self._items_count(queryset)
        return {
            "count": count,
            "next": _page_url(request, limit, offset + limit) if offset + limit < count else None,
            "previous": _page_url(request, limit, max(offset - limit, 0)) if offset > 0 else None,
            "results": queryset[offset : offset + limit],
        }


def _page_url(request: HttpRequest, limit: int, offset: int) -> str:
    query = request.GET.copy()
    query["limit"] = str(limit)
    query["offset"] = str(offset)
    return request.build_absolute_uri(f"{request.path}?{query.urlencode()}")
