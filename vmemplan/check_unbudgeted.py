"""``check`` of a file (or a dump) that sets no budget: the hint and ``--strict``.

Without ``--strict`` such a file passes with a warning; with it, the missing budget is an
error of that file: its status is ``error`` (exit 2, ``::error`` under ``--format github``),
so the verdict printed and the exit code agree.
"""

from __future__ import annotations

from dataclasses import replace

from vmemplan.check import CheckResult, Finding


def no_budget_hint(r: CheckResult, *, dump: bool) -> str | None:
    """What to add so ``r`` checks something, or None when it has a budget (or failed to
    parse). The sections named are the ones the file's entries can carry: ``[budgets]``
    always, ``[namespaces.budgets]`` with namespaces, ``[hugetlb.budgets]`` with pools."""
    if r.status == "error" or r.nr_budgets:
        return None
    if dump:
        return "give --max-dram, --max-device-loss or --max-init"
    sections = ["[budgets]"]
    if r.estimates or r.system_ram:
        sections.append("[namespaces.budgets]")
    if r.hugetlb:
        sections.append("[hugetlb.budgets]")
    return "add " + (
        sections[0] if len(sections) == 1 else f"{', '.join(sections[:-1])} or {sections[-1]}"
    )


def strict_no_budget(r: CheckResult, hint: str, *, dump: bool) -> CheckResult:
    """``--strict``: ``r`` with the missing budget as its error finding (status ``error``)."""
    finding = Finding(
        r.file,
        "--max-dram" if dump else "budgets",
        None,
        "error",
        f"no budget to check ({hint}); --strict makes that an error",
    )
    return replace(r, status="error", findings=[*r.findings, finding])
