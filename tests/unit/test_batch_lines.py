"""vmemplan.batch.geometry_lines: lines as an editor numbers them, read as they come."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from vmemplan import batch
from vmemplan.batch import geometry_lines


def reads(data: bytes, step: int) -> Callable[[int], bytes]:
    """A read1 that hands out ``step`` bytes at a time, whatever it is asked for."""
    pos = 0

    def read(n: int) -> bytes:
        nonlocal pos
        chunk = data[pos : pos + min(n, step)]
        pos += len(chunk)
        return chunk

    return read


@pytest.mark.parametrize("step", [1, 2, 3, 7, 1 << 16])
def test_lines_split_across_reads_are_whole(step: int) -> None:
    data = b'\xef\xbb\xbf--size 1T\n\n# note\n  --size 2T\r\n{"size": "3T"}\r--x\n--size 4T'
    got = [(n, t) for n, t, e in geometry_lines(reads(data, step)) if e is None]
    assert got == [(1, "--size 1T"), (4, "--size 2T"), (5, '{"size": "3T"}\r--x'), (6, "--size 4T")]


@pytest.mark.parametrize("step", [5, 1 << 16])
def test_an_over_long_line_ends_the_input_with_one_error(
    step: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(batch, "MAX_LINE_BYTES", 20)
    data = b"--size 1T\n" + b"y" * 50 + b"\n--size 2T\n"
    lines = list(geometry_lines(reads(data, step)))
    assert [(n, t, e is None) for n, t, e in lines] == [(1, "--size 1T", True), (2, "", False)]


@pytest.mark.parametrize("step", [3, 1 << 16])
def test_a_line_without_end_over_the_cap_stops_the_reading(
    step: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An endless line (/dev/zero without its NULs) is not read to its end."""
    monkeypatch.setattr(batch, "MAX_LINE_BYTES", 20)
    consumed = 0

    def endless(n: int) -> bytes:
        nonlocal consumed
        consumed += min(n, step)
        return b"z" * min(n, step)

    lines = list(geometry_lines(endless))
    assert [(n, e is None) for n, _, e in lines] == [(1, False)]
    assert consumed <= 20 + max(step, 1 << 16)


def test_a_nul_byte_ends_the_input_after_the_lines_before_it() -> None:
    data = b"--size 1T\n--size 2T\n--si\x00ze 3T\n--size 4T\n"
    lines = list(geometry_lines(reads(data, 1 << 16)))
    assert [(n, t, e is None) for n, t, e in lines] == [
        (1, "--size 1T", True),
        (2, "--size 2T", True),
        (3, "", False),
    ]


def test_a_read_waits_only_after_the_lines_before_it_were_handed_out() -> None:
    """before_read runs before every read: the caller can write out its answers first."""
    events: list[str] = []
    data = reads(b"--size 1T\n--size 2T\n", 10)
    for n, _, _ in geometry_lines(data, lambda: events.append("read")):
        events.append(f"line {n}")
    assert events == ["read", "line 1", "read", "line 2", "read"]
