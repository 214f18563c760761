"""Small builders shared by the tests."""

from __future__ import annotations

from typing import Any

from vmemplan.estimate import Estimate, EstimateRequest, estimate
from vmemplan.kernel.arch import ARCHES
from vmemplan.kernel.versions import kernel_profile, with_overrides

KiB, MiB, GiB, TiB, PiB = 1 << 10, 1 << 20, 1 << 30, 1 << 40, 1 << 50


def request(
    *,
    arch: str = "x86_64",
    kernel: tuple[int, int] = (6, 12),
    counters: Any = None,
    early_init_fix: bool | None = None,
    dedup_keep: int | None = None,
    **fields: Any,
) -> EstimateRequest:
    """An EstimateRequest with the CLI's defaults and keyword overrides."""
    k = with_overrides(
        kernel_profile(kernel),
        counters=counters,
        early_init_fix=early_init_fix,
        dedup_keep=dedup_keep,
    )
    return EstimateRequest(arch=ARCHES[arch], kernel=k, **fields)


def est(**kwargs: Any) -> Estimate:
    """estimate() of ``request(**kwargs)``."""
    return estimate(request(**kwargs))
