"""Reads over places that pages, the API and other apps share."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, QuerySet

from covenant.core.errors import NotFound
from covenant.core.identifiers import postcode_normalise

from .models import LSOA, LocalAuthority, Postcode, PostcodeDistrict, Region, Ward


@dataclass(frozen=True)
class Placed:
    """Where a postcode is, as precisely as the node's data allows."""

    postcode: str
    district: str
    lsoa: LSOA | None
    local_authority: LocalAuthority | None
    latitude: float | None
    longitude: float | None


def place_for_postcode(value: str) -> Placed:
    """Normalise a postcode and place it. Raises ValueError for a malformed postcode; a
    well-formed postcode the node does not know is placed by its district if known."""
    postcode = postcode_normalise(value)
    district = postcode.split(" ", 1)[0]
    known = Postcode.objects.select_related("lsoa__local_authority").filter(postcode=postcode)
    row = known.first()
    if row is not None and row.lsoa is not None:
        return Placed(
            postcode,
            district,
            row.lsoa,
            row.lsoa.local_authority,
            row.latitude or row.lsoa.latitude,
            row.longitude or row.lsoa.longitude,
        )
    area = PostcodeDistrict.objects.select_related("local_authority").filter(code=district).first()
    if area is not None:
        return Placed(postcode, district, None, area.local_authority, area.latitude, area.longitude)
    return Placed(postcode, district, None, None, None, None)


def lsoas_in(local_authority_codes: list[str]) -> QuerySet[LSOA]:
    """The LSOAs of some local authorities, with their authority and ward loaded."""
    return LSOA.objects.filter(local_authority_id__in=local_authority_codes).select_related(
        "local_authority", "ward"
    )


def lsoa_get(code: str) -> LSOA:
    """One LSOA by its ONS code; NotFound says so when the node does not hold it."""
    lsoa = (
        LSOA.objects.select_related("local_authority__region", "ward")
        .filter(code=code.strip().upper())
        .first()
    )
    if lsoa is None:
        raise NotFound(f"No LSOA with the code '{code.strip()}' is held by this node.")
    return lsoa


def local_authorities_with_lsoas() -> QuerySet[LocalAuthority]:
    """The local authorities the node has LSOAs for (the ones a coordinator can choose),
    with how many each has, by name."""
    return (
        LocalAuthority.objects.select_related("region")
        .annotate(lsoa_count=Count("lsoas"))
        .filter(lsoa_count__gt=0)
        .order_by("name")
    )


def place_counts() -> dict[str, int]:
    """How much place data the node holds: for the node dashboard and after an import."""
    return {
        "regions": Region.objects.count(),
        "local authorities": LocalAuthority.objects.count(),
        "wards": Ward.objects.count(),
        "LSOAs": LSOA.objects.count(),
        "postcode districts": PostcodeDistrict.objects.count(),
        "postcodes": Postcode.objects.count(),
    }
