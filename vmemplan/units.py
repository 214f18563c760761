"""Size and address parsing, exact integers only.

The grammar is ndctl's ``__parse_size64()`` (util/size.c): an integer, decimal or ``0x``
hex, and one optional binary suffix, case-insensitive. Like the kernel's ``memparse()``
(lib/cmdline.c) it also accepts ``P`` and ``E``, and ``KiB``-style spellings. Decimal
fractions and SI suffixes (``KB``, ``GB``) are refused: every unit here is binary.
A leading ``0`` is refused because ndctl would read it as octal (``010G`` is 8 GiB there).
"""

from __future__ import annotations

import re

from vmemplan.errors import InputError

KiB = 1 << 10
MiB = 1 << 20
GiB = 1 << 30
TiB = 1 << 40
PiB = 1 << 50
EiB = 1 << 60

_SUFFIX_SHIFT = {"": 0, "k": 10, "m": 20, "g": 30, "t": 40, "p": 50, "e": 60}
_SIZE_RE = re.compile(r"^(?P<num>0[xX][0-9a-fA-F]+|[0-9]+)(?P<suffix>[a-zA-Z]*)$")
# Values above this cannot be a physical address or size on any supported arch.
_MAX_VALUE = (1 << 64) - 1


# The longest part of a value a message quotes (characters): a longer value (a token pasted
# into the wrong field) is shown as its start and its length, never whole.
QUOTE_LIMIT = 24


def quote_value(text: str, limit: int = QUOTE_LIMIT) -> str:
    """``text`` as a message quotes it: ``repr()`` (escaped, quoted), cut to its first
    ``limit`` characters and its length when longer."""
    if len(text) <= limit:
        return repr(text)
    return f"{text[:limit]!r}... ({len(text):,} characters)"


def parse_size(text: str, option: str) -> int:
    """Return ``text`` (``1T``, ``2M``, ``0x1000``, ``16GiB``) as an exact number of bytes."""
    s = text.strip()
    m = _SIZE_RE.match(s)
    if m is None:
        if re.match(r"^[0-9]+\.[0-9]+", s):
            raise InputError(
                option, f"{quote_value(text)}: fractions are not accepted; use a smaller unit"
            )
        if s.startswith("-"):
            raise InputError(option, f"{quote_value(text)}: must not be negative")
        raise InputError(
            option, f"{quote_value(text)}: not a size (expected e.g. 1T, 2M, 4096, 0x1000)"
        )
    num, suffix = m.group("num"), m.group("suffix")
    if len(num) > 40:  # far above 2^64 in any base; int() would refuse > 4300 digits anyway
        raise InputError(option, f"{quote_value(text)}: too large (above 2^64)")
    if len(num) > 1 and num[0] == "0" and num[1] not in "xX":
        raise InputError(
            option,
            f"{quote_value(text)}: leading zero (ndctl would read it as octal); "
            f"write {num.lstrip('0') or '0'}{suffix} or a 0x hex value",
        )
    value = int(num, 0)
    key = suffix.lower()
    if key.endswith("ib") and len(key) == 3:
        key = key[0]
    elif key.endswith("b") and key not in ("",) and len(key) == 2:
        raise InputError(
            option,
            f"{quote_value(text)}: decimal (SI) unit {quote_value(suffix)}; "
            f"use binary {suffix[0].upper()}iB",
        )
    if key not in _SUFFIX_SHIFT:
        raise InputError(
            option,
            f"{quote_value(text)}: unknown suffix {quote_value(suffix)} (use K, M, G, T, P or E)",
        )
    value <<= _SUFFIX_SHIFT[key]
    if value > _MAX_VALUE:
        raise InputError(option, f"{quote_value(text)}: too large (above 2^64)")
    return value


class SpelledSize(int):
    """A byte count that remembers how the user wrote it, so a message can echo it.

    Behaves as the ``int`` it is; arithmetic on it gives plain ``int`` s, so only the value
    the user typed carries ``text``.
    """

    text: str

    def __new__(cls, value: int, text: str) -> SpelledSize:
        obj = super().__new__(cls, value)
        obj.text = text
        return obj


class SpelledRange(tuple[int, int]):
    """A half-open byte range ``(start, end)`` with the user's spelling of it in ``text``."""

    text: str

    def __new__(cls, start: int, end: int, text: str) -> SpelledRange:
        obj = super().__new__(cls, (start, end))
        obj.text = text
        return obj


def parse_size_spelled(text: str, option: str) -> SpelledSize:
    """:func:`parse_size`, keeping ``text`` (stripped) for messages."""
    return SpelledSize(parse_size(text, option), text.strip())


def parse_range(text: str, option: str) -> SpelledRange:
    """Parse a byte range in one of three spellings, each side a size (``0x``, suffixes):

    * ``START-END``: END inclusive, as /proc/iomem prints it (``0x100000000-0x47fffffff``);
    * ``START..END``: END exclusive, so suffixes can express it (``512G..4T``);
    * ``START+SIZE`` (``64G+1T``).

    Returns the half-open byte range ``[start, end)``, remembering ``text``.
    """
    try:
        return _parse_range(text, option)
    except InputError as e:
        if e.message.startswith(quote_value(text)):
            raise
        raise InputError(option, f"{quote_value(text)}: {e.message}") from None


def _parse_range(text: str, option: str) -> SpelledRange:
    s = text.strip()
    if "+" in s:
        start_s, _, size_s = s.partition("+")
        start = parse_size(start_s, option)
        size = parse_size(size_s, option)
        if size == 0:
            raise InputError(option, f"{quote_value(text)}: empty range")
        end = start + size
    elif ".." in s:
        start_s, _, end_s = s.partition("..")
        start = parse_size(start_s, option)
        end = parse_size(end_s, option)
        if end < start:
            raise InputError(option, f"{quote_value(text)}: end is below start")
        if end == start:
            raise InputError(
                option, f"{quote_value(text)}: empty range (END is exclusive in START..END)"
            )
    elif "-" in s[1:]:
        start_s, _, last_s = s.partition("-")
        start = parse_size(start_s, option)
        last = parse_size(last_s, option)
        if last < start:
            raise InputError(option, f"{quote_value(text)}: end is below start")
        end = last + 1
    else:
        raise InputError(
            option,
            f"{quote_value(text)}: expected START-END (END inclusive), START..END (END exclusive) "
            "or START+SIZE",
        )
    if end > _MAX_VALUE + 1:
        raise InputError(option, f"{quote_value(text)}: ends above 2^64")
    return SpelledRange(start, end, s)


def format_as_given(value: int) -> str:
    """A size as the user typed it when it is a :class:`SpelledSize`, else
    :func:`format_size_exact`: messages never show a spelling the user did not type."""
    if isinstance(value, SpelledSize):
        return value.text
    return format_size_exact(value)


def format_like(value: int, like: int) -> str:
    """``value`` in the style ``like`` was typed in: hex when the user wrote hex, else
    :func:`format_size_exact` (a suggestion next to ``0x1000100000`` is ``0x1000000000``)."""
    if isinstance(like, SpelledSize) and like.text.lower().startswith("0x"):
        return f"{value:#x}"
    return format_size_exact(value)


def format_range(r: tuple[int, int]) -> str:
    """A range as the user typed it when it is a :class:`SpelledRange`, else ``START+SIZE``."""
    if isinstance(r, SpelledRange):
        return r.text
    start, end = r
    return f"{format_size_exact(start)}+{format_size_exact(end - start)}"


def format_size_exact(value: int) -> str:
    """Return the shortest exact binary spelling of ``value`` (``1T``, ``4160M``, ``4097``)."""
    for suffix, shift in (("E", 60), ("P", 50), ("T", 40), ("G", 30), ("M", 20), ("K", 10)):
        if value and value % (1 << shift) == 0:
            return f"{value >> shift}{suffix}"
    return str(value)


def align_up(value: int, align: int) -> int:
    """``ALIGN(value, align)`` for a power-of-two (or any positive) ``align``."""
    return -(-value // align) * align


def align_down(value: int, align: int) -> int:
    """``ALIGN_DOWN(value, align)``."""
    return value // align * align


def div_round_up(a: int, b: int) -> int:
    """``DIV_ROUND_UP(a, b)``."""
    return -(-a // b)


def is_power_of_2(value: int) -> bool:
    """``is_power_of_2()`` from include/linux/log2.h."""
    return value > 0 and value & (value - 1) == 0


_NUMBER_RE = re.compile(r"([0-9]{1,20})(?:\.([0-9]{1,20}))?")
_PERCENT_RE = re.compile(r"\s*([0-9]{1,20})(?:\.([0-9]{1,20}))?\s*%\s*")
_DURATION_RE = re.compile(r"\s*([0-9]{1,20})(?:\.([0-9]{1,20}))?\s*([a-zA-Z]*)\s*")
_DURATION_NS = {"ns": 1, "us": 1_000, "ms": 1_000_000, "s": 1_000_000_000}
PPM_PER_PERCENT = 10_000


def parse_percent_ppm(text: str, option: str) -> int:
    """``"0.5%"`` -> 5000 parts per million (at most 4 decimals, at most 100%)."""
    m = _PERCENT_RE.fullmatch(text)
    if m is None:
        raise InputError(
            option, f"{quote_value(text)}: not a percentage (expected e.g. 1% or 0.0125%)"
        )
    whole, frac = m.group(1), m.group(2) or ""
    if len(frac) > 4:
        raise InputError(option, f"{quote_value(text)}: at most 4 decimals")
    ppm = int(whole) * PPM_PER_PERCENT + int(frac.ljust(4, "0"))
    if ppm > 100 * PPM_PER_PERCENT:
        raise InputError(option, f"{quote_value(text)}: above 100%")
    return ppm


def parse_duration_ns(text: str, option: str) -> int:
    """``"500ms"``, ``"1.5s"``, ``"250us"``, ``"1000ns"``: a whole number of nanoseconds."""
    m = _DURATION_RE.fullmatch(text)
    if m is None or m.group(3) not in _DURATION_NS:
        if m is not None and not m.group(3):
            raise InputError(option, f"{quote_value(text)}: missing unit (ns, us, ms or s)")
        if m is not None:
            raise InputError(
                option,
                f"{quote_value(text)}: unknown unit {quote_value(m.group(3))} "
                "(use ns, us, ms or s)",
            )
        raise InputError(
            option, f"{quote_value(text)}: not a time (expected e.g. 500ms, 1.5s or 250us)"
        )
    whole, frac, unit = m.group(1), m.group(2) or "", m.group(3)
    if len(frac) > 3:
        raise InputError(option, f"{quote_value(text)}: at most 3 decimals")
    milli_ns = (int(whole) * 1000 + int(frac.ljust(3, "0"))) * _DURATION_NS[unit]
    if milli_ns % 1000:
        raise InputError(option, f"{quote_value(text)}: not a whole number of nanoseconds")
    if milli_ns // 1000 > _MAX_VALUE:
        raise InputError(option, f"{quote_value(text)}: too large (above 2^64 ns)")
    return milli_ns // 1000


def parse_ns_per_page(text: str, option: str) -> tuple[int, int]:
    """``"8.0-10.7"`` or ``"9"`` ns per struct page -> picoseconds ``(low, high)``."""
    parts = text.split("-")
    if len(parts) > 2:
        raise InputError(option, f"{quote_value(text)}: expected NS or LOW-HIGH, e.g. 8.0-10.7")
    ps = []
    for part in parts:
        m = _NUMBER_RE.fullmatch(part.strip())
        if m is None:
            raise InputError(
                option,
                f"{quote_value(text)}: not a number of nanoseconds (expected NS or LOW-HIGH)",
            )
        whole, frac = m.group(1), m.group(2) or ""
        if len(frac) > 3:
            raise InputError(option, f"{quote_value(text)}: must be positive, at most 3 decimals")
        ps.append(int(whole) * 1000 + int(frac.ljust(3, "0")))
    if any(p <= 0 for p in ps):
        raise InputError(option, f"{quote_value(text)}: must be positive, at most 3 decimals")
    if ps[0] > ps[-1]:
        raise InputError(option, f"{quote_value(text)}: LOW is above HIGH")
    return ps[0], ps[-1]


_IEC = (("EiB", 60), ("PiB", 50), ("TiB", 40), ("GiB", 30), ("MiB", 20), ("KiB", 10))


def format_iec(value: int) -> str:
    """``4328587264`` -> ``4.03 GiB``: two decimals, rounded half up, like ``ndctl -u``
    (``1023.00 GiB``); a figure that rounds to 1024.00 of a unit is shown as 1.00 of the
    next (1 TiB - 2 MiB is ``1.00 TiB``, never ``1024.00 GiB``); below 1 KiB, exact bytes.

    For people only (tables, messages); JSON always carries the exact integer.
    """
    for index, (unit, shift) in enumerate(_IEC):
        if value >= 1 << shift:
            hundredths = (value * 100 + (1 << shift) // 2) >> shift
            shown = unit
            if hundredths >= 1024 * 100 and index > 0:
                shown, hundredths = _IEC[index - 1][0], 100
            return f"{hundredths // 100}.{hundredths % 100:02d} {shown}"
    return f"{value} B"


_TIME_UNITS = (("h", 3600 * 10**9), ("min", 60 * 10**9), ("s", 10**9), ("ms", 10**6), ("us", 10**3))


def format_ns(value: int) -> str:
    """Nanoseconds for people: two decimals in the largest unit the figure reaches, up to
    minutes and hours (``90 s`` -> ``1.50 min``); a figure that rounds to a whole next unit
    is shown in it (``999,996`` -> ``1.00 ms``, never ``1000.00 us``); below 1 us, exact ns.

    Here, not in budget.py, so that estimate's text output does not import the budgets.
    """
    for index, (unit, scale) in enumerate(_TIME_UNITS):
        if value >= scale:
            hundredths = (value * 100 + scale // 2) // scale
            shown = unit
            if index > 0 and hundredths * scale >= _TIME_UNITS[index - 1][1] * 100:
                shown, hundredths = _TIME_UNITS[index - 1][0], 100
            return f"{hundredths // 100}.{hundredths % 100:02d} {shown}"
    return f"{value} ns"


def format_ns_range(low: int, high: int) -> str:
    """An init-time range, each end in its own unit: ``8.59 s - 11.49 s``; a range whose
    ends are equal (``--ns-per-page 5``) is one figure."""
    if low == high:
        return format_ns(low)
    return f"{format_ns(low)} - {format_ns(high)}"


# The smallest memory block size a machine can have (one 2 MiB subsection; real blocks
# are at least a section: 128 MiB on x86_64).
_MIN_BLOCK_SIZE = 2 * MiB


def parse_block_size(text: str, option: str) -> int:
    """A memory block size as a user gives it (``2G``, ``0x80000000``) or as
    ``/sys/devices/system/memory/block_size_bytes`` prints it: hex without ``0x``
    (``80000000``, ``8000000``).

    A bare number (digits only, no unit, no ``0x``) is read in decimal when that is a
    power of two of at least 2 MiB, else in hex when that is; it can never be both, since
    a decimal power of two of 2 MiB or more never ends in 0 and a hex one always does. So
    ``134217728`` and ``8000000`` are both 128 MiB and ``80000000`` is 2 GiB. Anything
    else is parsed as ``parse_size()`` does. Validity of the value itself (a power of
    two, a multiple of the section) is left to the model."""
    s = text.strip()
    if s.isascii() and s.isdigit() and 0 < len(s) <= 20:
        decimal = int(s)
        if decimal >= _MIN_BLOCK_SIZE and is_power_of_2(decimal):
            return decimal
        hexa = int(s, 16)
        if hexa >= _MIN_BLOCK_SIZE and is_power_of_2(hexa):
            return hexa
        raise InputError(
            option,
            f"{quote_value(text)}: not a memory block size in decimal or in hex (as "
            "block_size_bytes prints it): give a power of two of at least 2M, e.g. 128M, "
            "2G, 0x80000000 or 80000000",
        )
    return parse_size(text, option)
