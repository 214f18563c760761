"""``vmemplan plan``: the configurations that meet the budgets, ranked."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from vmemplan.cli.app import EPILOG, EXIT_FAIL, cli, ctx_exit
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
from vmemplan.cli.parse import _budgets, _parse_int
from vmemplan.cli.subjects import _compare_subject, _grid, _machine_request, _subjects
from vmemplan.errors import InputError
from vmemplan.estimate import (
    estimate,
)
from vmemplan.output.report import (
    host_doc,
    plan_doc,
    ram_given_once,
)
from vmemplan.units import (
    parse_size,
)

if TYPE_CHECKING:  # compare/plan/check only: `estimate --json` start-up does not pay for them
    pass


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
    host = [opts[k] for k in ("dax_ranges", "from_ndctl", "from_cxl", "iomem", "config_path")]
    if usable is not None:
        for option, value in zip(
            (
                "--dax-range",
                "--from-ndctl",
                "--from-cxl",
                "--iomem",
                "--config",
                "--namespace",
                "--current",
            ),
            (*host, opts["namespaces"], opts["current"]),
            strict=True,
        ):
            if value:
                raise InputError(option, "not with --usable (it sizes one new namespace)")
        if len(opts["kernel"]) > 1:
            raise InputError("--kernel", "one kernel with --usable (it sizes one configuration)")
        for key in (
            "dax_ranges",
            "from_ndctl",
            "from_cxl",
            "iomem",
            "config_path",
            "namespaces",
            "current",
        ):
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
        one = req._replace(size=sized.raw_size)
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
