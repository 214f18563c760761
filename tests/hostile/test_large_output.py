"""Big output from small input stays in bounded memory.

Before: ``check --json`` built the whole document (every namespace's estimate document)
and dumped it at once: 100,000 namespaces died of MemoryError under a 3 GiB cap, and
8,000 need more than 256 MiB of address space. It is now written namespace by namespace.
"""

from __future__ import annotations

import json
from pathlib import Path

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
    assert [ns["input"]["label"] for ns in file["namespaces"]] == [
        f"pmem{i}" for i in range(NAMESPACES)
    ]
    assert file["total"]["namespaces"] == NAMESPACES
    assert result.stdout.endswith("}\n")
