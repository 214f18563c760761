"""``vmemplan check``: config files (or a dump) against their budgets, for CI."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

import click

from vmemplan.cli.app import EPILOG, EXIT_FAIL, EXIT_INPUT, EXIT_OK, cli, ctx_exit
from vmemplan.cli.dumps import discover_estimates, read_input
from vmemplan.cli.emit import _echo_color, _human
from vmemplan.cli.options import (
    COLOR_OPTION,
    HUMAN_OPTION,
    JSON_OPTION,
    MEMMAP_ON_MEMORY_OPTION,
    MEMORY_BLOCK_SIZE_OPTION,
    Choice,
    _complete_file,
    _machine_options,
    _options,
)
from vmemplan.cli.parse import _budgets, _kmem_options
from vmemplan.errors import InputError
from vmemplan.output.report import (
    to_json,
)

if TYPE_CHECKING:  # compare/plan/check only: `estimate --json` start-up does not pay for them
    pass


@cli.command("check", epilog=EPILOG)
@click.argument("files", nargs=-1, metavar="[FILE]...", shell_complete=_complete_file)
@click.option(
    "--format",
    "fmt",
    type=Choice(["text", "json", "github"]),
    default="text",
    show_default=True,
    help="github prints workflow annotations (::error file=...,line=...::).",
)
@click.option(
    "--input-format",
    type=Choice(["toml", "yaml", "json"]),
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
@click.option(
    "--from-cxl",
    metavar="FILE",
    shell_complete=_complete_file,
    help="Check the CXL regions of a `cxl list` JSON dump ('-' is stdin) against the "
    "--max-* budgets (with --from-ndctl/--iomem: the same host, each device once).",
)
@click.option(
    "--iomem",
    metavar="FILE",
    shell_complete=_complete_file,
    help="Check the machine of a /proc/iomem dump (its boot RAM, pmem and dax ranges, kmem "
    "System RAM) against the --max-* budgets; with --from-ndctl, the same host's namespaces "
    "placed in its Persistent Memory ranges.",
)
@_options(MEMMAP_ON_MEMORY_OPTION, MEMORY_BLOCK_SIZE_OPTION)
@click.option("--max-dram", metavar="SIZE|PCT", help="With a dump: total DRAM budget.")
@click.option("--max-device-loss", metavar="SIZE|PCT", help="With a dump: total device loss.")
@click.option("--max-init", metavar="TIME", help="With a dump: total init-time budget.")
@click.option(
    "--strict",
    is_flag=True,
    help="Exit 2 when there is nothing to check (no --max-* with a dump, or a file "
    "without any budget); without it that is a warning on stderr.",
)
@_machine_options()
@JSON_OPTION
@HUMAN_OPTION
@COLOR_OPTION
def check_cmd(files: tuple[str, ...], fmt: str, input_format: str | None, **opts: Any) -> None:
    """Check host config files (TOML, YAML or JSON; '-' reads stdin) against their budgets.

    Exit 0 when every budget holds, 1 when any budget fails, 2 when a file is unreadable
    or invalid (every problem of a file is reported). A file (or --from-ndctl/--iomem dump)
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
    ndctl_path, iomem_path = opts.pop("from_ndctl"), opts.pop("iomem")
    cxl_path = opts.pop("from_cxl")
    # the dump's result is named after the ndctl/daxctl dump, else the /proc/iomem one,
    # else the cxl list one
    dump_path = next((p for p in (ndctl_path, iomem_path, cxl_path) if p is not None), None)
    mom, block = opts.pop("memmap_on_memory"), opts.pop("memory_block_size")
    for value, option in ((mom, "--memmap-on-memory"), (block, "--memory-block-size")):
        if value is not None and dump_path is None:
            raise InputError(
                option,
                "applies to the kmem devices of --from-ndctl/--iomem; config files set [host]",
            )
    if not files and dump_path is None:
        raise InputError(
            "check", "give a config file to check (or --from-ndctl/--iomem/--from-cxl FILE)"
        )
    if input_format is not None and not files:
        raise InputError("--input-format", "applies to config files, not to a dump")
    if files.count("-") + (ndctl_path == "-") + (iomem_path == "-") + (cxl_path == "-") > 1:
        raise InputError("check", "'-' (stdin) can be read only once")
    # the format of every file is known (or refused) before any file is read
    given = next((f for f in CONFIG_FORMATS if f == input_format), None)
    formats = {path: given or format_of_path(path) for path in files}
    if budgets and dump_path is None:
        raise InputError(
            "--max-dram",
            "the --max-* budgets apply to --from-ndctl/--iomem; config files carry their own "
            "[budgets]",
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
    if dump_path is not None:
        for key in ("size", "start", "align", "vmemmap_shift", "dax_ranges"):
            opts.setdefault(key, None if key != "dax_ranges" else ())
        opts.update(map_="mem", mode="devdax")
        estimates, system_ram, _ = discover_estimates(
            opts,
            ndctl_path,
            iomem_path,
            kmem=_kmem_options(mom, block),
            cxl_path=cxl_path,
        )
        results.append(check_machine(estimates, dump_path, budgets, system_ram))
    from vmemplan.check_unbudgeted import no_budget_hint, strict_no_budget  # noqa: PLC0415

    hints = [no_budget_hint(r, dump=r.file == dump_path and not budgets) for r in results]
    if strict:  # the missing budget is the file's error: verdict and exit code agree
        results = [
            r if h is None else strict_no_budget(r, h, dump=r.file == dump_path)
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
