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


def run_cli(*args: str, stdin: str | None = None) -> Any:
    """``vmemplan ARGS`` in process (click's CliRunner), exceptions propagated."""
    from click.testing import CliRunner  # noqa: PLC0415

    from vmemplan.cli import cli  # noqa: PLC0415

    return CliRunner().invoke(cli, list(args), input=stdin, catch_exceptions=False)


def run_json(*args: str, stdin: str | None = None) -> Any:
    """``vmemplan ARGS --json`` in process: the document, after asserting exit 0."""
    import json  # noqa: PLC0415

    result = run_cli(*args, "--json", stdin=stdin)
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def machine_json(*args: str, stdin: str | None = None) -> dict[str, Any]:
    """``vmemplan estimate ARGS --json`` of a dump: the machine document, schema-checked."""
    import json  # noqa: PLC0415

    from vmemplan.output.schema import MachineDoc  # noqa: PLC0415

    result = run_cli("estimate", *args, "--json", stdin=stdin)
    assert result.exit_code == 0, result.stderr
    doc: dict[str, Any] = json.loads(result.stdout)
    MachineDoc.model_validate(doc)
    return doc


def grid_json(*args: str) -> dict[str, Any]:
    """``vmemplan compare|plan ARGS --json`` (exit 0 or 1): the document, checked against the
    schema of its kind (one subject or a host; compare or plan)."""
    import json  # noqa: PLC0415

    from vmemplan.output.schema import (  # noqa: PLC0415
        CompareDoc,
        HostCompareDoc,
        HostPlanDoc,
        PlanDoc,
    )

    result = run_cli(*args, "--json")
    assert result.exit_code in (0, 1), result.stderr
    doc: dict[str, Any] = json.loads(result.stdout)
    host = "namespaces" in doc
    plan = "budgets" in (doc["namespaces"][0] if host else doc)
    model = {(True, True): HostPlanDoc, (True, False): HostCompareDoc}.get(
        (host, plan), PlanDoc if plan else CompareDoc
    )
    model.model_validate(doc)
    return doc


def config_of(row: dict[str, Any]) -> tuple[str, str, int]:
    """A compare/plan row's configuration: (mode, map, align in bytes)."""
    return row["mode"], row["map"], row["align_bytes"]


PGMAP_KINDS = ("devdax", "fsdax", "dax", "famfs")


def pgmaps(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """The dev_pagemap entries of a machine, check (file) or host document's ``devices``."""
    return [d for d in doc["devices"] if d["kind"] in PGMAP_KINDS]


def kmems(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """The kmem (System RAM) entries of a document's ``devices``."""
    return [d for d in doc["devices"] if d["kind"] == "system-ram"]


def pools(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """The HugeTLB pool entries of a document's ``devices``."""
    return [d for d in doc["devices"] if d["kind"] == "hugetlb"]


def flat(entry: dict[str, Any]) -> dict[str, Any]:
    """A device entry with its ``detail`` keys beside its cost keys (for reading)."""
    return {**entry, **entry["detail"]}


def flat_pgmaps(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """``pgmaps(doc)``, each entry flattened."""
    return [flat(d) for d in pgmaps(doc)]


def flat_kmems(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """``kmems(doc)``, each entry flattened."""
    return [flat(d) for d in kmems(doc)]


def flat_pools(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """``pools(doc)``, each entry flattened."""
    return [flat(d) for d in pools(doc)]


def dev(doc: dict[str, Any]) -> dict[str, Any]:
    """The one device entry of an ``estimate --json`` document."""
    (one,) = doc["devices"]
    return one  # type: ignore[no-any-return]


def flat_rows(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """Every device entry of a ``host`` document, flattened (its rows)."""
    return [flat(d) for d in doc["devices"]]
