"""CITATION.cff: read with a YAML parser, validated against the CFF schema, placeholders refused."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from gallery.site import citation

ROOT = Path(__file__).resolve().parents[2]


def test_shipped_citation_file_validates_against_the_cff_schema():
    cffconvert = Path(sys.executable).parent / "cffconvert"
    proc = subprocess.run(
        [str(cffconvert), "--validate", "-i", str(ROOT / "CITATION.cff")],
        capture_output=True, text=True,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_shipped_citation_names_code_and_figure_licences():
    c = citation.read(ROOT / "CITATION.cff")
    assert c.code_license == "MIT" and c.figure_license == "CC-BY-4.0"
    assert c.url is None  # the shipped address is a placeholder: never used in snippets


def test_a_comment_after_the_url_gives_a_clean_address(tmp_path: Path):
    path = tmp_path / "CITATION.cff"
    path.write_text(
        'cff-version: 1.2.0\nmessage: "cite"\ntitle: "Course gallery"\n'
        'authors:\n  - family-names: "Lovelace"\n    given-names: "Ada"\n'
        'url: "https://ta-dl.github.io/dl101"  # course site\n'
    )
    c = citation.read(path)
    assert c.url == "https://ta-dl.github.io/dl101/"
    assert c.authors == ("Lovelace, Ada",) and c.title == "Course gallery"
    assert citation.read(path, base_url="https://x.org/g").url == "https://x.org/g/"


@pytest.mark.parametrize(
    "url", ["https://example.github.io/optimizer-gallery/", "http://localhost:8000/", None]
)
def test_placeholder_or_missing_addresses_are_not_used(tmp_path: Path, url):
    path = tmp_path / "CITATION.cff"
    path.write_text('title: "t"\n' + (f'url: "{url}"\n' if url else ""))
    assert citation.read(path).url is None


def test_broken_yaml_is_a_clear_error(tmp_path: Path):
    path = tmp_path / "CITATION.cff"
    path.write_text("title: [unclosed\n")
    with pytest.raises(citation.CitationError, match=r"CITATION.cff: not valid YAML"):
        citation.read(path)
