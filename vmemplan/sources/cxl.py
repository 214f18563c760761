"""Read the JSON ``cxl list`` (cxl-cli, pmem/ndctl) and ``cxl create-region`` print.

Pure: the caller reads the file (capped) and passes its text. The nesting depends on the
options (``cxl list -vvv`` nests decoders under buses and ports, regions under their root
decoder as ``"regions:decoder0.0"``, memdevs under endpoints; ``cxl list -R`` is a flat
array; ``cxl create-region`` prints one bare region object), so the reader does not
depend on it (spec cxl.md section 8.3): it walks every object and array, without
recursion (a hostile document nested deeply costs a loop, not the stack), and classifies
each object by its keys, in cxl/filter.c's order of precedence. A region's window is the
root decoder whose ``"regions:<decoder>"`` array holds it, or that names it in its
``region`` key.

Values are JSON integers, or ``cxl list -u`` strings: ``"0xf010000000"`` and
``"512.00 MiB (536.87 MB)"`` (rounded to two decimals: read back to the nearest 256 MiB,
the CXL decode granularity, and flagged inexact). Every problem is one
:class:`~vmemplan.errors.InputError` naming the file and the JSON path of the key.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from vmemplan.errors import InputError
from vmemplan.excerpt import escape, excerpt, key_excerpt
from vmemplan.units import MiB

OPTION = "--from-cxl"
_LIMIT = 1 << 64
_MAX_INT_DIGITS = 24
_MAX_TEXT = 64
_PATH_SHOWN = 200
# A -u size is rounded by cxl-cli; CXL decoders decode in multiples of 256 MiB (SZ_256M).
CXL_DECODE_GRANULE = 256 * MiB
_IEC_SHIFT = {"K": 10, "M": 20, "G": 30, "T": 40, "P": 50, "E": 60}
_HUMAN_RE = re.compile(
    r"(?P<num>[0-9]{1,20}(?:\.[0-9]{1,20})?) ?(?P<unit>[KMGTPE])iB"
    r"(?: ?\( ?[0-9]{1,20}(?:\.[0-9]{1,20})? ?[KMGTPE]B ?\))?",
    re.ASCII,
)
_HEX_RE = re.compile(r"0[xX][0-9a-fA-F]{1,16}", re.ASCII)
_REGION_ID_RE = re.compile(r"region([0-9]{1,9})", re.ASCII)
# a JSON key: where a truncated document stopped (searched in its last 4 KiB only)
_KEY_RE = re.compile(r'"([^"\\\n]{1,64})"\s*:')


@dataclass(frozen=True)
class CxlDaxDevice:
    """A dax device under a RAM region's ``daxregion`` (``cxl list -X``)."""

    name: str  # chardev, "dax0.0"
    size_bytes: int | None
    mode: str | None  # "system-ram" (kmem) or "devdax"; None: not printed
    target_node: int | None
    total_memblocks: int | None
    online_memblocks: int | None
    location: str


@dataclass(frozen=True)
class CxlRegion:
    """A region: ``[start, start + size)`` in host physical address space."""

    name: str
    region_id: int | None
    start: int | None  # None: not printed (unallocated)
    size_bytes: int | None
    size_exact: bool
    type: str | None  # "ram" | "pmem"; None: cxl-cli printed none
    interleave_ways: int | None
    decode_state: str | None  # "commit" | "reset"
    window: str | None  # the root decoder it sits in
    dax_devices: tuple[CxlDaxDevice, ...]
    has_daxregion: bool
    location: str

    @property
    def end(self) -> int | None:
        """The end of the region (exclusive), when both start and size are known."""
        if self.start is None or self.size_bytes is None:
            return None
        return self.start + self.size_bytes


@dataclass(frozen=True)
class CxlDecoder:
    """A decoder: a root decoder (a CFMWS window), a switch or an endpoint decoder."""

    name: str
    role: str  # "root", "switch" or "endpoint"
    start: int | None  # None: not printed (cxl list as non-root cannot read it)
    size_bytes: int | None
    region: str | None
    mode: str | None  # endpoint decoders: ram, pmem, mixed, none
    location: str


@dataclass(frozen=True)
class CxlMemdev:
    """A memory device (``mem0``): its capacity per partition."""

    name: str
    ram_size_bytes: int | None
    pmem_size_bytes: int | None
    numa_node: int | None
    location: str


@dataclass(frozen=True)
class CxlListing:
    """What a ``cxl list`` document holds, in document order, each object once."""

    regions: tuple[CxlRegion, ...]
    decoders: tuple[CxlDecoder, ...]
    memdevs: tuple[CxlMemdev, ...]
    approximate: tuple[str, ...]  # locations of -u sizes read back to the granule


class _Huge:
    """A JSON integer literal too long to convert."""

    def __init__(self, text: str) -> None:
        self.text = text


def _parse_int(text: str) -> int | _Huge:
    return _Huge(text) if len(text) > _MAX_INT_DIGITS else int(text)


def _show(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, _Huge):
        return excerpt(value.text)
    if isinstance(value, int | float):
        return excerpt(repr(value))
    if isinstance(value, str):
        return key_excerpt(value)
    if isinstance(value, list):
        return f"an array of {len(value)} item{'s' if len(value) != 1 else ''}"
    if isinstance(value, dict):
        return "an object" if value else "an empty object"
    return type(value).__name__


def _key(key: str) -> str:
    """A key as a JSON path shows it: plain when it is a cxl-cli name, else escaped."""
    if re.fullmatch(r"[a-z_ ]{1,24}(:[a-z0-9.]{1,24})?", key, re.ASCII):
        return f".{key}" if " " not in key else f"[{key!r}]"
    return f"[{key_excerpt(key)}]"


class _Reader:
    def __init__(self, path: str) -> None:
        self.path = escape(path[:_PATH_SHOWN]) + ("..." if len(path) > _PATH_SHOWN else "")
        self.regions: list[CxlRegion] = []
        self.decoders: list[CxlDecoder] = []
        self.memdevs: list[CxlMemdev] = []
        self.approximate: list[str] = []

    def fail(self, where: str, message: str) -> InputError:
        return InputError(OPTION, f"{self.path}: {where}: {message}")

    def number(
        self, obj: dict[str, Any], key: str, where: str, *, size: bool = False
    ) -> int | None:
        """``obj[key]`` as bytes or an address (None when absent)."""
        if key not in obj:
            return None
        value, at = obj[key], f"{where}.{key}"
        if isinstance(value, bool) or value is None or isinstance(value, list | dict | float):
            raise self.fail(at, f"{_show(value)}: expected a whole number")
        if isinstance(value, _Huge):
            raise self.fail(at, f"{_show(value)}: out of range")
        if isinstance(value, int):
            if not 0 <= value < _LIMIT:
                raise self.fail(at, f"{_show(value)}: out of range (0 to 2^64)")
            return value
        assert isinstance(value, str)
        text = value.strip()
        if len(text) > _MAX_TEXT:
            raise self.fail(at, f"{_show(value)}: too long to be a number")
        if _HEX_RE.fullmatch(text):
            return int(text, 16)
        if text.isdigit() and len(text) <= 20:
            return self.number({key: int(text)}, key, where)
        m = _HUMAN_RE.fullmatch(text)
        if m is not None and size:
            exact = Fraction(m.group("num")) * (1 << _IEC_SHIFT[m.group("unit")])
            granules = round(exact / CXL_DECODE_GRANULE)
            self.approximate.append(at)
            return granules * CXL_DECODE_GRANULE
        raise self.fail(at, f"{_show(value)}: expected a number (bytes, or 0x hex)")

    def count(self, obj: dict[str, Any], key: str, where: str) -> int | None:
        """A small count or node number (``target_node`` may be -1: None)."""
        value = obj.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or value >= _LIMIT:
            raise self.fail(f"{where}.{key}", f"{_show(value)}: expected a whole number")
        return None if value < 0 else value

    def name(self, obj: dict[str, Any], key: str, where: str) -> str:
        value = obj[key]
        if not isinstance(value, str) or not value.strip() or len(value) > _MAX_TEXT:
            raise self.fail(f"{where}.{key}", f"{_show(value)}: expected a device name")
        return value

    def text(self, obj: dict[str, Any], key: str, where: str) -> str | None:
        value = obj.get(key)
        if value is None:
            return None
        if not isinstance(value, str) or len(value) > _MAX_TEXT:
            raise self.fail(f"{where}.{key}", f"{_show(value)}: expected a short string")
        return value

    # -- objects ------------------------------------------------------------------------

    def region(self, obj: dict[str, Any], where: str, window: str | None) -> None:
        name = self.name(obj, "region", where)
        m = _REGION_ID_RE.fullmatch(name)
        kind = self.text(obj, "type", where)
        if kind is not None and kind not in ("ram", "pmem"):
            raise self.fail(f"{where}.type", f"{_show(kind)}: expected ram or pmem")
        n_approx = len(self.approximate)
        size = self.number(obj, "size", where, size=True)
        devices: list[CxlDaxDevice] = []
        daxregion = obj.get("daxregion")
        if daxregion is not None:
            at = f"{where}.daxregion"
            if not isinstance(daxregion, dict):
                raise self.fail(at, f"{_show(daxregion)}: expected an object")
            raw = daxregion.get("devices", [])
            if not isinstance(raw, list):
                raise self.fail(f"{at}.devices", f"{_show(raw)}: expected an array")
            for i, dev in enumerate(raw):
                devices.append(self.dax_device(dev, f"{at}.devices[{i}]"))
        self.regions.append(
            CxlRegion(
                name=name,
                region_id=int(m.group(1)) if m else None,
                start=self.number(obj, "resource", where),
                size_bytes=size,
                size_exact=len(self.approximate) == n_approx,
                type=kind,
                interleave_ways=self.count(obj, "interleave_ways", where),
                decode_state=self.text(obj, "decode_state", where),
                window=window,
                dax_devices=tuple(devices),
                has_daxregion=daxregion is not None,
                location=where,
            )
        )

    def dax_device(self, obj: object, where: str) -> CxlDaxDevice:
        if not isinstance(obj, dict) or "chardev" not in obj:
            raise self.fail(where, f"{_show(obj)}: expected a dax device (with a 'chardev' key)")
        mode = self.text(obj, "mode", where)
        if mode is not None and mode not in ("system-ram", "devdax"):
            raise self.fail(f"{where}.mode", f"{_show(mode)}: expected system-ram or devdax")
        online = self.count(obj, "online_memblocks", where)
        total = self.count(obj, "total_memblocks", where)
        if online is not None and total is not None and online > total:
            raise self.fail(f"{where}.online_memblocks", f"{online}: more than total {total}")
        return CxlDaxDevice(
            name=self.name(obj, "chardev", where),
            size_bytes=self.number(obj, "size", where, size=True),
            mode=mode,
            target_node=self.count(obj, "target_node", where),
            total_memblocks=total,
            online_memblocks=online,
            location=where,
        )

    def decoder(self, obj: dict[str, Any], where: str, parent: str | None) -> None:
        name = self.name(obj, "decoder", where)
        if any(k in obj for k in ("dpa_size", "dpa_resource")) or (
            parent is not None and parent.startswith("endpoint")
        ):
            role = "endpoint"
        elif (parent is not None and parent.startswith("root")) or any(
            k in obj for k in ("volatile_capable", "pmem_capable", "max_available_extent")
        ):
            role = "root"
        else:
            role = "switch"
        region = self.text(obj, "region", where)
        self.decoders.append(
            CxlDecoder(
                name=name,
                role=role,
                start=self.number(obj, "resource", where),
                size_bytes=self.number(obj, "size", where, size=True),
                region=region,
                mode=self.text(obj, "mode", where),
                location=where,
            )
        )

    def memdev(self, obj: dict[str, Any], where: str) -> None:
        self.memdevs.append(
            CxlMemdev(
                name=self.name(obj, "memdev", where),
                ram_size_bytes=self.number(obj, "ram_size", where, size=True),
                pmem_size_bytes=self.number(obj, "pmem_size", where, size=True),
                numa_node=self.count(obj, "numa_node", where),
                location=where,
            )
        )

    def walk(self, doc: object) -> None:
        """Classify every object of ``doc`` (spec cxl.md section 8.3), in document order."""
        # (value, JSON path, the device name of the enclosing "<type>:<devname>" array)
        stack: list[tuple[object, str, str | None]] = [
            (doc, "$" if isinstance(doc, dict) else "", None)
        ]
        while stack:
            value, where, parent = stack.pop()
            children: list[tuple[object, str, str | None]] = []
            if isinstance(value, list):
                children = [(v, f"{where}[{i}]", parent) for i, v in enumerate(value)]
            elif isinstance(value, dict):
                skip = self.classify(value, where, parent)
                for key, child in value.items():
                    if key in skip or not isinstance(child, list | dict):
                        continue
                    if not isinstance(key, str):  # pragma: no cover - JSON keys are strings
                        continue
                    _, colon, devname = key.partition(":")
                    children.append((child, f"{where}{_key(key)}", devname if colon else parent))
            else:
                raise self.fail(
                    where or "top level", f"{_show(value)}: expected an object or array"
                )
            stack.extend(reversed(children))

    def classify(self, obj: dict[str, Any], where: str, parent: str | None) -> set[str]:
        """Read ``obj`` if it is a cxl-cli object; the keys not to walk into."""
        if "position" in obj:
            return set(obj)  # a region mapping or decoder target
        if "decode_state" in obj or (
            "region" in obj
            and isinstance(obj["region"], str)
            and "decoder" not in obj
            and any(k in obj for k in ("resource", "size", "type", "interleave_ways"))
        ):
            window = parent if parent is not None and parent.startswith("decoder") else None
            self.region(obj, where, window)
            return {"daxregion", "mappings", "targets"}
        if "decoder" in obj:
            self.decoder(obj, where, parent)
            return {"targets"}
        if any(k in obj for k in ("endpoint", "port", "bus", "dport")):
            return {"dports"}
        if "chardev" in obj:
            return set(obj)  # a dax device outside a region: daxctl's, not cxl list's
        if isinstance(obj.get("memdev"), str):
            self.memdev(obj, where)
            return set(obj)
        return set()


def _load(text: str, path: str) -> object:
    body = text.removeprefix("\ufeff")
    shown = escape(path[:_PATH_SHOWN])
    if not body.strip():
        raise InputError(OPTION, f"{shown}: empty: expected the JSON cxl list prints")
    try:
        return json.loads(body, parse_int=_parse_int)
    except json.JSONDecodeError as e:
        what = "truncated" if e.pos >= len(body.rstrip()) else "not JSON"
        keys = _KEY_RE.findall(body, max(0, e.pos - 4096), e.pos)
        key = f" after key {key_excerpt(keys[-1])}" if keys else ""
        raise InputError(
            OPTION, f"{shown}: {what}{key}: line {e.lineno} column {e.colno}: {e.msg}"
        ) from None
    except RecursionError:
        raise InputError(OPTION, f"{shown}: not cxl list JSON: nested too deeply") from None


def parse_cxl_list(text: str, path: str) -> CxlListing:
    """The regions, decoders and memdevs of ``cxl list`` JSON ``text`` (read from ``path``)."""
    doc = _load(text, path)
    reader = _Reader(path)
    if not isinstance(doc, list | dict):
        raise reader.fail("top level", f"{_show(doc)}: expected a JSON array or object (cxl list)")
    reader.walk(doc)
    if not (reader.regions or reader.decoders or reader.memdevs):
        raise reader.fail(
            "top level",
            "no CXL region, decoder or memdev found (not cxl list output? "
            "ndctl/daxctl output goes to --from-ndctl)",
        )
    return CxlListing(
        tuple(reader.regions),
        tuple(reader.decoders),
        tuple(reader.memdevs),
        tuple(reader.approximate),
    )
