"""Money as people read it. Amounts are integer pence everywhere; this only writes them out."""

from __future__ import annotations


def pounds(pence: int) -> str:
    """12_345_600 -> '£123,456'; 12_345 -> '£123.45'; -500 -> '-£5'.

    Whole pounds drop the pence, as funders write grant amounts; anything else shows both
    decimals so '£0.50' is never read as fifty pounds.
    """
    sign = "-" if pence < 0 else ""
    whole, part = divmod(abs(pence), 100)
    if part == 0:
        return f"{sign}£{whole:,}"
    return f"{sign}£{whole:,}.{part:02d}"


def percent(fraction: float) -> str:
    """0.4 -> '40%'; 0.425 -> '42.5%'; 1/3 -> '33.3%'."""
    value = round(fraction * 100, 1)
    if value == int(value):
        return f"{int(value)}%"
    return f"{value}%"


def ordinal(number: int) -> str:
    """1 -> '1st', 12 -> '12th', 23 -> '23rd'."""
    if 10 <= number % 100 <= 20:
        suffix = "th"
    else:
        suffix = {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    return f"{number:,}{suffix}"
