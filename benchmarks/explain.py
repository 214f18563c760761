"""Benchmark: the layouts of ``vmemplan explain``, 4 GiB to 2 PiB (python benchmarks/explain.py).

explain_device() runs estimate() and the same memremap_pages() walk again with a trace
of its runs of chunks; explain_system_ram() runs the kmem hot-add twice (the estimate,
then a machine whose mapping is read). Both walk runs of sections and memory blocks, so
their time should be flat across sizes, like estimate()'s (benchmarks/estimate.py).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from statistics import median

from vmemplan.estimate import EstimateRequest
from vmemplan.explain.layout import explain_device, explain_system_ram
from vmemplan.kernel.arch import ARCHES
from vmemplan.kernel.versions import kernel_profile
from vmemplan.system_ram import SystemRamRequest

GiB = 1 << 30
TiB = 1 << 40
SIZES = [("4 GiB", 4 * GiB), ("4 TiB", 4 * TiB), ("2 PiB", 2048 * TiB)]
ARCH = ARCHES["x86_64-la57"]
KERNEL = kernel_profile((6, 12))
START = 64 * TiB


def _device(size: int, align: int) -> Callable[[], object]:
    req = EstimateRequest(arch=ARCH, kernel=KERNEL, size=size, start=START, align=align)
    return lambda: explain_device(req)


def _kmem(size: int) -> Callable[[], object]:
    req = SystemRamRequest(
        arch=ARCH,
        kernel=KERNEL,
        ranges=((START, START + size),),
        system_ram=((0, 64 * GiB),),
        memmap_on_memory="on",
    )
    return lambda: explain_system_ram(req)


def time_ms(fn: Callable[[], object], repeat: int = 5) -> float:
    """Median wall time of ``fn()`` in milliseconds."""
    samples = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t0)
    return median(samples) * 1e3


def main() -> None:
    print(f"{'what':<28}" + "".join(f"{label:>12}" for label, _ in SIZES))
    cases: list[tuple[str, Callable[[int], Callable[[], object]]]] = [
        ("devdax align 2M", lambda n: _device(n, 2 << 20)),
        ("devdax align 1G", lambda n: _device(n, GiB)),
        ("kmem memmap_on_memory", _kmem),
    ]
    for name, make in cases:
        row = "".join(f"{time_ms(make(size)):>10.2f}ms" for _, size in SIZES)
        print(f"{name:<28}{row}")


if __name__ == "__main__":
    main()
