"""parse_size / parse_range: ndctl's grammar plus P/E and KiB spellings, exact integers."""

from __future__ import annotations

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from tests.helpers import GiB, KiB, MiB, PiB, TiB
from vmemplan.errors import InputError
from vmemplan.units import format_size_exact, parse_range, parse_size


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("1T", TiB),
        ("1t", TiB),
        ("2M", 2 * MiB),
        ("4096", 4096),
        ("0x1000", 4096),
        ("0X10G", 16 * GiB),
        ("16GiB", 16 * GiB),
        ("16gib", 16 * GiB),
        ("4P", 4 * PiB),
        ("1E", 1 << 60),
        ("4k", 4 * KiB),
        ("0", 0),
    ],
)
def test_parse_size_accepts(text: str, value: int) -> None:
    assert parse_size(text, "--size") == value


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("1.5T", "fractions"),
        ("16GB", "decimal (SI)"),
        ("3X", "unknown suffix"),
        ("010G", "octal"),
        ("-1G", "negative"),
        ("", "not a size"),
        ("G", "not a size"),
        ("32E", "too large"),
        ("1" * 5000, "too large"),
        ("1T2", "not a size"),
    ],
)
def test_parse_size_rejects_with_option_and_value(text: str, fragment: str) -> None:
    with pytest.raises(InputError) as exc:
        parse_size(text, "--size")
    assert str(exc.value).startswith("--size: ")
    assert fragment in str(exc.value)


def test_parse_range_forms() -> None:
    assert parse_range("0x100000000-0x47fffffff", "--system-ram") == (4 * GiB, 18 * GiB)
    assert parse_range("4096M+64M", "--system-ram") == (4096 * MiB, 4160 * MiB)
    with pytest.raises(InputError, match="end is below start"):
        parse_range("2G-1G", "--system-ram")
    with pytest.raises(InputError, match="empty range"):
        parse_range("1G+0", "--system-ram")
    with pytest.raises(InputError, match="START-END"):
        parse_range("1G", "--system-ram")


@given(st.integers(min_value=1, max_value=1 << 20), st.sampled_from([0, 10, 20, 30, 40, 50]))
def test_format_exact_round_trips(mult: int, shift: int) -> None:
    """parse_size(format_size_exact(n)) == n for exact multiples of a binary unit."""
    n = mult << shift
    assume(n < 1 << 64)
    assert parse_size(format_size_exact(n), "--size") == n


def test_parse_range_exclusive_end_and_spelling() -> None:
    r = parse_range(" 512G..4T ", "--dax-range")
    assert r == (512 * GiB, 4 * 1024 * GiB)
    assert r.text == "512G..4T"
    assert parse_range("0..64G", "--system-ram") == parse_range("0-0xfffffffff", "--system-ram")
    with pytest.raises(InputError, match="empty range"):
        parse_range("4T..4T", "--dax-range")
    with pytest.raises(InputError, match="end is below start"):
        parse_range("4T..1T", "--dax-range")
