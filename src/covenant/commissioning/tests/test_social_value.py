"""The shipped Social Value Model and the loader for commissioners' own measure sets."""

from __future__ import annotations

import json

import pytest

from covenant.commissioning.social_value import (
    DATA,
    MeasureSetRefused,
    load_measure_set,
    parse_proxy_value,
    social_value_model,
)
from covenant.core.errors import ValidationFailed


def test_the_model_has_the_five_themes_and_eight_outcomes_of_ppn_06_20():
    model = social_value_model()
    assert [t.name for t in model.themes] == [
        "COVID-19 recovery",
        "Tackling economic inequality",
        "Fighting climate change",
        "Equal opportunity",
        "Wellbeing",
    ]
    assert [(o.mac, o.name) for o in model.outcomes] == [
        ("MAC 1.1", "Help local communities to manage and recover from the impact of COVID-19"),
        ("MAC 2.1", "Create new businesses, new jobs and new skills"),
        ("MAC 3.1", "Increase supply chain resilience and capacity"),
        ("MAC 4.1", "Effective stewardship of the environment"),
        ("MAC 5.1", "Reduce the disability employment gap"),
        ("MAC 6.1", "Tackle workforce inequality"),
        ("MAC 7.1", "Improve health and wellbeing"),
        ("MAC 8.1", "Improve community integration"),
    ]
    assert all(o.sub_criteria for o in model.outcomes)
    assert model.outcome("mac 4.1").theme == "Fighting climate change"
    assert model.outcome("2.1").name == "Create new businesses, new jobs and new skills"
    with pytest.raises(ValidationFailed, match="not a model award criterion"):
        model.outcome("MAC 9.9")


def test_the_data_file_records_its_source_and_licence_and_no_toms():
    model = social_value_model()
    assert model.licence == "Open Government Licence v3.0"
    assert model.source.startswith(
        "https://www.gov.uk/government/publications/procurement-policy-note-0620"
    )
    raw = DATA.read_text(encoding="utf-8")
    assert "TOMs" not in raw
    assert "Themes, Outcomes and Measures" not in raw
    assert json.loads(raw)["attribution"].startswith("Contains public sector information")


GOOD = (
    "id,theme,outcome,measure,unit,proxy_value\n"
    "LOC-1,Tackling economic inequality,Create new businesses, new jobs and new skills,"
    "Local people employed on the contract,people (FTE),\n"
)


def test_a_measure_set_loads_with_proxy_values_and_links_to_the_model():
    csv_text = (
        "\ufeffID,Theme,Outcome,Measure,Unit,Proxy_Value\r\n"
        'LOC-1,Tackling economic inequality,"Create new businesses, new jobs and new skills",'
        'Local people employed on the contract,people (FTE),"£1,200.50"\r\n'
        "VOL.2,Wellbeing,Stronger local groups,Hours volunteered with local groups,hours,14.5\r\n"
        "\r\n"
        "CO2_3,Fighting climate change,MAC 4.1,Vehicle emissions avoided,tCO2e,\r\n"
    )
    result = load_measure_set(csv_text.encode("utf-8"))
    assert result.refused == ()
    assert [(m.id, m.proxy_value_pence, m.model_outcome) for m in result.measures] == [
        ("LOC-1", 120_050, "MAC 2.1"),
        ("VOL.2", 1450, None),
        ("CO2_3", None, "MAC 4.1"),
    ]
    assert result.measures[1].unit == "hours"


def test_proxy_value_column_is_optional_and_extra_columns_are_reported():
    result = load_measure_set("id,theme,outcome,measure,unit,notes\na,T,O,M,U,anything\n")
    assert [m.id for m in result.measures] == ["a"]
    assert result.measures[0].proxy_value_pence is None
    assert result.ignored_columns == ("notes",)


def test_every_bad_row_is_refused_with_its_line_and_all_its_reasons():
    csv_text = (
        "id,theme,outcome,measure,unit,proxy_value\n"
        "ok-1,T,O,M,U,1\n"
        ",T,O,M,U,\n"  # line 3
        "ok-1,T,O,M,U,\n"  # line 4: repeated id
        "bad id,,O,,U,-3\n"  # line 5: three reasons
        "x,T,O,M\n"  # line 6: short row
        "y,T,O,M,U,12.345\n"  # line 7
        'z,T,O,M,U,"1,00"\n'  # line 8
        "w,T,O,M,U,20000000\n"  # line 9
    )
    result = load_measure_set(csv_text)
    assert [m.id for m in result.measures] == ["ok-1"]
    assert [str(r) for r in result.refused] == [
        "Line 3: id is empty",
        "Line 4 (ok-1): id 'ok-1' is already used on line 2",
        "Line 5 (bad id): id 'bad id' must be up to 40 letters, digits, dots, dashes or "
        "underscores, starting with a letter or digit; theme is empty; measure is empty; "
        "proxy_value '-3' is not an amount in pounds (write it like 14.50, no minus sign)",
        "Line 6 (x): it has 4 cells but the header has 6",
        "Line 7 (y): proxy_value '12.345' is not an amount in pounds (write it like 14.50, "
        "no minus sign)",
        "Line 8 (z): proxy_value '1,00' has its thousands commas in the wrong places",
        "Line 9 (w): proxy_value '20000000' is over £10m a unit; check the figure",
    ]


def test_themes_can_be_limited_to_a_list():
    result = load_measure_set(
        "id,theme,outcome,measure,unit\na,wellbeing,O,M,U\nb,Happiness,O,M,U\n",
        themes=[t.name for t in social_value_model().themes],
    )
    assert [(m.id, m.theme) for m in result.measures] == [("a", "Wellbeing")]
    assert result.refused[0].reasons[0].startswith("theme 'Happiness' is not one of this node's")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "The file is empty"),
        (b"id,theme,outcome\n", "The header is missing measure, unit"),
        (b"id,theme,outcome,measure,unit,unit\n", "The header repeats unit"),
        ("id,theme,outcome,measure,unit\n".encode("utf-16"), "not UTF-8"),
        (b"id,theme,outcome,measure,unit\na,\x00,O,M,U\n", "NUL"),
    ],
)
def test_an_unreadable_file_is_refused_whole(data, message):
    with pytest.raises(MeasureSetRefused, match=message) as caught:
        load_measure_set(data)
    assert caught.value.field == "file"


@pytest.mark.parametrize(
    ("text", "pence"),
    [
        ("14.50", 1450),
        ("£3", 300),
        ("£ 1,234.5", 123_450),
        ("0.01", 1),
        ("10000000", 1_000_000_000),
    ],
)
def test_proxy_values_are_read_to_the_penny(text, pence):
    assert parse_proxy_value(text) == pence


def test_the_loader_accepts_the_model_itself_as_a_measure_set():
    model = social_value_model()
    lines = ["id,theme,outcome,measure,unit"]
    for i, outcome in enumerate(model.outcomes):
        lines.append(f'm{i},{outcome.theme},"{outcome.name}","{outcome.sub_criteria[0]}",actions')
    result = load_measure_set("\n".join(lines))
    assert result.refused == ()
    assert [m.model_outcome for m in result.measures] == [o.mac for o in model.outcomes]
