"""The JSON API for places: deprivation data for a neighbourhood, and where a postcode is."""

from __future__ import annotations

from typing import Annotated

from django.http import HttpRequest
from ninja import Field, Path, Router, Schema
from pydantic import AfterValidator, StringConstraints

from covenant.api.auth import PUBLIC
from covenant.api.schemas import plain_text
from covenant.core.errors import NotFound, ValidationFailed

from .models import LSOA
from .selectors import Placed, place_for_postcode

router = Router(tags=["Places"])

LSOAS_IN_ENGLAND = 32_844


class AreaOut(Schema):
    code: str
    name: str


class DomainOut(Schema):
    rank: int | None = Field(description=f"1 is the most deprived of {LSOAS_IN_ENGLAND:,}.")
    decile: int | None = Field(description="1 is the most deprived 10%.")


class DeprivationOut(Schema):
    """English Indices of Deprivation 2019."""

    score: float | None
    rank: int | None = Field(description=f"1 is the most deprived of {LSOAS_IN_ENGLAND:,}.")
    decile: int | None = Field(description="1 is the most deprived 10%.")
    income: DomainOut
    employment: DomainOut
    education: DomainOut
    health: DomainOut
    crime: DomainOut
    housing: DomainOut = Field(description="Barriers to housing and services.")
    environment: DomainOut = Field(description="Living environment.")


class LsoaOut(Schema):
    code: str
    name: str
    local_authority: AreaOut
    ward: AreaOut | None
    population: int | None
    rural_urban: str
    latitude: float | None
    longitude: float | None
    deprivation: DeprivationOut

    @staticmethod
    def resolve_deprivation(obj: LSOA) -> DeprivationOut:
        def domain(name: str) -> DomainOut:
            return DomainOut(
                rank=getattr(obj, f"{name}_rank"), decile=getattr(obj, f"{name}_decile")
            )

        return DeprivationOut(
            score=obj.imd_score,
            rank=obj.imd_rank,
            decile=obj.imd_decile,
            income=domain("income"),
            employment=domain("employment"),
            education=domain("education"),
            health=domain("health"),
            crime=domain("crime"),
            housing=domain("housing"),
            environment=domain("environment"),
        )


class LsoaSummary(Schema):
    code: str
    name: str
    imd_decile: int | None


class PlaceOut(Schema):
    postcode: str = Field(description="Normalised, like 'L36 9YU'.")
    district: str = Field(description="The outward code, like 'L36'.")
    precision: str = Field(
        description="'postcode' when the node knows the postcode, 'district' when it is placed "
        "by its district only, 'unknown' when neither is known."
    )
    lsoa: LsoaSummary | None
    local_authority: AreaOut | None
    latitude: float | None
    longitude: float | None

    @staticmethod
    def resolve_precision(obj: Placed) -> str:
        if obj.lsoa is not None:
            return "postcode"
        return "district" if obj.latitude is not None or obj.local_authority else "unknown"


@router.get("/lsoas/{code}", response=LsoaOut, auth=PUBLIC, summary="A neighbourhood (LSOA)")
def lsoa_detail(
    request: HttpRequest,
    code: Annotated[str, Path(), StringConstraints(max_length=20), AfterValidator(plain_text)],
) -> LSOA:
    """Deprivation ranks and deciles for one LSOA (2011 code, like E01006412)."""
    lsoa = (
        LSOA.objects.select_related("local_authority", "ward")
        .filter(code=code.strip().upper())
        .first()
    )
    if lsoa is None:
        raise NotFound(f"There is no LSOA with the code '{code}' on this node.")
    return lsoa


@router.get("/postcodes/{postcode}", response=PlaceOut, auth=PUBLIC, summary="Where a postcode is")
def postcode_place(
    request: HttpRequest,
    postcode: Annotated[str, Path(), StringConstraints(max_length=16), AfterValidator(plain_text)],
) -> Placed:
    """As precisely as the node's data allows: the LSOA if the postcode is known, otherwise its
    district."""
    try:
        return place_for_postcode(postcode)
    except ValueError as exc:
        raise ValidationFailed(str(exc), field="postcode") from None
