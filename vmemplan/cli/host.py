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
    "--devdax", multiple=True, metavar="SIZE[:ALIGN][@START]", help="A devdax namespace (map=mem)."
)
@click.option(
    "--kmem",
    multiple=True,
    metavar="SIZE[:off|on|force][@START]",
    help="A dax device onlined as System RAM, with its memmap_on_memory.",
)
@click.option("--memory-block-size", metavar="SIZE", help="memory_block_size_bytes() override.")
@click.option(
    "--config",
    metavar="FILE",
    help="A host config file (as `vmemplan check` reads): its [host], [[namespaces]] of "
    "every mode and [[hugetlb]] pools, instead of the options above.",
)
@SMALL_MACHINE_OPTIONS
@OUTPUT_OPTIONS
def host_cmd(**opts: Any) -> None:
    """What struct pages cost on the whole host: boot RAM, HugeTLB, devdax, System RAM."""
    from vmemplan.host.summary import host_command  # noqa: PLC0415

    opts["system_ram"] = opts["system_ram"] + opts.pop("boot_ram")
    as_json, color = opts.pop("as_json") | opts.pop("human"), opts.pop("color")
    _emit(host_command(**opts), as_json, color, "render_host")
