"""Strengths, weaknesses and common claims per optimizer, from the runs; the comparison table."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from gallery.engine.analysis import tune
from gallery.engine.scenario import load
from gallery.site import build as site_build
from gallery.site import bundle, verdicts
from tests.site.conftest import Built

ROOT = Path(__file__).resolve().parents[2]
RUN_ANGLES = ("path", "speed", "rate", "terrain")


@pytest.fixture(scope="session")
def shipped() -> list[bundle.Bundle]:
    """Every shipped scenario described (runs, checks, sweeps), without drawing it."""
    paths = sorted((ROOT / "scenarios").glob("*.toml"))
    return [bundle.describe(tune(load(p)), "key").bundle for p in paths]


@pytest.mark.parametrize("kind", verdicts.CLASSIC)
def test_each_classic_optimizer_has_a_strength_and_a_weakness_per_angle(shipped, kind):
    found = verdicts.items(kind, shipped)
    by_slug = {b.slug: b for b in shipped}
    for angle in RUN_ANGLES:
        mine = [i for i in found if i.angle == angle]
        assert any(i.strength for i in mine), (kind, angle, "no strength")
        assert any(not i.strength for i in mine), (kind, angle, "no weakness")
        for item in mine:
            for e in item.shown + item.not_shown:
                b = by_slug[e.slug]  # a run of a shipped scenario, of this kind
                assert any(r.anchor == e.anchor and r.kind == kind for r in b.runs), e
                end = len(b.frame_steps) / b.fps  # the end of the last frame (before the hold)
                assert e.time is not None and 0 < e.time < end, e
    assert [i for i in found if i.angle == "cost"], kind


def test_cost_is_measured_on_the_rule():
    text = {k: [i.text for i in verdicts.cost_items(k)] for k in ("sgd", "momentum", "adam")}
    assert "no state" in text["sgd"][0]
    assert "1 vector the size" in text["momentum"][0]
    assert "2 vectors the size" in text["adam"][0]


@pytest.mark.parametrize("kind", verdicts.CLASSIC)
def test_three_common_claims_with_computed_verdicts(shipped, kind):
    claims = verdicts.common_claims(kind, shipped)
    assert len(claims) >= 3
    for c in claims:
        assert c.verdict in (
            "holds",
            "fails here",
            "depends",
            "not tested here",
            "holds by the rule",
        )
        assert c.verdict == "not tested here" or c.holds or c.fails
        if c.verdict == "depends":
            assert c.holds and c.fails


def test_statements_that_compare_with_sgd_are_not_made_about_sgd(shipped):
    # the tuned SGD of the textbook-vs-tuned scenario is not "faster than SGD": it is SGD
    sgd = verdicts.items("sgd", shipped)
    assert not [i for i in sgd if "than SGD" in i.text or "as SGD" in i.text]


def test_time_of_a_step_is_inside_the_frame_that_shows_it(shipped):
    b = next(b for b in shipped if b.slug == "rosenbrock")  # 500 steps, 151 frames
    for step in (0, 1, 7, 250, 499, 500):
        i = int(b.time_of(step) * b.fps)  # the frame shown at that time
        assert b.frame_steps[i] >= step and (i == 0 or b.frame_steps[i - 1] < step)


def test_compare_cells_follow_the_runs(shipped):
    cubic = next(b for b in shipped if b.slug == "cubic")
    assert verdicts.cell(cubic, "momentum").text == "diverged at step 20"
    bowl = next(b for b in shipped if b.slug == "elongated-bowl")
    sgd = verdicts.cell(bowl, "sgd")
    assert re.fullmatch(r"converges from step \d+", sgd.text)
    assert sgd.href == f"scenarios/elongated-bowl.html#{bowl.runs[0].anchor}"
    assert verdicts.cell(bowl, "lion") is None


def _verdict(html: str, claim: str) -> str:
    found = re.search(re.escape(claim) + r'” <span class="verdict [^"]+">([^<]+)</span>', html)
    assert found, claim
    return found.group(1)


def test_a_verdict_follows_the_runs_when_a_scenario_changes(fresh: Built):
    claim = "Adam never overshoots."
    page = fresh.site / "optimizers" / "adam.html"
    before = _verdict(page.read_text(encoding="utf-8"), claim)
    assert before in ("fails here", "depends")  # Adam at lr 0.2 crosses past the bowl's minimum
    both = fresh.scenarios / "cliff.toml"
    both.unlink()  # leave the bowl's Adam as the only one
    bowl = fresh.scenarios / "bowl.toml"
    bowl.write_text(
        bowl.read_text().replace("lr = 0.2", "lr = 0.01")
    )  # now it creeps: no overshoot
    assert site_build.build_site(fresh.scenarios, fresh.site, jobs=1).ok
    assert _verdict(page.read_text(encoding="utf-8"), claim) == "holds"


def test_compare_page_lists_every_scenario_and_optimizer(built: Built):
    html = (built.site / "compare.html").read_text(encoding="utf-8")
    for slug in ("bowl", "cliff"):
        assert f'href="scenarios/{slug}.html#opt-' in html
    for kind in ("sgd", "momentum", "adam"):
        assert f'<a href="optimizers/{kind}.html">' in html
    assert html.count("<tr>") == 1 + 3  # the header and one row per optimizer kind
    assert 'href="compare.html"' in (built.site / "index.html").read_text(encoding="utf-8")
