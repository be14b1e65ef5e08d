"""The schema: value types check and convert, and the README's key table is the schema's."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from gallery.engine import schema
from gallery.engine.schema import Collector, Invalid

ROOT = Path(__file__).resolve().parents[2]


def test_readme_key_table_is_the_schema():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    found = re.search(r"<!-- keys:begin -->\n(.*?)<!-- keys:end -->", readme, re.S)
    assert found, "README.md lost its <!-- keys:begin --> ... <!-- keys:end --> block"
    assert found.group(1).strip() == schema.markdown_table().strip(), (
        "README key table differs from the schema; regenerate it with "
        "`python -m gallery.engine.schema`"
    )


def test_every_declared_key_is_in_the_table_once():
    table = schema.markdown_table()
    for section, keys in schema.SECTIONS.items():
        for k in keys:
            if section == "" and k.name in ("domain", "view", "render", "analysis"):
                continue
            name = f"`{k.name}`" if not section else f"`{section}` `{k.name}`"
            assert table.count(f"| {name} |") == 1, name


@pytest.mark.parametrize(
    ("option", "value", "expected"),
    [
        (schema.Integer(1, 5), 3, 3),
        (schema.Number(0, 1, lo_open=True), 1, 1.0),
        (schema.Interval(), [0, 2], (0.0, 2.0)),
        (schema.Colour(), "#ABC", "#aabbcc"),
        (schema.Colour(), "tab:blue", "#1f77b4"),
        (schema.Choice(("auto", "log"), (2, 9)), 4, 4),
    ],
)
def test_values_convert(option, value, expected):
    assert option.check(value) == expected


@pytest.mark.parametrize(
    ("option", "value", "pattern"),
    [
        (schema.Integer(1, 5), True, r"must be a whole number from 1 to 5, got True"),
        (schema.Integer(1, 5), 9, r"must be from 1 to 5, got 9"),
        (schema.Number(0, 1, lo_open=True), 0, r"must be > 0, got 0"),
        (schema.Number(0, 1), float("inf"), r"must be a finite number"),
        (schema.Interval(), [2, 1], r"min must be less than max, got \[2, 1\]"),
        (schema.Colour(), "tab:bleu", r"did you mean 'tab:blue'"),
        (schema.Choice(("auto", "log")), "lgo", r"did you mean 'log'"),
        (schema.Choice(("auto", "log")), [1], r"must be 'auto', 'log', got \[1\]"),
        (schema.Points(0, 2), [[0, 0], [1, "a"]], r"\[1\] must be a point"),
    ],
)
def test_bad_values_say_what_is_allowed(option, value, pattern):
    with pytest.raises(Invalid, match=pattern):
        option.check(value)


def test_read_fills_defaults_and_reports_unknown_and_missing_keys():
    c = Collector("f.toml")
    out = schema.read(c, "view", {"elevv": 3, "grid": 50}, schema.VIEW)
    assert out["grid"] == 50 and out["elev"] == 35.0 and out["levels"] == "auto"
    assert c.problems == [("view.elevv", pytest.approx(c.problems[0][1]))]
    assert "did you mean 'elev'" in c.problems[0][1]
    c = Collector("f.toml")
    out = schema.read(c, "domain", {"x": [0, 1]}, schema.DOMAIN)
    assert c.problems == [("domain.y", "missing (required)")] and out["y"] is schema.BAD
