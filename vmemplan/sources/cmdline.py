"""Read HugeTLB pools and the HVO switch from a kernel command line or sysctl lines.

Follows hugepagesz_setup(), default_hugepagesz_setup() and hugepages_setup() in
mm/hugetlb.c, and the ``hugetlb_free_vmemmap=`` parameter in mm/hugetlb_vmemmap.c.
Parameters vmemplan does not model are ignored, so a whole /proc/cmdline can be pasted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from vmemplan.errors import InputError
from vmemplan.kernel.hugetlbpage import check_hugetlb_page_size
from vmemplan.units import is_power_of_2, parse_size

# The largest pool and NUMA node vmemplan takes, from the command line and config files
# alike: 2^40 huge pages (of 1G: 1 ZiB) and MAX_NUMNODES at its largest (NODES_SHIFT 10).
MAX_POOL_FOLIOS = 1 << 40
MAX_NODE = 1 << 10

_TRUE = ("on", "y", "yes", "1", "true")
_FALSE = ("off", "n", "no", "0", "false")


@dataclass(frozen=True)
class HugetlbPool:
    """``nr_folios`` HugeTLB folios of ``folio_bytes`` each, on NUMA ``node`` (None: any)."""

    folio_bytes: int
    nr_folios: int
    node: int | None = None


@dataclass(frozen=True)
class HugetlbCmdline:
    """What a command line says about HugeTLB: the pools and the HVO switch (None: unset)."""

    pools: tuple[HugetlbPool, ...]
    hvo_enabled: bool | None


def parse_bool(text: str, option: str) -> bool:
    """kstrtobool() as ``hugetlb_free_vmemmap=`` accepts it: on/off, y/n, 1/0."""
    key = text.strip().lower()
    if key in _TRUE:
        return True
    if key in _FALSE:
        return False
    raise InputError(option, f"{_excerpt(text)}: expected on or off (y/n, 1/0)")


def parse_folio_size(text: str, option: str, arch_name: str | None = None) -> int:
    """A huge page size such as ``2M`` or ``1G`` (a power of two); with ``arch_name``, one
    that arch has (arch_hugetlb_valid_size())."""
    size = parse_size(text, option)
    if not is_power_of_2(size):
        raise InputError(option, f"{_excerpt(text)}: a huge page size must be a power of two")
    if arch_name is not None:
        check_hugetlb_page_size(arch_name, size, option)
    return size


def _count(text: str, option: str) -> int:
    if not re.fullmatch(r"\d+", text.strip()):
        raise InputError(option, f"{_excerpt(text)}: not a page count")
    digits = text.strip().lstrip("0")
    if len(digits) > len(str(MAX_POOL_FOLIOS)) or int(digits or "0") > MAX_POOL_FOLIOS:
        raise InputError(option, f"{_excerpt(text)}: more than 2^40 huge pages in one pool")
    return int(digits or "0")


def _node(text: str, option: str) -> int:
    if not re.fullmatch(r"\d{1,5}", text.strip()) or int(text) >= MAX_NODE:
        raise InputError(option, f"{_excerpt(text)}: not a NUMA node (0 to {MAX_NODE - 1})")
    return int(text)


def _excerpt(text: str) -> str:
    return repr(text) if len(text) <= 24 else f"{text[:24]!r}... ({len(text):,} characters)"


# Follows hugepages_setup() in mm/hugetlb.c (the per-node "N:count,N:count" form too).
def parse_hugepages(text: str, folio_bytes: int, option: str) -> list[HugetlbPool]:
    """``512`` or ``0:256,1:256`` for huge pages of ``folio_bytes``."""
    if ":" not in text:
        return [HugetlbPool(folio_bytes, _count(text, option))]
    pools = []
    seen: set[int] = set()
    for part in text.split(","):
        node_text, sep, count_text = part.partition(":")
        if not sep:
            raise InputError(option, f"{_excerpt(text)}: mix of per-node and global counts")
        node = _node(node_text, option)
        if node in seen:
            raise InputError(option, f"{_excerpt(text)}: node {node} given twice")
        seen.add(node)
        pools.append(HugetlbPool(folio_bytes, _count(count_text, option), node))
    return pools


def parse_pages_option(
    text: str, option: str = "--pages", arch_name: str | None = None
) -> list[HugetlbPool]:
    """``1G:512`` or ``1G:0:256,1:256`` (size, then hugepages= syntax); with ``arch_name``,
    a size that arch has."""
    size_text, sep, rest = text.partition(":")
    if not sep or not rest:
        raise InputError(
            option, f"{_excerpt(text)}: expected SIZE:COUNT (e.g. 1G:512 or 1G:0:256,1:256)"
        )
    return parse_hugepages(rest, parse_folio_size(size_text, option, arch_name), option)


def parse_hugetlb_cmdline(
    text: str, default_folio_bytes: int, arch_name: str | None = None
) -> HugetlbCmdline:
    """The HugeTLB pools and HVO switch of a command line.

    ``hugepages=`` applies to the ``hugepagesz=`` before it, or else to the default size
    (``default_hugepagesz=`` or ``default_folio_bytes``, the arch's HPAGE_SIZE); with
    ``arch_name``, every size must be one that arch has (hugepagesz_setup() ignores
    another, and the hugepages= after it; vmemplan refuses it). Also
    accepts the sysctl form ``vm.hugetlb_optimize_vmemmap=1`` and ``vm.nr_hugepages=N``.
    """
    tokens = text.replace(" = ", "=").split()
    default = default_folio_bytes
    for tok in tokens:
        key, _, value = tok.partition("=")
        if key == "default_hugepagesz":
            default = parse_folio_size(value, "--cmdline default_hugepagesz", arch_name)
    current: int | None = None
    pools: list[HugetlbPool] = []
    hvo: bool | None = None
    for tok in tokens:
        key, sep, value = tok.partition("=")
        option = f"--cmdline {key}"
        if key == "hugepagesz" and sep:
            current = parse_folio_size(value, option, arch_name)
        elif key in ("hugepages", "vm.nr_hugepages") and sep:
            size = current if current is not None and key == "hugepages" else default
            if any(p.folio_bytes == size for p in pools):
                # hugepages_setup() ignores a repeat with a warning; vmemplan refuses it.
                raise InputError(
                    option, f"{_excerpt(value)}: a second hugepages= for the same size"
                )
            pools.extend(parse_hugepages(value, size, option))
            current = None
        elif key in ("hugetlb_free_vmemmap", "vm.hugetlb_optimize_vmemmap") and sep:
            hvo = parse_bool(value, option)
    return HugetlbCmdline(tuple(pools), hvo)
