"""``vmemplan explain``: draw the vmemmap of a device, a kmem hot-add or a HugeTLB pool the
way the kernel lays it out, with the figures of ``estimate --json`` / ``hugetlb --json``."""

from __future__ import annotations

from typing import Any

import click

from vmemplan.cli.app import EPILOG, cli
from vmemplan.cli.emit import _console, _emit, _escaped
from vmemplan.cli.options import (
    ALIGN_OPTION,
    DAX_RANGE_OPTION,
    MAP_OPTION,
    MEMMAP_ON_MEMORY_OPTION,
    MEMORY_BLOCK_SIZE_OPTION,
    MODE_OPTION,
    OUTPUT_OPTIONS,
    SIZE_OPTION,
    START_OPTION,
    VMEMMAP_SHIFT_OPTION,
    Choice,
    _machine_options,
    _options,
)
from vmemplan.errors import InputError

DRAWINGS = ("dedup", "altmap", "kmem", "hvo", "page-tables")


@cli.command("explain", epilog=EPILOG)
@_options(SIZE_OPTION, START_OPTION, ALIGN_OPTION, VMEMMAP_SHIFT_OPTION)
@_options(MAP_OPTION, MODE_OPTION, DAX_RANGE_OPTION)
@_options(MEMMAP_ON_MEMORY_OPTION, MEMORY_BLOCK_SIZE_OPTION)
@click.option(
    "--hugetlb",
    "pools",
    multiple=True,
    metavar="SIZE:COUNT",
    help="Draw HVO for a HugeTLB pool instead of a device: 1G:128 (as hugetlb --hugetlb); "
    "repeatable.",
)
@click.option("--hvo/--no-hvo", default=None, help="With --hugetlb: the HVO switch (default on).")
@click.option(
    "--config",
    metavar="FILE",
    help="A host config file (as `vmemplan check` reads): draw its device --name NAME, "
    "added after the devices the accounting adds before it.",
)
@click.option(
    "--from-ndctl",
    "ndctl_path",
    metavar="FILE",
    help="An ndctl/daxctl JSON dump ('-' reads stdin), as estimate --from-ndctl: draw its "
    "device --name NAME, after the devices added before it.",
)
@click.option(
    "--from-cxl",
    "cxl_path",
    metavar="FILE",
    help="A `cxl list` JSON dump ('-' reads stdin), as estimate --from-cxl: draw its "
    "device --name NAME.",
)
@click.option(
    "--iomem",
    "iomem_path",
    metavar="FILE",
    help="A /proc/iomem dump, as estimate --iomem: draw its device --name NAME.",
)
@click.option(
    "--root",
    metavar="DIR",
    help="A running host (/) or a snapshot of one (a directory or .tar.gz, as `vmemplan "
    "inspect --root` reads it): draw its device --name NAME.",
)
@click.option(
    "--name",
    "device",
    metavar="NAME",
    help="With --config, --root, --from-ndctl, --from-cxl or --iomem: the name of the device "
    "to draw.",
)
@click.option(
    "--drawing",
    "drawings",
    multiple=True,
    type=Choice(list(DRAWINGS)),
    help="Only this drawing (repeatable): dedup (compound pages and the chunks of the "
    "pgmap), altmap (map=dev), kmem (--mode system-ram), hvo (--hugetlb), page-tables. "
    "Default: every one that applies. --json always has them all.",
)
@_machine_options()
@OUTPUT_OPTIONS
def explain_cmd(**opts: Any) -> None:
    """Draw what the accounting did: compound pages and their vmemmap pages (which are
    kept, which remapped to the tail page), the map=dev altmap, the memory blocks of a
    kmem hot-add, one HugeTLB folio before and after HVO, and the page tables.

    Every figure is the one `estimate --json` (`--mode system-ram`, or `hugetlb --json`
    with --hugetlb) gives for the same options.
    """
    as_json, color = opts.pop("as_json") | opts.pop("human"), opts.pop("color")
    which = opts.pop("drawings")
    pools, hvo = opts.pop("pools"), opts.pop("hvo")
    config, device, root = opts.pop("config"), opts.pop("device"), opts.pop("root")
    ndctl_path, iomem_path = opts.pop("ndctl_path"), opts.pop("iomem_path")
    cxl_path = opts.pop("cxl_path")
    mom, block = opts.pop("memmap_on_memory"), opts.pop("memory_block_size")
    dumps = {"--from-ndctl": ndctl_path, "--from-cxl": cxl_path, "--iomem": iomem_path}
    given = [option for option, path in dumps.items() if path is not None]
    if config is not None and root is not None:
        raise InputError("--root", "not with --config: give one source of devices")
    if config is not None or root is not None:
        option = "--config" if config is not None else "--root"
        if given:
            raise InputError(given[0], f"not with {option}: give one source of devices")
        doc = _host_file_doc(option, config or root, device, pools, hvo, mom, block)
    elif given:
        if pools or hvo is not None:
            raise InputError("--hugetlb", f"not with {given[0]}: draw one device")
        doc = _dump_doc(opts, (ndctl_path, cxl_path, iomem_path), device, mom, block)
    elif device is not None:
        raise InputError(
            "--name", f"{device}: only with --config, --root, --from-ndctl, --from-cxl or --iomem"
        )
    elif pools:
        if mom is not None or block is not None:
            option = "--memmap-on-memory" if mom is not None else "--memory-block-size"
            raise InputError(option, "not with --hugetlb: it draws a HugeTLB pool on boot RAM")
        doc = _hugetlb_doc(pools, hvo, opts)
    elif hvo is not None:
        raise InputError("--hvo" if hvo else "--no-hvo", "only with --hugetlb")
    else:
        doc = _device_doc(opts, mom, block)
    _check_drawings(which, doc)
    if as_json:
        _emit(doc, as_json, color, "render_explain")
        return
    from vmemplan.output.render.explain import render_explain  # noqa: PLC0415

    render_explain(_console(color), _escaped(doc), set(which))


def _check_drawings(which: tuple[str, ...], doc: dict[str, Any]) -> None:
    for name in which:
        if doc["drawings"][name.replace("-", "_")] is None:
            why = {
                "dedup": "a namespace or dax device (not --mode system-ram or --hugetlb)",
                "altmap": "a --map dev namespace",
                "kmem": "--mode system-ram",
                "hvo": "--hugetlb",
                "page-tables": "a namespace, dax device or --mode system-ram",
            }[name]
            raise InputError("--drawing", f"{name}: only for {why}")


def _device_doc(opts: dict[str, Any], mom: str | None, block: str | None) -> dict[str, Any]:
    from vmemplan.cli.parse import (  # noqa: PLC0415
        _is_system_ram,
        build_request,
        build_system_ram_host,
    )

    if _is_system_ram(opts["mode"]):
        from vmemplan.explain.layout import KmemExplanation, explain_host_device  # noqa: PLC0415
        from vmemplan.host.accounting import device_name  # noqa: PLC0415
        from vmemplan.output.explain_report import system_ram_explain_doc  # noqa: PLC0415

        ctx = click.get_current_context()
        namespace = any(
            ctx.get_parameter_source(name) != click.core.ParameterSource.DEFAULT
            for name in ("map_", "align")
        )
        # the host `estimate --mode system-ram` costs: one dax device bound to kmem
        host = build_system_ram_host(opts, mom, block, namespace=namespace)
        (device,) = host.devices
        x = explain_host_device(host, device_name(device))
        assert isinstance(x, KmemExplanation)
        return system_ram_explain_doc(x)
    why = "only with --mode system-ram"
    if mom is not None:
        raise InputError("--memmap-on-memory", why)
    if block is not None:
        raise InputError("--memory-block-size", why)
    from vmemplan.explain.layout import explain_device  # noqa: PLC0415
    from vmemplan.output.explain_report import device_explain_doc  # noqa: PLC0415

    if opts["size"] is None and not opts["dax_ranges"]:
        raise InputError("--size", "missing: give --size, --dax-range or --hugetlb")
    return device_explain_doc(explain_device(build_request(**opts)))


# The options of a device: refused with --hugetlb (they would change nothing).
_DEVICE_ONLY = {
    "size": "--size",
    "start": "--start",
    "align": "--align",
    "vmemmap_shift": "--vmemmap-shift",
    "dax_ranges": "--dax-range",
    "system_ram": "--system-ram",
    "counters": "--counters",
    "early_init_fix": "--early-init-fix",
    "dedup_keep": "--dedup-keep",
    "ns_per_page": "--ns-per-page",
    "linear_map": "--linear-map",
    "kernel_switch": "--kernel-switch",
}


def _hugetlb_doc(pools: tuple[str, ...], hvo: bool | None, opts: dict[str, Any]) -> dict[str, Any]:
    from vmemplan.explain.layout import hvo_layout  # noqa: PLC0415
    from vmemplan.hugetlb import hugetlb_doc, hugetlb_pools  # noqa: PLC0415
    from vmemplan.kernel.arch import get_arch  # noqa: PLC0415
    from vmemplan.kernel.versions import kernel_profile, parse_kernel_release  # noqa: PLC0415
    from vmemplan.output.explain_report import hugetlb_explain_doc  # noqa: PLC0415
    from vmemplan.sources.cmdline import parse_pages_option  # noqa: PLC0415
    from vmemplan.units import parse_size  # noqa: PLC0415

    ctx = click.get_current_context()
    for name, option in _DEVICE_ONLY.items():
        if opts.get(name):
            raise InputError(option, "not with --hugetlb: it draws a HugeTLB pool")
    for name, option in (("map_", "--map"), ("mode", "--mode")):
        if ctx.get_parameter_source(name) != click.core.ParameterSource.DEFAULT:
            raise InputError(option, "not with --hugetlb: it draws a HugeTLB pool")
    if opts.get("no_gbpages"):
        raise InputError("--no-gbpages", "not with --hugetlb: it draws a HugeTLB pool")
    arch = get_arch(opts["arch"])
    kernel = kernel_profile(parse_kernel_release(opts["kernel"]))
    s = arch.struct_page_size
    if opts["struct_page_size"] is not None:
        s = parse_size(opts["struct_page_size"], "--struct-page-size")
        if s == 0:
            raise InputError(
                "--struct-page-size", f"{opts['struct_page_size']!r}: must be positive"
            )
    parsed = [pool for text in pools for pool in parse_pages_option(text, "--hugetlb", arch.name)]
    keys = [(p.folio_bytes, p.node) for p in parsed]
    if len(set(keys)) != len(keys):
        raise InputError("--hugetlb", "the same huge page size (and node) is given twice")
    enabled = True if hvo is None else hvo
    results = hugetlb_pools(arch, kernel, parsed, hvo_enabled=enabled, struct_page_size=s)
    base = hugetlb_doc(arch, kernel, results, hvo_enabled=enabled, struct_page_size=s)
    return hugetlb_explain_doc(base, [hvo_layout(arch, s, r) for r in results], arch)


def _host_file_doc(
    option: str,
    path: str,
    device: str | None,
    pools: tuple[str, ...],
    hvo: bool | None,
    mom: str | None,
    block: str | None,
) -> dict[str, Any]:
    """``explain --config FILE --name NAME`` (one device of the file's host) or ``explain
    --root DIR --name NAME`` (one device of the host ``inspect --root DIR`` reads)."""
    ctx = click.get_current_context()
    given = [
        param
        for param in ctx.command.params
        if isinstance(param, click.Option)
        and param.name
        not in (
            "config",
            "root",
            "device",
            "as_json",
            "human",
            "color",
            "drawings",
            "ndctl_path",
            "iomem_path",
        )
        and ctx.get_parameter_source(param.name or "") != click.core.ParameterSource.DEFAULT
    ]
    if given or pools or hvo is not None or mom is not None or block is not None:
        culprit = given[0].opts[-1] if given else "--hugetlb"
        what = "the file" if option == "--config" else "the tree"
        raise InputError(culprit, f"not with {option}: {what} describes the host")
    if option == "--config":
        from vmemplan.sources.config.host import config_file_host  # noqa: PLC0415

        return _host_device_doc(config_file_host(path).host, device, path)
    from vmemplan.sources.live import read_live  # noqa: PLC0415
    from vmemplan.sources.live.tree import open_tree  # noqa: PLC0415

    return _host_device_doc(read_live(open_tree(path)).host, device, path)


def _host_device_doc(host: Any, device: str | None, where: str) -> dict[str, Any]:
    """The explain document of the device called ``device`` of ``host`` (the only one
    when None)."""
    from vmemplan.explain.layout import DeviceExplanation, explain_host_device  # noqa: PLC0415
    from vmemplan.host.accounting import device_name  # noqa: PLC0415
    from vmemplan.output.explain_report import (  # noqa: PLC0415
        device_explain_doc,
        system_ram_explain_doc,
    )

    if device is None:
        names = [device_name(d) for d in host.devices]
        if len(names) != 1:
            known = ", ".join(names) or "none"
            raise InputError("--name", f"missing: name the device of {where} to draw ({known})")
        device = names[0]
    x = explain_host_device(host, device)
    if isinstance(x, DeviceExplanation):
        return device_explain_doc(x)
    return system_ram_explain_doc(x, device)


# The device options: a dump gives the devices.
_DUMP_REFUSES = {
    "size": "--size",
    "start": "--start",
    "align": "--align",
    "vmemmap_shift": "--vmemmap-shift",
    "dax_ranges": "--dax-range",
}


def _dump_doc(
    opts: dict[str, Any],
    paths: tuple[str | None, str | None, str | None],
    device: str | None,
    mom: str | None,
    block: str | None,
) -> dict[str, Any]:
    """``explain --from-ndctl FILE`` / ``--from-cxl FILE`` / ``--iomem FILE``: one device of
    the dump's host (``paths``: the ndctl, cxl and iomem dumps, None where not given)."""
    ndctl_path, cxl_path, iomem_path = paths
    from vmemplan.cli.dumps import discover_account  # noqa: PLC0415
    from vmemplan.cli.parse import _kmem_options  # noqa: PLC0415

    ctx = click.get_current_context()
    for name, option in _DUMP_REFUSES.items():
        if opts[name]:
            raise InputError(option, "not with a dump: the dump has the devices")
    for name, option in (("map_", "--map"), ("mode", "--mode")):
        if ctx.get_parameter_source(name) != click.core.ParameterSource.DEFAULT:
            raise InputError(option, "not with a dump: the dump says it")
    machine = {k: v for k, v in opts.items() if k not in ("map_", "mode")}
    acc, _ = discover_account(
        machine, ndctl_path, iomem_path, _kmem_options(mom, block), (), cxl_path=cxl_path
    )
    where = next(path for path in paths if path is not None)
    return _host_device_doc(acc.host, device, "<stdin>" if where == "-" else str(where))
