"""``vmemplan.reading``: files and pipes only, never past the cap, whole or line by line."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from vmemplan.errors import InputError
from vmemplan.reading import MAX_INPUT_ENV, read_input, read_input_bytes, read_input_lines


def test_a_file_is_read_whole_and_by_lines(tmp_path: Path) -> None:
    path = tmp_path / "lines.txt"
    path.write_bytes(b"one\ntwo\n\nthree")
    assert read_input(str(path), "--batch") == "one\ntwo\n\nthree"
    assert list(read_input_lines(str(path), "--batch")) == [b"one\n", b"two\n", b"\n", b"three"]


def test_lines_longer_than_a_read_are_joined(tmp_path: Path) -> None:
    path = tmp_path / "long.txt"
    line = b"x" * (3 << 20) + b"\n"  # three reads of 1 MiB
    path.write_bytes(line * 2)
    assert list(read_input_lines(str(path), "--batch")) == [line, line]


def test_a_pipe_is_read() -> None:
    read_end, write_end = os.pipe()
    os.write(write_end, b"a\nb\n")
    os.close(write_end)
    try:
        assert read_input_bytes(f"/dev/fd/{read_end}", "--iomem") == b"a\nb\n"
    finally:
        os.close(read_end)


def test_the_cap_holds_whole_and_by_lines(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(MAX_INPUT_ENV, "10")
    path = tmp_path / "eleven.txt"
    path.write_bytes(b"12345\n12345")
    with pytest.raises(InputError, match="larger than the 10 bytes input limit"):
        read_input(str(path), "--batch")
    with pytest.raises(InputError, match="larger than the 10 bytes input limit"):
        list(read_input_lines(str(path), "--batch"))
    path.write_bytes(b"12345\n1234")  # exactly the cap
    assert list(read_input_lines(str(path), "--batch")) == [b"12345\n", b"1234"]


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/null"])
def test_devices_are_refused_by_lines_too(device: str) -> None:
    with pytest.raises(InputError, match="a character device, not a file or a pipe"):
        list(read_input_lines(device, "--batch"))


def test_a_missing_file_names_the_option(tmp_path: Path) -> None:
    with pytest.raises(InputError) as err:
        read_input(str(tmp_path / "nope\x1b.toml"), "--config")
    assert err.value.option == "--config"
    assert err.value.message.endswith("nope\\x1b.toml: No such file or directory")
