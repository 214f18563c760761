"""Every file in examples/ runs and prints what it promises.

Each file is exercised here (EXERCISED says how); README.md and docs/ show some of them as
transcripts, which tests/cli/test_doc_examples.py holds to the output.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from vmemplan.kernel.arch import ARCHES

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
CONFIGS = sorted(p.name for p in EXAMPLES.iterdir() if p.suffix in {".toml", ".yaml", ".json"})

# every file in examples/ -> the test that runs it
EXERCISED = {
    "per-tib.sh": "test_per_tib_script_*",
    "batch-summary.py": "test_batch_summary_reads_the_batch_of_geometries",
    "geometries.txt": "test_batch_summary_reads_the_batch_of_geometries",
    **dict.fromkeys(CONFIGS, "test_config_passes_check_as_its_usage_line_says"),
}


def env() -> dict[str, str]:
    """The environment of a user who installed vmemplan: this interpreter's `vmemplan`."""
    e = dict(os.environ)
    e["PATH"] = str(Path(sys.executable).parent) + os.pathsep + e.get("PATH", "")
    e.pop("NO_COLOR", None)
    assert shutil.which("vmemplan", path=e["PATH"]) is not None
    return e


def sh(line: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", "-o", "pipefail", "-c", line],
        capture_output=True,
        text=True,
        env=env(),
        cwd=ROOT,
        check=False,
    )


def test_every_example_file_is_exercised() -> None:
    assert sorted(p.name for p in EXAMPLES.iterdir()) == sorted(EXERCISED)


def per_tib(*args: str) -> dict[str, list[int]]:
    done = sh(shlex.join(["bash", "examples/per-tib.sh", *args]))
    assert (done.returncode, done.stderr) == (0, "")
    out = done.stdout.splitlines()
    assert out[0].split() == ["align", "dram_bytes", "unoptimized_bytes", "struct_pages_init"]
    return {line.split()[0]: [int(x) for x in line.split()[1:]] for line in out[1:]}


def test_per_tib_script_reproduces_the_seed_figures() -> None:
    """The seed's per-TiB figures: 16 GiB (4K), ~4 GiB (2M), ~40 MiB (1G) of DRAM."""
    rows = per_tib()
    # + 2 direct-map PUD tables: 1T at 64G crosses into [512G, 1T) and [1T, 1.5T)
    assert rows["4K"][0] == (4_194_304 + 16 + 2) * 4096
    assert rows["2M"][0] == (1_056_784 + 2) * 4096
    assert rows["1G"][0] == (10_256 + 2) * 4096
    assert rows["1G"][2] == 131_072


@pytest.mark.parametrize("arch", sorted(ARCHES))
def test_per_tib_script_runs_on_every_arch(arch: str) -> None:
    """One row per align the arch supports (arm64-4k has no 1G: the script used to crash)."""
    rows = per_tib("6.6", arch)
    page = ARCHES[arch].page_size
    aligns = [int(a[:-1]) << {"K": 10, "M": 20, "G": 30}[a[-1]] for a in rows]
    assert aligns == list(ARCHES[arch].dax_alignments)
    for dram, baseline, inits in rows.values():
        assert 0 < dram <= baseline
        assert inits <= (1 << 40) // page


def test_batch_summary_reads_the_batch_of_geometries() -> None:
    """One row per geometry line of geometries.txt, with the figures estimate prints."""
    geometries = [
        line
        for line in (EXAMPLES / "geometries.txt").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    done = sh(
        "vmemplan estimate --size 1T --batch examples/geometries.txt"
        " | python3 examples/batch-summary.py"
    )
    assert (done.returncode, done.stderr) == (0, "")
    rows = done.stdout.splitlines()[1:]
    assert len(rows) == len(geometries)
    # the first line is --align 4K: the same figures as a lone estimate
    alone = sh("vmemplan estimate --size 1T --align 4K --json")
    assert f" {_key(alone.stdout, 'dram_bytes')} " in f" {rows[0]} "


def _key(doc: str, key: str) -> int:
    value = json.loads(doc)["total"][key]
    assert isinstance(value, int)
    return value


@pytest.mark.parametrize("name", CONFIGS)
def test_config_passes_check_as_its_usage_line_says(name: str) -> None:
    """Each config names the command that checks it; that command passes (exit 0)."""
    text = (EXAMPLES / name).read_text()
    (usage,) = re.findall(r"^#\s+(vmemplan check \S+)\s*$", text, re.M)
    assert usage == f"vmemplan check examples/{name}"
    done = sh(usage)
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout.startswith(f"examples/{name}: pass")
