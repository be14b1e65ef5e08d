"""Scenario files are read safely: regular files only, a bounded size, names that fit."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from gallery.engine.files import MAX_FILE_BYTES, read_file
from gallery.engine.scenario import ScenarioError, load
from tests.engine.test_scenario import GOOD, hang_guard


def test_a_fifo_is_refused_at_once(tmp_path: Path):
    fifo = tmp_path / "f.toml"
    os.mkfifo(fifo)
    with hang_guard(5), pytest.raises(ScenarioError, match=r"f\.toml: not a regular file"):
        load(fifo)


def test_a_link_to_a_device_is_refused(tmp_path: Path):
    link = tmp_path / "z.toml"
    link.symlink_to("/dev/zero")
    with hang_guard(5), pytest.raises(ScenarioError, match=r"z\.toml: not a regular file"):
        load(link)


def test_the_size_limit_holds_while_reading(tmp_path: Path):
    big = tmp_path / "big.toml"
    big.write_bytes(b"#" * (MAX_FILE_BYTES + 10))
    with pytest.raises(ScenarioError, match=rf"larger than {MAX_FILE_BYTES} bytes"):
        read_file(big)


def test_a_link_to_a_regular_file_is_read(tmp_path: Path):
    real = tmp_path / "real.toml"
    real.write_text(GOOD)
    link = tmp_path / "bowl.toml"
    link.symlink_to(real)
    assert load(link).title == "Bowl"


def test_a_long_file_name_is_a_clear_error(tmp_path: Path):
    path = tmp_path / ("a" * 150 + ".toml")
    path.write_text(GOOD)
    with pytest.raises(ScenarioError, match=r"the file name is 150 characters; at most 100"):
        load(path)


def test_a_byte_order_mark_is_not_part_of_the_toml(tmp_path: Path):
    path = tmp_path / "bom.toml"
    path.write_bytes(b"\xef\xbb\xbf" + GOOD.encode())
    assert load(path).title == "Bowl"
