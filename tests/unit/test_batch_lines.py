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
def test_an_over_long_line_is_one_error_and_not_kept(
    step: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(batch, "MAX_LINE_BYTES", 20)
    data = b"--size 1T\n" + b"y" * 50 + b"\n--size 2T\n" + b"z" * 21
    lines = list(geometry_lines(reads(data, step)))
    assert [(n, t, e is None) for n, t, e in lines] == [
        (1, "--size 1T", True),
        (2, "", False),
        (3, "--size 2T", True),
        (4, "", False),
    ]


def test_a_read_waits_only_after_the_lines_before_it_were_handed_out() -> None:
    """before_read runs before every read: the caller can write out its answers first."""
    events: list[str] = []
    data = reads(b"--size 1T\n--size 2T\n", 10)
    for n, _, _ in geometry_lines(data, lambda: events.append("read")):
        events.append(f"line {n}")
    assert events == ["read", "line 1", "read", "line 2", "read"]
