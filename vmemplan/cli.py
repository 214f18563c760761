"""The ``vmemplan`` command line: parse, call the core, render, map outcomes to exit codes.

Exit codes: 0 success; 1 a budget check failed; 2 bad input (one line on stderr naming
the option and value); 3 internal error (no traceback unless VMEMPLAN_DEBUG=1);
130 interrupted.
"""

from __future__ import annotations

import contextlib
import gc
import os
import re
import sys
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any, NoReturn

import click

from vmemplan import __version__
from vmemplan.errors import InputError, Interrupted, VmemplanError
from vmemplan.estimate import (
    DEFAULT_PS_PER_STRUCT_PAGE,
    DEFAULT_PS_PER_STRUCT_PAGE_DEV,
    EstimateRequest,
    default_start,
    estimate,
    estimate_many,
    prepare,
)
from vmemplan.kernel.arch import ARCHES, get_arch
from vmemplan.kernel.dax_device import Mode
from vmemplan.kernel.pfn_devs import MapMode
from vmemplan.kernel.versions import (
    COUNTER_CHOICES,
    SWITCH_NAMES,
    KernelProfile,
    SwitchValue,
    kernel_profile,
    known_versions,
    parse_kernel_release,
    parse_kernel_switch,
    require_zone_device,
    with_switches,
)
from vmemplan.output.report import (
    compare_doc,
    estimate_doc,
    host_doc,
    machine_doc,
    plan_doc,
    ram_given_once,
    ranges_doc,
    to_json,
)
from vmemplan.units import (
    SpelledRange,
    format_as_given,
    format_size_exact,
    parse_duration_ns,
    parse_ns_per_page,
    parse_range,
    parse_size,
    parse_size_spelled,
)

if TYPE_CHECKING:  # compare/plan/check only: `estimate --json` start-up does not pay for them
    from click.shell_completion import CompletionItem

    from vmemplan.budget import Budgets, Limit
    from vmemplan.kernel.memory_hotplug import MemmapOnMemory
    from vmemplan.plan import Choice, Grid, Row, Subject

EXIT_OK, EXIT_FAIL, EXIT_INPUT, EXIT_INTERNAL, EXIT_INTERRUPTED = 0, 1, 2, 3, 130

EPILOG = """\b
Exit codes: 0 success, 1 a budget check failed, 2 bad input (one line on
stderr naming the option and value), 3 internal error, 130 interrupted.
"""


def _fail(code: int, message: str, *, lines: bool = False) -> NoReturn:
    """One escaped line on stderr (``lines``: a message that is one line per problem)."""
    from vmemplan.excerpt import safe_line, safe_lines  # noqa: PLC0415

    with contextlib.suppress(OSError):  # 2>/dev/full or 2>&-: the exit code still tells
        click.echo(f"vmemplan: error: {(safe_lines if lines else safe_line)(message)}", err=True)
    sys.exit(code)


class VmemplanCommand(click.Command):
    """A command that refuses an option taking one value given twice (``--size 1T --size 2T``).

    click keeps the last value silently; a repeatable option (``multiple``) stays repeatable.
    """

    def make_parser(self, ctx: click.Context) -> Any:
        parser = super().make_parser(ctx)
        parse = parser.parse_args

        def parse_args(args: list[str]) -> Any:
            opts, rest, order = parse(args)
            seen: set[str | None] = set()
            for param in order:  # one entry per occurrence, in command-line order
                if not isinstance(param, click.Option) or param.multiple or param.count:
                    continue
                if param.name in seen and param.expose_value:  # (--help --help is help)
                    spellings = "/".join(param.opts + param.secondary_opts)
                    what = "" if param.is_flag else " (it takes one value)"
                    raise click.UsageError(f"{spellings}: given more than once{what}", ctx)
                seen.add(param.name)
            return opts, rest, order

        parser.parse_args = parse_args  # type: ignore[method-assign]
        return parser


class VmemplanGroup(click.Group):
    """A click group whose every failure is one line on stderr and a documented exit code."""

    command_class = VmemplanCommand

    def main(self, *args: Any, **kwargs: Any) -> NoReturn:
        kwargs["standalone_mode"] = False
        argv = args[0] if args else kwargs.get("args")
        if (sys.argv[1:] if argv is None else argv) and "complete_var" not in kwargs:
            # The shells' completion calls (and `_VMEMPLAN_COMPLETE=bash_source vmemplan`)
            # pass no argument: a command given with the variable set (left in a CI job's
            # environment) is run, not answered with a completion script and exit 0. An
            # empty name is an environment variable that cannot be set.
            kwargs["complete_var"] = ""
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
            _fail(code, str(e), lines=hasattr(e, "problems"))  # a ConfigError: one per problem
        except (KeyboardInterrupt, Interrupted, click.Abort):
            _fail(EXIT_INTERRUPTED, "interrupted")
        except BrokenPipeError:
            _quiet_closed_pipe()
        except OSError as e:
            _fail(EXIT_INPUT, f"cannot write output: {e.strerror or e}")
        except Exception as e:  # pragma: no cover - the internal-error path
            if os.environ.get("VMEMPLAN_DEBUG") == "1":
                import traceback  # noqa: PLC0415 - only for a crash

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


# Shell completion (click's _VMEMPLAN_COMPLETE=bash_source|zsh_source|fish_source): the
# words each option's parser accepts, and file names where an option reads a file.
Completer = Callable[[click.Context, click.Parameter, str], "list[CompletionItem]"]


def _complete_words(words: dict[str, str | None]) -> Completer:
    """Complete ``words`` (word -> help shown by zsh/fish) case-insensitively."""

    def complete(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[Any]:
        from click.shell_completion import CompletionItem  # noqa: PLC0415

        low = incomplete.strip().lower()
        return [CompletionItem(w, help=h) for w, h in words.items() if w.startswith(low)]

    return complete


def _complete_file(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[Any]:
    """Let the shell complete a file name (click's "file" completion type)."""
    from click.shell_completion import CompletionItem  # noqa: PLC0415

    return [CompletionItem(incomplete, type="file")]


COMPLETE_MODE = _complete_words(
    {"devdax": None, "fsdax": None, "dax": "legacy name of devdax", "memory": "legacy fsdax"}
)
COMPLETE_MAP = _complete_words({"mem": "memmap in DRAM", "dev": "memmap on the device"})
COMPLETE_ARCH = _complete_words(dict.fromkeys(ARCHES))
COMPLETE_KERNEL = _complete_words(dict.fromkeys(known_versions()))
COMPLETE_COUNTERS = _complete_words(dict.fromkeys(COUNTER_CHOICES))


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
    linear_map: str | None = None,
    no_gbpages: bool = False,
    kernel_switch: tuple[str, ...] = (),
) -> EstimateRequest:
    """Turn raw option strings into an EstimateRequest; every error names its option."""
    profile = get_arch(arch)
    kprofile = with_switches(
        kernel_profile(parse_kernel_release(kernel)),
        _kernel_switches(counters, early_init_fix, dedup_keep, kernel_switch),
    )
    require_zone_device(kprofile)
    fields: dict[str, Any] = {
        "arch": profile,
        "kernel": kprofile,
        "map": _parse_map(map_),
        "mode": _parse_mode(mode),
    }
    if size is not None:
        fields["size"] = parse_size_spelled(size, "--size")
        if fields["size"] == 0:
            raise InputError("--size", f"{size!r}: must not be zero")
    if start is not None:
        fields["start"] = parse_size_spelled(start, "--start")
    if align is not None:
        fields["align"] = parse_size_spelled(align, "--align")
    if vmemmap_shift is not None:
        fields["vmemmap_shift"] = _parse_int(vmemmap_shift, "--vmemmap-shift")
    if dax_ranges:
        if start is not None:
            raise InputError(
                "--start", f"{start}: not with --dax-range (the ranges give the addresses)"
            )
        fields["dax_ranges"] = tuple(parse_range(r, "--dax-range") for r in dax_ranges)
    if system_ram:
        if any(r.strip().lower() == "none" for r in system_ram):
            if len(system_ram) > 1:
                raise InputError("--system-ram", "'none' cannot be combined with ranges")
            fields["system_ram"] = ()
        else:
            fields["system_ram"] = tuple(parse_range(r, "--system-ram") for r in system_ram)
    if start is None and not dax_ranges and "system_ram" in fields:
        fields["start"] = default_start(fields["system_ram"])  # above the boot RAM given
    if struct_page_size is not None:
        fields["struct_page_size"] = _parse_int(struct_page_size, "--struct-page-size")
    if ns_per_page is not None:
        fields["ps_per_struct_page"] = parse_ns_per_page(ns_per_page, "--ns-per-page")
    if linear_map is not None:
        key = linear_map.strip().lower()
        if key not in ("pages", "blocks"):
            raise InputError("--linear-map", f"{linear_map!r}: expected pages or blocks")
        fields["linear_map"] = key
    if no_gbpages:
        fields["gbpages"] = False
    return EstimateRequest(**fields)


def _kernel_switches(
    counters: str | None,
    early_init_fix: bool | None,
    dedup_keep: str | None,
    kernel_switch: tuple[str, ...],
) -> dict[str, SwitchValue]:
    """The switch overrides of --counters, --early-init-fix, --dedup-keep and --kernel-switch.

    Giving one switch two different values (``--counters exact --kernel-switch
    counters=nominal``) is an input error, not a silent last-one-wins.
    """
    switches: dict[str, SwitchValue] = {}
    given: dict[str, str] = {}

    def put(name: str, value: SwitchValue, option: str, text: str) -> None:
        if name in switches and switches[name] != value:
            raise InputError(option, f"{text}: conflicts with {given[name]}")
        switches[name], given[name] = value, text

    if counters is not None:
        if counters not in COUNTER_CHOICES:
            raise InputError("--counters", f"{counters!r}: expected none, nominal or exact")
        put("counters", counters, "--counters", f"--counters {counters}")
    if early_init_fix is not None:
        flag = "--early-init-fix" if early_init_fix else "--no-early-init-fix"
        put("early_init_fix", early_init_fix, flag, flag)
    if dedup_keep is not None:
        keep = _parse_int(dedup_keep, "--dedup-keep")
        if keep not in (1, 2):
            raise InputError("--dedup-keep", f"{dedup_keep}: expected 1 or 2")
        put("dedup_keep", keep, "--dedup-keep", f"--dedup-keep {dedup_keep}")
    for text in kernel_switch:
        name, value = parse_kernel_switch(text)
        put(name, value, "--kernel-switch", f"--kernel-switch {text}")
    return switches


_ARCH_HELP = ", ".join(ARCHES)
_DEFAULT_NS = (
    f"{DEFAULT_PS_PER_STRUCT_PAGE[0] / 1000:.1f}-{DEFAULT_PS_PER_STRUCT_PAGE[1] / 1000:.1f}"
)
_DEFAULT_NS_DEV = "-".join(f"{ps / 1000:.1f}" for ps in DEFAULT_PS_PER_STRUCT_PAGE_DEV)

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
    help="Physical start of the namespace. Default 64G (just above the default boot RAM), "
    "or the first GiB above --system-ram when that ends higher.",
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
    shell_complete=COMPLETE_MAP,
    help="Where the memmap lives. NOTE: ndctl's default is dev; vmemplan defaults to mem, "
    "the DRAM case that deduplication is about.",
)
MODE_OPTION = click.option(
    "-m",
    "--mode",
    default="devdax",
    show_default=True,
    metavar="devdax|fsdax|system-ram",
    shell_complete=COMPLETE_MODE,
    help="Namespace mode (fsdax never deduplicates); system-ram: the dax device onlined as "
    "System RAM by dax kmem (daxctl reconfigure-device --mode=system-ram).",
)
SYSTEM_RAM_MODES = ("system-ram", "system_ram", "kmem")


def _is_system_ram(mode: str) -> bool:
    return mode.strip().lower() in SYSTEM_RAM_MODES


def build_system_ram_request(
    opts: dict[str, Any],
    memmap_on_memory: str | None,
    memory_block_size: str | None,
    *,
    namespace: bool = False,
) -> Any:
    """The SystemRamRequest of ``estimate --mode system-ram``; devdax-only options refused.

    With ``namespace`` (--map or --align given) --size/--start are a pmem namespace whose
    devdax device is reconfigured; else they are the dax device's range (CXL/hmem)."""
    from vmemplan.system_ram import SystemRamRequest, pmem_namespace_layout  # noqa: PLC0415

    for key, option in (
        ("vmemmap_shift", "--vmemmap-shift"),
        ("dedup_keep", "--dedup-keep"),
        ("early_init_fix", "--early-init-fix"),
    ):
        if opts[key] is not None:
            raise InputError(
                option, "not with --mode system-ram: kmem trims the device to memory blocks"
            )
    mom = _parse_memmap_on_memory(memmap_on_memory) or "off"
    base = build_request(**{**opts, "mode": "devdax"})
    layout = None
    if base.dax_ranges:
        if base.size is not None:
            raise InputError("--dax-range", "give either --size or --dax-range, not both")
        if namespace:
            raise InputError("--map", "not with --dax-range: dax ranges have no pmem namespace")
        ranges = base.dax_ranges
    elif base.size is None:
        raise InputError("--size", "missing: give --size (or --dax-range)")
    elif namespace:
        layout = pmem_namespace_layout(base)
        ranges = ((base.start + layout.dataoff, base.start + base.size - layout.end_trunc),)
    else:
        spelled = f"{format_as_given(base.start)}+{format_as_given(base.size)}"
        ranges = (SpelledRange(base.start, base.start + base.size, spelled),)
    return SystemRamRequest(
        arch=base.arch,
        kernel=base.kernel,
        ranges=ranges,
        system_ram=base.system_ram,
        memmap_on_memory=mom,
        memory_block_size=(
            None
            if memory_block_size is None
            else parse_size(memory_block_size, "--memory-block-size")
        ),
        struct_page_size=base.struct_page_size,
        ps_per_struct_page=base.ps_per_struct_page or DEFAULT_PS_PER_STRUCT_PAGE,
        namespace=layout,
        linear_map=base.linear_map,
        gbpages=base.gbpages,
    )


def _machine_options(*, many_kernels: bool = False) -> Decorator:
    """Options that describe the machine rather than one namespace."""
    kernel_help = (
        "Kernel whose behaviour to model: X.Y, a stable X.Y.Z, or a full `uname -r` "
        "(a distribution suffix gets a note naming the upstream rules assumed)."
    )
    if many_kernels:
        kernel_help += " Repeat to compare kernels side by side."
    return _options(
        click.option(
            "--system-ram",
            multiple=True,
            metavar="RANGE",
            help="Boot System RAM range (START-END inclusive, START..END exclusive, or "
            "START+SIZE); repeatable; "
            "'none' for no boot RAM. Default: 0+64G. Its sections reuse their boot memmap and "
            "it owns page tables.",
        ),
        click.option(
            "--arch",
            default="x86_64",
            show_default=True,
            metavar="NAME",
            shell_complete=COMPLETE_ARCH,
            help=f"Architecture profile: {_ARCH_HELP}. x86_64 is 4-level paging, "
            "x86_64-la57 5-level.",
        ),
        click.option(
            "--kernel",
            multiple=many_kernels,
            default=("6.12",) if many_kernels else "6.12",
            show_default=True,
            metavar="X.Y[.Z]|UNAME",
            shell_complete=COMPLETE_KERNEL,
            help=kernel_help,
        ),
        click.option(
            "--kernel-switch",
            multiple=True,
            metavar="NAME=VALUE",
            help="Override one behaviour switch of the version table (repeatable), for "
            "kernels with backports or built without a feature: "
            + ", ".join(SWITCH_NAMES)
            + " (y/n; optimize_rule and counters by name; dedup_keep 1 or 2).",
        ),
        click.option(
            "--struct-page-size", metavar="BYTES", help="sizeof(struct page) (default 64)."
        ),
        click.option(
            "--counters",
            metavar="none|nominal|exact",
            shell_complete=COMPLETE_COUNTERS,
            help="Override nr_memmap_pages semantics (for kernels with backports).",
        ),
        click.option(
            "--early-init-fix/--no-early-init-fix",
            default=None,
            help='Override the early-section init fix ("mm/mm_init: Fix uninitialized struct '
            'pages for ZONE_DEVICE", v7.2; stable 7.1.5, 6.18.40, 6.12.97, 6.6.145, 6.1.184).',
        ),
        click.option(
            "--dedup-keep",
            metavar="1|2",
            help="Vmemmap pages kept per compound: 2; 1 with Muchun Song's \"Generalize vmemmap "
            'optimization for DAX and HugeTLB" series (not merged as of v7.3).',
        ),
        click.option(
            "--ns-per-page",
            metavar="LOW-HIGH",
            help=f"Init cost per struct page in ns, for every map. Default {_DEFAULT_NS} with the "
            "memmap in DRAM (map=mem, dax ranges; Joao Martins' 128 GiB measurement for the "
            f"v5.19 compound devmaps series) and {_DEFAULT_NS_DEV} with it on the device "
            "(map=dev; Li Zhe's 100 GiB measurement in a VM, v7.1-rc3; unknown on real media).",
        ),
        click.option(
            "--linear-map",
            metavar="pages|blocks",
            help="How arch_add_memory() maps added ranges into the direct map: pages "
            "(arm64 default: rodata=full, debug_pagealloc) or blocks (x86 default; arm64 "
            "rodata=on/off).",
        ),
        click.option(
            "--no-gbpages",
            is_flag=True,
            help="x86: no 1 GiB pages in the direct map (nogbpages, or no CPU support).",
        ),
    )


JSON_OPTION = click.option(
    "--json", "as_json", is_flag=True, help="Print one JSON document (exact integers)."
)
HUMAN_OPTION = click.option(
    "-u",
    "--human",
    is_flag=True,
    help='JSON with readable sizes, as ndctl -u prints them ("15.63 GiB (16.78 GB)", '
    "addresses in hex); implies --json. Without it JSON keeps exact integers.",
)
COLOR_OPTION = click.option(
    "--color",
    type=click.Choice(["auto", "always", "never"]),
    default="auto",
    show_default=True,
    help="Colour and style of human output (auto: on a terminal, unless NO_COLOR is set).",
)
OUTPUT_OPTIONS = _options(JSON_OPTION, HUMAN_OPTION, COLOR_OPTION)


def _console(color: str) -> Any:
    """A rich Console (imported only for human output: --json start-up stays lean)."""
    from vmemplan.output.render import FigureConsole  # noqa: PLC0415

    class _PipeConsole(FigureConsole):
        def on_broken_pipe(self) -> None:
            raise BrokenPipeError  # rich would exit 1; main() exits 0 quietly

    from vmemplan.output.render import strip_trailing_blanks  # noqa: PLC0415

    never = color == "never" or (color == "auto" and "NO_COLOR" in os.environ)
    extra: dict[str, Any] = {"color_system": None} if never else {}
    console = _PipeConsole(
        file=strip_trailing_blanks(sys.stdout),
        force_terminal=True if color == "always" else None,
        no_color=never,
        highlight=False,
        emoji=False,  # ":name:" in a label is text; and rich's emoji table is not imported
        **extra,
    )
    if not console.is_terminal and "COLUMNS" not in os.environ:
        console.width = 120  # a pipe or a log: do not truncate tables to 80 columns
    return console


def _emit(doc: dict[str, Any], as_json: bool, color: str, render: str) -> None:
    human = click.get_current_context().params.get("human", False)
    if as_json or human:
        click.echo(to_json(_human(doc) if human else doc), nl=False)
        return
    from vmemplan.output import render as r  # noqa: PLC0415

    getattr(r, render)(_console(color), doc)


def _human(doc: dict[str, Any]) -> dict[str, Any]:
    """``-u/--human``: sizes as ndctl -u prints them (see vmemplan.output.human)."""
    from vmemplan.output.human import humanize  # noqa: PLC0415

    out: dict[str, Any] = humanize(doc)
    return out


MEMMAP_ON_MEMORY_OPTION = click.option(
    "--memmap-on-memory",
    metavar="off|on|force",
    help="With --mode system-ram, or for the system-ram (kmem) devices of --from-ndctl/"
    "--iomem: memory_hotplug.memmap_on_memory (and the dax device's memmap_on_memory "
    "attribute, 6.8+). Default off.",
)
MEMORY_BLOCK_SIZE_OPTION = click.option(
    "--memory-block-size",
    metavar="SIZE",
    help="With --mode system-ram, or for the kmem devices of --from-ndctl/--iomem: "
    "memory_block_size_bytes(). Default: as the kernel picks it (x86: 2G with >= 64G boot "
    "RAM on bare metal, else 128M); for a dump, the size that gives the blocks it shows.",
)


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
    help="A dynamic dax device range (hmem/CXL): START-END (END inclusive), START..END "
    "(END exclusive: 512G..4T) or START+SIZE; repeatable. Replaces --size/--start; never "
    "has an altmap.",
)
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
    "--iomem",
    metavar="FILE",
    shell_complete=_complete_file,
    help="A /proc/iomem dump: its System RAM is the boot RAM; its Persistent Memory "
    "ranges (with --align/--map/--mode) and dax devices (Soft Reserved, CXL) are estimated, "
    "and its kmem System RAM hot-added after them, unless --from-ndctl is given.",
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
    ndctl_path, iomem_path = opts.pop("from_ndctl"), opts.pop("iomem")
    mom, block = opts.pop("memmap_on_memory"), opts.pop("memory_block_size")
    if _is_system_ram(opts["mode"]):
        from vmemplan.output.system_ram_report import system_ram_doc  # noqa: PLC0415
        from vmemplan.system_ram import system_ram_estimate  # noqa: PLC0415

        if ndctl_path is not None or iomem_path is not None:
            raise InputError("--mode", "system-ram: not with --from-ndctl or --iomem (yet)")
        ctx = click.get_current_context()
        explicit = [
            ctx.get_parameter_source(name) != click.core.ParameterSource.DEFAULT
            for name in ("map_", "align")
        ]
        sreq = build_system_ram_request(opts, mom, block, namespace=any(explicit))
        _emit(system_ram_doc(system_ram_estimate(sreq)), as_json, color, "render_system_ram")
        return
    if ndctl_path is None and iomem_path is None:
        why = "only with --mode system-ram, or for the kmem devices of --from-ndctl/--iomem"
        if mom is not None:
            raise InputError("--memmap-on-memory", why)
        if block is not None:
            raise InputError("--memory-block-size", why)
        req = build_request(**opts)
        _emit(estimate_doc(estimate(req)), as_json, color, "render_estimate")
        return
    if opts["size"] is not None or opts["dax_ranges"]:
        raise InputError("--size", "not with --from-ndctl or --iomem: the dump gives the sizes")
    if ndctl_path is not None and opts["vmemmap_shift"] is not None:
        raise InputError("--vmemmap-shift", "not with --from-ndctl: give --align to override")
    if ndctl_path is None and opts["start"] is not None:
        raise InputError("--start", f"{opts['start']}: not with --iomem: it gives the addresses")
    ctx = click.get_current_context()
    typed = {
        name: ctx.get_parameter_source(param) not in (None, click.core.ParameterSource.DEFAULT)
        for name, param in (("align", "align"), ("map", "map_"), ("mode", "mode"))
    }
    doc = discover_machine(opts, ndctl_path, iomem_path, typed, _kmem_options(mom, block))
    _emit(doc, as_json, color, "render_machine")


def _parse_memmap_on_memory(text: str | None) -> MemmapOnMemory | None:
    """``--memmap-on-memory``: off, on or force (y/n/1/0/true/false as the kernel takes)."""
    if text is None:
        return None
    key = text.strip().lower()
    key = {"y": "on", "yes": "on", "1": "on", "true": "on"}.get(key, key)
    key = {"n": "off", "no": "off", "0": "off", "false": "off"}.get(key, key)
    for mom in _MEMMAP_ON_MEMORY:
        if key == mom:
            return mom
    raise InputError("--memmap-on-memory", f"{text!r}: expected off, on or force")


_MEMMAP_ON_MEMORY: tuple[MemmapOnMemory, ...] = ("off", "on", "force")


def _kmem_options(mom: str | None, block: str | None) -> Any:
    """The dump's kmem devices: --memmap-on-memory and --memory-block-size (None: unset)."""
    from vmemplan.sources.discover import Kmem  # noqa: PLC0415

    return Kmem(
        _parse_memmap_on_memory(mom),
        None if block is None else parse_size(block, "--memory-block-size"),
    )


# Given once for the whole batch, never per line: with --batch they are refused.
_BATCH_REFUSES = {
    "as_json": ("--json", "--batch always writes JSON, one document per line"),
    "color": ("--color", "--batch writes JSON, which has no colour"),
    "from_ndctl": ("--from-ndctl", "each --batch line gives its own geometry"),
    "iomem": ("--iomem", "each --batch line gives its own geometry"),
    "human": ("--human", "--batch writes exact JSON, one document per line"),
    "memmap_on_memory": ("--memmap-on-memory", "--batch lines are namespaces, not System RAM"),
    "memory_block_size": ("--memory-block-size", "--batch lines are namespaces, not System RAM"),
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
    build_request(**opts)  # the defaults alone: a bad one is one error, not one per line
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
                    doc = estimate_doc(estimate(build_request(**{**opts, **given})))
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


def read_input(path: str, option: str) -> str:
    """A file's text ('-' is stdin): a regular file or a pipe, capped (exit 2 otherwise)."""
    from vmemplan.reading import read_input as read  # noqa: PLC0415

    return read(path, option)


def discover_machine(
    opts: dict[str, Any],
    ndctl_path: str | None,
    iomem_path: str | None,
    typed: dict[str, bool] | None = None,
    kmem: Any = None,
) -> dict[str, Any]:
    """The machine document of an ndctl/daxctl dump and/or a /proc/iomem dump."""
    estimates, system_ram, source = discover_estimates(opts, ndctl_path, iomem_path, typed, kmem)
    return machine_doc(estimates, source, system_ram)


def discover_estimates(
    opts: dict[str, Any],
    ndctl_path: str | None,
    iomem_path: str | None,
    typed: dict[str, bool] | None = None,
    kmem: Any = None,
) -> tuple[list[Any], list[Any], dict[str, Any]]:
    """Estimate the namespaces of an ndctl/daxctl dump and/or a /proc/iomem dump, and
    hot-add its kmem devices after them: the estimates, (label, SystemRamEstimate) of each
    kmem device, and the source document.

    ``typed`` says which of --align/--map/--mode the user gave: those override the dump;
    ``kmem`` (a ``discover.Kmem``) carries --memmap-on-memory and --memory-block-size.
    """
    found = _discover(opts, ndctl_path, iomem_path, typed, kmem)
    return found.estimates, found.system_ram, found.source


class _Discovery:
    """What ``_discover`` read and estimated."""

    def __init__(
        self,
        estimates: list[Any],
        system_ram: list[Any],
        source: dict[str, Any],
        devices: list[Any],
        found: Any,
    ) -> None:
        self.estimates = estimates  # the pgmaps (pmem and device-dax namespaces)
        self.system_ram = system_ram  # (label, SystemRamEstimate): the kmem devices
        self.source = source
        self.devices = devices  # of the ndctl/daxctl dump
        self.found = found  # discover.Discovered


def _discover(
    opts: dict[str, Any],
    ndctl_path: str | None,
    iomem_path: str | None,
    typed: dict[str, bool] | None = None,
    kmem: Any = None,
    *,
    hot_add: bool = True,
) -> _Discovery:
    """Read the dumps, estimate their pgmaps on one machine and (with ``hot_add``) hot-add
    their kmem devices after them; the ndctl/daxctl dump is read once ('-')."""
    from vmemplan.sources.discover import Given, found_doc  # noqa: PLC0415
    from vmemplan.sources.iomem import parse_iomem, system_ram  # noqa: PLC0415
    from vmemplan.sources.iomem_machine import from_iomem, pmem_namespaces  # noqa: PLC0415
    from vmemplan.sources.ndctl import parse_ndctl_json  # noqa: PLC0415
    from vmemplan.sources.ndctl_machine import from_ndctl  # noqa: PLC0415

    entries = None
    ram_from_iomem = False
    if iomem_path is not None:
        entries = parse_iomem(read_input(iomem_path, "--iomem"), iomem_path)
        if not opts["system_ram"]:
            opts["system_ram"] = tuple(f"{a:#x}+{b - a:#x}" for a, b in system_ram(entries))
            ram_from_iomem = True
            if not opts["system_ram"]:
                opts["system_ram"] = ("none",)
    given = Given(**(typed or {}))
    base = build_request(**opts)
    if ram_from_iomem:  # read from the dump, not typed: no spelling to echo
        base = replace(base, system_ram=tuple((a, b) for a, b in base.system_ram))
    devices = []
    if ndctl_path is not None:
        devices = parse_ndctl_json(read_input(ndctl_path, "--from-ndctl"), ndctl_path)
        start = None
        if entries is not None and opts.get("start") is None:
            pmem = pmem_namespaces(entries)
            start = pmem[0].start if pmem else None
        found = from_ndctl(devices, base, start, given=given, iomem=entries, kmem=kmem)
        kind, path = "ndctl", ndctl_path
    else:
        assert entries is not None
        found = from_iomem(entries, base, given, kmem)
        kind, path = "iomem", str(iomem_path)
    if not found.requests and not found.system_ram:
        raise InputError(
            kind if kind == "iomem" else "--from-ndctl", f"{path}: no namespace to estimate"
        )
    dump_option = "--from-ndctl" if kind == "ndctl" else "--iomem"

    def named(e: InputError, origin: str) -> InputError:
        # values the dump gave are the dump's fault; typed ones keep their option
        option = dump_option if e.option in ("--dax-range", "--start", "--size") else e.option
        return type(e)(option, f"{origin}: {e.message}")

    prepared = []
    for req, origin in zip(found.requests, found.origins, strict=True):
        try:
            prepared.append(prepare(req))  # a refusal names the device, not only the value
        except InputError as e:
            raise named(e, origin) from None
    estimates = estimate_many(found.requests, prepared)
    added: list[Any] = []
    if hot_add and found.system_ram:
        added = _hot_add_kmem(base, estimates, found, named)
    source = {
        "kind": kind,
        "path": path,
        "inferred": found.inferred,
        "found": [found_doc(f) for f in found.found],
        # the boot RAM every namespace was estimated on, once (the namespaces' documents
        # leave it out when it has more than MAX_REPEATED_RAM_RANGES ranges)
        "system_ram": ranges_doc(base.system_ram),
    }
    return _Discovery(estimates, added, source, devices, found)


def _hot_add_kmem(
    base: EstimateRequest,
    estimates: list[Any],
    found: Any,
    named: Callable[[InputError, str], InputError],
) -> list[Any]:
    """Each kmem device of a dump estimated alone (validated as ``estimate --mode
    system-ram`` does), then hot-added after the namespaces on their machine."""
    from vmemplan.system_ram import hot_add_after, system_ram_estimate  # noqa: PLC0415

    p = base.arch.page_size
    pgmaps = [(e.request.label, lo * p, hi * p) for e in estimates for lo, hi in e.pgmap.ranges]
    checked = []
    for dev in found.system_ram:
        for lo, hi in dev.request.ranges:
            clash = next((m for m in pgmaps if lo < m[2] and m[1] < hi), None)
            if clash is not None:
                raise named(
                    InputError(
                        "--dax-range",
                        f"{lo:#x}-{hi - 1:#x} overlaps {clash[0]} at "
                        f"{clash[1]:#x}-{clash[2] - 1:#x}",
                    ),
                    dev.origin,
                )
        try:
            one = system_ram_estimate(dev.request)
        except InputError as e:
            raise named(e, dev.origin) from None
        if found.memory_block_size_source == "dump":
            one = replace(one, block_size_source="dump")
        checked.append(one)
    added = hot_add_after(base, estimates, checked)
    return [(dev.label, e) for dev, e in zip(found.system_ram, added, strict=True)]


_DAX_DEVICE_NAME = re.compile(r"dax[0-9]+\.[0-9]+", re.ASCII)


def discover_subjects(
    opts: dict[str, Any],
    ndctl_path: str | None,
    iomem_path: str | None,
    current: Choice | None,
    kmem: Any = None,
) -> tuple[list[Subject], dict[str, Any]]:
    """The namespaces of a dump as compare/plan subjects: what each runs today (from an
    ndctl/daxctl dump; /proc/iomem does not say, so ``--current`` there) and its device.
    A kmem device is its ranges as a device-dax device, and runs system-ram today."""
    from vmemplan.plan import Choice, Device, Subject, pmem_dax_subject  # noqa: PLC0415

    found = _discover(opts, ndctl_path, iomem_path, kmem=kmem, hot_add=False)
    devices = {d.name: d for d in found.devices}
    subjects = []
    for e in found.estimates:
        req = e.request
        label = req.label or ""
        dev = devices.get(label)
        if dev is not None:
            kind: Any = "dax" if dev.source == "daxctl" else "namespace"
            now = Choice(req.mode, "mem" if req.dax_ranges else req.map, e.align)
            subjects.append(Subject(req, now, Device(label, kind)))
        else:
            device = Device(label, "namespace") if label.startswith("namespace") else None
            subjects.append(Subject(req, current, device))
    for k in found.found.system_ram:
        named = _DAX_DEVICE_NAME.fullmatch(k.label) is not None  # not "System RAM (kmem)@..."
        device = Device(k.label, "dax", system_ram=True) if named else None
        if k.namespace is not None and named:  # a pmem namespace's static dax device
            ns, layout = k.namespace, k.namespace.layout
            rebind = None if layout is None else Choice("devdax", layout.map, layout.align)
            subjects.append(
                pmem_dax_subject(
                    k.devdax,
                    dax_device=k.label,
                    namespace=ns.name,
                    start=ns.start,
                    size=ns.size,
                    rebind=rebind,
                    kmem=k.request,
                )
            )
            continue
        subjects.append(Subject(k.devdax, None, device, kmem=k.request))
    order = {f.label: i for i, f in enumerate(found.found.found)}
    subjects.sort(key=lambda s: order.get(s.request.label or "", len(order)))
    return subjects, found.source


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
        "dax_ranges": geometry.get("dax_ranges", ()),
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
        shell_complete=COMPLETE_MODE,
        help="Only this mode (repeatable). Default: both.",
    ),
    click.option(
        "-M",
        "--map",
        "maps",
        multiple=True,
        metavar="mem|dev",
        shell_complete=COMPLETE_MAP,
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
    from vmemplan.plan import Grid  # noqa: PLC0415

    min_align = opts.pop("min_align")
    return Grid(
        modes=tuple(dict.fromkeys(_parse_mode(m) for m in opts.pop("modes"))),
        maps=tuple(dict.fromkeys(_parse_map(m) for m in opts.pop("maps"))),
        aligns=tuple(dict.fromkeys(parse_size(a, "--align") for a in opts.pop("aligns"))),
        min_align=parse_size(min_align, "--min-align") if min_align else None,
    )


SUBJECT_OPTIONS = _options(
    click.option(
        "--dax-range",
        "dax_ranges",
        multiple=True,
        metavar="RANGE",
        help="A dynamic dax device (hmem/CXL) instead of --size: START..END (END exclusive), "
        "START-END (inclusive) or START+SIZE; repeatable. Its grid is the aligns (devdax, "
        "never an altmap).",
    ),
    click.option(
        "--from-ndctl",
        metavar="FILE",
        help="Each namespace and dax device of an `ndctl list` / `daxctl list` JSON dump "
        "('-' is stdin), with its delta against the mode/map/align it runs today.",
    ),
    click.option(
        "--iomem",
        metavar="FILE",
        help="A /proc/iomem dump: its System RAM is the boot RAM; without --from-ndctl its "
        "Persistent Memory namespaces are the ones to compare.",
    ),
    click.option(
        "--config",
        "config_path",
        metavar="FILE",
        help="Each namespace of a host config (TOML, YAML or JSON) on its [host] machine; "
        "its mode/map/align are what it runs today, plan uses its [namespaces.budgets].",
    ),
    click.option(
        "--namespace",
        "namespaces",
        multiple=True,
        metavar="NAME",
        help="With --from-ndctl, --iomem or --config: only this namespace (repeatable).",
    ),
    click.option(
        "--current",
        metavar="MODE/MAP/ALIGN",
        help="What the namespace runs today (e.g. fsdax/dev/2M): each row gets its delta "
        "(DRAM, capacity, init time). --from-ndctl and --config say it themselves.",
    ),
)

# The options that describe the machine: a config file's [host] section does instead.
_MACHINE_PARAMS = (
    "system_ram",
    "arch",
    "kernel",
    "struct_page_size",
    "counters",
    "early_init_fix",
    "dedup_keep",
    "ns_per_page",
)


def _given(name: str) -> bool:
    """Whether the user gave option ``name`` (not its default)."""
    ctx = click.get_current_context()
    source = ctx.get_parameter_source(name)
    return source not in (None, click.core.ParameterSource.DEFAULT)


def _option_name(name: str) -> str:
    return "--" + name.replace("_", "-")


def parse_current(text: str) -> Choice:
    """``--current fsdax/dev/2M``: mode, map and align of what the host runs today."""
    from vmemplan.plan import Choice  # noqa: PLC0415

    parts = text.split("/")
    if len(parts) != 3:
        raise InputError("--current", f"{text!r}: expected MODE/MAP/ALIGN, e.g. fsdax/dev/2M")
    mode, map_, align = parts
    try:
        return Choice(_parse_mode(mode), _parse_map(map_), parse_size(align, "--current"))
    except InputError as err:
        raise InputError("--current", f"{text!r}: {err.message}") from None


def _check_current(current: Choice | None, req: EstimateRequest, text: str | None) -> None:
    """``--current`` names a configuration ndctl could have made on this arch."""
    if current is None:
        return
    if current.align not in req.arch.dax_alignments:
        supported = ", ".join(format_size_exact(a) for a in req.arch.dax_alignments)
        raise InputError(
            "--current", f"{text!r}: not an align of {req.arch.name} (supported: {supported})"
        )
    if req.dax_ranges and (current.mode, current.map) != ("devdax", "mem"):
        raise InputError("--current", f"{text!r}: a dax device (--dax-range) is devdax/mem")


def _config_subjects(
    path: str, *, planning: bool = False
) -> tuple[list[Subject], list[KernelProfile], list[str]]:
    """Each namespace of a host config, as check walks them (one machine, packed starts).

    A system-ram namespace is placed as check places it; ``compare`` shows it as System
    RAM and weighs its ranges as device-dax; ``plan`` (``planning``), which ranks
    namespace configurations against the entry's budgets, leaves it out with a note.
    """
    from vmemplan.budget import Budgets, Limit  # noqa: PLC0415
    from vmemplan.check import (  # noqa: PLC0415
        base_request,
        namespace_request,
        system_ram_request,
    )
    from vmemplan.estimate import default_start, prepare  # noqa: PLC0415
    from vmemplan.kernel.arch import SUBSECTION_SIZE  # noqa: PLC0415
    from vmemplan.plan import Choice, Subject  # noqa: PLC0415
    from vmemplan.sizing import REGION_ALIGN  # noqa: PLC0415
    from vmemplan.sources.config import ConfigError, parse_config_located  # noqa: PLC0415
    from vmemplan.units import align_up  # noqa: PLC0415

    try:
        cfg, _ = parse_config_located(read_input(path, "--config"), path)
    except ConfigError as err:
        more = len(err.problems) - 1
        extra = f" (and {more} more: vmemplan check {path})" if more else ""
        raise InputError("--config", f"{err.problems[0]}{extra}") from None
    try:
        base = base_request(cfg)
    except InputError as err:
        raise InputError(f"{path}: {err.option}", err.message) from None
    from vmemplan.system_ram import system_ram_estimate  # noqa: PLC0415

    subjects, cursor, notes = [], default_start(base.system_ram), []
    for i, ns in enumerate(cfg.namespaces):
        kmem = None
        try:
            if ns.mode == "system-ram":
                # as check places and validates it; compared as System RAM and weighed
                # as the device-dax device of the same ranges
                kmem = system_ram_request(base, cfg.host.memory_block_size, ns, cursor)
                align = system_ram_estimate(kmem).memory_block_size
                req = replace(base, label=ns.name, dax_ranges=kmem.ranges, mode="devdax", map="mem")
                end = max(hi for _, hi in kmem.ranges)
            else:
                req = namespace_request(base, ns, cursor)
                prepared = prepare(req)
                align = prepared.align
                end = max(r[1] for r in prepared.pgmap.ranges) * base.arch.page_size
        except InputError as err:
            raise InputError(f"{path}: namespaces[{i}] ({ns.name})", err.message) from None
        cursor = max(cursor, align_up(end, max(REGION_ALIGN, SUBSECTION_SIZE, align)))
        b = ns.budgets
        budgets = Budgets(
            dram=None if b.dram is None else Limit(bytes=b.dram.bytes, ppm=b.dram.ppm),
            device_loss=None
            if b.device_loss is None
            else Limit(bytes=b.device_loss.bytes, ppm=b.device_loss.ppm),
            init_ns=b.init,
        )
        if kmem is not None and planning:
            notes.append(
                f"{ns.name} (namespaces[{i}]): system-ram: not planned (plan ranks namespace "
                f"configurations; its budgets hold for System RAM): vmemplan check {path} "
                f"checks it, vmemplan compare --config {path} shows it"
            )
            continue
        if kmem is not None:
            notes.append(
                f"{ns.name} (namespaces[{i}]): system-ram: shown as System RAM "
                "(memmap_on_memory off and on), and its ranges weighed as a device-dax device"
            )
            subjects.append(Subject(req, None, None, budgets, kmem=kmem))
            continue
        now = Choice(req.mode, "mem" if req.dax_ranges else req.map, align)
        subjects.append(Subject(req, now, None, budgets))
    if not cfg.namespaces:  # a file of [[hugetlb]] pools only: no namespace configuration
        pools = len(cfg.hugetlb)
        raise InputError(
            "--config",
            f"{path} has no namespace to compare, only {pools} HugeTLB "
            f"pool{'s' if pools != 1 else ''}: vmemplan check {path} estimates them",
        )
    if any(x is not None for x in (cfg.budgets.dram, cfg.budgets.device_loss, cfg.budgets.init)):
        notes.append(
            "the [budgets] totals are not split across namespaces: `vmemplan check` checks them"
        )
    if cfg.hugetlb:
        n = len(cfg.hugetlb)
        notes.append(
            f"the {n} [[hugetlb]] pool{'s' if n != 1 else ''} of {path} "
            f"{'are' if n != 1 else 'is'} not compared (a pool has no namespace "
            f"configuration): vmemplan check {path} estimates {'them' if n != 1 else 'it'}"
        )
    if planning and cfg.namespaces and not subjects:
        raise InputError(
            "--config", f"{path}: no namespace to plan (system-ram ones only: vmemplan check)"
        )
    return subjects, [base.kernel], notes


def _subjects(
    opts: dict[str, Any],
    size: str | None,
    start: str | None,
    *,
    planning: bool = False,
    memory_block_size: int | None = None,
) -> tuple[list[Subject], list[KernelProfile], dict[str, Any] | None]:
    """What to compare or plan: one namespace (--size / --dax-range) and no source, or
    each namespace of a host (--from-ndctl / --iomem / --config) and where they came from.
    The subject options are popped from ``opts``."""
    from vmemplan.plan import Subject  # noqa: PLC0415

    dax_ranges, names = opts.pop("dax_ranges"), opts.pop("namespaces")
    ndctl_path, iomem_path = opts.pop("from_ndctl"), opts.pop("iomem")
    config_path, current_text = opts.pop("config_path"), opts.pop("current")
    current = None if current_text is None else parse_current(current_text)
    if config_path is not None:
        for option, value in (
            ("--size", size),
            ("--start", start),
            ("--dax-range", dax_ranges),
            ("--from-ndctl", ndctl_path),
            ("--iomem", iomem_path),
            ("--current", current_text),
        ):
            if value:
                raise InputError(option, "not with --config: the config file gives the namespaces")
        for name in _MACHINE_PARAMS:
            if _given(name):
                raise InputError(
                    _option_name(name), "not with --config: its [host] section gives the machine"
                )
        subjects, kernels, notes = _config_subjects(config_path, planning=planning)
        source: dict[str, Any] | None = {
            "kind": "config",
            "path": config_path,
            "inferred": notes,
            "system_ram": None,  # each namespace's document gives the config's
        }
    elif ndctl_path is not None or iomem_path is not None:
        if size is not None or dax_ranges:
            option = "--size" if size is not None else "--dax-range"
            raise InputError(option, "not with --from-ndctl or --iomem: the dump gives the sizes")
        if current is not None and ndctl_path is not None:
            raise InputError(
                "--current", "not with --from-ndctl: the dump says what each namespace runs"
            )
        versions = tuple(opts.pop("kernel")) or ("6.12",)
        fields = {
            **opts,
            "size": None,
            "start": start,
            "align": None,
            "vmemmap_shift": None,
            "map_": "mem",
            "mode": "devdax",
            "dax_ranges": (),
        }
        from vmemplan.sources.discover import Kmem  # noqa: PLC0415

        subjects, source = discover_subjects(
            {**fields, "kernel": versions[0]},
            ndctl_path,
            iomem_path,
            current,
            Kmem(memory_block_size=memory_block_size),
        )
        _check_current(current, subjects[0].request, current_text)
        kernels = [subjects[0].request.kernel] + [
            build_request(**{**fields, "kernel": v}).kernel for v in versions[1:]
        ]
    else:
        if names:
            raise InputError("--namespace", "only with --from-ndctl, --iomem or --config")
        if size is None and not dax_ranges:
            raise InputError("--size", "missing: give the raw namespace size, e.g. --size 1536G")
        req, kernels = _machine_request(opts, size=size, start=start, dax_ranges=dax_ranges)
        _check_current(current, req, current_text)
        return [Subject(req, current)], kernels, None
    if names:
        known = [s.request.label or "" for s in subjects]
        for name in names:
            if name not in known:
                raise InputError(
                    "--namespace", f"{name}: not in the input (it has {', '.join(known)})"
                )
        subjects = [s for s in subjects if s.request.label in names]
        if source is not None:  # the notes of the namespaces left out go too
            dropped = set(known) - set(names)
            source["inferred"] = [
                line for line in source["inferred"] if line.split(" ", 1)[0] not in dropped
            ]
    return subjects, kernels, source


def _compare_subject(
    subject: Subject, kernels: list[KernelProfile], grid: Grid
) -> tuple[list[Row], list[Row]]:
    """The rows of one subject, and what it runs today on each kernel (if known)."""
    from vmemplan.plan import compare, current_row  # noqa: PLC0415

    try:
        rows = compare(subject.request, kernels, subject.grid(grid))
    except InputError as err:
        if subject.request.label is None:
            raise
        raise InputError(err.option, f"{subject.request.label}: {err.message}") from None
    now = subject.current
    return rows, [] if now is None else [current_row(subject.request, k, now) for k in kernels]


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
            ("iomem", "--iomem"),
            ("config_path", "--config"),
            ("current", "--current"),
        ):
            if opts.get(key):
                raise InputError("--mode", f"system-ram: only with --size, not with {option}")
    block_text = opts.pop("memory_block_size")
    block = None if block_text is None else parse_size(block_text, "--memory-block-size")
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
            from vmemplan.system_ram import system_ram_rows  # noqa: PLC0415

            doc["system_ram_rows"] = system_ram_rows(kmem, kernels)
        docs.append(doc)
    if source is None:
        _emit(docs[0], as_json, color, "render_compare")
    else:
        _emit(host_doc(docs, source), as_json, color, "render_host_compare")


@cli.command("plan", epilog=EPILOG)
@_options(SIZE_OPTION)
@click.option("--usable", metavar="SIZE", help="Inverse sizing: the usable size wanted.")
@_options(START_OPTION)
@GRID_OPTIONS
@SUBJECT_OPTIONS
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
@_machine_options(many_kernels=True)
@OUTPUT_OPTIONS
def plan_cmd(**opts: Any) -> None:
    """Pick the configuration that meets every budget, or size a namespace from its usable size.

    Forward: --size and budgets rank every configuration (exit 1 when none fits);
    --mode, --map and --align (each repeatable) restrict the grid.
    Inverse: --usable with one --align/--map/--mode (default 2M, mem, devdax) gives the
    raw --size to ask ndctl for.
    Host: --from-ndctl, --iomem or --config plan each namespace (--namespace picks some);
    for an existing namespace or dax device the plan also prints the ndctl/daxctl
    commands that reconfigure it in place. --max-* override a config's budgets.
    """
    from vmemplan.plan import Choice, Row, plan  # noqa: PLC0415
    from vmemplan.sizing import raw_size_for_usable  # noqa: PLC0415

    as_json, color = opts.pop("as_json") | opts.pop("human"), opts.pop("color")
    size, usable = opts.pop("size"), opts.pop("usable")
    start = opts.pop("start")
    modes, maps, aligns = opts["modes"], opts["maps"], opts["aligns"]
    budgets = _budgets(opts)
    ways_text = opts.pop("interleave_ways")
    host = [opts[k] for k in ("dax_ranges", "from_ndctl", "iomem", "config_path")]
    if usable is not None:
        for option, value in zip(
            ("--dax-range", "--from-ndctl", "--iomem", "--config", "--namespace", "--current"),
            (*host, opts["namespaces"], opts["current"]),
            strict=True,
        ):
            if value:
                raise InputError(option, "not with --usable (it sizes one new namespace)")
        if len(opts["kernel"]) > 1:
            raise InputError("--kernel", "one kernel with --usable (it sizes one configuration)")
        for key in ("dax_ranges", "from_ndctl", "iomem", "config_path", "namespaces", "current"):
            opts.pop(key)
    elif size is None and not any(host):
        raise InputError("--size", "give exactly one of --size (forward plan) or --usable (sizing)")
    if size is not None and usable is not None:
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
    subjects, kernels, source = _subjects(opts, size, start, planning=True)
    docs, fits = [], True
    for subject in subjects:
        rows, now = _compare_subject(subject, kernels, grid)
        own = budgets if budgets or subject.budgets is None else subject.budgets
        result = plan(rows, own)
        fits = fits and result.recommended is not None
        once = ram_given_once(source, subject.request.system_ram)
        docs.append(
            plan_doc(
                subject.request, kernels, own, result, subject=subject, current=now, ram_once=once
            )
        )
    if source is None:
        _emit(docs[0], as_json, color, "render_plan")
    else:
        _emit(host_doc(docs, source), as_json, color, "render_host_plan")
    if not fits:
        ctx_exit(EXIT_FAIL)


@cli.command("check", epilog=EPILOG)
@click.argument("files", nargs=-1, metavar="[FILE]...", shell_complete=_complete_file)
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
    shell_complete=_complete_file,
    help="Check the namespaces of an ndctl/daxctl JSON dump ('-' is stdin) against the "
    "--max-* budgets, on the machine the options describe.",
)
@_options(MEMMAP_ON_MEMORY_OPTION, MEMORY_BLOCK_SIZE_OPTION)
@click.option("--max-dram", metavar="SIZE|PCT", help="With --from-ndctl: total DRAM budget.")
@click.option("--max-device-loss", metavar="SIZE|PCT", help="With --from-ndctl: total device loss.")
@click.option("--max-init", metavar="TIME", help="With --from-ndctl: total init-time budget.")
@click.option(
    "--strict",
    is_flag=True,
    help="Exit 2 when there is nothing to check (no --max-* with --from-ndctl, or a file "
    "without any budget); without it that is a warning on stderr.",
)
@_machine_options()
@JSON_OPTION
@HUMAN_OPTION
@COLOR_OPTION
def check_cmd(files: tuple[str, ...], fmt: str, input_format: str | None, **opts: Any) -> None:
    """Check host config files (TOML, YAML or JSON; '-' reads stdin) against their budgets.

    Exit 0 when every budget holds, 1 when any budget fails, 2 when a file is unreadable
    or invalid (every problem of a file is reported). A file (or --from-ndctl dump)
    with no budget at all passes with a warning on stderr; --strict makes it exit 2.
    --json is --format json.
    """
    from vmemplan.check import CheckResult, Finding, check_config, check_machine  # noqa: PLC0415
    from vmemplan.reading import max_input_bytes  # noqa: PLC0415
    from vmemplan.sources.config import (  # noqa: PLC0415
        CONFIG_FORMATS,
        ConfigError,
        detect_format,
        format_of_path,
        parse_config_located,
    )

    fmt = _check_format(fmt, opts.pop("as_json"), opts.pop("human"))
    color, strict = opts.pop("color"), opts.pop("strict")
    budgets = _budgets(opts)
    ndctl_path = opts.pop("from_ndctl")
    mom, block = opts.pop("memmap_on_memory"), opts.pop("memory_block_size")
    for value, option in ((mom, "--memmap-on-memory"), (block, "--memory-block-size")):
        if value is not None and ndctl_path is None:
            raise InputError(
                option, "applies to the kmem devices of --from-ndctl; config files set [host]"
            )
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
    max_input_bytes()  # a bad VMEMPLAN_MAX_INPUT is the run's error, not every file's
    results: list[CheckResult] = []
    for path in files:
        try:
            text = read_input(path, path)
            cfg, line_of = parse_config_located(text, path, formats[path] or detect_format(text))
        except ConfigError as err:
            found = [Finding(path, p.location, p.line, "error", p.message) for p in err.problems]
            results.append(CheckResult(path, "error", found, nr_unlisted=err.nr_unlisted))
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
        estimates, system_ram, _ = discover_estimates(
            opts, ndctl_path, None, kmem=_kmem_options(mom, block)
        )
        results.append(check_machine(estimates, ndctl_path, budgets, system_ram))
    from vmemplan.check_unbudgeted import no_budget_hint, strict_no_budget  # noqa: PLC0415

    hints = [no_budget_hint(r, from_ndctl=r.file == ndctl_path and not budgets) for r in results]
    if strict:  # the missing budget is the file's error: verdict and exit code agree
        results = [
            r if h is None else strict_no_budget(r, h, from_ndctl=r.file == ndctl_path)
            for r, h in zip(results, hints, strict=True)
        ]
    _report_check(results, fmt, _echo_color(color))
    order = {"pass": EXIT_OK, "fail": EXIT_FAIL, "error": EXIT_INPUT}
    code = max(order[r.status] for r in results)
    from vmemplan.excerpt import escape  # noqa: PLC0415

    for r, hint in zip(results, hints, strict=True):
        if hint is None:
            continue
        why = (
            f"({hint}); --strict makes that an error"
            if strict
            else f"so it passes only by parsing and estimating ({hint}; --strict makes this exit 2)"
        )
        level = "error" if strict else "warning"
        sep = " " if strict else ", "
        click.echo(f"vmemplan: {level}: {escape(r.file)}: no budget to check{sep}{why}", err=True)
    ctx_exit(code)


def _check_format(fmt: str, as_json: bool, human: bool) -> str:
    """``--format``, with ``--json`` and ``-u/--human`` as spellings of ``--format json``."""
    if (as_json or human) and fmt not in ("text", "json"):
        flag = "--json" if as_json else "--human"
        raise InputError("--format", f"{fmt}: {flag} prints JSON, not with --format {fmt}")
    return "json" if as_json or human else fmt


def _echo_color(color: str) -> bool | None:
    """click.echo's ``color``: None strips styles unless stdout is a terminal."""
    if color == "always":
        return True
    if color == "never" or "NO_COLOR" in os.environ:
        return False
    return None


_STATUS_FG = {"pass": "green", "fail": "red", "error": "red"}


def _report_check(results: list[Any], fmt: str, color: bool | None) -> None:
    from vmemplan.output.report import check_doc  # noqa: PLC0415

    if fmt == "json":
        human = click.get_current_context().params.get("human", False)
        if human:
            click.echo(to_json(_human(check_doc(results))), nl=False)
            return
        from vmemplan.output.stream import write_json  # noqa: PLC0415

        # written piecewise: 100,000 namespaces' documents are never in memory at once
        write_json(check_doc(results, lazy=True), sys.stdout.write)
        return
    from vmemplan.excerpt import escape, safe_line  # noqa: PLC0415
    from vmemplan.output.github import annotation  # noqa: PLC0415

    for r in results:
        for f in r.findings:
            line = f":{f.line}" if f.line is not None else ""
            if fmt == "github":
                title = f"vmemplan {f.severity}"
                message = safe_line(f"{f.location}: {f.message}")
                click.echo(annotation("error", message, file=f.file, line=f.line, title=title))
            else:
                where = click.style(f"{escape(f.file)}{line}:", bold=True)
                click.echo(f"{where} {safe_line(f'{f.location}: {f.message}')}", color=color)
        if fmt == "github" and r.status != "error" and r.nr_budgets == 0:
            click.echo(annotation("warning", "no budget to check", file=r.file, title="vmemplan"))
        summary = _check_summary(r)
        if fmt == "text":
            from vmemplan.output.wrap import text_width, wrap_hanging  # noqa: PLC0415

            head = f"{escape(r.file)}: {r.status}"
            bold = True if r.status == "error" else None  # False would emit an escape too
            styled = click.style(head, fg=_STATUS_FG[r.status], bold=bold)
            # wrapped to the terminal (or COLUMNS) at spaces, figures whole
            summary = "\n".join(wrap_hanging(summary, text_width()))
            if summary.startswith(head):
                summary = styled + summary[len(head) :]
        if fmt == "github" and summary.lstrip().startswith("::"):
            summary = "./" + summary.lstrip()  # a file named `::error ...`: not a command
        click.echo(summary, color=color if fmt == "text" else False)


def _check_summary(r: Any) -> str:
    from vmemplan.excerpt import escape  # noqa: PLC0415
    from vmemplan.units import format_iec, format_ns  # noqa: PLC0415

    file = escape(r.file)
    if r.status == "error":
        n = r.nr_problems
        return f"{file}: error ({n:,} problem{'s' * (n != 1)})"
    t = r.totals
    n, n_sr, n_pools = len(r.estimates), len(r.system_ram), len(r.hugetlb)
    kinds = [f"{n} namespace{'s' * (n != 1)}"] if n or not (n_sr or n_pools) else []
    if n_sr:
        kinds.append(f"{n_sr} system-ram")
    if n_pools:
        kinds.append(f"{n_pools} HugeTLB pool{'s' * (n_pools != 1)}")
    return (
        f"{file}: {r.status} ({', '.join(kinds)}: DRAM "
        f"{format_iec(t.dram_bytes)}, device lost "
        f"{format_iec(t.device_bytes)}, init up to "
        f"{format_ns(t.time_ns_high)})"
    )


# The machine of `hugetlb` and `host`: no namespace, so no linear-map or switch options.
SMALL_MACHINE_OPTIONS = _options(
    click.option(
        "--arch",
        default="x86_64",
        show_default=True,
        metavar="NAME",
        shell_complete=COMPLETE_ARCH,
        help="Architecture.",
    ),
    click.option(
        "--kernel",
        default="6.12",
        show_default=True,
        metavar="X.Y[.Z]|UNAME",
        shell_complete=COMPLETE_KERNEL,
        help="Kernel version: X.Y, X.Y.Z or a full `uname -r`.",
    ),
    click.option("--struct-page-size", metavar="BYTES", help="sizeof(struct page) (default 64)."),
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
@click.option(
    "--memmap-on-memory",
    is_flag=True,
    help="The pools are memory hot-added with memmap_on_memory (dax kmem): its memmap "
    "is on the memory itself, and HVO skips it (v6.1+).",
)
@SMALL_MACHINE_OPTIONS
@OUTPUT_OPTIONS
def hugetlb_cmd(**opts: Any) -> None:
    """The vmemmap of HugeTLB pools without and with HugeTLB Vmemmap Optimization."""
    from vmemplan.hugetlb import hugetlb_command  # noqa: PLC0415

    as_json, color = opts.pop("as_json") | opts.pop("human"), opts.pop("color")
    _emit(hugetlb_command(**opts), as_json, color, "render_hugetlb")


@cli.command("host", epilog=EPILOG)
@click.option(
    "--boot-ram",
    multiple=True,
    metavar="SIZE|RANGE",
    help="Boot System RAM: a size (from 0) or START-END / START+SIZE; repeatable. Required.",
)
@click.option(
    "--hugetlb",
    multiple=True,
    metavar="SIZE:COUNT",
    help="A HugeTLB pool (1G:512, 1G:0:256,1:256).",
)
@click.option("--hvo/--no-hvo", default=True, show_default=True, help="HVO for the pools.")
@click.option(
    "--devdax", multiple=True, metavar="SIZE[:ALIGN][@START]", help="A devdax namespace (map=mem)."
)
@click.option(
    "--kmem",
    multiple=True,
    metavar="SIZE[:off|on|force][@START]",
    help="A dax device onlined as System RAM, with its memmap_on_memory.",
)
@click.option("--memory-block-size", metavar="SIZE", help="memory_block_size_bytes() override.")
@SMALL_MACHINE_OPTIONS
@OUTPUT_OPTIONS
def host_cmd(**opts: Any) -> None:
    """What struct pages cost on the whole host: boot RAM, HugeTLB, devdax, System RAM."""
    from vmemplan.host import host_command  # noqa: PLC0415

    as_json, color = opts.pop("as_json") | opts.pop("human"), opts.pop("color")
    _emit(host_command(**opts), as_json, color, "render_host")


# Every document kind `vmemplan schema` prints; schemas/KIND.schema.json is each one.
SCHEMA_KINDS = (
    "config",
    "report",
    "estimate",
    "compare",
    "plan",
    "machine",
    "hugetlb",
    "host-compare",
    "host-plan",
    "system-ram",
    "host",
)


@cli.command("schema", epilog=EPILOG)
@click.argument("which", type=click.Choice(SCHEMA_KINDS))
def schema_cmd(which: str) -> None:
    """Print the JSON Schema of the config file or of a JSON document vmemplan prints."""
    from vmemplan.output.schema import json_schema  # noqa: PLC0415

    click.echo(json_schema(which), nl=False)


def _budgets(opts: dict[str, Any]) -> Budgets:
    """The --max-dram / --max-device-loss / --max-init budgets (popped from ``opts``)."""
    from vmemplan.budget import Budgets  # noqa: PLC0415

    init = opts.pop("max_init")
    return Budgets(
        dram=_limit(opts.pop("max_dram"), "--max-dram"),
        device_loss=_limit(opts.pop("max_device_loss"), "--max-device-loss"),
        init_ns=parse_duration_ns(init, "--max-init") if init else None,
    )


def _limit(text: str | None, option: str) -> Limit | None:
    from vmemplan.budget import parse_limit  # noqa: PLC0415

    return None if text is None else parse_limit(text, option)


def ctx_exit(code: int) -> None:
    """Leave with ``code`` after the report was printed."""
    click.get_current_context().exit(code)


def main() -> NoReturn:
    """Console-script entry point (``vmemplan`` and ``python -m vmemplan``).

    Once the command has finished and its output is flushed, leave with ``os._exit``: the
    interpreter's teardown (freeing every module of click, the model and rich) costs several
    milliseconds of a ~60 ms run and does nothing a finished command needs (vmemplan registers
    no atexit handler and keeps no file open for writing). ``cli.main`` itself still raises
    SystemExit, so in-process callers (CliRunner, tests) are unaffected.
    """
    try:
        cli.main(prog_name="vmemplan")
    except SystemExit as e:
        code = EXIT_OK if e.code is None else e.code if isinstance(e.code, int) else EXIT_INTERNAL
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a write error was reported already
            stream.flush()
    os._exit(code)
