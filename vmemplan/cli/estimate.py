"""``vmemplan estimate``: one namespace, dax device or System RAM range, a dump, or a
``--batch`` of geometries.
"""

from __future__ import annotations

import contextlib
import gc
import sys
from typing import TYPE_CHECKING, Any

import click

from vmemplan.cli.app import EPILOG, EXIT_INPUT, _quiet_closed_pipe, cli, ctx_exit
from vmemplan.cli.emit import _emit
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
    _complete_file,
    _machine_options,
    _options,
)
from vmemplan.cli.parse import (
    _is_system_ram,
    _kmem_options,
    build_host,
    build_request,
    build_system_ram_host,
)
from vmemplan.errors import InputError
from vmemplan.host.accounting import account
from vmemplan.output.report import (
    estimate_doc,
)

if TYPE_CHECKING:
    from vmemplan.host.description import Host


@cli.command("estimate", epilog=EPILOG)
@_options(SIZE_OPTION, START_OPTION, ALIGN_OPTION, VMEMMAP_SHIFT_OPTION)
@_options(MAP_OPTION, MODE_OPTION, DAX_RANGE_OPTION)
@click.option(
    "--from-ndctl",
    metavar="FILE",
    shell_complete=_complete_file,
    help="Estimate every namespace of an `ndctl list -N` / `create-namespace` / `daxctl list` "
    "JSON dump ('-' reads stdin); raw sizes are inferred from the usable sizes. "
    "--align/--map/--mode, when given, override the dump's values (a note says which); "
    "with --iomem, namespaces are placed in its Persistent Memory ranges.",
)
@click.option(
    "--from-cxl",
    metavar="FILE",
    shell_complete=_complete_file,
    help="Estimate every CXL region of a `cxl list` JSON dump ('-' reads stdin): each RAM "
    "region's dax device as the kernel's CXL rules for --kernel make it (driver, "
    "memmap_on_memory, memory block size from the CFMWS windows); with --from-ndctl/--iomem "
    "of the same host each device is counted once.",
)
@click.option(
    "--iomem",
    metavar="FILE",
    shell_complete=_complete_file,
    help="A /proc/iomem dump: its System RAM is the boot RAM; its Persistent Memory "
    "ranges (with --align/--map/--mode) and dax devices (Soft Reserved, CXL) are estimated, "
    "and its kmem System RAM hot-added after them, unless --from-ndctl is given.",
)
@click.option(
    "--config",
    metavar="FILE",
    shell_complete=_complete_file,
    help="Estimate every namespace and dax device of a host config file (as `vmemplan "
    "check` reads it; '-' reads stdin) on the machine of its [host], as one machine. Its "
    "HugeTLB pools are `vmemplan host --config`'s.",
)
@_options(MEMMAP_ON_MEMORY_OPTION, MEMORY_BLOCK_SIZE_OPTION)
@click.option(
    "--batch",
    metavar="FILE",
    help="Estimate one geometry per line of FILE ('-' reads stdin), given as a JSON object "
    '({"size": "1T", "align": "1G"}) or as flags (--size 1T --align 1G); writes one JSON '
    "document per line. The other options are every line's defaults; blank and # lines are "
    "skipped; a bad line is reported with its number and the run exits 2 at the end "
    "(a NUL byte or a line over 4 MiB ends it there).",
)
@_machine_options()
@OUTPUT_OPTIONS
def estimate_cmd(**opts: Any) -> None:
    """Estimate the vmemmap cost of one namespace or dax device.

    Defaults that change counts: --start 64G (or the first GiB above
    --system-ram), --system-ram 0+64G, --map mem, --mode devdax,
    --align 2M, --arch x86_64 (4-level paging), --kernel 6.12.
    """
    if opts["batch"] is not None:
        _estimate_batch(opts.pop("batch"), opts)
        return
    opts.pop("batch")
    as_json, color = opts.pop("as_json") | opts.pop("human"), opts.pop("color")
    config_path = opts.pop("config")
    if config_path is not None:
        _emit(_config_doc(config_path), as_json, color, "render_machine")
        return
    ndctl_path, iomem_path = opts.pop("from_ndctl"), opts.pop("iomem")
    cxl_path = opts.pop("from_cxl")
    mom, block = opts.pop("memmap_on_memory"), opts.pop("memory_block_size")
    if _is_system_ram(opts["mode"]):
        if ndctl_path is not None or iomem_path is not None or cxl_path is not None:
            raise InputError(
                "--mode", "system-ram: not with --from-ndctl, --from-cxl or --iomem (yet)"
            )
        ctx = click.get_current_context()
        explicit = [
            ctx.get_parameter_source(name) != click.core.ParameterSource.DEFAULT
            for name in ("map_", "align")
        ]
        host = build_system_ram_host(opts, mom, block, namespace=any(explicit))
        _emit(_system_ram_doc(host), as_json, color, "render_system_ram")
        return
    if ndctl_path is None and iomem_path is None and cxl_path is None:
        why = "only with --mode system-ram, or for the kmem devices of --from-ndctl/--iomem"
        if mom is not None:
            raise InputError("--memmap-on-memory", why)
        if block is not None:
            raise InputError("--memory-block-size", why)
        _emit(_estimate_doc(build_host(**opts)), as_json, color, "render_estimate")
        return
    if opts["size"] is not None or opts["dax_ranges"]:
        raise InputError("--size", "not with --from-ndctl or --iomem: the dump gives the sizes")
    if ndctl_path is not None and opts["vmemmap_shift"] is not None:
        raise InputError("--vmemmap-shift", "not with --from-ndctl: give --align to override")
    if ndctl_path is None and opts["start"] is not None:
        dump = "--iomem" if iomem_path is not None else "--from-cxl"
        raise InputError("--start", f"{opts['start']}: not with {dump}: it gives the addresses")
    ctx = click.get_current_context()
    typed = {
        name: ctx.get_parameter_source(param) not in (None, click.core.ParameterSource.DEFAULT)
        for name, param in (("align", "align"), ("map", "map_"), ("mode", "mode"))
    }
    from vmemplan.cli.dumps import discover_machine  # noqa: PLC0415

    doc = discover_machine(
        opts, ndctl_path, iomem_path, typed, _kmem_options(mom, block), cxl_path=cxl_path
    )
    _emit(doc, as_json, color, "render_machine")


# Given once for the whole batch, never per line: with --batch they are refused.
_BATCH_REFUSES = {
    "as_json": ("--json", "--batch always writes JSON, one document per line"),
    "color": ("--color", "--batch writes JSON, which has no colour"),
    "from_ndctl": ("--from-ndctl", "each --batch line gives its own geometry"),
    "iomem": ("--iomem", "each --batch line gives its own geometry"),
    "from_cxl": ("--from-cxl", "each --batch line gives its own geometry"),
    "config": ("--config", "each --batch line gives its own geometry"),
    "human": ("--human", "--batch writes exact JSON, one document per line"),
}


def _batch_line_options() -> tuple[dict[str, Any], dict[str, Any]]:
    """The spellings (``-s``, ``--size``) and JSON keys (``size``) a batch line may use."""
    from vmemplan.batch import LineOption  # noqa: PLC0415

    flags: dict[str, Any] = {}
    keys: dict[str, Any] = {}
    for p in estimate_cmd.params:
        if not isinstance(p, click.Option) or p.name is None:
            continue
        if p.name == "batch" or p.name in _BATCH_REFUSES:
            continue
        opt = LineOption(p.name, p.multiple, True if p.is_flag else None)
        for spelling in p.opts:
            flags[spelling] = opt
            if spelling.startswith("--"):
                keys[spelling[2:]] = opt
        for spelling in p.secondary_opts:
            flags[spelling] = LineOption(p.name, multiple=False, flag=False)
    return flags, keys


def line_defaults() -> dict[str, Any]:
    """Every option a batch line (or a ``host --device``) may give, at its default: what
    ``estimate`` sees for an option not given."""
    given = estimate_cmd.make_context("estimate", []).params  # click's values for no option
    return {k: v for k, v in given.items() if k != "batch" and k not in _BATCH_REFUSES}


def _estimate_batch(path: str, opts: dict[str, Any]) -> None:
    """``estimate --batch``: one JSON document per geometry line; exit 2 if any line failed.

    The geometry and machine options given on the command line are every line's defaults;
    a line's own value replaces them (a repeatable option's values too, never adding to them).
    A bad default is refused once, before any line is read. Input and output stream: memory
    stays flat whatever the number of lines.
    """
    from click.core import ParameterSource  # noqa: PLC0415

    from vmemplan.batch import geometry_lines, parse_line  # noqa: PLC0415
    from vmemplan.excerpt import safe_line  # noqa: PLC0415
    from vmemplan.output.report import to_json_line  # noqa: PLC0415
    from vmemplan.reading import opened  # noqa: PLC0415

    ctx = click.get_current_context()
    for name, (option, why) in _BATCH_REFUSES.items():
        if ctx.get_parameter_source(name) is not ParameterSource.DEFAULT:
            raise InputError(option, f"not with --batch: {why}")
        opts.pop(name)
    # the defaults alone: a bad one is one error, not one per line
    _batch_doc(opts, {}, validate_only=True)
    flags, keys = _batch_line_options()
    where = "<stdin>" if path == "-" else path
    failed = 0
    said: set[str] = set()  # the errors of command-line defaults reported already
    # One write(2) per ~256 documents (~1 MB), or whenever the input has to be waited for:
    # click.echo would flush each line, and the 8 KiB text buffer still means thousands of
    # pipe writes and reader wake-ups.
    pending: list[str] = []
    write = sys.stdout.write

    def write_pending() -> None:
        if pending:
            text = "".join(pending)
            pending.clear()  # first: a ^C inside the write must not write them twice
            write(text)
            sys.stdout.flush()

    # A line allocates thousands of short-lived objects and no reference cycle (gc.collect()
    # after 10,000 lines, 1,000 of them bad, finds nothing): the collector's passes over
    # them cost 10-20% of a batch and free nothing, so it is off for the loop.
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        with opened(path, "--batch") as read:
            for number, line, error in geometry_lines(read, write_pending):
                given: dict[str, Any] = {}
                try:
                    if error is not None:
                        raise error
                    given = parse_line(line, flags, keys)
                    doc = _batch_doc(opts, given)
                except InputError as err:
                    failed += 1
                    message = _batch_error(err, f"{where}:{number}", given, flags, said)
                    if message is not None:
                        write_pending()  # the lines before it first: a terminal keeps the order
                        click.echo(f"vmemplan: error: {safe_line(message)}", err=True)
                    continue
                pending.append(to_json_line(doc))
                if len(pending) >= 256:
                    write_pending()
        write_pending()
    except BrokenPipeError:
        # the reader left mid-batch (`| head -1`): inside the command, click would exit 1
        _quiet_closed_pipe()
    except BaseException:
        with contextlib.suppress(Exception):
            write_pending()  # an internal error or ^C: keep what was estimated
        raise
    finally:
        if gc_was_enabled:
            gc.enable()
    if failed:
        ctx_exit(EXIT_INPUT)


def _batch_doc(opts: dict[str, Any], given: dict[str, Any], *, validate_only: bool = False) -> Any:
    """The document of one batch line: ``estimate --json``'s for its geometry, a namespace
    or (``--mode system-ram``, with --memmap-on-memory/--memory-block-size) a hot-add."""
    line = {**opts, **given}
    mom, block = line.pop("memmap_on_memory"), line.pop("memory_block_size")
    if _is_system_ram(line["mode"]):
        ctx = click.get_current_context()
        namespace = any(
            name in given
            or ctx.get_parameter_source(name) not in (None, click.core.ParameterSource.DEFAULT)
            for name in ("map_", "align")
        )
        host = build_system_ram_host(line, mom, block, namespace=namespace)
        return None if validate_only else _system_ram_doc(host)
    why = "only with --mode system-ram (on the line or the command line)"
    if validate_only:  # a line may still say --mode system-ram
        mom = block = None
    if mom is not None:
        raise InputError("--memmap-on-memory", why)
    if block is not None:
        raise InputError("--memory-block-size", why)
    if validate_only:  # a line may still give the --size
        build_request(**line)
        return None
    return _estimate_doc(build_host(**line))


def _config_doc(path: str) -> Any:
    """``estimate --config``: the machine document of a config file's host (its devices,
    costed by the one accounting on its [host]); every other option is refused."""
    from vmemplan.excerpt import quoted  # noqa: PLC0415
    from vmemplan.host.accounting import device_name  # noqa: PLC0415
    from vmemplan.output.report import machine_doc  # noqa: PLC0415
    from vmemplan.sources.config.host import config_file_host  # noqa: PLC0415

    ctx = click.get_current_context()
    for param in ctx.command.params:
        if param.name in (None, "config", "as_json", "human", "color"):
            continue
        if ctx.get_parameter_source(param.name) not in (None, click.core.ParameterSource.DEFAULT):
            flag = param.opts[0] if param.opts else param.name
            raise InputError(flag, "not with --config: the file describes the whole host")
    conv = config_file_host(path)
    if conv.host.pools:
        raise InputError(
            "--config",
            f"{quoted(path)} has HugeTLB pools, which estimate does not show: `vmemplan host "
            "--config` costs them with the devices (or `vmemplan check`)",
        )
    acc = account(
        conv.host, prepared=conv.prepared, checked=conv.checked, boot_ram_key="host.system_ram"
    )
    source: dict[str, Any] = {
        "kind": "config",
        "path": path,
        "inferred": [],
        "found": [],
        "system_ram": None,
    }
    added = [(device_name(d), e) for d, e in acc.hot_added]
    return machine_doc([e for _, e in acc.pgmaps], source, added)


def _estimate_doc(host: Host) -> Any:
    """``estimate``'s document: the one accounting of a host with one dev_pagemap device."""
    ((_, est),) = account(host).pgmaps
    return estimate_doc(est)


def _system_ram_doc(host: Host) -> Any:
    """``estimate --mode system-ram``'s document: the accounting of a host with one device
    kmem onlines as System RAM."""
    from vmemplan.output.system_ram_report import system_ram_doc  # noqa: PLC0415

    ((_, hot_add),) = account(host).hot_added
    return system_ram_doc(hot_add)


def _batch_error(
    err: InputError, at: str, given: dict[str, Any], flags: dict[str, Any], said: set[str]
) -> str | None:
    """A batch line's error message, or None for a command-line default's error said already.

    An error naming an option the line did not give, but the command line did, is the
    default's: every line that takes it fails the same way, so it is reported once.
    """
    culprit = flags.get(err.option)
    ctx = click.get_current_context()
    if (
        culprit is None
        or culprit.name in given
        or ctx.get_parameter_source(culprit.name) in (None, click.core.ParameterSource.DEFAULT)
    ):
        return f"{at}: {err}"
    if str(err) in said:
        return None
    said.add(str(err))
    return f"{err} (the command line's, taken by every line that gives none; first at {at})"
