"""Benchmark: ``vmemplan check`` of one host config with 10,000 namespaces.

Run: ``python benchmarks/check.py [N]``. Writes the same host as TOML, YAML and JSON to a
temporary folder (N namespaces, default 10,000, placed one after the other from 64 GiB:
devdax 2M in DRAM, fsdax on the device, devdax 1G, with per-namespace and total budgets
that all hold) and prints the median wall time of whole ``vmemplan check`` processes
(text and ``--format json``), and of ``python -c pass`` for scale. Not a timed test.

Target (issue 16): ``check`` of 10,000 namespaces under 1 s. Measured 2026-12-07 on the
shared 2-core development machine (load average ~1-2), CPU time (user + system) of
``vmemplan check host.toml`` (text) with GNU time, main (18eab77) and wt-checkspeed
interleaved, three runs each:

    main           1.30  1.09  1.10 s   max RSS 89.7 MiB
    wt-checkspeed  1.11  1.06  1.10 s   max RSS 89.0 MiB

and this script on wt-checkspeed (median CPU): text 1.09 s from TOML, 0.99 s from JSON,
1.98 s from YAML; --format json 1.88 / 1.81 / 2.80 s. Output byte-identical (``cmp`` of
text and JSON). Still at the 1 s line, not under it: the CPU is spread thin (imports
0.2 s, TOML + config model 0.22 s, config_host() 0.23 s, the walks 0.39 s, budgets and
report ~0.1 s; ``time.process_time()`` per phase); no single cost left to remove.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from statistics import median

KINDS = (
    {"mode": "devdax", "map": "mem", "align": "2M"},
    {"mode": "fsdax", "map": "dev", "align": "2M"},
    {"mode": "devdax", "map": "mem", "align": "1G"},
)


def host(n: int) -> dict[str, object]:
    """The config document: n namespaces of 3 to 4 GiB, every budget generous."""
    namespaces = []
    for i in range(n):
        ns: dict[str, object] = {"name": f"pmem{i}", "size": f"{3 + i % 2}G", **KINDS[i % 3]}
        ns["budgets"] = {"dram": "2%", "device_loss": "1G", "init": "1s"}
        namespaces.append(ns)
    return {
        "schema_version": 1,
        "host": {"arch": "x86_64", "kernel": "6.12", "system_ram": ["0+64G"]},
        "budgets": {"dram": "2%", "init": "600s"},
        "namespaces": namespaces,
    }


def to_toml(doc: dict[str, object]) -> str:
    """The document as TOML (strings and tables only: no library needed)."""
    out = ["schema_version = 1", "", "[host]"]
    host_ = doc["host"]
    assert isinstance(host_, dict)
    out += [f"{k} = {json.dumps(v)}" for k, v in host_.items()]
    out += ["", "[budgets]"]
    budgets = doc["budgets"]
    assert isinstance(budgets, dict)
    out += [f"{k} = {json.dumps(v)}" for k, v in budgets.items()]
    namespaces = doc["namespaces"]
    assert isinstance(namespaces, list)
    for ns in namespaces:
        out += ["", "[[namespaces]]"]
        out += [f"{k} = {json.dumps(v)}" for k, v in ns.items() if k != "budgets"]
        out += ["[namespaces.budgets]"]
        out += [f"{k} = {json.dumps(v)}" for k, v in ns["budgets"].items()]
    return "\n".join(out) + "\n"


def to_yaml(doc: dict[str, object]) -> str:
    """The document as block YAML (JSON scalars are valid YAML scalars)."""
    out = ["schema_version: 1", "host:"]
    host_ = doc["host"]
    assert isinstance(host_, dict)
    out += [f"  {k}: {json.dumps(v)}" for k, v in host_.items()]
    out += ["budgets:"]
    budgets = doc["budgets"]
    assert isinstance(budgets, dict)
    out += [f"  {k}: {json.dumps(v)}" for k, v in budgets.items()]
    out += ["namespaces:"]
    namespaces = doc["namespaces"]
    assert isinstance(namespaces, list)
    for ns in namespaces:
        items = [(k, v) for k, v in ns.items() if k != "budgets"]
        out += [f"  - {items[0][0]}: {json.dumps(items[0][1])}"]
        out += [f"    {k}: {json.dumps(v)}" for k, v in items[1:]]
        out += ["    budgets:"]
        out += [f"      {k}: {json.dumps(v)}" for k, v in ns["budgets"].items()]
    return "\n".join(out) + "\n"


def run(args: list[str], repeat: int) -> tuple[float, float, int]:
    """Median wall time and median CPU time (user + system) in seconds of a whole process,
    and its exit code. On a shared machine the CPU time is the steadier figure."""
    walls, cpus = [], []
    code = 0
    for _ in range(repeat):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        done = subprocess.run(args, capture_output=True, check=False)
        walls.append(time.perf_counter() - t0)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
        code = done.returncode
        if code not in (0, 1):
            sys.exit(f"{' '.join(args)}: exit {code}: {done.stderr.decode()[:400]}")
    return median(walls), median(cpus), code


def main() -> None:
    """Write the three files and print the timings."""
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    repeat = 3
    doc = host(n)
    vmemplan = [sys.executable, "-m", "vmemplan"]
    with tempfile.TemporaryDirectory() as tmp:
        files = {
            "toml": Path(tmp, "host.toml"),
            "yaml": Path(tmp, "host.yaml"),
            "json": Path(tmp, "host.json"),
        }
        files["toml"].write_text(to_toml(doc))
        files["yaml"].write_text(to_yaml(doc))
        files["json"].write_text(json.dumps(doc, indent=2))
        print(f"{n} namespaces, median of {repeat} runs")
        print(f"{'':<36} {'wall':>8} {'cpu':>8}")
        wall, cpu, _ = run([sys.executable, "-c", "pass"], repeat)
        print(f"{'python -c pass':<36} {wall:7.3f}s {cpu:7.3f}s")
        for fmt, path in files.items():
            for out in ("text", "json"):
                wall, cpu, code = run([*vmemplan, "check", str(path), "--format", out], repeat)
                label = f"check host.{fmt} --format {out}"
                print(f"{label:<36} {wall:7.3f}s {cpu:7.3f}s  (exit {code})")


if __name__ == "__main__":
    main()
