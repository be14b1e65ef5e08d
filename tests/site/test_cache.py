"""Cache keys, cache entries and the atomic site writer."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from gallery.site import cache
from gallery.site.bundle import GIF, Bundle


def _bundle(slug: str, key: str, gif: bytes) -> Bundle:
    return Bundle(
        slug=slug, key=key, title="T", summary="", order=1, source="s", formula="x", steps=1,
        starts=1, start0="(0, 0)", minima=(), unequal_minima=False, saddles=(),
        tolerance="0.001", intro=None, runs=(), alt="a",
        notes=(), frames=2, size=(2, 2), analysis={}, fps=15.0, frame_steps=(0, 1),
        files={GIF: gif},
    )  # fmt: skip


def test_bundle_key_depends_on_scenario_bytes():
    assert cache.bundle_key(b"a") == cache.bundle_key(b"a")
    assert cache.bundle_key(b"a") != cache.bundle_key(b"b")


def test_entry_roundtrip_and_prune(tmp_path: Path):
    store = cache.BundleCache(tmp_path)
    k1, k2 = cache.bundle_key(b"1"), cache.bundle_key(b"2")
    assert store.get("bowl", k1) is None
    store.put(_bundle("bowl", k1, b"G1"))
    store.put(_bundle("bowl-two", k1, b"other"))
    got = store.get("bowl", k1)
    assert got == _bundle("bowl", k1, b"G1") and got.files == {GIF: b"G1"}
    store.put(_bundle("bowl", k2, b"G2"))
    assert store.get("bowl", k1) is None  # the stale entry of the same slug is gone
    assert store.get("bowl", k2).files == {GIF: b"G2"}
    assert store.get("bowl-two", k1).files == {GIF: b"other"}  # a slug sharing the prefix is kept


@pytest.mark.parametrize("damage", ["truncate", "delete", "json"])
def test_damaged_entry_counts_as_absent_and_is_removed(tmp_path: Path, damage: str):
    store = cache.BundleCache(tmp_path)
    key = cache.bundle_key(b"1")
    store.put(_bundle("bowl", key, b"GIF89a" + b"x" * 100))
    (entry,) = tmp_path.glob("bowl-*")
    gif = next(entry.glob("*.gif"))
    if damage == "truncate":
        gif.write_bytes(gif.read_bytes()[:10])
    elif damage == "delete":
        gif.unlink()
    else:
        (entry / cache.BUNDLE_FILE).write_text("{not json")
    assert store.get("bowl", key) is None
    assert not entry.exists()


def test_write_site_keeps_unchanged_files(tmp_path: Path):
    out = tmp_path / "site"
    first = cache.write_site({"a.html": b"A", "m/b.png": b"B"}, out)
    assert first.written == 2
    old = out / "m" / "b.png"
    os.utime(old, (1_000_000, 1_000_000))
    second = cache.write_site({"a.html": b"A2", "m/b.png": b"B"}, out)
    assert (second.written, second.kept) == (1, 1)
    assert (out / "a.html").read_bytes() == b"A2"
    assert (out / "m" / "b.png").stat().st_mtime == 1_000_000
    cache.write_site({"a.html": b"A2"}, out)
    assert not (out / "m" / "b.png").exists()  # files no longer produced disappear


def test_interrupt_while_writing_leaves_previous_site(tmp_path: Path, monkeypatch):
    out = tmp_path / "site"
    cache.write_site({"a.html": b"old", "b.html": b"old"}, out)
    calls = {"n": 0}
    real = Path.write_bytes

    def boom(self, data):
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt
        return real(self, data)

    monkeypatch.setattr(Path, "write_bytes", boom)
    with pytest.raises(KeyboardInterrupt):
        cache.write_site({"a.html": b"new", "b.html": b"new"}, out)
    monkeypatch.undo()
    assert (out / "a.html").read_bytes() == b"old"
    assert (out / "b.html").read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"]  # no temp folder left


def test_refuses_to_replace_a_foreign_folder(tmp_path: Path):
    out = tmp_path / "home"
    out.mkdir()
    (out / "thesis.tex").write_text("precious")
    with pytest.raises(cache.SiteError):
        cache.write_site({"index.html": b"x"}, out)
    assert (out / "thesis.tex").read_text() == "precious"
