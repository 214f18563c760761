"""``vmemplan host``: a whole host's struct page memory."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from vmemplan.cli.app import EPILOG, cli
from vmemplan.cli.emit import _emit
from vmemplan.cli.options import OUTPUT_OPTIONS, SMALL_MACHINE_OPTIONS

if TYPE_CHECKING:  # compare/plan/check only: `estimate --json` start-up does not pay for them
    pass


@cli.command("host", epilog=EPILOG)
@click.option(
    "--system-ram",
    multiple=True,
    metavar="SIZE|RANGE",
    help="Boot System RAM: a size (from 0) or START-END / START+SIZE; repeatable. Required.",
)
@click.option("--boot-ram", "boot_ram", multiple=True, hidden=True)  # the old name of --system-ram
@click.option(
    "--hugetlb",
    multiple=True,
    metavar="SIZE:COUNT",
    help="A HugeTLB pool (1G:512, 1G:0:256,1:256).",
)
@click.option("--hvo/--no-hvo", default=True, show_default=True, help="HVO for the pools.")
@click.option(
    "--device",
    "devices",
    multiple=True,
    metavar="OPTIONS",
    help="A device as `estimate` takes one, in one argument: '--size 1T --align 1G' "
    "(--start, --map, --mode devdax|fsdax|system-ram, --memmap-on-memory, --dax-range, "
    '--vmemmap-shift), or the same as a JSON object (\'{"size": "1T"}\', as a --batch '
    "line); repeatable. One without --start or --dax-range is placed above boot RAM and "
    "the devices before it.",
)
# the first spellings of --device: --devdax SIZE[:ALIGN][@START], --kmem SIZE[:MOM][@START]
@click.option("--devdax", multiple=True, hidden=True)
@click.option("--kmem", multiple=True, hidden=True)
@click.option("--memory-block-size", metavar="SIZE", help="memory_block_size_bytes() override.")
@click.option(
    "--config",
    metavar="FILE",
    help="A host config file (as `vmemplan check` reads): its [host], [[namespaces]] of "
    "every mode and [[hugetlb]] pools, instead of the options above.",
)
@click.option(
    "--from-ndctl",
    "ndctl_path",
    metavar="FILE",
    help="An `ndctl list -NX` or `daxctl list` dump: its namespaces and dax devices (of "
    "every mode) instead of --devdax/--kmem; '-' reads stdin.",
)
@click.option(
    "--from-cxl",
    "cxl_path",
    metavar="FILE",
    help="A `cxl list` dump: its CXL regions' dax devices as the kernel's CXL rules make "
    "them; with --from-ndctl/--iomem of the same host each device is counted once.",
)
@click.option(
    "--memmap-on-memory",
    "mom",
    metavar="off|on|force",
    help="With --from-ndctl/--iomem: memory_hotplug.memmap_on_memory for the dump's kmem "
    "devices (default: what the dump shows, else off).",
)
@click.option(
    "--iomem",
    "iomem_path",
    metavar="FILE",
    help="A /proc/iomem dump: boot RAM (unless --system-ram) and its pmem and kmem ranges.",
)
@click.option(
    "--lsmem",
    "lsmem_path",
    metavar="FILE",
    help="`lsmem` output (the default columns, or -o RANGE,SIZE,STATE,BLOCK,NODE,ZONES): its "
    "memory blocks as the boot RAM (unless --system-ram) and their size (unless "
    "--memory-block-size); '-' reads stdin.",
)
@SMALL_MACHINE_OPTIONS
@OUTPUT_OPTIONS
def host_cmd(**opts: Any) -> None:
    """What struct pages cost on the whole host: boot RAM, HugeTLB, devdax, System RAM."""
    from vmemplan.errors import InputError  # noqa: PLC0415
    from vmemplan.host.summary import host_command  # noqa: PLC0415

    opts["system_ram"] = opts["system_ram"] + opts.pop("boot_ram")
    as_json, color = opts.pop("as_json") | opts.pop("human"), opts.pop("color")
    ndctl_path, iomem_path = opts.pop("ndctl_path"), opts.pop("iomem_path")
    cxl_path = opts.pop("cxl_path")
    lsmem_path = opts.pop("lsmem_path")
    if lsmem_path is not None:
        if ndctl_path is not None or iomem_path is not None or cxl_path or opts["config"]:
            raise InputError(
                "--lsmem",
                "not with --from-ndctl, --from-cxl, --iomem or --config: lsmem cannot tell "
                "their kmem blocks from boot RAM (give the boot RAM with --system-ram)",
            )
        if opts.pop("mom") is not None:
            raise InputError("--memmap-on-memory", "only with --from-ndctl, --from-cxl or --iomem")
        _emit(_host_from_lsmem(opts, lsmem_path), as_json, color, "render_host")
        return
    if ndctl_path is None and iomem_path is None and cxl_path is None:
        if opts.pop("mom") is not None:
            raise InputError(
                "--memmap-on-memory",
                "only with --from-ndctl, --from-cxl or --iomem (a --device gives its own)",
            )
        from vmemplan.cli.devices import device_makers  # noqa: PLC0415

        texts, devdax, kmem = opts.pop("devices"), opts.pop("devdax"), opts.pop("kmem")
        if (texts or devdax or kmem) and opts["config"] is None:
            opts["devices"] = device_makers(texts, devdax, kmem, opts)
        elif texts or devdax or kmem:
            flag = "--device" if texts else "--devdax" if devdax else "--kmem"
            raise InputError(flag, "not with --config: the file describes the whole host")
        _emit(host_command(**opts), as_json, color, "render_host")
        return
    doc = _host_from_dump(opts, ndctl_path, iomem_path, cxl_path)
    _emit(doc, as_json, color, "render_host")


def _host_from_dump(
    opts: dict[str, Any], ndctl_path: str | None, iomem_path: str | None, cxl_path: str | None
) -> Any:
    """``host --from-ndctl``/``--from-cxl``/``--iomem``: the dump's devices, the options'
    pools."""
    from vmemplan.cli.dumps import discover_account  # noqa: PLC0415
    from vmemplan.cli.parse import _kmem_options  # noqa: PLC0415
    from vmemplan.errors import InputError  # noqa: PLC0415
    from vmemplan.host.summary import host_doc, pools_from_options  # noqa: PLC0415

    for key in ("devices", "devdax", "kmem", "config"):
        if opts[key]:
            flag = "--device" if key == "devices" else f"--{key}"
            raise InputError(
                flag, "not with --from-ndctl, --from-cxl or --iomem: the dump has the devices"
            )
    if not opts["system_ram"] and iomem_path is None:
        raise InputError("--system-ram", "missing: give the boot RAM, e.g. --system-ram 512G")
    pools = pools_from_options(opts["hugetlb"], opts["hvo"], opts["arch"])
    from vmemplan.cli.devices import as_ranges  # noqa: PLC0415

    machine = {
        "system_ram": as_ranges(opts["system_ram"]),
        "arch": opts["arch"],
        "kernel": opts["kernel"],
        "struct_page_size": opts["struct_page_size"],
    }
    kmem = _kmem_options(opts["mom"], opts["memory_block_size"])
    acc, inferred = discover_account(
        machine, ndctl_path, iomem_path, kmem, pools, cxl_path=cxl_path
    )
    return host_doc(acc, hvo_requested=opts["hvo"], notes=inferred)


def _host_from_lsmem(opts: dict[str, Any], path: str) -> Any:
    """``host --lsmem``: the memory blocks lsmem lists as boot RAM, the options' devices."""
    from vmemplan.cli.devices import device_makers  # noqa: PLC0415
    from vmemplan.cli.dumps import read_input  # noqa: PLC0415
    from vmemplan.errors import InputError  # noqa: PLC0415
    from vmemplan.host.accounting import account  # noqa: PLC0415
    from vmemplan.host.summary import host_doc, host_from_options  # noqa: PLC0415
    from vmemplan.sources.lsmem import lsmem_notes, parse_lsmem  # noqa: PLC0415
    from vmemplan.sources.notes import SourceNote  # noqa: PLC0415

    dump = parse_lsmem(read_input(path, "--lsmem"), path)
    notes = [SourceNote("from the dump", f"{path}: {n}") for n in lsmem_notes(dump)]
    if opts["system_ram"]:
        notes.append(SourceNote("given", f"{path}: --system-ram given: lsmem's ranges not used"))
    else:
        opts["system_ram"] = tuple(f"{a:#x}+{b - a:#x}" for a, b in dump.ranges())
    texts, devdax, kmem = opts.pop("devices"), opts.pop("devdax"), opts.pop("kmem")
    opts["devices"] = device_makers(texts, devdax, kmem, opts)
    hvo = opts.pop("hvo")
    opts.pop("config")
    host = None
    if opts["memory_block_size"] is None and dump.block_size is not None:
        # the blocks of the devices kmem onlines, if any (host refuses a size none uses)
        try:
            host = host_from_options(hvo=hvo, **{**opts, "memory_block_size": str(dump.block_size)})
        except InputError as e:
            if e.option != "--memory-block-size":
                raise
    if host is None:
        host = host_from_options(hvo=hvo, **opts)
    return host_doc(account(host), hvo_requested=hvo, notes=notes)
