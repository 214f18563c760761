"""``vmemplan hugetlb``: HugeTLB pools and HVO."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from vmemplan.cli.app import EPILOG, cli
from vmemplan.cli.emit import _emit
from vmemplan.cli.options import OUTPUT_OPTIONS, SMALL_MACHINE_OPTIONS

if TYPE_CHECKING:  # compare/plan/check only: `estimate --json` start-up does not pay for them
    pass


@cli.command("hugetlb", epilog=EPILOG)
@click.option(
    "--hugetlb",
    "pages",
    multiple=True,
    metavar="SIZE:COUNT",
    help="A pool: 1G:512, or per node 1G:0:256,1:256; repeatable (as `host --hugetlb`).",
)
@click.option("--pages", "old_pages", multiple=True, hidden=True)  # the old name of --hugetlb
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

    opts["pages"] = opts["pages"] + opts.pop("old_pages")
    as_json, color = opts.pop("as_json") | opts.pop("human"), opts.pop("color")
    _emit(hugetlb_command(**opts), as_json, color, "render_hugetlb")
