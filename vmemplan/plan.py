"""Compare every configuration an arch and kernel allow, and pick one within budgets.

A configuration is ndctl's (mode, map, align) triple. Every row is a full estimate
through the same core as ``vmemplan estimate``; a configuration the kernel refuses is
kept as a row with the reason.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Literal

from vmemplan.budget import Budgets, Verdict, check_budgets
from vmemplan.errors import InputError
from vmemplan.estimate import Estimate, EstimateRequest, estimate
from vmemplan.kernel.dax_device import Mode
from vmemplan.kernel.pfn_devs import MapMode
from vmemplan.kernel.versions import KernelProfile
from vmemplan.units import format_size_exact

if TYPE_CHECKING:
    from vmemplan.system_ram import SystemRamRequest

MODES: tuple[Mode, ...] = ("fsdax", "devdax")
MAPS: tuple[MapMode, ...] = ("mem", "dev")


@dataclass(frozen=True)
class Choice:
    """One ``ndctl create-namespace`` configuration."""

    mode: Mode
    map: MapMode
    align: int


@dataclass(frozen=True)
class Row:
    """A configuration on one kernel, its estimate (or why the kernel refuses it)."""

    kernel: KernelProfile
    choice: Choice
    estimate: Estimate | None
    refused: str | None
    verdicts: tuple[Verdict, ...] = ()
    pareto: bool = False
    rank: int | None = None

    @property
    def fits(self) -> bool:
        """Accepted by the kernel and within every budget."""
        return self.estimate is not None and all(v.ok for v in self.verdicts)

    @property
    def failures(self) -> list[str]:
        """One line per reason this row does not fit."""
        if self.refused is not None:
            return [self.refused]
        return [v.message for v in self.verdicts if not v.ok]

    def key(self) -> tuple[int, int, int]:
        """What the ranking minimises among rows of one Pareto class (``RANK_BY``): bytes
        lost (DRAM + device), then init time, then the larger align."""
        assert self.estimate is not None
        f = self.estimate.figures
        return (f.dram_bytes + f.device_bytes, f.time_ns[1], -self.choice.align)


# What `plan` ranks the fitting rows by, in order; printed under its table and in its JSON
# (``rank_by``). The sum of bytes lost weighs a byte of DRAM and a byte of device capacity
# alike (DRAM first would trade 16 GiB of a 1 TiB device for 40 MiB of DRAM); a row that
# another row beats on every figure never ranks above one that no row beats.
RANK_BY = (
    "Pareto-optimal first (* = no other row beats it on DRAM, loss and init)",
    "then fewest bytes lost (DRAM + device)",
    "then shortest init",
    "then larger align",
)


@dataclass(frozen=True)
class Grid:
    """The configurations to consider: empty tuples mean every one the arch allows."""

    modes: tuple[Mode, ...] = ()
    maps: tuple[MapMode, ...] = ()
    aligns: tuple[int, ...] = ()
    min_align: int | None = None


def choices(req: EstimateRequest, grid: Grid | None = None) -> list[Choice]:
    """fsdax/devdax x map mem/dev x every align the arch supports, restricted by ``grid``."""
    grid = grid or Grid()
    known = req.arch.dax_alignments
    for a in grid.aligns:
        if a not in known:
            supported = ", ".join(format_size_exact(k) for k in known)
            raise InputError(
                "--align",
                f"{format_size_exact(a)}: not a device-dax align of {req.arch.name} "
                f"(supported: {supported})",
            )
    aligns = [a for a in (grid.aligns or known) if grid.min_align is None or a >= grid.min_align]
    if not aligns:
        raise InputError(
            "--min-align",
            f"no align of {req.arch.name} is at least {format_size_exact(grid.min_align or 0)}",
        )
    modes = [m for m in MODES if not grid.modes or m in grid.modes]
    maps = [m for m in MAPS if not grid.maps or m in grid.maps]
    if req.dax_ranges:
        # A dax device (hmem/CXL, or a daxctl dump) is device-dax and never has an altmap.
        for option, given, only in (("--mode", grid.modes, "devdax"), ("--map", grid.maps, "mem")):
            if given and only not in given:
                raise InputError(
                    option, f"{', '.join(given)}: a dax device (--dax-range) is {only} only"
                )
        modes, maps = ["devdax"], ["mem"]
    return [Choice(mode, map_, align) for mode in modes for map_ in maps for align in aligns]


def compare(
    req: EstimateRequest, kernels: list[KernelProfile], grid: Grid | None = None
) -> list[Row]:
    """One row per kernel and configuration, in a stable order.

    A size that no configuration of the grid can take is an input error (as ``estimate``
    would report it), not a table of refusals.
    """
    rows = []
    for kernel in kernels:
        for choice in choices(req, grid):
            rows.append(choice_row(req, kernel, choice))
    if rows and all(r.estimate is None for r in rows):
        reasons = sorted({r.refused or "" for r in rows})
        raise InputError(
            "--size", f"no configuration can take this namespace: {'; '.join(reasons)}"
        )
    return rows


def _dominates(a: Row, b: Row) -> bool:
    assert a.estimate is not None
    assert b.estimate is not None
    fa, fb = a.estimate.figures, b.estimate.figures
    va = (fa.dram_bytes, fa.device_bytes, fa.time_ns[1])
    vb = (fb.dram_bytes, fb.device_bytes, fb.time_ns[1])
    return all(x <= y for x, y in zip(va, vb, strict=True)) and va != vb


@dataclass(frozen=True)
class PlanResult:
    """Rows with verdicts, the fitting ones ranked, and the recommendation."""

    rows: list[Row]

    @property
    def recommended(self) -> Row | None:
        """The best fitting row (rank 1), if any fits."""
        return next((r for r in self.rows if r.rank == 1), None)


def plan(rows: list[Row], budgets: Budgets) -> PlanResult:
    """Check every row against ``budgets``, rank the fitting ones, mark the Pareto front.

    Percent budgets are of the raw namespace size. Ranking (``RANK_BY``): the Pareto-optimal
    rows first, then, within each class, the fewest bytes lost (DRAM plus device capacity),
    then the shortest init, then the larger align. The best row by bytes lost is never
    dominated, so the Pareto-first order only moves dominated rows down.
    """
    checked = []
    for row in rows:
        if row.estimate is None:
            checked.append(row)
            continue
        f, whole = row.estimate.figures, row.estimate.namespace_bytes
        verdicts = check_budgets(
            budgets,
            dram_bytes=f.dram_bytes,
            device_bytes=f.device_bytes,
            init_ns_high=f.time_ns[1],
            whole_bytes=whole,
        )
        checked.append(replace(row, verdicts=tuple(verdicts)))
    fitting = [r for r in checked if r.fits]
    pareto = {id(r) for r in fitting if not any(_dominates(o, r) for o in fitting)}
    fitting.sort(key=lambda r: (id(r) not in pareto, r.key()))
    ranks = {id(r): i + 1 for i, r in enumerate(fitting)}
    out = [replace(r, rank=ranks.get(id(r)), pareto=id(r) in pareto) for r in checked]
    return PlanResult(out)


def ndctl_command(choice: Choice, size: int) -> str:
    """The ``ndctl create-namespace`` command line for a configuration."""
    return (
        f"ndctl create-namespace --mode={choice.mode} --map={choice.map} "
        f"--align={format_size_exact(choice.align)} --size={format_size_exact(size)}"
    )


@dataclass(frozen=True)
class Device:
    """An existing namespace (``namespaceX.Y``) or dax device (``daxX.Y``) of the host.

    A namespace whose dax device kmem holds (``system_ram``) names that device
    (``dax_device``) and the configuration rebinding it to device_dax gives (``rebind``: the
    namespace's own layout, None when the dump does not say it)."""

    name: str
    kind: Literal["namespace", "dax"]
    system_ram: bool = False  # a dax device onlined as System RAM (kmem)
    dax_device: str | None = None
    rebind: Choice | None = None


@dataclass(frozen=True)
class Subject:
    """One namespace or dax device to compare or plan: its geometry, what it runs today
    (if known), the device to reconfigure (if it exists) and its own budgets (config)."""

    request: EstimateRequest
    current: Choice | None = None
    device: Device | None = None
    budgets: Budgets | None = None
    # System RAM today (dax kmem): the hot-add as ``estimate`` costs it (its dax ranges,
    # memory block size and, for a pmem namespace's dax device, the namespace layout whose
    # head is stranded); ``request`` is the same ranges as a device-dax device
    kmem: SystemRamRequest | None = None
    # the modes to plan when the command line names none (a pmem dax device: devdax)
    modes: tuple[Mode, ...] = ()
    # a CXL region's dax device (cxl), and the CFMWS advice its memory blocks follow per
    # kernel (None: the dump or --memory-block-size fixed them)
    cxl: bool = False
    cfmws_advice: int | None = None

    def grid(self, grid: Grid) -> Grid:
        """``grid`` with this subject's own modes when the command line gives none."""
        return replace(grid, modes=self.modes) if self.modes and not grid.modes else grid


def pmem_dax_subject(
    devdax: EstimateRequest,
    *,
    dax_device: str,
    namespace: str,
    start: int,
    size: int,
    rebind: Choice | None,
    kmem: SystemRamRequest | None,
) -> Subject:
    """A dax device in system-ram mode that is the static dax device of a pmem namespace.

    Its align is read-only (``dev_dax_visible()`` in drivers/dax/bus.c makes align and size
    0444 for a static region, so ``daxctl reconfigure-device --align`` cannot change it),
    and rebinding it to device_dax reuses the namespace's layout (with map=dev, its altmap).
    So it is planned as its namespace re-laid out in devdax mode, ``[start, start + size)``,
    reached by ``ndctl create-namespace -e``; ``devdax`` (its ranges as a dax device) gives
    the machine and the label.
    """
    req = devdax._replace(
        size=size,
        start=start,
        dax_ranges=(),
        mode="devdax",
        map=rebind.map if rebind is not None else "mem",
        align=rebind.align if rebind is not None else None,
        vmemmap_shift=None,
    )
    device = Device(namespace, "namespace", True, dax_device, rebind)
    return Subject(req, None, device, kmem=kmem, modes=("devdax",))


def choice_row(req: EstimateRequest, kernel: KernelProfile, choice: Choice) -> Row:
    """``req`` estimated in one configuration on ``kernel``; a refusal is kept in the row."""
    one = req._replace(
        kernel=kernel,
        mode=choice.mode,
        map=choice.map,
        align=choice.align,
        vmemmap_shift=None,
    )
    try:
        return Row(kernel, choice, estimate(one), None)
    except InputError as err:
        return Row(kernel, choice, None, err.message)


def current_row(req: EstimateRequest, kernel: KernelProfile, current: Choice) -> Row:
    """The estimate of what the host runs today, as a row to compare the others with."""
    return choice_row(req, kernel, current)


def reconfigure_commands(device: Device, current: Choice | None, choice: Choice) -> list[str]:
    """The commands that turn ``device`` into ``choice`` (none when it already is).

    A namespace is re-created in place: ``ndctl create-namespace -e`` keeps its geometry,
    mode and name unless told otherwise, and does not keep its data (ndctl's
    Documentation/ndctl/ndctl-create-namespace.txt, --reconfig). A dax device's align
    can only change while no driver is bound (align_store() in drivers/dax/bus.c
    returns -EBUSY), and ``daxctl reconfigure-device --align`` does not unbind it, so it
    is disabled around the change; one in system-ram mode is first returned to devdax.
    """
    if current == choice:
        return []
    align = format_size_exact(choice.align)
    if device.kind == "namespace":
        commands = []
        if device.dax_device is not None:
            # ndctl refuses to disable a namespace whose dax device is active as System
            # RAM (ndctl_namespace_disable_safe()): back to device_dax first, which gives
            # the namespace's own layout
            commands.append(f"daxctl reconfigure-device --mode=devdax --force {device.dax_device}")
            if choice == device.rebind:
                return commands
        return [
            *commands,
            f"ndctl create-namespace -f -e {device.name} --mode={choice.mode} "
            f"--map={choice.map} --align={align}",
        ]
    commands = []
    if device.system_ram:
        commands.append(f"daxctl reconfigure-device --mode=devdax --force {device.name}")
    commands += [
        f"daxctl disable-device {device.name}",
        f"daxctl reconfigure-device --align={align} {device.name}",
        f"daxctl enable-device {device.name}",
    ]
    return commands
