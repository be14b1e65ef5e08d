"""Cache keys, cache entries and the atomic site writer."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from gallery.site import cache


def test_media_key_depends_on_scenario_bytes():
    assert cache.media_key(b"a") == cache.media_key(b"a")
    assert cache.media_key(b"a") != cache.media_key(b"b")


def test_entry_roundtrip_and_prune(tmp_path: Path):
    store = cache.MediaCache(tmp_path)
    k1, k2 = cache.media_key(b"1"), cache.media_key(b"2")
    assert store.get("bowl", k1) is None
    store.put("bowl", k1, {"gif": b"G1"})
    store.put("bowl-two", k1, {"gif": b"other"})
    assert store.get("bowl", k1) == {"gif": b"G1"}
    store.put("bowl", k2, {"gif": b"G2"})
    assert store.get("bowl", k1) is None  # the stale entry of the same slug is gone
    assert store.get("bowl", k2) == {"gif": b"G2"}
    assert store.get("bowl-two", k1) == {"gif": b"other"}  # a slug sharing the prefix is kept


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
