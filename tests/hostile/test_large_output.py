"""Big output from small input stays in bounded memory.

Before: ``check --json`` built the whole document (every namespace's estimate document)
and dumped it at once: 100,000 namespaces died of MemoryError under a 3 GiB cap, and
8,000 need more than 256 MiB of address space. It is now written namespace by namespace.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers import flat_pgmaps
from tests.hostile.bounded import run

NAMESPACES = 8_000


def _host(n: int) -> str:
    out = ['[host]\nsystem_ram = ["0+64G"]\n[budgets]\ndram = "2%"\n']
    for i in range(n):
        mode = 'mode = "devdax"\nmap = "mem"' if i % 2 else 'mode = "fsdax"\nmap = "dev"'
        out.append(f'[[namespaces]]\nname = "pmem{i}"\nsize = "256M"\n{mode}\nalign = "2M"\n')
    return "\n".join(out)


def test_check_json_of_many_namespaces_is_streamed(tmp_path: Path) -> None:
    path = tmp_path / "host.toml"
    path.write_text(_host(NAMESPACES))
    result = run("check", "--json", str(path), memory_bytes=256 << 20)
    assert result.code == 0, result.stderr[-400:]
    doc = json.loads(result.stdout)  # one valid document
    assert doc["status"] == "pass"
    (file,) = doc["files"]
    assert [ns["input"]["label"] for ns in flat_pgmaps(file)] == [
        f"pmem{i}" for i in range(NAMESPACES)
    ]
    counts = file["total"]["detail"]["devices"]
    assert counts["devdax"] + counts["fsdax"] == NAMESPACES
    assert doc["total"]["dram_bytes"] == file["total"]["dram_bytes"]
    assert result.stdout.endswith("}\n")


def _iomem(nr_ram: int, nr_pmem: int) -> str:
    """System RAM ranges of 1 GiB with 1 GiB holes, then 4 GiB Persistent Memory ranges
    holding one namespace each."""
    gib = 1 << 30
    lines = []
    for i in range(nr_ram):
        start = 4 * gib + i * 2 * gib
        lines.append(f"{start:x}-{start + gib - 1:x} : System RAM")
    base = 4 * gib + nr_ram * 2 * gib
    for i in range(nr_pmem):
        start, end = base + i * 4 * gib, base + (i + 1) * 4 * gib - 1
        lines += [f"{start:x}-{end:x} : Persistent Memory", f"  {start:x}-{end:x} : namespace{i}.0"]
    return "\n".join(lines) + "\n"


def test_an_iomem_of_many_ranges_gives_linear_json(tmp_path: Path) -> None:
    """Before: each namespace's document repeated every System RAM range (500 x 500 here:
    ~28 MB of JSON; 1,000 x 1,000: 106 MiB, 873 MB of memory). Now the ranges are given
    once in ``source.system_ram`` and each namespace's ``input.system_ram`` is null."""
    nr = 500
    path = tmp_path / "ranges.iomem"
    path.write_text(_iomem(nr, nr))
    result = run("estimate", "--iomem", str(path), "--json", timeout_s=15)
    assert result.code == 0, result.stderr[-400:]
    assert len(result.stdout) < 4 << 20  # ~3 MB: about 6 KB per namespace
    doc = json.loads(result.stdout)
    assert len(flat_pgmaps(doc)) == nr
    assert {ns["input"]["system_ram"] for ns in flat_pgmaps(doc)} == {None}
    ram = doc["source"]["system_ram"]
    assert len(ram) == nr  # every range, once: nothing a user needs is lost
    assert ram[1] == {"start_bytes": 6 << 30, "end_bytes": 7 << 30}


def test_a_few_ram_ranges_are_still_repeated_per_namespace(tmp_path: Path) -> None:
    path = tmp_path / "ranges.iomem"
    path.write_text(_iomem(3, 2))
    result = run("estimate", "--iomem", str(path), "--json")
    doc = json.loads(result.stdout)
    ram = doc["source"]["system_ram"]
    assert len(ram) == 3
    assert [ns["input"]["system_ram"] for ns in flat_pgmaps(doc)] == [ram, ram]


@pytest.mark.parametrize("command", ["compare", "plan"])
def test_compare_and_plan_of_many_ranges_give_linear_json(tmp_path: Path, command: str) -> None:
    """The same for the host documents of ``compare``/``plan --iomem`` (1,000 x 1,000:
    114 MB of JSON before)."""
    nr = 300
    path = tmp_path / "ranges.iomem"
    path.write_text(_iomem(nr, nr))
    result = run(command, "--iomem", str(path), "--json", timeout_s=15)
    assert result.code in (0, 1), result.stderr[-400:]  # plan: 1 if no row fits a budget
    assert len(result.stdout) < 6 << 20  # ~5 MB: every row carries the 14 cost keys
    doc = json.loads(result.stdout)
    assert {ns["input"]["system_ram"] for ns in doc["namespaces"]} == {None}
    assert len(doc["source"]["system_ram"]) == nr
