"""Properties of the UK identifier normalisers: whatever spacing or case people type, a valid
identifier comes out in one canonical form, and a malformed one is refused with a message.

Valid postcodes are generated from the Royal Mail format rules (not from the module's own
regular expression), so a regression in the expression shows up as a counter-example.
"""

from __future__ import annotations

import re
import string

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from covenant.core.identifiers import (
    charity_number_normalise,
    company_number_normalise,
    postcode_district,
    postcode_district_normalise,
    postcode_normalise,
)

# Royal Mail PAF rules: letters that never appear in each position of a postcode.
FIRST = "ABCDEFGHIJKLMNOPRSTUWYZ"  # not Q, V, X
SECOND = "ABCDEFGHKLMNOPQRSTUVWXY"  # not I, J, Z
THIRD_IN_A9A = "ABCDEFGHJKPSTUW"
FOURTH_IN_AA9A = "ABEHMNPRVWXY"
INWARD_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"  # not C, I, K, M, O, V
DIGITS = string.digits

REAL_POSTCODES = ["SW1A 1AA", "EC1A 1BB", "M1 1AE", "B33 8TH", "CR2 6XH", "DN55 1PT", "L36 9YU"]
CANONICAL = re.compile(r"^[A-Z]{1,2}[0-9][0-9A-Z]? [0-9][A-Z]{2}$")


def _chars(alphabet: str) -> st.SearchStrategy[str]:
    return st.sampled_from(alphabet)


@st.composite
def outward_codes(draw: st.DrawFn) -> str:
    """One of the six outward shapes: A9, A99, AA9, AA99, A9A, AA9A."""
    shape = draw(st.sampled_from(["A9", "A99", "AA9", "AA99", "A9A", "AA9A"]))
    first = draw(_chars(FIRST))
    if shape == "A9":
        return first + draw(_chars(DIGITS))
    if shape == "A99":
        return first + draw(_chars(DIGITS)) + draw(_chars(DIGITS))
    if shape == "A9A":
        return first + draw(_chars(DIGITS)) + draw(_chars(THIRD_IN_A9A))
    second = draw(_chars(SECOND))
    if shape == "AA9":
        return first + second + draw(_chars(DIGITS))
    if shape == "AA99":
        return first + second + draw(_chars(DIGITS)) + draw(_chars(DIGITS))
    return first + second + draw(_chars(DIGITS)) + draw(_chars(FOURTH_IN_AA9A))


@st.composite
def inward_codes(draw: st.DrawFn) -> str:
    return draw(_chars(DIGITS)) + draw(_chars(INWARD_LETTERS)) + draw(_chars(INWARD_LETTERS))


@st.composite
def valid_postcodes(draw: st.DrawFn) -> str:
    """A canonical postcode, 'OUTWARD INWARD'."""
    return f"{draw(outward_codes())} {draw(inward_codes())}"


@st.composite
def typed_variants(draw: st.DrawFn, canonical: str) -> str:
    """How a person might type `canonical`: any case, spaces anywhere or nowhere, tabs."""
    squashed = canonical.replace(" ", "")
    out = [draw(st.sampled_from(["", " ", "  ", "\t"]))]
    for char in squashed:
        out.append(char.lower() if draw(st.booleans()) else char)
        out.append(draw(st.sampled_from(["", "", "", " ", "  "])))
    out.append(draw(st.sampled_from(["", " ", "\n"])))
    return "".join(out)


@st.composite
def valid_postcode_and_variant(draw: st.DrawFn) -> tuple[str, str]:
    canonical = draw(valid_postcodes())
    return canonical, draw(typed_variants(canonical))


@st.composite
def invalid_postcodes(draw: st.DrawFn) -> str:
    """Strings with a broken postcode shape, each breaking exactly one rule."""
    outward = draw(outward_codes())
    inward = draw(inward_codes())
    flaw = draw(
        st.sampled_from(
            [
                "bad_first_letter",
                "bad_second_letter",
                "bad_inward_letter",
                "inward_starts_with_letter",
                "outward_starts_with_digit",
                "inward_too_short",
                "inward_too_long",
                "outward_too_long",
                "no_inward",
            ]
        )
    )
    if flaw == "bad_first_letter":
        return draw(_chars("QVX")) + outward[1:] + " " + inward
    if flaw == "bad_second_letter":
        return outward[0] + draw(_chars("IJZ")) + draw(_chars(DIGITS)) + " " + inward
    if flaw == "bad_inward_letter":
        return outward + " " + inward[:2] + draw(_chars("CIKMOV"))
    if flaw == "inward_starts_with_letter":
        return outward + " " + draw(_chars(string.ascii_uppercase)) + inward[1:]
    if flaw == "outward_starts_with_digit":
        return draw(_chars(DIGITS)) + outward[1:] + " " + inward
    if flaw == "inward_too_short":
        return outward + " " + inward[:2]
    if flaw == "inward_too_long":
        return outward + " " + inward + draw(_chars(INWARD_LETTERS))
    if flaw == "outward_too_long":
        return outward + "99" + " " + inward
    return outward


# Postcodes -----------------------------------------------------------------------------------


@pytest.mark.parametrize("postcode", REAL_POSTCODES)
def test_real_postcodes_are_accepted_unchanged(postcode):
    assert postcode_normalise(postcode) == postcode


@pytest.mark.parametrize(
    ("typed", "canonical"),
    [
        ("l369yu", "L36 9YU"),
        (" L36  9YU ", "L36 9YU"),
        ("sw1a1aa", "SW1A 1AA"),
        ("Ec1a 1bB", "EC1A 1BB"),
        ("m11ae", "M1 1AE"),
        ("DN55\t1PT", "DN55 1PT"),
        ("gir0aa", "GIR 0AA"),
    ],
)
def test_typed_postcodes_normalise(typed, canonical):
    assert postcode_normalise(typed) == canonical


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "   ",
        "L36",
        "L36 9Y",
        "Q1 1AA",
        "L36 9YC",
        "AI1 1AA",
        "12345",
        "L36-9YU",
        "SW1A 1AAA",
        "GIR 9ZZ",
    ],
)
def test_malformed_postcodes_are_refused_with_an_example(bad):
    with pytest.raises(ValueError, match="L36 9YU"):
        postcode_normalise(bad)


@given(valid_postcodes())
@example("L36 9YU")
def test_generated_valid_postcodes_are_accepted(postcode):
    assert postcode_normalise(postcode) == postcode
    assert CANONICAL.match(postcode) or postcode.startswith("GIR")


@given(valid_postcode_and_variant())
def test_spacing_and_case_variants_normalise_to_the_same_postcode(pair):
    canonical, typed = pair
    assert postcode_normalise(typed) == canonical


@given(st.text())
@example("l369yu")
def test_postcode_normalisation_is_idempotent(value):
    try:
        once = postcode_normalise(value)
    except ValueError:
        return
    assert postcode_normalise(once) == once
    assert once.count(" ") == 1


@given(invalid_postcodes())
def test_known_invalid_postcode_shapes_are_refused(bad):
    with pytest.raises(ValueError, match=r"not a UK postcode|Enter a postcode"):
        postcode_normalise(bad)


@given(valid_postcodes())
def test_district_of_a_postcode_is_a_valid_district(postcode):
    district = postcode_district(postcode)
    assert district == postcode.split(" ")[0]
    assert postcode_district_normalise(district) == district
    assert postcode_district_normalise(district.lower()) == district
    assert postcode_district_normalise(postcode) == district


@pytest.mark.parametrize(
    ("typed", "district"),
    [("l36", "L36"), ("SW1A", "SW1A"), ("sw1a 1aa", "SW1A"), ("M1", "M1"), ("dn55", "DN55")],
)
def test_district_normalise(typed, district):
    assert postcode_district_normalise(typed) == district


@pytest.mark.parametrize("bad", ["", "Q1", "L", "1L", "L36 9", "LL36A", "XYZ"])
def test_malformed_districts_are_refused(bad):
    with pytest.raises(ValueError, match="L36"):
        postcode_district_normalise(bad)


@given(st.text())
def test_district_normalisation_is_idempotent(value):
    try:
        once = postcode_district_normalise(value)
    except ValueError:
        return
    assert postcode_district_normalise(once) == once


# Charity numbers -----------------------------------------------------------------------------

england_and_wales = st.integers(min_value=100_000, max_value=9_999_999).map(str)
scotland = st.text(DIGITS, min_size=6, max_size=6).map(lambda d: "SC" + d)
northern_ireland = st.text(DIGITS, min_size=6, max_size=6).map(lambda d: "NIC" + d)
charity_numbers = st.one_of(england_and_wales, scotland, northern_ireland)


@pytest.mark.parametrize(
    ("typed", "canonical"),
    [
        ("220949", "220949"),
        ("1123456", "1123456"),
        (" 1 123 456 ", "1123456"),
        ("sc037738", "SC037738"),
        ("NIC100001", "NIC100001"),
        ("1123456-1", "1123456"),
        ("220949-12", "220949"),
    ],
)
def test_real_charity_numbers(typed, canonical):
    assert charity_number_normalise(typed) == canonical


@given(charity_numbers)
def test_valid_charity_numbers_are_accepted_unchanged(number):
    assert charity_number_normalise(number) == number
    assert charity_number_normalise(number.lower()) == number


@given(charity_numbers, st.integers(min_value=0, max_value=999))
def test_subsidiary_suffix_is_dropped(number, subsidiary):
    assert charity_number_normalise(f"{number}-{subsidiary}") == number


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "12345",  # too short for England and Wales
        "12345678",  # too long
        "0123456",  # England and Wales numbers do not start with 0
        "SC12345",
        "SC1234567",
        "NIC12345",
        "NI100001",
        "1123456-1234",
        "CHARITY",
    ],
)
def test_malformed_charity_numbers_are_refused(bad):
    with pytest.raises(ValueError, match="SC012345"):
        charity_number_normalise(bad)


@given(st.text(DIGITS, min_size=0, max_size=12).filter(lambda d: not 6 <= len(d) <= 7))
def test_england_and_wales_length_is_six_or_seven_digits(digits):
    with pytest.raises(ValueError, match="6 or 7 digits"):
        charity_number_normalise(digits)


@given(st.text())
def test_charity_normalisation_is_idempotent(value):
    try:
        once = charity_number_normalise(value)
    except ValueError:
        return
    assert charity_number_normalise(once) == once


# Company numbers -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "canonical"),
    [
        ("01234567", "01234567"),
        ("1234567", "01234567"),
        ("4567", "00004567"),
        ("sc123456", "SC123456"),
        ("OC 301 234", "OC301234"),
        ("NI123456", "NI123456"),
    ],
)
def test_real_company_numbers(typed, canonical):
    assert company_number_normalise(typed) == canonical


@given(st.text(DIGITS, min_size=1, max_size=7))
def test_short_numbers_are_padded_to_eight_digits(digits):
    assert company_number_normalise(digits) == digits.zfill(8)
    assert len(company_number_normalise(digits)) == 8


@given(st.text(DIGITS, min_size=8, max_size=8))
def test_eight_digit_numbers_are_kept(digits):
    assert company_number_normalise(digits) == digits


@given(
    st.text(string.ascii_uppercase, min_size=2, max_size=2),
    st.text(DIGITS, min_size=6, max_size=6),
)
def test_two_letters_and_six_digits_are_kept(prefix, digits):
    assert company_number_normalise(prefix + digits) == prefix + digits
    assert company_number_normalise((prefix + digits).lower()) == prefix + digits


@pytest.mark.parametrize(
    "bad",
    ["", "123456789", "SC12345", "SC1234567", "S1234567", "ABC12345", "12-34567", "SC 12345X"],
)
def test_malformed_company_numbers_are_refused(bad):
    with pytest.raises(ValueError, match="Companies House"):
        company_number_normalise(bad)


@given(st.text())
def test_company_normalisation_is_idempotent(value):
    try:
        once = company_number_normalise(value)
    except ValueError:
        return
    assert company_number_normalise(once) == once
    assert len(once) == 8
