"""Geometry: clipping to the view, captions, loss and height scales, overlaps, strip moments."""

from __future__ import annotations

import numpy as np

from gallery.engine.scenario import loads
from gallery.media import geometry as G

BOX = ((-1.0, -1.0), (1.0, 1.0))


def test_a_path_that_leaves_is_drawn_to_the_edge_and_from_the_edge_when_it_comes_back():
    p = np.array([[0, 0], [0.5, 0.5], [2, 0.5], [0.5, 0.2], [np.nan, np.nan]])
    c = G.clip_path(p, *BOX)
    assert [(x.kind, x.step) for x in c.crossings] == [("leave", 2), ("back", 3)]
    np.testing.assert_allclose(c.crossings[0].point, [1.0, 0.5])
    np.testing.assert_allclose(c.crossings[1].point, [1.0, 0.3])
    assert list(c.inside) == [True, True, False, True, False]
    # step 2 draws up to the exit point; step 3 breaks the line, then starts on the edge
    drawn2 = c.verts[: c.upto[2]]
    np.testing.assert_allclose(drawn2[-1], [1.0, 0.5])
    drawn3 = c.verts[: c.upto[3]]
    assert np.isnan(drawn3[-3]).all()
    np.testing.assert_allclose(drawn3[-2:], [[1.0, 0.3], [0.5, 0.2]])
    # after the path ends (diverged), nothing more is drawn and the last vertex is kept
    assert c.upto[4] == c.upto[3] and c.last[4] == c.upto[3] - 1


def test_a_segment_that_only_passes_through_the_view_is_drawn():
    p = np.array([[-2, 0.0], [2, 0.0]])
    c = G.clip_path(p, *BOX)
    assert [x.kind for x in c.crossings] == ["back", "leave"]
    finite = c.verts[np.isfinite(c.verts).all(axis=1)]
    np.testing.assert_allclose(finite, [[-1, 0], [1, 0]])


def test_clipping_works_in_three_dimensions():
    p = np.array([[0, 0, 0], [0, 0, 3.0], [0, 0, 0.5]])
    c = G.clip_path(p, (-1, -1, -1), (1, 1, 1))
    assert [(x.kind, x.step) for x in c.crossings] == [("leave", 1), ("back", 2)]
    np.testing.assert_allclose(c.crossings[0].point, [0, 0, 1])


def test_the_caption_says_where_a_path_leaves_and_comes_back():
    domain = ((-1, 1), (-1, 1))
    xy = np.array([[0, 0], [0.5, 0], [0.2, -2.7], [0.5, 0.5], [0.4, 0.4]])
    assert (
        G.view_sentence("Newton", xy, domain)
        == "Newton leaves the view at step 2 and comes back at step 3."
    )
    gone = np.array([[0, 0], [3, 0], [9, 0], [np.nan, np.nan]])
    assert (
        G.view_sentence("Momentum", gone, domain, diverged_at=3)
        == "Momentum leaves the view at step 1 and diverges outside it at step 3."
    )
    assert G.view_sentence("SGD", xy[:2], domain) is None


def _formula(text: str):
    return loads(
        f'title = "t"\nfunction = "{text}"\ndomain = {{ x = [-1, 1], y = [-1, 1] }}\n'
        'steps = 1\nstart = [0.5, 0.5]\n[[optimizer]]\nkind = "sgd"\nlr = 0.1\n'
    ).function


def test_the_log_floor_is_the_rise_of_f_at_the_tolerance_not_machine_precision():
    f = _formula("x**2/20 + y**2")
    rise = G.tolerance_rise(f, np.array([[0.0, 0.0]]), 1e-3)
    assert abs(rise - 1e-6 / 20) < 1e-9
    runs = [np.array([5.0, 1.0, 1e-3, 1e-29, 0.0])]
    s = G.loss_scale(runs, f_star=0.0, rise=rise)
    assert s.scale == "log" and s.floor == rise and s.lo > 1e-10
    assert np.all(s.values(runs[0]) >= rise)  # values below the floor sit on it
    assert "f − f*" in s.label and "log" in s.label


def test_a_run_below_the_minimum_gets_a_symlog_axis_that_reaches_it():
    runs = [np.array([46.0, 1.0, 0.1]), np.array([46.0, -3e3, -3.7e9, np.nan])]
    s = G.loss_scale(runs, f_star=0.0, rise=5e-7)
    assert s.scale == "symlog" and s.lo <= -3.7e9 and "symlog" in s.label
    no_minimum = G.loss_scale([np.array([1.0, -1e9])], f_star=None, rise=None, view_span=4.5)
    assert no_minimum.scale == "symlog" and no_minimum.lo <= -1e9 and no_minimum.offset == 0


def test_the_height_is_drawn_on_a_log_scale_only_where_a_linear_one_flattens_the_paths():
    Z = np.geomspace(1e-3, 1e5, 400).reshape(20, 20)
    low = np.array([0.01, 0.5, 1.0, 2.0])
    hs, note = G.height_scale("auto", Z, low, bounded=True, f_star=0.0)
    assert hs.log and note is None and hs.offset == 0.0
    assert hs(np.array([10.0]))[0] > hs(np.array([1.0]))[0]
    np.testing.assert_allclose(hs.inverse(hs(np.array([3.0]))), [3.0])
    hs, _ = G.height_scale("auto", np.linspace(0, 30, 400).reshape(20, 20), low, bounded=True,
                           f_star=0.0)  # fmt: skip
    assert not hs.log
    hs, note = G.height_scale("log", Z, low, bounded=False, f_star=None)
    assert not hs.log and note and "linear" in note
    hs, _ = G.height_scale("linear", Z, low, bounded=True, f_star=0.0)
    assert not hs.log


def test_runs_that_move_as_one_or_lie_on_each_other_overlap_and_others_do_not():
    t = np.linspace(0, 100, 60)
    a = np.column_stack([t, 0.3 * t])
    together = a + 0.4
    same_line_later = np.column_stack([t**1.5 / 10, 0.3 * t**1.5 / 10])  # same line, other speed
    apart = np.column_stack([t, 0.3 * t + 20])
    out = G.overlapping([a, together, apart], [a, together, apart], tol=1.4)
    assert [(o.i, o.j, o.moving) for o in out] == [(0, 1, True)]
    out = G.overlapping([a, same_line_later], [a, same_line_later], tol=1.4)
    assert [(o.i, o.j, o.moving) for o in out] == [(0, 1, False)]


def test_strip_moments_include_the_end_and_never_the_bare_start():
    steps = np.arange(101)
    t = np.arange(101.0)
    fast_then_still = np.column_stack([np.minimum(t, 10) * 30, np.zeros(101)])
    got = G.moments([fast_then_still], steps, 5)
    assert len(got) == 5 and got[-1] == 100 and 0 not in got
    assert got == sorted(set(got))
    assert any(s <= 10 for s in got) and any(s >= 50 for s in got)  # the burst and the calm
    still = np.zeros((101, 2))
    assert len(G.moments([still], steps, 4)) == 4
