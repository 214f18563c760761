"""``vmemplan inspect``: the running machine (or snapshots of machines), costed."""

from __future__ import annotations

from typing import Any

import click

from vmemplan.cli.app import EPILOG, cli
from vmemplan.cli.emit import _emit
from vmemplan.cli.options import OUTPUT_OPTIONS

_GLOB_CHARS = "*?["


@cli.command("inspect", epilog=EPILOG)
@click.option(
    "--root",
    "roots",
    multiple=True,
    metavar="DIR|SNAPSHOT.tar.gz|GLOB",
    help="A tree that mirrors / (default: / itself, the running machine): a snapshot "
    "directory or .tar.gz (see --save); repeatable, or a glob: then one JSON document per "
    "host, one per line.",
)
@click.option(
    "--save",
    metavar="PATH",
    help="Write a snapshot of --root (default /) to PATH, a new directory or a new "
    ".tar.gz: only the files inspect reads, text only, with a manifest "
    "(vmemplan-snapshot.json) of what is in it and what could not be read.",
)
@click.option(
    "--max-dram",
    metavar="SIZE|PCT",
    help="DRAM budget for what the devices and HugeTLB pools add to boot RAM's own memmap: "
    "bytes (64G) or % of boot RAM; proposes the reconfigurations that save DRAM, with "
    "their commands (exit 1 if it does not hold now).",
)
@click.option("--max-device-loss", metavar="SIZE|PCT", help="Device capacity budget: bytes or %.")
@click.option("--max-init", metavar="TIME", help="Init-time budget (500ms, 2s).")
@OUTPUT_OPTIONS
def inspect_cmd(roots: tuple[str, ...], save: str | None, **opts: Any) -> None:
    """What struct pages cost on this machine now, beside what the kernel counts.

    Reads sysfs and procfs (never writes): kernel, arch, boot RAM, pmem namespaces, dax
    devices and their driver, memory blocks, memmap_on_memory, HugeTLB pools and HVO;
    works without root and says what it could not read and what it assumed."""
    from vmemplan.errors import InputError  # noqa: PLC0415
    from vmemplan.sources.live.tree import open_tree  # noqa: PLC0415

    as_json, color = opts.pop("as_json") | opts.pop("human"), opts.pop("color")
    budgets = _budgets(opts.pop("max_dram"), opts.pop("max_device_loss"), opts.pop("max_init"))
    paths = _expand(roots) if roots else ["/"]
    if save is not None:
        if len(paths) != 1:
            raise InputError("--save", "saves one tree: give at most one --root")
        from vmemplan.sources.live.snapshot import save as save_tree  # noqa: PLC0415

        kept, unreadable = save_tree(open_tree(paths[0]), save)
        click.echo(f"saved {kept:,} files to {_shown(save)}; {unreadable:,} could not be read")
        return
    if len(paths) == 1 and not any(c in (roots or ("",))[0] for c in _GLOB_CHARS):
        doc = _doc(paths[0], budgets)
        _emit(doc, as_json, color, "render_inspect")
        if doc["status"] == "fail":
            from vmemplan.cli.app import EXIT_FAIL, ctx_exit  # noqa: PLC0415

            ctx_exit(EXIT_FAIL)
        return
    _fleet(paths, budgets)


def _budgets(dram: str | None, loss: str | None, init: str | None) -> Any:
    """The --max-* budgets (None: none given)."""
    if dram is None and loss is None and init is None:
        return None
    from vmemplan.budget import Budgets, parse_limit  # noqa: PLC0415
    from vmemplan.units import parse_duration_ns  # noqa: PLC0415

    return Budgets(
        dram=None if dram is None else parse_limit(dram, "--max-dram"),
        device_loss=None if loss is None else parse_limit(loss, "--max-device-loss"),
        init_ns=None if init is None else parse_duration_ns(init, "--max-init"),
    )


def _shown(path: str) -> str:
    from vmemplan.excerpt import excerpt  # noqa: PLC0415

    return excerpt(path, 200)


def _expand(roots: tuple[str, ...]) -> list[str]:
    """Each --root, a glob expanded (sorted); a glob that matches nothing is an error."""
    import glob  # noqa: PLC0415

    from vmemplan.errors import InputError  # noqa: PLC0415

    out: list[str] = []
    for root in roots:
        if any(c in root for c in _GLOB_CHARS):
            found = sorted(glob.glob(root))
            if not found:
                raise InputError("--root", f"{_shown(root)}: the glob matches nothing")
            out.extend(found)
        else:
            out.append(root)
    return out


def _doc(path: str, budgets: Any = None) -> dict[str, object]:
    from vmemplan.errors import InputError  # noqa: PLC0415
    from vmemplan.inspect import inspect_doc  # noqa: PLC0415
    from vmemplan.sources.live import read_live  # noqa: PLC0415
    from vmemplan.sources.live.tree import DirTree, open_tree  # noqa: PLC0415

    tree = open_tree(path)
    live = isinstance(tree, DirTree) and tree.root == "/"
    kind = "live" if live else "directory" if isinstance(tree, DirTree) else "archive"
    try:
        return inspect_doc(tree, read_live(tree), kind, budgets)
    except InputError as err:
        if err.option == "--root":
            raise
        # what the tree says is a machine the model refuses: the tree is the bad input
        raise InputError(
            "--root",
            f"{tree.shown}: the machine it describes is refused ({err.option}: {err.message})",
        ) from None


def _fleet(paths: list[str], budgets: Any) -> None:
    """One JSON document per host, one per line; a host that cannot be read gets an
    error document (and the run exits 2 once every host is printed)."""
    from vmemplan import __version__  # noqa: PLC0415
    from vmemplan.cli.app import EXIT_INPUT, ctx_exit  # noqa: PLC0415
    from vmemplan.cost import SCHEMA_VERSION  # noqa: PLC0415
    from vmemplan.errors import InputError  # noqa: PLC0415
    from vmemplan.excerpt import safe_line  # noqa: PLC0415
    from vmemplan.output.report import to_json_line  # noqa: PLC0415

    failed = over = False
    for path in paths:
        try:
            doc = _doc(path, budgets)
            over = over or doc["status"] == "fail"
        except InputError as err:
            failed = True
            click.echo(f"vmemplan: error: {safe_line(str(err))}", err=True)
            doc = {
                "schema_version": SCHEMA_VERSION,
                "vmemplan_version": __version__,
                "status": "error",
                "root": _shown(path),
                "error": str(err),
            }
        click.echo(to_json_line(doc), nl=False)
    if failed:
        ctx_exit(EXIT_INPUT)
    if over:
        from vmemplan.cli.app import EXIT_FAIL  # noqa: PLC0415

        ctx_exit(EXIT_FAIL)
