"""``vmemplan.reading``: files and pipes only; the whole text never past the cap."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from vmemplan.errors import InputError
from vmemplan.reading import MAX_INPUT_ENV, opened, read_input, read_input_bytes


def test_a_file_is_read_whole_and_streamed(tmp_path: Path) -> None:
    path = tmp_path / "lines.txt"
    path.write_bytes(b"one\ntwo\n\nthree")
    assert read_input(str(path), "--config") == "one\ntwo\n\nthree"
    with opened(str(path), "--batch") as read:
        assert read(5) == b"one\nt"
        assert read(100) == b"wo\n\nthree"
        assert read(100) == b""


def test_a_pipe_is_read() -> None:
    read_end, write_end = os.pipe()
    os.write(write_end, b"a\nb\n")
    os.close(write_end)
    try:
        assert read_input_bytes(f"/dev/fd/{read_end}", "--iomem") == b"a\nb\n"
    finally:
        os.close(read_end)


def test_the_cap_holds_for_the_whole_text(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(MAX_INPUT_ENV, "10")
    path = tmp_path / "eleven.txt"
    path.write_bytes(b"12345\n12345")
    with pytest.raises(InputError, match="larger than the 10 bytes input limit"):
        read_input(str(path), "--config")
    path.write_bytes(b"12345\n1234")  # exactly the cap
    assert read_input(str(path), "--config") == "12345\n1234"


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/null"])
def test_devices_are_refused_for_streaming_too(device: str) -> None:
    with pytest.raises(InputError, match="a character device, not a file or a pipe"):  # noqa: SIM117
        with opened(device, "--batch"):
            pass


def test_a_missing_file_names_the_option(tmp_path: Path) -> None:
    with pytest.raises(InputError) as err:
        read_input(str(tmp_path / "nope\x1b.toml"), "--config")
    assert err.value.option == "--config"
    assert err.value.message.endswith("nope\\x1b.toml: No such file or directory")
