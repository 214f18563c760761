"""The click options the commands share (one definition, one spelling, one help text),
and their shell completion.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import click

from vmemplan.estimate import (
    DEFAULT_PS_PER_STRUCT_PAGE,
    DEFAULT_PS_PER_STRUCT_PAGE_DEV,
)
from vmemplan.kernel.arch import ARCHES
from vmemplan.kernel.versions import (
    COUNTER_CHOICES,
    SWITCH_NAMES,
    known_versions,
)
from vmemplan.units import QUOTE_LIMIT, quote_value

if TYPE_CHECKING:  # compare/plan/check only: `estimate --json` start-up does not pay for them
    from click.shell_completion import CompletionItem


# Shell completion (click's _VMEMPLAN_COMPLETE=bash_source|zsh_source|fish_source): the
# words each option's parser accepts, and file names where an option reads a file.
Completer = Callable[[click.Context, click.Parameter, str], "list[CompletionItem]"]


class Choice(click.Choice):  # type: ignore[type-arg]
    """click.Choice, whose refusal quotes a long value as its start and its length (click
    quotes it whole: a token pasted into --format came back in full)."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        try:
            return super().convert(value, param, ctx)
        except click.BadParameter:
            if not isinstance(value, str) or len(value) <= QUOTE_LIMIT:
                raise
            choices = ", ".join(repr(c) for c in self.choices)
            self.fail(f"{quote_value(value)} is not one of {choices}.", param, ctx)


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


ARCH_OPTION = click.option(
    "--arch",
    default="x86_64",
    show_default=True,
    metavar="NAME",
    shell_complete=COMPLETE_ARCH,
    help=f"Architecture profile: {_ARCH_HELP}. x86_64 is 4-level paging, x86_64-la57 5-level.",
)


SIZE_OPTION = click.option(
    "-s", "--size", metavar="SIZE", help="Raw namespace size, as ndctl --size (1T, 1536G, 0x...)."
)


VMEMMAP_SHIFT_OPTION = click.option(
    "--vmemmap-shift",
    metavar="K",
    help="Compound order instead of --align (align = PAGE_SIZE << K).",
)


DAX_RANGE_OPTION = click.option(
    "--dax-range",
    "dax_ranges",
    multiple=True,
    metavar="RANGE",
    help="A dynamic dax device range (hmem/CXL): START-END (END inclusive), START..END "
    "(END exclusive: 512G..4T) or START+SIZE; repeatable. Replaces --size/--start; never "
    "has an altmap.",
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
        ARCH_OPTION,
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
    type=Choice(["auto", "always", "never"]),
    default="auto",
    show_default=True,
    help="Colour and style of human output (auto: on a terminal, unless NO_COLOR is set).",
)


OUTPUT_OPTIONS = _options(JSON_OPTION, HUMAN_OPTION, COLOR_OPTION)


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
        "--from-cxl",
        metavar="FILE",
        help="Each CXL region of a `cxl list` JSON dump ('-' is stdin) as the kernel's CXL "
        "rules make it a dax device: devdax vs System RAM, memmap_on_memory off and on; "
        "combinable with --from-ndctl/--iomem of the same host (each device counted once).",
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


# The machine of `hugetlb` and `host`: no namespace, so no linear-map or switch options.
SMALL_MACHINE_OPTIONS = _options(
    ARCH_OPTION,
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
