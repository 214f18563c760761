"""``vmemplan compare``: every configuration of a namespace side by side."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from vmemplan.cli.app import EPILOG, cli
from vmemplan.cli.emit import _emit
from vmemplan.cli.options import (
    GRID_OPTIONS,
    OUTPUT_OPTIONS,
    SIZE_OPTION,
    START_OPTION,
    SUBJECT_OPTIONS,
    _machine_options,
    _options,
)
from vmemplan.cli.parse import _is_system_ram
from vmemplan.cli.subjects import _compare_subject, _grid, _subjects
from vmemplan.errors import InputError
from vmemplan.estimate import (
    DEFAULT_PS_PER_STRUCT_PAGE,
)
from vmemplan.output.report import (
    compare_doc,
    host_doc,
    ram_given_once,
)
from vmemplan.units import (
    format_size_exact,
    parse_block_size,
)

if TYPE_CHECKING:  # compare/plan/check only: `estimate --json` start-up does not pay for them
    pass


@cli.command("compare", epilog=EPILOG)
@_options(SIZE_OPTION, START_OPTION)
@click.option("--min-align", metavar="SIZE", help="Leave out aligns below this (e.g. 2M).")
@GRID_OPTIONS
@SUBJECT_OPTIONS
@click.option(
    "--memory-block-size",
    metavar="SIZE",
    help="The System RAM rows (--mode system-ram, the kmem devices of --from-ndctl/--iomem): "
    "memory_block_size_bytes(). Default: as the kernel picks it; for a dump, the size that "
    "gives the blocks it shows.",
)
@_machine_options(many_kernels=True)
@OUTPUT_OPTIONS
def compare_cmd(size: str | None, start: str | None, **opts: Any) -> None:
    """Compare every mode, map and align the arch and kernel allow for one namespace size.

    --mode, --map and --align (each repeatable) restrict the grid. --dax-range compares
    the aligns of a dax device; --from-ndctl, --iomem or --config compare each namespace
    of a host, and --from-ndctl, --config or --current add each row's delta against
    what the namespace runs today. --mode system-ram adds the same range onlined as
    System RAM by dax kmem, memmap_on_memory off and on (with --size only); a system-ram
    namespace of --config, or dax device in system-ram mode of a dump, gets those rows.
    """
    as_json, color = opts.pop("as_json") | opts.pop("human"), opts.pop("color")
    modes = opts["modes"]
    with_system_ram = any(_is_system_ram(m) for m in modes)
    opts["modes"] = tuple(m for m in modes if not _is_system_ram(m))
    only_system_ram = with_system_ram and not opts["modes"]
    if only_system_ram:
        for key, option in (("maps", "--map"), ("aligns", "--align"), ("min_align", "--min-align")):
            if opts[key]:
                raise InputError(option, "not with only --mode system-ram (no namespace grid)")
    if with_system_ram:
        for key, option in (
            ("dax_ranges", "--dax-range"),
            ("from_ndctl", "--from-ndctl"),
            ("from_cxl", "--from-cxl"),
            ("iomem", "--iomem"),
            ("config_path", "--config"),
            ("current", "--current"),
        ):
            if opts.get(key):
                raise InputError("--mode", f"system-ram: only with --size, not with {option}")
    block_text = opts.pop("memory_block_size")
    block = None if block_text is None else parse_block_size(block_text, "--memory-block-size")
    if block is not None and opts.get("config_path"):
        raise InputError("--memory-block-size", "not with --config: its [host] section gives it")
    grid = _grid(opts)
    subjects, kernels, source = _subjects(opts, size, start, memory_block_size=block)
    if block is not None and not with_system_ram and not any(s.kmem for s in subjects):
        raise InputError(
            "--memory-block-size",
            "only with --mode system-ram, or a dump with dax devices in system-ram mode",
        )
    docs = []
    for subject in subjects:
        rows, now = ([], []) if only_system_ram else _compare_subject(subject, kernels, grid)
        once = ram_given_once(source, subject.request.system_ram)
        doc = compare_doc(
            subject.request, kernels, rows, subject=subject, current=now, ram_once=once
        )
        req = subject.request
        kmem = subject.kmem  # a dax device onlined as System RAM today
        if with_system_ram:
            from vmemplan.system_ram import SystemRamRequest  # noqa: PLC0415

            assert req.size is not None
            kmem = SystemRamRequest(
                arch=req.arch,
                kernel=req.kernel,
                ranges=((req.start, req.start + req.size),),
                system_ram=req.system_ram,
                struct_page_size=req.struct_page_size,
                ps_per_struct_page=req.ps_per_struct_page or DEFAULT_PS_PER_STRUCT_PAGE,
                linear_map=req.linear_map,
                gbpages=req.gbpages,
                memory_block_size=block,
            )
        if kmem is not None:
            from vmemplan.output.system_ram_report import system_ram_rows  # noqa: PLC0415

            blocks = _cxl_blocks(subject, kernels)
            doc["system_ram_rows"] = system_ram_rows(kmem, kernels, blocks)
            if blocks and len(set(blocks.values())) > 1 and source is not None:
                sizes = ", ".join(f"{k} {format_size_exact(b)}" for k, b in blocks.items())
                source["inferred"].append(
                    f"{req.label}: memory blocks by kernel: {sizes} (kernel rule: x86 "
                    "probe_memory_block_size() follows the CFMWS windows' alignment from v6.16)"
                )
        if subject.cxl and subject.device is not None:
            from vmemplan.dax_commands import dax_device_commands  # noqa: PLC0415

            doc["dax_device_commands"] = [
                {"kernel": k.label, "configurations": dax_device_commands(subject.device.name, k)}
                for k in kernels
            ]
        docs.append(doc)
    if source is None:
        _emit(docs[0], as_json, color, "render_compare")
    else:
        _emit(host_doc(docs, source), as_json, color, "render_host_compare")


def _cxl_blocks(subject: Any, kernels: list[Any]) -> dict[str, int] | None:
    """A CXL region's dax device whose blocks follow the kernel's rule: each kernel's
    memory block size (x86 probe_memory_block_size() with the CFMWS advice from v6.16)."""
    if subject.cfmws_advice is None or subject.kmem is None:
        return None
    from vmemplan.kernel.cxl import probe_memory_block_size  # noqa: PLC0415

    kmem = subject.kmem
    end = max((hi for _, hi in kmem.system_ram), default=0)
    return {
        k.label: int(probe_memory_block_size(kmem.arch, k, end, subject.cfmws_advice).value)
        for k in kernels
    }
