"""The ``vmemplan`` command line: parse, call the core, render, map outcomes to exit codes.

Exit codes: 0 success; 1 a budget check failed; 2 bad input (one line on stderr naming
the option and value); 3 internal error (no traceback unless VMEMPLAN_DEBUG=1);
130 interrupted.
"""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Callable
from dataclasses import replace
from typing import Any, NoReturn

import click

from vmemplan import __version__
from vmemplan.budget import Budgets, Limit, parse_limit
from vmemplan.errors import InputError, VmemplanError
from vmemplan.estimate import DEFAULT_PS_PER_STRUCT_PAGE, EstimateRequest, estimate, estimate_many
from vmemplan.kernel.arch import ARCHES, get_arch
from vmemplan.kernel.dax_device import Mode
from vmemplan.kernel.pfn_devs import MapMode
from vmemplan.kernel.versions import (
    COUNTER_CHOICES,
    CounterSemantics,
    KernelProfile,
    kernel_profile,
    parse_kernel_version,
    with_overrides,
)
from vmemplan.output.report import compare_doc, estimate_doc, machine_doc, plan_doc, to_json
from vmemplan.plan import Choice, Grid, Row, compare, plan
from vmemplan.sizing import raw_size_for_usable
from vmemplan.units import parse_duration_ns, parse_ns_per_page, parse_range, parse_size

EXIT_OK, EXIT_FAIL, EXIT_INPUT, EXIT_INTERNAL, EXIT_INTERRUPTED = 0, 1, 2, 3, 130

EPILOG = """\b
Exit codes: 0 success, 1 a budget check failed, 2 bad input (one line on
stderr naming the option and value), 3 internal error, 130 interrupted.
"""


def _fail(code: int, message: str) -> NoReturn:
    click.echo(f"vmemplan: error: {message}", err=True)
    sys.exit(code)


class VmemplanGroup(click.Group):
    """A click group whose every failure is one line on stderr and a documented exit code."""

    def main(self, *args: Any, **kwargs: Any) -> NoReturn:
        kwargs["standalone_mode"] = False
        try:
            rv = super().main(*args, **kwargs)
        except click.exceptions.NoArgsIsHelpError as e:
            # bare `vmemplan` (or a bare subcommand group): the normal help, exit 0
            click.echo(e.ctx.get_help())
            sys.exit(EXIT_OK)
        except click.UsageError as e:
            _fail(EXIT_INPUT, " ".join(e.format_message().split()))
        except click.ClickException as e:
            _fail(e.exit_code if e.exit_code != 1 else EXIT_INPUT, e.format_message())
        except VmemplanError as e:
            code = EXIT_INPUT if isinstance(e, InputError) else EXIT_INTERNAL
            _fail(code, str(e))
        except (KeyboardInterrupt, click.Abort):
            _fail(EXIT_INTERRUPTED, "interrupted")
        except BrokenPipeError:
            _quiet_closed_pipe()
        except OSError as e:
            _fail(EXIT_INPUT, f"cannot write output: {e.strerror or e}")
        except Exception as e:  # pragma: no cover - the internal-error path
            if os.environ.get("VMEMPLAN_DEBUG") == "1":
                traceback.print_exc()
            _fail(
                EXIT_INTERNAL,
                f"internal error: {type(e).__name__}: {e} (set VMEMPLAN_DEBUG=1 for a traceback)",
            )
        try:
            sys.stdout.flush()
        except BrokenPipeError:
            _quiet_closed_pipe()
        except OSError as e:
            _fail(EXIT_INPUT, f"cannot write output: {e.strerror or e}")
        sys.exit(rv if isinstance(rv, int) else EXIT_OK)


def _quiet_closed_pipe() -> NoReturn:
    """The reader closed the pipe (``| head``): exit 0, as the output was not wanted."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())  # so the interpreter's final flush cannot fail
    sys.exit(EXIT_OK)


@click.group(
    cls=VmemplanGroup, epilog=EPILOG, context_settings={"help_option_names": ["-h", "--help"]}
)
@click.version_option(__version__, prog_name="vmemplan")
def cli() -> None:
    """Plan the struct page (vmemmap) memory of pmem, device-dax and CXL namespaces."""


_MODES: dict[str, Mode] = {"devdax": "devdax", "dax": "devdax", "fsdax": "fsdax", "memory": "fsdax"}


def _parse_mode(text: str) -> Mode:
    key = text.strip().lower()
    if key in ("raw", "sector", "safe"):
        raise InputError(
            "--mode", f"{text}: {key} namespaces have no struct pages (nothing to plan)"
        )
    if key not in _MODES:
        raise InputError("--mode", f"{text!r}: expected devdax or fsdax (legacy: dax, memory)")
    return _MODES[key]


def _parse_map(text: str) -> MapMode:
    key = text.strip().lower()
    if key not in ("mem", "dev"):
        raise InputError("--map", f"{text!r}: expected mem or dev")
    return "mem" if key == "mem" else "dev"


def _parse_int(text: str, option: str) -> int:
    try:
        return int(text, 0)
    except ValueError:
        raise InputError(option, f"{text!r}: not an integer") from None


def build_request(
    *,
    size: str | None,
    start: str | None,
    align: str | None,
    vmemmap_shift: str | None,
    map_: str,
    mode: str,
    dax_ranges: tuple[str, ...],
    system_ram: tuple[str, ...],
    arch: str,
    kernel: str,
    struct_page_size: str | None,
    counters: str | None,
    early_init_fix: bool | None,
    dedup_keep: str | None,
    ns_per_page: str | None,
) -> EstimateRequest:
    """Turn raw option strings into an EstimateRequest; every error names its option."""
    profile = get_arch(arch)
    kprofile = kernel_profile(parse_kernel_version(kernel))
    counter_sem: CounterSemantics | None = None
    if counters is not None:
        if counters not in COUNTER_CHOICES:
            raise InputError("--counters", f"{counters!r}: expected none, nominal or exact")
        counter_sem = counters
    keep = None
    if dedup_keep is not None:
        keep = _parse_int(dedup_keep, "--dedup-keep")
        if keep not in (1, 2):
            raise InputError("--dedup-keep", f"{dedup_keep}: expected 1 or 2")
    kprofile = with_overrides(
        kprofile, counters=counter_sem, early_init_fix=early_init_fix, dedup_keep=keep
    )
    fields: dict[str, Any] = {
        "arch": profile,
        "kernel": kprofile,
        "map": _parse_map(map_),
        "mode": _parse_mode(mode),
    }
    if size is not None:
        fields["size"] = parse_size(size, "--size")
        if fields["size"] == 0:
            raise InputError("--size", f"{size!r}: must not be zero")
    if start is not None:
        fields["start"] = parse_size(start, "--start")
    if align is not None:
        fields["align"] = parse_size(align, "--align")
    if vmemmap_shift is not None:
        fields["vmemmap_shift"] = _parse_int(vmemmap_shift, "--vmemmap-shift")
    if dax_ranges:
        fields["dax_ranges"] = tuple(parse_range(r, "--dax-range") for r in dax_ranges)
    if system_ram:
        if any(r.strip().lower() == "none" for r in system_ram):
            if len(system_ram) > 1:
                raise InputError("--system-ram", "'none' cannot be combined with ranges")
            fields["system_ram"] = ()
        else:
            fields["system_ram"] = tuple(parse_range(r, "--system-ram") for r in system_ram)
    if struct_page_size is not None:
        fields["struct_page_size"] = _parse_int(struct_page_size, "--struct-page-size")
    if ns_per_page is not None:
        fields["ps_per_struct_page"] = parse_ns_per_page(ns_per_page, "--ns-per-page")
    return EstimateRequest(**fields)


_ARCH_HELP = ", ".join(ARCHES)
_DEFAULT_NS = (
    f"{DEFAULT_PS_PER_STRUCT_PAGE[0] / 1000:.1f}-{DEFAULT_PS_PER_STRUCT_PAGE[1] / 1000:.1f}"
)

Decorator = Callable[[Callable[..., Any]], Callable[..., Any]]


def _options(*decorators: Decorator) -> Decorator:
    def apply(f: Callable[..., Any]) -> Callable[..., Any]:
        for d in reversed(decorators):
            f = d(f)
        return f

    return apply


START_OPTION = click.option(
    "--start",
    metavar="ADDR",
    help="Physical start of the namespace. Default 64G (just above the default boot RAM).",
)
SIZE_OPTION = click.option(
    "-s", "--size", metavar="SIZE", help="Raw namespace size, as ndctl --size (1T, 1536G, 0x...)."
)
ALIGN_OPTION = click.option(
    "-a",
    "--align",
    metavar="SIZE",
    help="Namespace/device align (4K, 2M, 1G). Default: PMD size (2M on x86_64).",
)
MAP_OPTION = click.option(
    "-M",
    "--map",
    "map_",
    default="mem",
    show_default=True,
    metavar="mem|dev",
    help="Where the memmap lives. NOTE: ndctl's default is dev; vmemplan defaults to mem, "
    "the DRAM case that deduplication is about.",
)
MODE_OPTION = click.option(
    "-m",
    "--mode",
    default="devdax",
    show_default=True,
    metavar="devdax|fsdax",
    help="Namespace mode (fsdax never deduplicates).",
)


def _machine_options(*, many_kernels: bool = False) -> Decorator:
    """Options that describe the machine rather than one namespace."""
    kernel_help = "Kernel version whose behaviour to model."
    if many_kernels:
        kernel_help += " Repeat to compare kernels side by side."
    return _options(
        click.option(
            "--system-ram",
            multiple=True,
            metavar="RANGE",
            help="Boot System RAM range (START-END inclusive, or START+SIZE); repeatable; "
            "'none' for no boot RAM. Default: 0+64G. Its sections reuse their boot memmap and "
            "it owns page tables.",
        ),
        click.option(
            "--arch",
            default="x86_64",
            show_default=True,
            metavar="NAME",
            help=f"Architecture profile: {_ARCH_HELP}. x86_64 is 4-level paging, "
            "x86_64-la57 5-level.",
        ),
        click.option(
            "--kernel",
            multiple=many_kernels,
            default=("6.12",) if many_kernels else "6.12",
            show_default=True,
            metavar="X.Y",
            help=kernel_help,
        ),
        click.option(
            "--struct-page-size", metavar="BYTES", help="sizeof(struct page) (default 64)."
        ),
        click.option(
            "--counters",
            metavar="none|nominal|exact",
            help="Override nr_memmap_pages semantics (for kernels with backports).",
        ),
        click.option(
            "--early-init-fix/--no-early-init-fix",
            default=None,
            help="Override the 2026 early-section init fix.",
        ),
        click.option(
            "--dedup-keep",
            metavar="1|2",
            help="Vmemmap pages kept per compound (2; 1 for the 2026 DAX generalisation).",
        ),
        click.option(
            "--ns-per-page",
            metavar="LOW-HIGH",
            help=f"Init cost per struct page in ns (default {_DEFAULT_NS}, "
            "from the seed's 128 GiB measurement).",
        ),
    )


OUTPUT_OPTIONS = _options(
    click.option(
        "--json", "as_json", is_flag=True, help="Print one JSON document (exact integers)."
    ),
    click.option(
        "--color", type=click.Choice(["auto", "always", "never"]), default="auto", show_default=True
    ),
)


def _console(color: str) -> Any:
    """A rich Console (imported only for human output: --json start-up stays lean)."""
    from rich.console import Console  # noqa: PLC0415

    class _PipeConsole(Console):
        def on_broken_pipe(self) -> None:
            raise BrokenPipeError  # rich would exit 1; main() exits 0 quietly

    never = color == "never" or (color == "auto" and "NO_COLOR" in os.environ)
    extra: dict[str, Any] = {"color_system": None} if never else {}
    console = _PipeConsole(
        force_terminal=True if color == "always" else None,
        no_color=never,
        highlight=False,
        **extra,
    )
    if not console.is_terminal and "COLUMNS" not in os.environ:
        console.width = 120  # a pipe or a log: do not truncate tables to 80 columns
    return console


def _emit(doc: dict[str, Any], as_json: bool, color: str, render: str) -> None:
    if as_json:
        click.echo(to_json(doc), nl=False)
        return
    from vmemplan.output import render as r  # noqa: PLC0415

    getattr(r, render)(_console(color), doc)


@cli.command("estimate", epilog=EPILOG)
@_options(SIZE_OPTION, START_OPTION, ALIGN_OPTION)
@click.option(
    "--vmemmap-shift",
    metavar="K",
    help="Compound order instead of --align (align = PAGE_SIZE << K).",
)
@_options(MAP_OPTION, MODE_OPTION)
@click.option(
    "--dax-range",
    "dax_ranges",
    multiple=True,
    metavar="RANGE",
    help="A dynamic dax device range (hmem/CXL), START-END (inclusive) or START+SIZE; "
    "repeatable. Replaces --size/--start; never has an altmap.",
)
@click.option(
    "--from-ndctl",
    metavar="FILE",
    help="Estimate every namespace of an `ndctl list -N` / `create-namespace` / `daxctl list` "
    "JSON dump ('-' reads stdin); raw sizes are inferred from the usable sizes.",
)
@click.option(
    "--iomem",
    metavar="FILE",
    help="A /proc/iomem dump: its System RAM is the boot RAM; its Persistent Memory "
    "ranges are the namespaces (with --align/--map/--mode) unless --from-ndctl is given.",
)
@_machine_options()
@OUTPUT_OPTIONS
def estimate_cmd(**opts: Any) -> None:
    """Estimate the vmemmap cost of one namespace or dax device.

    Defaults that change counts: --start 64G, --system-ram 0+64G, --map mem, --mode devdax,
    --align 2M, --arch x86_64 (4-level paging), --kernel 6.12.
    """
    as_json, color = opts.pop("as_json"), opts.pop("color")
    ndctl_path, iomem_path = opts.pop("from_ndctl"), opts.pop("iomem")
    if ndctl_path is None and iomem_path is None:
        req = build_request(**opts)
        _emit(estimate_doc(estimate(req)), as_json, color, "render_estimate")
        return
    if opts["size"] is not None or opts["dax_ranges"]:
        raise InputError("--size", "not with --from-ndctl or --iomem: the dump gives the sizes")
    doc = discover_machine(opts, ndctl_path, iomem_path)
    _emit(doc, as_json, color, "render_machine")


def read_input(path: str, option: str) -> str:
    """A file's text ('-' is stdin); unreadable files are input errors (exit 2)."""
    try:
        if path == "-":
            data = sys.stdin.buffer.read()
        else:
            with open(path, "rb") as f:
                data = f.read()
    except OSError as err:
        raise InputError(option, f"{path}: {err.strerror or err}") from None
    return data.decode("utf-8", errors="replace")


def discover_machine(
    opts: dict[str, Any], ndctl_path: str | None, iomem_path: str | None
) -> dict[str, Any]:
    """The machine document of an ndctl/daxctl dump and/or a /proc/iomem dump."""
    estimates, source = discover_estimates(opts, ndctl_path, iomem_path)
    return machine_doc(estimates, source)


def discover_estimates(
    opts: dict[str, Any], ndctl_path: str | None, iomem_path: str | None
) -> tuple[list[Any], dict[str, Any]]:
    """Estimate the namespaces of an ndctl/daxctl dump and/or a /proc/iomem dump."""
    from vmemplan.sources.discover import from_iomem, from_ndctl, pmem_namespaces  # noqa: PLC0415
    from vmemplan.sources.iomem import parse_iomem, system_ram  # noqa: PLC0415
    from vmemplan.sources.ndctl import parse_ndctl_json  # noqa: PLC0415

    entries = None
    if iomem_path is not None:
        entries = parse_iomem(read_input(iomem_path, "--iomem"), iomem_path)
        if not opts["system_ram"]:
            opts["system_ram"] = tuple(f"{a:#x}+{b - a:#x}" for a, b in system_ram(entries))
            if not opts["system_ram"]:
                opts["system_ram"] = ("none",)
    base = build_request(**opts)
    if ndctl_path is not None:
        devices = parse_ndctl_json(read_input(ndctl_path, "--from-ndctl"), ndctl_path)
        start = None
        if entries is not None and opts.get("start") is None:
            pmem = pmem_namespaces(entries)
            start = pmem[0].start if pmem else None
        found = from_ndctl(devices, base, start)
        kind, path = "ndctl", ndctl_path
    else:
        assert entries is not None
        found = from_iomem(entries, base)
        kind, path = "iomem", str(iomem_path)
    if not found.requests:
        raise InputError(
            kind if kind == "iomem" else "--from-ndctl", f"{path}: no namespace to estimate"
        )
    estimates = estimate_many(found.requests)
    return estimates, {"kind": kind, "path": path, "inferred": found.inferred}


def _machine_request(
    opts: dict[str, Any], **geometry: Any
) -> tuple[EstimateRequest, list[KernelProfile]]:
    """The request for the first ``--kernel``, and the profiles of every ``--kernel``.

    The behaviour overrides (--counters, --early-init-fix, --dedup-keep) apply to each.
    """
    versions = tuple(opts.pop("kernel")) or ("6.12",)
    fields = {
        "size": geometry.get("size"),
        "start": geometry.get("start"),
        "align": geometry.get("align"),
        "vmemmap_shift": None,
        "map_": geometry.get("map_", "mem"),
        "mode": geometry.get("mode", "devdax"),
        "dax_ranges": (),
        **opts,
    }
    reqs = [build_request(kernel=v, **fields) for v in versions]
    return reqs[0], [r.kernel for r in reqs]


GRID_OPTIONS = _options(
    click.option(
        "-m",
        "--mode",
        "modes",
        multiple=True,
        metavar="devdax|fsdax",
        help="Only this mode (repeatable). Default: both.",
    ),
    click.option(
        "-M",
        "--map",
        "maps",
        multiple=True,
        metavar="mem|dev",
        help="Only this map (repeatable). Default: both.",
    ),
    click.option(
        "-a",
        "--align",
        "aligns",
        multiple=True,
        metavar="SIZE",
        help="Only this align (repeatable). Default: every align the arch supports.",
    ),
)


def _grid(opts: dict[str, Any]) -> Grid:
    """The --mode/--map/--align/--min-align restriction of the grid (popped from ``opts``)."""
    min_align = opts.pop("min_align")
    return Grid(
        modes=tuple(dict.fromkeys(_parse_mode(m) for m in opts.pop("modes"))),
        maps=tuple(dict.fromkeys(_parse_map(m) for m in opts.pop("maps"))),
        aligns=tuple(dict.fromkeys(parse_size(a, "--align") for a in opts.pop("aligns"))),
        min_align=parse_size(min_align, "--min-align") if min_align else None,
    )


@cli.command("compare", epilog=EPILOG)
@_options(SIZE_OPTION, START_OPTION)
@click.option("--min-align", metavar="SIZE", help="Leave out aligns below this (e.g. 2M).")
@GRID_OPTIONS
@_machine_options(many_kernels=True)
@OUTPUT_OPTIONS
def compare_cmd(size: str | None, start: str | None, **opts: Any) -> None:
    """Compare every mode, map and align the arch and kernel allow for one namespace size.

    --mode, --map and --align (each repeatable) restrict the grid.
    """
    as_json, color = opts.pop("as_json"), opts.pop("color")
    grid = _grid(opts)
    if size is None:
        raise InputError("--size", "missing: give the raw namespace size, e.g. --size 1536G")
    req, kernels = _machine_request(opts, size=size, start=start)
    rows = compare(req, kernels, grid)
    _emit(compare_doc(req, kernels, rows), as_json, color, "render_compare")


@cli.command("plan", epilog=EPILOG)
@_options(SIZE_OPTION)
@click.option("--usable", metavar="SIZE", help="Inverse sizing: the usable size wanted.")
@_options(START_OPTION)
@GRID_OPTIONS
@click.option(
    "--max-dram", metavar="SIZE|PCT", help="DRAM budget: bytes (64G) or % of the namespace."
)
@click.option("--max-device-loss", metavar="SIZE|PCT", help="Device capacity budget: bytes or %.")
@click.option(
    "--max-init", metavar="TIME", help="Init-time budget (500ms, 2s), against the high estimate."
)
@click.option("--min-align", metavar="SIZE", help="Only consider aligns of at least this size.")
@click.option(
    "--interleave-ways",
    metavar="N",
    help="With --usable: the region's interleave ways (ndctl sizes are multiples of align x ways;"
    " default 1).",
)
@_machine_options(many_kernels=False)
@OUTPUT_OPTIONS
def plan_cmd(**opts: Any) -> None:
    """Pick the configuration that meets every budget, or size a namespace from its usable size.

    Forward: --size and budgets rank every configuration (exit 1 when none fits);
    --mode, --map and --align (each repeatable) restrict the grid.
    Inverse: --usable with one --align/--map/--mode (default 2M, mem, devdax) gives the
    raw --size to ask ndctl for.
    """
    as_json, color = opts.pop("as_json"), opts.pop("color")
    size, usable = opts.pop("size"), opts.pop("usable")
    start = opts.pop("start")
    modes, maps, aligns = opts["modes"], opts["maps"], opts["aligns"]
    budgets = _budgets(opts)
    ways_text = opts.pop("interleave_ways")
    opts["kernel"] = (opts["kernel"],)
    if (size is None) == (usable is None):
        raise InputError("--size", "give exactly one of --size (forward plan) or --usable (sizing)")
    if usable is not None:
        for option, values in (("--mode", modes), ("--map", maps), ("--align", aligns)):
            if len(values) > 1:
                raise InputError(option, f"{', '.join(values)}: --usable sizes one configuration")
        if opts["min_align"] is not None:
            raise InputError("--min-align", "not with --usable (it sizes one configuration)")
        for key in ("modes", "maps", "aligns", "min_align"):
            opts.pop(key)
        ways = _parse_int(ways_text or "1", "--interleave-ways")
        req, kernels = _machine_request(
            opts,
            start=start,
            align=aligns[0] if aligns else None,
            map_=maps[0] if maps else "mem",
            mode=modes[0] if modes else "devdax",
        )
        want = parse_size(usable, "--usable")
        sized = raw_size_for_usable(
            req.arch,
            usable=want,
            align=req.align or req.arch.pmd_size,
            map_=req.map,
            start=req.start,
            struct_page_size=req.struct_page_size or req.arch.struct_page_size,
            interleave_ways=ways,
        )
        one = replace(req, size=sized.raw_size)
        e = estimate(one)
        row = Row(req.kernel, Choice(req.mode, req.map, e.align), e, None)
        result = plan([row], budgets)
        doc = plan_doc(one, kernels, budgets, result, sizing=sized)
        _emit(doc, as_json, color, "render_plan")
        if not result.rows[0].fits:
            ctx_exit(EXIT_FAIL)
        return
    if ways_text is not None:
        raise InputError("--interleave-ways", f"{ways_text}: only with --usable (inverse sizing)")
    grid = _grid(opts)
    req, kernels = _machine_request(opts, size=size, start=start)
    result = plan(compare(req, kernels, grid), budgets)
    _emit(plan_doc(req, kernels, budgets, result), as_json, color, "render_plan")
    if result.recommended is None:
        ctx_exit(EXIT_FAIL)


@cli.command("check", epilog=EPILOG)
@click.argument("files", nargs=-1, metavar="[FILE]...")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "github"]),
    default="text",
    show_default=True,
    help="github prints workflow annotations (::error file=...,line=...::).",
)
@click.option(
    "--input-format",
    type=click.Choice(["toml", "yaml", "json"]),
    help="Format of every FILE. Default: by extension (.toml, .yaml/.yml, .json; another "
    "extension is refused); '-' (stdin) or a name without extension is detected from its "
    "first line that is not blank or a # comment: '{' is JSON, '[table]' or 'key =' TOML, "
    "anything else YAML.",
)
@click.option(
    "--from-ndctl",
    metavar="FILE",
    help="Check the namespaces of an ndctl/daxctl JSON dump ('-' is stdin) against the "
    "--max-* budgets, on the machine the options describe.",
)
@click.option("--max-dram", metavar="SIZE|PCT", help="With --from-ndctl: total DRAM budget.")
@click.option("--max-device-loss", metavar="SIZE|PCT", help="With --from-ndctl: total device loss.")
@click.option("--max-init", metavar="TIME", help="With --from-ndctl: total init-time budget.")
@_machine_options()
def check_cmd(files: tuple[str, ...], fmt: str, input_format: str | None, **opts: Any) -> None:
    """Check host config files (TOML, YAML or JSON; '-' reads stdin) against their budgets.

    Exit 0 when every budget holds, 1 when any budget fails, 2 when a file is unreadable
    or invalid (every problem of a file is reported).
    """
    from vmemplan.check import CheckResult, Finding, check_config, check_machine  # noqa: PLC0415
    from vmemplan.sources.config import (  # noqa: PLC0415
        CONFIG_FORMATS,
        ConfigError,
        detect_format,
        format_of_path,
        parse_config_located,
    )

    budgets = _budgets(opts)
    ndctl_path = opts.pop("from_ndctl")
    if not files and ndctl_path is None:
        raise InputError("check", "give a config file to check (or --from-ndctl FILE)")
    if input_format is not None and not files:
        raise InputError("--input-format", "applies to config files, not to --from-ndctl")
    if files.count("-") + (ndctl_path == "-") > 1:
        raise InputError("check", "'-' (stdin) can be read only once")
    # the format of every file is known (or refused) before any file is read
    given = next((f for f in CONFIG_FORMATS if f == input_format), None)
    formats = {path: given or format_of_path(path) for path in files}
    if budgets and ndctl_path is None:
        raise InputError(
            "--max-dram",
            "the --max-* budgets apply to --from-ndctl; config files carry their own [budgets]",
        )
    results: list[CheckResult] = []
    for path in files:
        try:
            text = read_input(path, path)
            cfg, line_of = parse_config_located(text, path, formats[path] or detect_format(text))
        except ConfigError as err:
            results.append(
                CheckResult(
                    path,
                    "error",
                    [Finding(path, p.location, p.line, "error", p.message) for p in err.problems],
                )
            )
            continue
        except InputError as err:
            results.append(
                CheckResult(path, "error", [Finding(path, "(file)", None, "error", err.message)])
            )
            continue
        results.append(check_config(cfg, path, line_of))
    if ndctl_path is not None:
        for key in ("size", "start", "align", "vmemmap_shift", "dax_ranges"):
            opts.setdefault(key, None if key != "dax_ranges" else ())
        opts.update(map_="mem", mode="devdax")
        estimates, _ = discover_estimates(opts, ndctl_path, None)
        results.append(check_machine(estimates, ndctl_path, budgets))
    _report_check(results, fmt)
    order = {"pass": EXIT_OK, "fail": EXIT_FAIL, "error": EXIT_INPUT}
    ctx_exit(max(order[r.status] for r in results))


def _report_check(results: list[Any], fmt: str) -> None:
    from vmemplan.output.report import check_doc  # noqa: PLC0415

    if fmt == "json":
        click.echo(to_json(check_doc(results)), nl=False)
        return
    for r in results:
        for f in r.findings:
            line = f":{f.line}" if f.line is not None else ""
            if fmt == "github":
                pos = f"file={f.file}" + (f",line={f.line}" if f.line is not None else "")
                click.echo(f"::error {pos},title=vmemplan {f.severity}::{f.location}: {f.message}")
            else:
                click.echo(f"{f.file}{line}: {f.location}: {f.message}")
        click.echo(_check_summary(r))


def _check_summary(r: Any) -> str:
    from vmemplan.budget import format_ns  # noqa: PLC0415
    from vmemplan.units import format_iec  # noqa: PLC0415

    if r.status == "error":
        return f"{r.file}: error ({len(r.findings)} problem{'s' * (len(r.findings) != 1)})"
    figs = [e.figures for e in r.estimates]
    return (
        f"{r.file}: {r.status} ({len(figs)} namespace{'s' * (len(figs) != 1)}: DRAM "
        f"{format_iec(sum(f.dram_bytes for f in figs))}, device lost "
        f"{format_iec(sum(f.device_bytes for f in figs))}, init up to "
        f"{format_ns(sum(f.time_ns[1] for f in figs))})"
    )


@cli.command("hugetlb", epilog=EPILOG)
@click.option(
    "--pages",
    multiple=True,
    metavar="SIZE:COUNT",
    help="A pool: 1G:512, or per node 1G:0:256,1:256; repeatable.",
)
@click.option(
    "--cmdline",
    metavar="TEXT",
    help="Kernel command line (hugepagesz=, hugepages=, "
    "default_hugepagesz=, hugetlb_free_vmemmap=) or sysctl lines.",
)
@click.option("--hvo/--no-hvo", default=None, help="HVO switch (default: the cmdline's, else on).")
@click.option("--arch", default="x86_64", show_default=True, metavar="NAME", help="Architecture.")
@click.option("--kernel", default="6.12", show_default=True, metavar="X.Y", help="Kernel version.")
@click.option("--struct-page-size", metavar="BYTES", help="sizeof(struct page) (default 64).")
@OUTPUT_OPTIONS
def hugetlb_cmd(**opts: Any) -> None:
    """The vmemmap of HugeTLB pools without and with HugeTLB Vmemmap Optimization."""
    from vmemplan.hugetlb import hugetlb_command  # noqa: PLC0415

    as_json, color = opts.pop("as_json"), opts.pop("color")
    _emit(hugetlb_command(**opts), as_json, color, "render_hugetlb")


@cli.command("schema", epilog=EPILOG)
@click.argument(
    "which",
    type=click.Choice(["config", "report", "estimate", "compare", "plan", "machine", "hugetlb"]),
)
def schema_cmd(which: str) -> None:
    """Print the JSON Schema of the config file or of a JSON document vmemplan prints."""
    from vmemplan.output.schema import json_schema  # noqa: PLC0415

    click.echo(json_schema(which), nl=False)


def _budgets(opts: dict[str, Any]) -> Budgets:
    """The --max-dram / --max-device-loss / --max-init budgets (popped from ``opts``)."""
    init = opts.pop("max_init")
    return Budgets(
        dram=_limit(opts.pop("max_dram"), "--max-dram"),
        device_loss=_limit(opts.pop("max_device_loss"), "--max-device-loss"),
        init_ns=parse_duration_ns(init, "--max-init") if init else None,
    )


def _limit(text: str | None, option: str) -> Limit | None:
    return None if text is None else parse_limit(text, option)


def ctx_exit(code: int) -> None:
    """Leave with ``code`` after the report was printed."""
    click.get_current_context().exit(code)


def main() -> None:
    """Console-script entry point."""
    cli.main(prog_name="vmemplan")
