"""UK identifiers people type into forms: postcodes, charity numbers, company numbers.

Pure functions (no Django import). Each `*_normalise` returns the canonical form or raises
`ValueError` with a message a person can act on; pages, the API and imports all use these, so
"L36 9YU", "l369yu" and " L36  9YU " are the same postcode everywhere.
"""

from __future__ import annotations

import re

# The Royal Mail / ONS shape of a postcode: outward code (area + district), inward code (sector
# digit + unit letters). Letters that never appear in given positions are excluded.
_POSTCODE = re.compile(
    r"^(?P<outward>[A-PR-UWYZ](?:[0-9]{1,2}|[A-HK-Y][0-9](?:[0-9ABEHMNPRV-Y])?|[0-9][A-HJKPS-UW]))"
    r"(?P<inward>[0-9][ABD-HJLNP-UW-Z]{2})$"
)
_DISTRICT = re.compile(
    r"^(?:GIR|[A-PR-UWYZ](?:[0-9]{1,2}|[A-HK-Y][0-9](?:[0-9ABEHMNPRV-Y])?|[0-9][A-HJKPS-UW]))$"
)
_CHARITY_EW = re.compile(r"^[1-9][0-9]{5,6}$")
_CHARITY_SCOTLAND = re.compile(r"^SC[0-9]{6}$")
_CHARITY_NI = re.compile(r"^NIC[0-9]{6}$")
_COMPANY = re.compile(r"^(?:[0-9]{8}|[A-Z]{2}[0-9]{6})$")


def _squash(value: str) -> str:
    return re.sub(r"\s+", "", value).upper()


def postcode_normalise(value: str) -> str:
    """'l369yu' -> 'L36 9YU'. Raises ValueError if it cannot be a UK postcode."""
    squashed = _squash(value)
    if not squashed:
        raise ValueError("Enter a postcode, like L36 9YU.")
    if squashed == "GIR0AA":  # Girobank's non-geographic postcode: the one GIR there is
        return "GIR 0AA"
    match = _POSTCODE.match(squashed)
    if match is None:
        raise ValueError(f"'{value.strip()}' is not a UK postcode. Enter a postcode, like L36 9YU.")
    return f"{match['outward']} {match['inward']}"


def postcode_district(value: str) -> str:
    """The outward code of a full postcode ('L36 9YU' -> 'L36'): the area people recognise."""
    return postcode_normalise(value).split(" ", 1)[0]


def postcode_district_normalise(value: str) -> str:
    """A postcode district on its own ('l36' -> 'L36'), or the district of a full postcode."""
    squashed = _squash(value)
    if _DISTRICT.match(squashed):
        return squashed
    try:
        return postcode_district(value)
    except ValueError:
        raise ValueError(
            f"'{value.strip()}' is not a postcode district. Enter the first half of a postcode, "
            "like L36."
        ) from None


def charity_number_normalise(value: str) -> str:
    """A registered charity number: England and Wales (6 or 7 digits), Scotland (SC and 6
    digits) or Northern Ireland (NIC and 6 digits). A subsidiary suffix such as '-1' is dropped:
    the main charity is what the register and 360Giving identify."""
    squashed = _squash(value)
    squashed = re.sub(r"-[0-9]{1,3}$", "", squashed)
    if _CHARITY_EW.match(squashed) or _CHARITY_SCOTLAND.match(squashed):
        return squashed
    if _CHARITY_NI.match(squashed):
        return squashed
    raise ValueError(
        f"'{value.strip()}' is not a registered charity number. Use 6 or 7 digits for England "
        "and Wales (like 1123456), SC and 6 digits for Scotland (like SC012345), or NIC and 6 "
        "digits for Northern Ireland (like NIC100001)."
    )


def company_number_normalise(value: str) -> str:
    """A Companies House number: 8 digits (shorter ones are padded with leading zeros, as
    Companies House prints them) or 2 letters and 6 digits (SC, NI, OC, CE, ...)."""
    squashed = _squash(value)
    if squashed.isdigit() and 0 < len(squashed) < 8:
        squashed = squashed.zfill(8)
    if _COMPANY.match(squashed):
        return squashed
    raise ValueError(
        f"'{value.strip()}' is not a company number. Use the 8 characters Companies House "
        "gives, like 01234567 or SC123456."
    )
