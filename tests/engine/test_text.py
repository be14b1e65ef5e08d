"""The one number formatter and the one "did you mean"."""

from __future__ import annotations

import numpy as np

from gallery.engine.text import did_you_mean, num, point, slugify, value


def test_num_formats():
    assert num(np.nan) == "—" and num(np.inf) == "∞" and num(-np.inf) == "−∞"
    assert num(0.0) == "0"
    assert num(2.5e-5) == "2.5e-5"
    assert num(0.1234567) == "0.1235"
    assert num(123456.0) == "1.235e5"
    assert num(0.1 + 0.2) == "0.3"
    assert num(1e-4, 6) == "0.0001"


def test_value_spells_settings_like_the_file():
    assert value(True) == "true" and value(0.95) == "0.95" and value((0.9, 0.99)) == "(0.9, 0.99)"
    assert value(1e-7) == "1e-7"


def test_point_and_slug():
    assert point((1.0, -0.5)) == "(1, -0.5)"
    assert slugify("Elongated Bowl!") == "elongated-bowl" and slugify("!!") == "scenario"


def test_did_you_mean():
    assert did_you_mean("adma", ["adam", "sgd"]) == " (did you mean 'adam'?)"
    assert did_you_mean("zzz", ["adam"]) == ""
    assert did_you_mean(3, ["adam"]) == ""
