"""What ``compare`` and ``plan`` weigh: one namespace of the options, or each namespace
of a dump or config file, and the grid of configurations.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from vmemplan.cli.dumps import discover_subjects, read_input
from vmemplan.cli.parse import _parse_map, _parse_mode, build_request, parse_current
from vmemplan.errors import InputError
from vmemplan.estimate import (
    EstimateRequest,
)
from vmemplan.kernel.versions import (
    KernelProfile,
)
from vmemplan.units import (
    format_size_exact,
    parse_size,
)

if TYPE_CHECKING:  # compare/plan/check only: `estimate --json` start-up does not pay for them
    from vmemplan.plan import Choice, Grid, Row, Subject


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
    from vmemplan.host.accounting import (  # noqa: PLC0415
        base_request,
        device_name,
        pgmap_request,
    )
    from vmemplan.host.description import DaxDevice, is_hot_added  # noqa: PLC0415
    from vmemplan.plan import Choice, Subject  # noqa: PLC0415
    from vmemplan.sources.config import ConfigError, parse_config_located  # noqa: PLC0415
    from vmemplan.sources.config.host import config_host  # noqa: PLC0415

    try:
        cfg, _ = parse_config_located(read_input(path, "--config"), path)
    except ConfigError as err:
        more = len(err.problems) - 1
        extra = f" (and {more} more: vmemplan check {path})" if more else ""
        raise InputError("--config", f"{err.problems[0]}{extra}") from None
    problems: list[tuple[str, str]] = []
    # the host check builds from the file: placed and validated as check does (the pools
    # are not compared, so their problems are check's to report)
    conv = config_host(cfg, lambda where, message: problems.append((where, message)))
    for location, message in problems:
        where = location
        if location.startswith("namespaces["):
            k = int(location[len("namespaces[") : location.index("]")])
            where = f"namespaces[{k}] ({cfg.namespaces[k].name})"
        elif location.startswith("hugetlb["):
            continue
        raise InputError(f"{path}: {where}", message)
    assert conv is not None  # a refused [host] is a problem above
    base = base_request(conv.host.machine)
    pgmaps = [d for d in conv.host.devices if not is_hot_added(d)]
    prepared_of = {d.name: p for d, p in zip(pgmaps, conv.prepared, strict=True)}
    kmem_of = {r.request.ranges: r for r in conv.checked}
    subjects, notes = [], []
    for device in sorted(conv.host.devices, key=lambda d: conv.index[device_name(d)]):
        i = conv.index[device_name(device)]
        ns = cfg.namespaces[i]
        kmem = None
        if is_hot_added(device):
            # compared as System RAM and weighed as the device-dax device of its ranges
            dax = device if isinstance(device, DaxDevice) else device.dax
            assert dax is not None
            kmem = kmem_of[dax.ranges].request
            req = base._replace(label=ns.name, dax_ranges=kmem.ranges, mode="devdax", map="mem")
        else:
            req = pgmap_request(base, device)
            align = prepared_of[device.name].align
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
    cxl_path = opts.pop("from_cxl")
    config_path, current_text = opts.pop("config_path"), opts.pop("current")
    current = None if current_text is None else parse_current(current_text)
    if config_path is not None:
        for option, value in (
            ("--size", size),
            ("--start", start),
            ("--dax-range", dax_ranges),
            ("--from-ndctl", ndctl_path),
            ("--from-cxl", cxl_path),
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
    elif ndctl_path is not None or iomem_path is not None or cxl_path is not None:
        if size is not None or dax_ranges:
            option = "--size" if size is not None else "--dax-range"
            raise InputError(
                option, "not with --from-ndctl, --from-cxl or --iomem: the dump gives the sizes"
            )
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
            cxl_path=cxl_path,
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
