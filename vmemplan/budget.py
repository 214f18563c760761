"""Budgets a planner or a CI check holds a configuration to.

A limit is an exact number of bytes or a share of the namespace size in parts per
million; time limits are nanoseconds and are compared with the high end of the
init-time estimate.
"""

from __future__ import annotations

from dataclasses import dataclass

from vmemplan.units import PPM_PER_PERCENT, format_iec, format_ns, parse_percent_ppm, parse_size

PPM = 1_000_000


@dataclass(frozen=True)
class Limit:
    """At most ``bytes``, or at most ``ppm`` millionths of the namespace size."""

    bytes: int | None = None
    ppm: int | None = None

    def resolve(self, whole_bytes: int) -> int:
        """The limit in bytes for a namespace (or machine) of ``whole_bytes``."""
        if self.bytes is not None:
            return self.bytes
        assert self.ppm is not None
        return whole_bytes * self.ppm // PPM

    def describe(self, whole_bytes: int) -> str:
        """``1% of 1.00 TiB (10.00 GiB)`` or ``64.00 GiB``."""
        if self.bytes is not None:
            return format_iec(self.bytes)
        assert self.ppm is not None
        pct, frac = divmod(self.ppm, PPM_PER_PERCENT)
        text = f"{pct}.{frac:04d}".rstrip("0").rstrip(".")
        return f"{text}% of {format_iec(whole_bytes)} ({format_iec(self.resolve(whole_bytes))})"


def parse_limit(text: str, option: str) -> Limit:
    """``"1%"`` -> a share of the namespace; ``"64G"`` -> bytes."""
    if text.strip().endswith("%"):
        return Limit(ppm=parse_percent_ppm(text, option))
    return Limit(bytes=parse_size(text, option))


@dataclass(frozen=True)
class Budgets:
    """Every budget one configuration (or a whole machine) must hold."""

    dram: Limit | None = None
    device_loss: Limit | None = None
    init_ns: int | None = None

    def __bool__(self) -> bool:
        return any(x is not None for x in (self.dram, self.device_loss, self.init_ns))


_LABELS = {"dram": "DRAM", "device_loss": "device capacity lost", "init": "init time up to"}


@dataclass(frozen=True)
class Verdict:
    """One budget checked: what was used, what was allowed, and a one-line message."""

    budget: str  # "dram" | "device_loss" | "init"
    used: int
    limit: int
    ok: bool
    given: Limit | None  # the byte budget as given (None: an init-time budget, in ns)
    whole_bytes: int  # what a percentage is of

    @property
    def message(self) -> str:
        """``DRAM 4.02 GiB within 1% of 1.00 TiB (10.00 GiB)``; written only when read (a
        large check reads only the verdicts that fail)."""
        verb = "within" if self.ok else "exceeds"
        label = _LABELS[self.budget]
        if self.given is None:
            return f"{label} {format_ns(self.used)} {verb} {format_ns(self.limit)}"
        return f"{label} {format_iec(self.used)} {verb} {self.given.describe(self.whole_bytes)}"


def check_budgets(
    budgets: Budgets, *, dram_bytes: int, device_bytes: int, init_ns_high: int, whole_bytes: int
) -> list[Verdict]:
    """Check each set budget; percentages are of ``whole_bytes`` (the namespace size)."""
    out = []
    for name, limit, used in (
        ("dram", budgets.dram, dram_bytes),
        ("device_loss", budgets.device_loss, device_bytes),
    ):
        if limit is not None:
            allowed = limit.resolve(whole_bytes)
            out.append(Verdict(name, used, allowed, used <= allowed, limit, whole_bytes))
    if budgets.init_ns is not None:
        ok = init_ns_high <= budgets.init_ns
        out.append(Verdict("init", init_ns_high, budgets.init_ns, ok, None, whole_bytes))
    return out
