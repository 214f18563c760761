"""Read the JSON that ``ndctl list``, ``ndctl create-namespace`` and ``daxctl list`` print.

Pure: the caller reads the file and passes its text. Every problem is an
:class:`~vmemplan.errors.InputError` whose message names the JSON path of the bad value
(``[0].namespaces[2].size``), so a user can find it in a long listing.

Shapes accepted (all may appear as a JSON array or, for a single item in ``--human`` mode
and for ``create-namespace``, as a bare object):

* namespace objects (``ndctl list -N``), with or without a ``daxregion`` (``-X``); the
  ``daxregion.devices`` are the namespace's own dax device: read (its mode says which
  driver holds it) but not counted again;
* region objects (``ndctl list -R -N``) holding a ``namespaces`` array; bus objects
  (``-B``) holding ``regions`` or ``namespaces``; the platform object ``ndctl list -D -R``
  prints (``{"dimms": [...], "regions": [...]}``); DIMM objects are skipped;
* daxctl device objects (``chardev``) and daxctl region objects holding ``devices``.

Sizes are integers of bytes, ``0x`` hex strings, or ``--human`` strings such as
``"1476.56 GiB (1585.44 GB)"``; the last are rounded to two decimals by ndctl, so the value
read back is only approximate and :attr:`FoundDevice.usable_exact` is ``False``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from fractions import Fraction
from math import floor
from typing import Any, Literal

from vmemplan.errors import InputError
from vmemplan.units import parse_size, quote_value

MapLocation = Literal["mem", "dev"]
Source = Literal["ndctl", "daxctl"]

_LIMIT = 1 << 64
# A JSON integer literal longer than this is far above 2**64 (20 digits); it is kept as
# text so that int() never meets Python's 4300-digit conversion limit.
_MAX_INT_DIGITS = 24
# No size string ndctl prints is anywhere near this long.
_MAX_SIZE_TEXT = 64
_SHOW_MAX = 60

_NAMESPACE_MODES = {
    "fsdax": "fsdax",
    "devdax": "devdax",
    "sector": "sector",
    "raw": "raw",
    # legacy names, still accepted by ndctl on input
    "memory": "fsdax",
    "dax": "devdax",
    "safe": "sector",
}
# util_daxctl_dev_to_json() (daxctl/json.c): "system-ram" for a device kmem holds, "famfs"
# for one bound to fsdev_dax (newer daxctl: daxctl_dev_is_famfs_capable()), else "devdax".
_DAX_MODES = {"devdax": "devdax", "system-ram": "system-ram", "famfs": "famfs", "dax": "devdax"}
_DAX_MODE_CHOICES = "devdax, system-ram or famfs"
_MAPS: dict[str, MapLocation | None] = {"mem": "mem", "dev": "dev", "none": None}
# daxctl prints them for a device in system-ram mode (util_daxctl_dev_to_json(), daxctl/json.c)
_MEMBLOCK_KEYS = ("online_memblocks", "total_memblocks")

_IEC_SHIFT = {"K": 10, "M": 20, "G": 30, "T": 40, "P": 50, "E": 60}
_HUMAN_RE = re.compile(
    r"(?P<num>[0-9]{1,20}(?:\.[0-9]{1,20})?) ?(?P<unit>[KMGTPE])iB"
    r"(?: ?\( ?[0-9]{1,20}(?:\.[0-9]{1,20})? ?[KMGTPE]B ?\))?",
    re.ASCII,
)
_CONTAINER_DEV_RE = re.compile(r"(region|ndbus|nmem)[0-9]+", re.ASCII)


@dataclass(frozen=True)
class FoundDevice:
    """One namespace (ndctl) or dax device (daxctl) found in the JSON."""

    name: str
    """``"namespace0.0"``, or a daxctl ``chardev`` such as ``"dax0.0"``."""
    source: Source
    mode: str
    """Normalised: ``fsdax``, ``devdax``, ``sector`` or ``raw``; a dax device's ``devdax``,
    ``system-ram`` or ``famfs``."""
    map: MapLocation | None
    """ndctl ``"map"``; ``None`` when absent or ``"none"``."""
    usable_bytes: int
    """The ``"size"`` field: the usable pfn/dax size, not the raw namespace size."""
    usable_exact: bool
    """``False`` when ``"size"`` was a rounded ``--human`` string."""
    align: int | None
    """``"align"`` in bytes (the namespace's, else its daxregion's / daxctl region's)."""
    location: str
    """JSON path of the object: ``"[1]"``, ``"[0].namespaces[2]"``, ``"$"`` for a bare object."""
    online_memblocks: int | None = None
    """daxctl, system-ram mode: memory blocks of the device that are online."""
    total_memblocks: int | None = None
    """daxctl, system-ram mode: memory blocks of the node that start inside the device
    (daxctl_memory_num_sections() in daxctl/lib/libdaxctl.c): the blocks kmem added."""
    dax_devices: tuple[FoundDevice, ...] = ()
    """ndctl ``-X``: the dax devices of the namespace's ``daxregion``, as daxctl prints
    them (locations ``[0].daxregion.devices[0]``); not devices of their own."""
    ranges: tuple[tuple[int, int], ...] = ()
    """daxctl ``-M``: the device's ``mappings`` as half-open byte ranges (daxctl prints
    each mapping's ``start`` and inclusive ``end``), in page_offset order; () if absent."""
    pmem_region: str | None = None
    """For a namespace read from ``daxctl list -R`` (a dax region under
    ``ndbusN/regionN``, a pmem namespace's static dax region): the region's ``path``."""
    map_none: bool = False
    """ndctl printed ``"map":"none"``: the kernel reported no memmap location for the
    namespace's pfn/dax device (its ``mode`` attribute read ``none``, PFN_MODE_NONE in
    drivers/nvdimm/pfn_devs.c), which util_namespace_to_json() prints as it is."""
    static: bool = False
    """An fsdax namespace with no pfn device: a legacy e820 or ``memmap=`` carve-out (or
    an NVDIMM-N one) that the pmem driver maps whole, memmap in DRAM, no info block.
    util_namespace_to_json() (ndctl/json.c) prints it "native/static": map mem, its
    namespace size, and no uuid or align (both come from the pfn device)."""


@dataclass(frozen=True)
class _Huge:
    """A JSON integer literal too long to convert: certainly outside ``[0, 2**64)``."""

    text: str


def _parse_int(text: str) -> int | _Huge:
    if len(text) > _MAX_INT_DIGITS:
        return _Huge(text)
    return int(text)


def _clip(text: str) -> str:
    return text if len(text) <= _SHOW_MAX else text[: _SHOW_MAX - 3] + "..."


def _show(value: object) -> str:
    """A short one-line rendering of a JSON value for an error message.

    Never ``repr()`` of a container: it may be nested deeply enough to overflow the stack.
    """
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, _Huge):
        return _clip(value.text)
    if isinstance(value, int | float):
        return _clip(repr(value))
    if isinstance(value, str):  # a value of a dump: its start and length, never a secret whole
        return quote_value(value)
    if isinstance(value, list):
        return f"an array of {len(value)} item{'s' if len(value) != 1 else ''}"
    if isinstance(value, dict):
        keys = ", ".join(quote_value(k) for k in list(value)[:4])
        more = ", ..." if len(value) > 4 else ""
        return f"an object with keys [{keys}{more}]" if value else "an empty object"
    return type(value).__name__


class _Reader:
    def __init__(self, source: str) -> None:
        self.source = source
        self.found: list[FoundDevice] = []
        self.skipped = 0  # regions, buses, DIMMs and dax regions that held no devices

    def fail(self, where: str, message: str) -> InputError:
        return InputError(self.source, f"{where}: {message}")

    # -- values ---------------------------------------------------------------------------

    def size_value(self, value: object, where: str) -> tuple[int, bool]:
        """A byte count and whether it is exact (``False`` for ``--human`` strings)."""
        if isinstance(value, bool) or value is None or isinstance(value, list | dict):
            raise self.fail(where, f"{_show(value)}: expected a number of bytes")
        if isinstance(value, _Huge):
            if value.text.startswith("-"):
                raise self.fail(where, f"{_show(value)}: must not be negative")
            raise self.fail(where, f"{_show(value)}: too large (2^64 or more)")
        if isinstance(value, float):
            raise self.fail(where, f"{_show(value)}: not a whole number of bytes")
        if isinstance(value, int):
            return self.check_range(value, value, where), True
        if not isinstance(value, str):  # pragma: no cover - json.loads makes nothing else
            raise self.fail(where, f"{_show(value)}: expected a number of bytes")
        text = value.strip()
        if len(text) > _MAX_SIZE_TEXT:
            raise self.fail(where, f"{_show(value)}: too long to be a size")
        m = _HUMAN_RE.fullmatch(text)
        if m is not None:
            exact = Fraction(m.group("num")) * (1 << _IEC_SHIFT[m.group("unit")])
            return self.check_range(value, floor(exact + Fraction(1, 2)), where), False
        try:
            parsed = parse_size(text, self.source)
        except InputError as e:
            raise self.fail(where, e.message) from None
        return self.check_range(value, parsed, where), True

    def check_range(self, shown: object, value: int, where: str) -> int:
        if value < 0:
            raise self.fail(where, f"{_show(shown)}: must not be negative")
        if value >= _LIMIT:
            raise self.fail(where, f"{_show(shown)}: too large (2^64 or more)")
        return value

    def align_value(self, obj: dict[str, Any], where: str) -> int | None:
        """``obj["align"]``; absent, ``null`` and 0 (which ndctl never prints) mean unset."""
        if obj.get("align") is None:
            return None
        value, _ = self.size_value(obj["align"], f"{where}.align")
        return value or None

    def name_value(self, obj: dict[str, Any], key: str, where: str) -> str:
        value = obj[key]
        if not isinstance(value, str) or not value.strip():
            raise self.fail(f"{where}.{key}", f"{_show(value)}: expected a device name string")
        return value

    def mode_value(
        self, obj: dict[str, Any], where: str, table: dict[str, str], expected: str
    ) -> str:
        value = obj["mode"]
        if not isinstance(value, str):
            raise self.fail(f"{where}.mode", f"{_show(value)}: expected a string ({expected})")
        mode = table.get(value.lower())
        if mode is None:
            raise self.fail(f"{where}.mode", f"{_show(value)}: unknown mode (expected {expected})")
        return mode

    def map_value(self, obj: dict[str, Any], where: str) -> MapLocation | None:
        value = obj.get("map")
        if value is None:
            return None
        if not isinstance(value, str) or value.lower() not in _MAPS:
            raise self.fail(
                f"{where}.map", f"{_show(value)}: unknown map (expected mem, dev or none)"
            )
        return _MAPS[value.lower()]

    def array(self, obj: dict[str, Any], key: str, where: str) -> list[Any]:
        value = obj[key]
        if not isinstance(value, list):
            raise self.fail(f"{where}.{key}", f"{_show(value)}: expected an array")
        return value

    # -- objects --------------------------------------------------------------------------

    def item(self, value: object, where: str) -> None:
        """A top-level item: any kind of object ndctl or daxctl prints."""
        if not isinstance(value, dict):
            raise self.fail(where, f"{_show(value)}: expected an object")
        if "dev" in value:
            name = self.name_value(value, "dev", where)
            if _is_container(value, name):
                self.container(value, where, with_regions=not name.startswith("region"))
            else:
                self.namespace(value, where, name)
        elif "chardev" in value:
            self.found.append(self.dax_device(value, where, None))
        elif (key := _cxl_key(value)) is not None:
            raise self.fail(
                where,
                f"{_show(value)}: 'cxl list' output (its {quote_value(key)} key), not ndctl or "
                "daxctl JSON: give it to --from-cxl",
            )
        elif "devices" in value or ("path" in value and "id" in value):
            self.dax_region(value, where)
        elif any(k in value for k in ("regions", "namespaces", "dimms")):
            self.container(value, where, with_regions=True)
        else:
            raise self.fail(
                where,
                f"{_show(value)}: neither an ndctl namespace or region nor a daxctl device "
                "or region (no 'dev', 'chardev', 'namespaces' or 'devices' key)",
            )

    def container(self, obj: dict[str, Any], where: str, *, with_regions: bool) -> None:
        """A bus, region, DIMM or the platform object of ``ndctl list -D -R``.

        Only buses and the platform object hold ``regions``; regions hold ``namespaces``.
        """
        before = len(self.found)
        if with_regions and "regions" in obj:
            for i, region in enumerate(self.array(obj, "regions", where)):
                path = f"{where}.regions[{i}]"
                if not isinstance(region, dict) or "dev" not in region:
                    raise self.fail(path, f"{_show(region)}: expected a region object")
                self.name_value(region, "dev", path)
                self.container(region, path, with_regions=False)
        if "namespaces" in obj:
            for i, ns in enumerate(self.array(obj, "namespaces", where)):
                path = f"{where}.namespaces[{i}]"
                if not isinstance(ns, dict) or "dev" not in ns:
                    raise self.fail(
                        path, f"{_show(ns)}: expected a namespace object (with a 'dev' key)"
                    )
                self.namespace(ns, path, self.name_value(ns, "dev", path))
        if len(self.found) == before:
            self.skipped += 1

    def namespace(self, obj: dict[str, Any], where: str, name: str) -> None:
        if "mode" not in obj:
            raise self.fail(
                where, f"namespace {_show(name)} has no 'mode' (ndctl omits it for unknown modes)"
            )
        mode = self.mode_value(
            obj, where, _NAMESPACE_MODES, "fsdax, devdax, sector or raw; or memory, dax, safe"
        )
        map_ = self.map_value(obj, where)
        if "size" not in obj:
            raise self.fail(where, f"namespace {_show(name)} has no 'size'")
        size, exact = self.size_value(obj["size"], f"{where}.size")
        align = self.align_value(obj, where)
        dax_devices: list[FoundDevice] = []
        if "daxregion" in obj:
            region = obj["daxregion"]
            path = f"{where}.daxregion"
            if not isinstance(region, dict):
                raise self.fail(path, f"{_show(region)}: expected an object")
            region_align = self.align_value(region, path)
            if align is None:
                align = region_align
            if "devices" in region:
                for i, dev in enumerate(self.array(region, "devices", path)):
                    at = f"{path}.devices[{i}]"
                    if not isinstance(dev, dict) or "chardev" not in dev:
                        raise self.fail(
                            at, f"{_show(dev)}: expected a dax device object (with a 'chardev' key)"
                        )
                    dax_devices.append(self.dax_device(dev, at, region_align))
        map_none = map_ is None and isinstance(obj.get("map"), str)
        static = (
            mode == "fsdax"
            and "uuid" not in obj
            and align is None
            and (map_ == "mem" or "map" not in obj)
        )
        self.found.append(
            FoundDevice(
                name,
                "ndctl",
                mode,
                map_,
                size,
                exact,
                align,
                where,
                dax_devices=tuple(dax_devices),
                map_none=map_none,
                static=static,
            )
        )

    def dax_region(self, obj: dict[str, Any], where: str) -> None:
        region_align = self.align_value(obj, where)
        before = len(self.found)
        region_path = obj.get("path")
        static = isinstance(region_path, str) and _PMEM_REGION_PATH_RE.search(region_path)
        if "devices" in obj:
            for i, dev in enumerate(self.array(obj, "devices", where)):
                path = f"{where}.devices[{i}]"
                if not isinstance(dev, dict) or "chardev" not in dev:
                    raise self.fail(
                        path, f"{_show(dev)}: expected a dax device object (with a 'chardev' key)"
                    )
                found = self.dax_device(dev, path, region_align)
                m = _DAX_NAME_RE.fullmatch(found.name)
                if static and m is not None and isinstance(region_path, str):
                    found = _pmem_namespace_of(found, m, region_path)
                self.found.append(found)
        if len(self.found) == before:
            self.skipped += 1

    def dax_device(self, obj: dict[str, Any], where: str, region_align: int | None) -> FoundDevice:
        """A daxctl device object (``daxctl list``, or a namespace's ``daxregion.devices``)."""
        name = self.name_value(obj, "chardev", where)
        # daxctl before v67 (no reconfigure-device) printed no "mode": devdax was the only one
        mode = "devdax"
        if "mode" in obj:
            mode = self.mode_value(obj, where, _DAX_MODES, _DAX_MODE_CHOICES)
        if "size" not in obj:
            raise self.fail(where, f"dax device {_show(name)} has no 'size'")
        size, exact = self.size_value(obj["size"], f"{where}.size")
        align = self.align_value(obj, where)
        if align is None:
            align = region_align
        online, total = (self.count_value(obj, key, where) for key in _MEMBLOCK_KEYS)
        if online is not None and total is not None and online > total:
            raise self.fail(
                f"{where}.online_memblocks", f"{online}: more than total_memblocks {total}"
            )
        ranges = self.mappings(obj, where, size, exact) if "mappings" in obj else ()
        return FoundDevice(
            name, "daxctl", mode, None, size, exact, align, where, online, total, ranges=ranges
        )

    def mappings(
        self, obj: dict[str, Any], where: str, size: int, exact: bool
    ) -> tuple[tuple[int, int], ...]:
        """daxctl ``-M`` ``mappings``: each one's ``start`` and inclusive ``end``
        (util_daxctl_mapping_to_json(), daxctl/json.c), in ``page_offset`` order."""
        out: list[tuple[int, int, int]] = []
        for i, m in enumerate(self.array(obj, "mappings", where)):
            at = f"{where}.mappings[{i}]"
            if not isinstance(m, dict) or "start" not in m or "end" not in m:
                raise self.fail(at, f"{_show(m)}: expected a mapping with 'start' and 'end'")
            start, _ = self.size_value(m["start"], f"{at}.start")
            last, _ = self.size_value(m["end"], f"{at}.end")
            if last < start:
                raise self.fail(f"{at}.end", f"{_show(m['end'])}: below its start")
            offset = 0
            if m.get("page_offset") is not None:
                offset, _ = self.size_value(m["page_offset"], f"{at}.page_offset")
            out.append((offset, start, last + 1))
        ranges = tuple((a, b) for _, a, b in sorted(out))
        total = sum(b - a for a, b in ranges)
        if ranges and exact and total != size:
            raise self.fail(
                f"{where}.mappings",
                f"they add up to {total:,} bytes, the device's size is {size:,}",
            )
        return ranges

    def count_value(self, obj: dict[str, Any], key: str, where: str) -> int | None:
        """A count daxctl prints as a JSON integer (``total_memblocks``); absent: None."""
        value = obj.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | _Huge):
            raise self.fail(f"{where}.{key}", f"{_show(value)}: expected a whole number")
        if isinstance(value, _Huge) or not 0 <= value < _LIMIT:
            raise self.fail(f"{where}.{key}", f"{_show(value)}: out of range")
        return value


# daxctl prints a dax region's path under /sys/devices; a pmem namespace's static region
# is its nd_dax device, under the nvdimm region: .../ndbus0/region0/dax0.0
_PMEM_REGION_PATH_RE = re.compile(r"/ndbus[0-9]+/region[0-9]+(/|$)", re.ASCII)
_DAX_NAME_RE = re.compile(r"dax([0-9]+)\.([0-9]+)", re.ASCII)


def _pmem_namespace_of(dev: FoundDevice, m: re.Match[str], region_path: str) -> FoundDevice:
    """The devdax pmem namespace whose dax device ``dev`` (``daxR.I``) is: namespaceR.I
    (__dax_pmem_probe() in drivers/dax/pmem.c names the dax region and device after the
    namespace). daxctl shows its usable size and align, not its map."""
    return FoundDevice(
        f"namespace{m.group(1)}.{m.group(2)}",
        "ndctl",
        "devdax",
        None,
        dev.usable_bytes,
        dev.usable_exact,
        dev.align,
        dev.location,
        dax_devices=(dev,),
        pmem_region=region_path,
    )


# What cxl list prints (cxl/json.c, cxl/filter.c): objects keyed by their kind, and the
# containers it splices them into ("anon memdevs", "regions", "decoders:root0", ...).
_CXL_OBJECT_KEYS = ("memdev", "region", "decoder", "port", "endpoint", "bus")
_CXL_CONTAINERS = frozenset(
    {
        "anon memdevs",
        "memdevs",
        "buses",
        "ports",
        "endpoints",
        "root decoders",
        "port decoders",
        "endpoint decoders",
    }
)


def _cxl_key(obj: dict[str, Any]) -> str | None:
    """The key that makes ``obj`` a ``cxl list`` object or container, None if none does.

    ndctl and daxctl name their objects ``dev`` and ``chardev``; cxl list names them by
    kind (``memdev``, ``region``), and nests them in arrays named ``"<kind>s:<parent>"``.
    """
    for key in _CXL_OBJECT_KEYS:
        if isinstance(obj.get(key), str):
            return key
    for key in obj:
        if key in _CXL_CONTAINERS or ":" in key:
            return key
    regions = obj.get("regions")
    if (
        isinstance(regions, list)
        and regions
        and isinstance(regions[0], dict)
        and ("region" in regions[0])
    ):
        return "regions"
    return None


def _is_container(obj: dict[str, Any], name: str) -> bool:
    if any(k in obj for k in ("namespaces", "regions", "dimms")):
        return True
    return _CONTAINER_DEV_RE.fullmatch(name) is not None


def _load(text: str, source: str) -> object:
    body = text.removeprefix("\ufeff")
    if not body.strip():
        raise InputError(source, "no namespaces or dax devices found (the input is empty)")
    try:
        return json.loads(body, parse_int=_parse_int)
    except json.JSONDecodeError as e:
        hint = ""
        if e.msg == "Extra data":
            hint = " (more than one JSON document? give one ndctl or daxctl output per file)"
        raise InputError(
            source, f"not JSON: line {e.lineno} column {e.colno}: {e.msg}{hint}"
        ) from None
    except RecursionError:
        raise InputError(source, "not ndctl/daxctl JSON: nested too deeply") from None
    except ValueError as e:  # pragma: no cover - defensive: json.loads' other ValueErrors
        raise InputError(source, f"not JSON: {_clip(str(e))}") from None


def parse_ndctl_json(text: str, source: str) -> list[FoundDevice]:
    """The namespaces and dax devices in ndctl/daxctl JSON ``text``, in document order.

    ``source`` names where the text came from (an option or a file name); it prefixes every
    error message.
    """
    doc = _load(text, source)
    reader = _Reader(source)
    if isinstance(doc, list):
        for i, item in enumerate(doc):
            reader.item(item, f"[{i}]")
    elif isinstance(doc, dict):
        reader.item(doc, "$")
    else:
        raise InputError(
            source,
            f"top level: {_show(doc)}: expected a JSON array or object "
            "(the output of ndctl list or daxctl list)",
        )
    if not reader.found:
        hint = ""
        if reader.skipped:
            hint = (
                f" ({reader.skipped} region, bus or DIMM object(s) without namespaces or "
                "devices; list them with ndctl list -N or daxctl list)"
            )
        raise InputError(source, f"no namespaces or dax devices found{hint}")
    return reader.found
