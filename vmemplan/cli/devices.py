"""``host --device``: a device spelled as ``estimate`` takes one (its options, as flags in
one argument or as the JSON object of a ``--batch`` line), parsed and checked by the same
code as ``estimate``, on the machine ``host``'s own options describe.

The first spellings of ``host`` (``--devdax SIZE[:ALIGN][@START]``, ``--kmem
SIZE[:off|on|force][@START]``) are read as the ``--device`` they mean.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from vmemplan.errors import InputError
from vmemplan.units import quote_value

if TYPE_CHECKING:
    from vmemplan.host.description import Device
    from vmemplan.host.summary import DeviceMaker

# the options that describe a device; the others of estimate describe the machine
DEVICE_KEYS = frozenset(
    {"size", "start", "align", "vmemmap_shift", "map_", "mode", "dax_ranges", "memmap_on_memory"}
)
# host's machine options, as estimate names them
_MACHINE_KEYS = ("arch", "kernel", "struct_page_size")


def as_ranges(system_ram: tuple[str, ...]) -> tuple[str, ...]:
    """``host``'s --system-ram values as estimate's --system-ram reads them: a bare size is
    boot RAM from 0 (``512G`` is ``0+512G``)."""
    return tuple(t if any(sep in t for sep in ("-", "+", "..")) else f"0+{t}" for t in system_ram)


def device_makers(
    texts: tuple[str, ...],
    devdax: tuple[str, ...],
    kmem: tuple[str, ...],
    host_opts: dict[str, Any],
) -> tuple[DeviceMaker, ...]:
    """One maker per device, in the order given (``--device`` first, then the old
    ``--devdax`` and ``--kmem`` spellings): ``make(start)`` is the device, at ``start``
    when it was given none (the host places it)."""
    from vmemplan.batch import parse_line  # noqa: PLC0415
    from vmemplan.cli.estimate import _batch_line_options, line_defaults  # noqa: PLC0415

    flags, keys = _batch_line_options()
    defaults = line_defaults()
    machine = {key: host_opts[key] for key in _MACHINE_KEYS}
    machine["system_ram"] = as_ranges(host_opts["system_ram"])
    out: list[DeviceMaker] = []
    for i, text in enumerate(texts):
        given = parse_line(text, flags, keys, f"--device #{i + 1}")
        out.append(_maker(f"--device #{i + 1}", given, {**defaults, **machine}))
    for i, text in enumerate(devdax):
        out.append(_maker(f"--devdax #{i + 1}", _devdax(text), {**defaults, **machine}))
    for i, text in enumerate(kmem):
        out.append(_maker(f"--kmem #{i + 1}", _kmem(text), {**defaults, **machine}))
    return tuple(out)


def _maker(name: str, given: dict[str, Any], base: dict[str, Any]) -> DeviceMaker:
    from vmemplan.host.summary import DeviceMaker  # noqa: PLC0415

    for key in given:
        if key not in DEVICE_KEYS:
            flag = "--" + key.rstrip("_").replace("_", "-")
            raise InputError(
                name, f"{flag} describes the machine, not a device: give it to `vmemplan host`"
            )
    if given.get("size") is None and not given.get("dax_ranges"):
        raise InputError(name, "--size missing: give --size (or --dax-range)")

    def make(start: int | None) -> Device:
        line = {**base, **given}
        if start is not None:
            line["start"] = f"{start:#x}"
        try:
            return _device(name, line, given)
        except InputError as err:
            raise InputError(name, str(err)) from None

    return DeviceMaker(name, "start" in given or bool(given.get("dax_ranges")), make)


def _device(name: str, line: dict[str, Any], given: dict[str, Any]) -> Device:
    """The one device of the host ``estimate`` would cost for ``line``, named ``name``."""
    from vmemplan.cli.parse import _is_system_ram, build_host, build_system_ram_host  # noqa: PLC0415
    from vmemplan.host.description import PmemNamespace  # noqa: PLC0415

    mom, _ = line.pop("memmap_on_memory"), line.pop("memory_block_size")
    if _is_system_ram(line["mode"]):
        namespace = "map_" in given or "align" in given
        (device,) = build_system_ram_host(line, mom, None, namespace=namespace).devices
    else:
        if mom is not None:
            raise InputError("--memmap-on-memory", "only with --mode system-ram")
        (device,) = build_host(**line).devices
    if isinstance(device, PmemNamespace) and device.dax is not None:
        return device._replace(name=name, dax=device.dax._replace(name=name))
    return device._replace(name=name)


def _split_at(text: str) -> tuple[str, str | None]:
    body, sep, where = text.partition("@")
    return (body, where) if sep else (body, None)


def _devdax(text: str) -> dict[str, Any]:
    """``--devdax SIZE[:ALIGN][@START]``: ``--device '--size SIZE --align ALIGN --start START'``."""
    body, start = _split_at(text)
    size, _, align = body.partition(":")
    given: dict[str, Any] = {"size": size}
    if align:
        given["align"] = align
    if start is not None:
        given["start"] = start
    return given


def _kmem(text: str) -> dict[str, Any]:
    """``--kmem SIZE[:MOM][@START]``: ``--device '--size SIZE --mode system-ram
    --memmap-on-memory MOM --start START'`` (MOM: off, on or force; default off)."""
    body, start = _split_at(text)
    from vmemplan.system_ram import MEMMAP_ON_MEMORY_CHOICES  # noqa: PLC0415

    size, _, mom = body.partition(":")
    choice = mom.strip().lower() or "off"
    if choice not in MEMMAP_ON_MEMORY_CHOICES:
        raise InputError("--kmem", f"{quote_value(text)}: memmap_on_memory is not off, on or force")
    given: dict[str, Any] = {"size": size, "mode": "system-ram", "memmap_on_memory": choice}
    if start is not None:
        given["start"] = start
    return given
