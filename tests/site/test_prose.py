"""Checked prose: claims hold or stop check and build; placeholders are filled from the run."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from gallery.__main__ import main
from gallery.engine.analysis import tune
from gallery.engine.scenario import ScenarioError, load, loads
from gallery.site import build as site_build
from gallery.site import prose
from tests.site.conftest import Built

ROOT = Path(__file__).resolve().parents[2]

SADDLE = """title = "Saddle"
function = "x**2 - y**2"
domain = { x = [-1.5, 1.5], y = [-1.5, 1.5] }
steps = 60
start = [-1, 0.001]
saddles = [[0, 0]]

[[optimizer]]
kind = "sgd"
lr = 0.05

[[optimizer]]
kind = "momentum"
lr = 0.05

[analysis]
tolerance = 0.1
sweep = false

[render]
width = 320
height = 180
frames = 3

[commentary.momentum]
claims = ["CLAIM"]
text = "Momentum is gone for good at step {escapes}, SGD only at step {sgd.escapes}."
"""
FALSE = SADDLE.replace("CLAIM", "lingers >= 15")
TRUE = SADDLE.replace("CLAIM", "lingers < sgd.lingers")
MESSAGE = (
    r'commentary\.momentum: claims "lingers >= 15" \(steps spent within 0\.1 of a known saddle '
    r">= 15\), measured 2"
)


def write(tmp_path: Path, text: str) -> Path:
    folder = tmp_path / "sc"
    folder.mkdir(exist_ok=True)
    (folder / "saddle.toml").write_text(text)
    return folder / "saddle.toml"


def test_false_claim_fails_check_with_file_key_and_measurement(tmp_path, capsys):
    path = write(tmp_path, FALSE)
    assert main(["check", str(path)]) == 2
    out = capsys.readouterr().out
    assert re.search(rf"FAIL {re.escape(str(path))}: {MESSAGE}", out), out
    path.write_text(TRUE)
    assert main(["check", str(path)]) == 0
    assert "1 claim checked" in capsys.readouterr().out


def test_false_claim_fails_build_and_writes_nothing(tmp_path, capsys):
    path = write(tmp_path, FALSE)
    out = tmp_path / "site"
    assert main(["build", "--scenarios", str(path.parent), "--out", str(out), "--jobs", "1"]) == 2
    assert re.search(rf"error: {re.escape(str(path))}: {MESSAGE}", capsys.readouterr().err)
    assert not out.exists()
    path.write_text(TRUE)
    stats = site_build.build_site(path.parent, out, jobs=1)
    assert stats.ok
    html = (out / "scenarios" / "saddle.html").read_text(encoding="utf-8")
    assert "Momentum is gone for good at step 16, SGD only at step 49." in html


def test_wrong_placeholder_fails_check_and_build(tmp_path, capsys):
    path = write(tmp_path, TRUE.replace("{sgd.escapes}", "{sgd.escapez}"))
    assert main(["check", str(path)]) == 2
    printed = capsys.readouterr().out
    assert "commentary.momentum: {sgd.escapez}: unknown placeholder" in printed
    assert "(did you mean 'escapes'?)" in printed
    out = tmp_path / "site"
    assert main(["build", "--scenarios", str(path.parent), "--out", str(out), "--jobs", "1"]) == 2
    assert not out.exists()


def test_placeholder_without_a_value_is_an_error():
    text = TRUE.replace("{escapes}", "{cycle}")  # Momentum does not cycle here
    sc = tune(loads(text, "s.toml"))
    with pytest.raises(ScenarioError, match=r"commentary\.momentum: \{cycle\} has no value"):
        prose.review(sc)


@pytest.mark.parametrize(
    ("claim", "pattern"),
    [
        ("lingres", r"claims\[0\]: claim 'lingres': unknown observation .*'lingers'"),
        ("lingers << 3", r"cannot read claim"),
        ("adam.lingers", r"no optimizer is called 'adam'"),
    ],
)
def test_claim_syntax_errors_are_reported_at_load(claim, pattern):
    with pytest.raises(ScenarioError, match=pattern):
        loads(SADDLE.replace("CLAIM", claim), "s.toml")


def test_typed_numbers_and_missing_claims_are_errors():
    with pytest.raises(ScenarioError, match=r"numbers typed into the text \(16\)"):
        loads(TRUE.replace("{escapes}", "16"), "s.toml")
    with pytest.raises(ScenarioError, match=r"commentary\.momentum\.claims: .* at least one claim"):
        loads(SADDLE.replace('claims = ["CLAIM"]', "claims = []"), "s.toml")
    # numbers inside `code` are formulas, not measurements
    loads(TRUE.replace("Momentum is", "With `1 + 2*lr`, Momentum is"), "s.toml")


def test_a_key_matching_several_runs_needs_all():
    two = TRUE.replace('kind = "momentum"\nlr = 0.05', 'kind = "sgd"\nlr = 0.03').replace(
        "[commentary.momentum]", "[commentary.sgd]"
    )
    two = two.replace('"lingers < sgd.lingers"', '"not diverges"').replace(
        "Momentum is gone for good at step {escapes}, SGD only at step {sgd.escapes}.",
        "This one runs at lr = {lr}.",
    )
    with pytest.raises(ScenarioError, match=r"matches several optimizers .* `all = true`"):
        loads(two, "s.toml")
    sc = tune(loads(two.replace("[commentary.sgd]", "[commentary.sgd]\nall = true"), "s.toml"))
    filled = prose.review(sc).authored
    assert filled == [["This one runs at lr = 0.05."], ["This one runs at lr = 0.03."]]


def test_every_shipped_paragraph_declares_claims_and_they_hold():
    for path in sorted((ROOT / "scenarios").glob("*.toml")):
        sc = tune(load(path))
        for para in sc.commentary:
            if para.runs:
                assert para.claims, (path.name, para.key)
        prose.review(sc)  # raises on any claim the run does not back


def test_generated_sentences_match_what_the_run_did(built: Built):
    html = (built.site / "scenarios" / "bowl.html").read_text(encoding="utf-8")
    # no sentence says a run "reaches the minimum" without saying whether it stays
    assert "Reaches the minimum" not in html
    assert re.search(r"Converges: within 0\.001 of \(0, 0\) from step \d+ to the end", html)


def test_catalog_templates_all_have_their_fields():
    for key, template in prose.CATALOG.items():
        fields = re.findall(r"\{(\w+)\}", template)
        filled = template.format(**{f: "X" for f in fields})
        assert "{" not in filled, key
