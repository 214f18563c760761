"""The golden drawings of ``vmemplan explain``: one input per drawing, at 60, 80 and 120
columns, in tests/golden/explain/NAME-WIDTH.txt.

``python -m tests.cli.explain_golden`` rewrites them with what the tool prints now (review
the diff: the words are the kernel's, the figures those of ``estimate --json``).
"""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = ROOT / "tests" / "golden" / "explain"
WIDTHS = (60, 80, 120)

# name -> the explain arguments; each shows one drawing.
CASES: dict[str, list[str]] = {
    # spec kernel-model.md C3: 1 GiB at 64 GiB + 2 MiB, align 2M, the head chunk in the
    # early section of boot RAM that ends at 64 GiB + 2 MiB
    "dedup": [
        "--size",
        "1G",
        "--start",
        "0x1000200000",
        "--system-ram",
        "0..0x1000200000",
        "--drawing",
        "dedup",
    ],
    # spec C4: 1 TiB, map=dev
    "altmap": ["--size", "1T", "--map", "dev", "--drawing", "altmap"],
    # hotplug-hvo-model.md A-3 with memmap_on_memory: trimmed to 2 GiB memory blocks
    "kmem": [
        "--mode",
        "system-ram",
        "--dax-range",
        "0x1020000000..0x1810000000",
        "--memory-block-size",
        "2G",
        "--memmap-on-memory",
        "on",
        "--drawing",
        "kmem",
    ],
    # spec C5: HVO of 2M and 1G pools
    "hvo": ["--hugetlb", "2M:1024", "--hugetlb", "1G:128", "--drawing", "hvo"],
    # spec C1: 1 TiB devdax with 1G compound pages
    "page-tables": ["--size", "1T", "--align", "1G", "--drawing", "page-tables"],
}


def render(name: str, width: int) -> str:
    """``vmemplan explain`` of the case at ``width`` columns (stdout, exit 0 checked)."""
    from vmemplan.cli import cli  # noqa: PLC0415

    result = CliRunner(env={"COLUMNS": str(width), "NO_COLOR": None}).invoke(
        cli, ["explain", *CASES[name], "--color", "never"], catch_exceptions=False
    )
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    return result.stdout


def path(name: str, width: int) -> Path:
    return GOLDEN / f"{name}-{width}.txt"


def main() -> None:
    GOLDEN.mkdir(parents=True, exist_ok=True)
    for name in CASES:
        for width in WIDTHS:
            path(name, width).write_text(render(name, width), encoding="utf-8")


if __name__ == "__main__":
    main()
