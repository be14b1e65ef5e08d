"""Looks: one colour, marker and dash per optimizer kind, the same on every scenario."""

from __future__ import annotations

import ast
from pathlib import Path

from gallery.media import style
from gallery.media.style import KIND_LOOKS, OKABE_ITO, Style, looks, palette, tint

CLASSIC = ("sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam")


def test_every_kind_of_the_engine_has_a_look_of_its_own():
    from gallery.engine.optim import KINDS

    assert set(KINDS) <= set(KIND_LOOKS)
    shapes = [(marker, dash) for _c, marker, dash in KIND_LOOKS.values()]
    assert len(set(map(repr, shapes))) == len(shapes)  # marker and dash tell every kind apart
    markers = [m for _c, m, _d in KIND_LOOKS.values()]
    assert len(set(map(repr, markers))) == len(markers)
    assert not set(markers) & set(style.RESERVED_MARKERS)


def test_the_six_classic_kinds_take_six_distinct_okabe_ito_colours():
    colours = [KIND_LOOKS[k][0] for k in CLASSIC]
    assert len(set(colours)) == 6 and set(colours) <= set(OKABE_ITO)
    assert style.YELLOW not in colours  # too light on a white page
    # no Adam variant shares Adam's colour
    for k in ("amsgrad", "adamw", "adamax", "nadam", "radam"):
        assert KIND_LOOKS[k][0] != KIND_LOOKS["adam"][0]


def test_a_kind_looks_the_same_whatever_its_position():
    a = looks([("adam", None), ("sgd", None)])
    b = looks([("sgd", None), ("momentum", None), ("nesterov", None), ("adam", None)])
    assert a[0] == b[3] == Style(*KIND_LOOKS["adam"])
    assert a[1] == b[0]


def test_a_second_run_of_a_kind_is_a_distinguishable_variant():
    first, second, third = looks([("sgd", None), ("sgd", None), ("sgd", None)])
    assert first.marker == second.marker == third.marker  # still SGD
    assert len({first.color, second.color, third.color}) == 3
    assert len({repr(first.linestyle), repr(second.linestyle), repr(third.linestyle)}) == 3
    assert (second.variant, third.variant) == (1, 2)
    m1, m2 = looks([("momentum", None), ("momentum", None)])
    assert m2.color == tint(m1.color, 1) != m1.color and m2.linestyle != m1.linestyle


def test_the_files_colour_wins_and_only_the_colour():
    (a,) = looks([("adam", "#123456")])
    assert a.color == "#123456"
    assert (a.marker, a.linestyle) == KIND_LOOKS["adam"][1:]


def test_an_unknown_kind_gets_a_stable_look():
    assert looks([("future", None)]) == looks([("future", None)])


def test_old_palette_interface_still_works():
    out = palette(["#D55E00", None])
    assert out[0].color == "#d55e00" and out[1].color != "#d55e00"


def test_style_module_imports_no_plotting_library():
    tree = ast.parse(Path(style.__file__).read_text())
    names = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    names |= {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert not any(n.startswith("matplotlib") for n in names), names
