"""Config and dump inputs: regular files and pipes only, and never read past the cap.

Before: a symlink to /dev/zero was read until memory ran out (2.9 GB and exit 3 under a
3 GiB cap). Each run here has a 1 GiB address-space bound, so reading without limit fails.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.hostile.bounded import run

GOOD = Path(__file__).parents[2] / "examples" / "cxl-expander.toml"
NDCTL = Path(__file__).parents[1] / "data" / "ndctl"
IOMEM = Path(__file__).parents[1] / "data" / "iomem" / "x86_pmem_cxl.iomem"

# Every option that reads a file, as (argv before the path, argv after it).
READERS = {
    "check FILE": (["check"], []),
    "check --from-ndctl": (["check", "--from-ndctl"], []),
    "estimate --from-ndctl": (["estimate", "--from-ndctl"], []),
    "estimate --iomem": (["estimate", "--iomem"], []),
    "host --lsmem": (["host", "--lsmem"], []),
    "estimate --batch": (["estimate", "--batch"], []),
    "compare --config": (["compare", "--config"], []),
}


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom"])
@pytest.mark.parametrize("reader", list(READERS))
def test_a_symlink_to_a_device_is_refused(tmp_path: Path, reader: str, device: str) -> None:
    link = tmp_path / "host.toml"
    link.symlink_to(device)
    before, after = READERS[reader]
    result = run(*before, str(link), *after)
    assert result.code == 2, result.stderr
    text = result.stdout + result.stderr
    assert "a character device, not a file or a pipe" in text
    assert "Traceback" not in text


def test_a_device_on_stdin_is_refused() -> None:
    fd = os.open("/dev/zero", os.O_RDONLY)
    try:
        result = run("estimate", "--from-ndctl", "-", stdin=fd)
    finally:
        os.close(fd)
    assert result.code == 2
    assert result.err_lines == [
        "vmemplan: error: --from-ndctl: <stdin>: a character device, not a file or a pipe"
    ]


def test_a_directory_is_refused(tmp_path: Path) -> None:
    result = run("estimate", "--iomem", str(tmp_path))
    assert result.code == 2
    assert result.err_lines[0].endswith(": a directory, not a file or a pipe")


def test_a_pipe_past_the_cap_is_refused_without_reading_it_all() -> None:
    # 2 MiB piped, 1 MiB allowed: the reader stops one byte past the cap
    result = run("check", "-", stdin=b"#" * (2 << 20), env={"VMEMPLAN_MAX_INPUT": "1M"})
    assert result.code == 2
    assert "larger than the 1 MiB input limit (set VMEMPLAN_MAX_INPUT=SIZE" in result.stdout


def test_a_file_past_the_cap_is_refused_and_the_cap_can_be_raised(tmp_path: Path) -> None:
    text = GOOD.read_text()
    limit = len(text.encode()) - 1
    small = run("check", str(GOOD), env={"VMEMPLAN_MAX_INPUT": str(limit)})
    assert small.code == 2
    assert f"larger than the {limit:,} bytes input limit" in small.stdout
    raised = run("check", str(GOOD), env={"VMEMPLAN_MAX_INPUT": str(limit + 1)})
    assert raised.code == 0, raised.stdout + raised.stderr


def test_the_default_cap_is_64_mib() -> None:
    result = run("check", "-", stdin=b"#" * ((64 << 20) + 1))
    assert result.code == 2
    assert "larger than the 64 MiB input limit" in result.stdout


def test_a_bad_cap_names_the_variable() -> None:
    result = run("check", str(GOOD), env={"VMEMPLAN_MAX_INPUT": "lots"})
    assert result.code == 2
    assert "VMEMPLAN_MAX_INPUT: 'lots': not a size" in result.stdout + result.stderr


def test_process_substitution_pipes_are_read(tmp_path: Path) -> None:
    """``check <(...)`` hands over ``/dev/fd/N``, a pipe: it is read like a file."""
    read_end, write_end = os.pipe()
    os.write(write_end, GOOD.read_bytes())
    os.close(write_end)
    try:
        result = run("check", f"/dev/fd/{read_end}", pass_fds=[read_end])
    finally:
        os.close(read_end)
    assert result.code == 0, result.stdout + result.stderr
    assert result.stdout.startswith(f"/dev/fd/{read_end}: pass")


def test_a_closed_stdin_is_an_input_error() -> None:
    """``check - <&-``: no stdin at all is exit 2, not an internal error."""
    import subprocess  # noqa: PLC0415
    import sys  # noqa: PLC0415

    code = "import os; os.close(0); from vmemplan.cli import main; main()"
    out = subprocess.run(
        [sys.executable, "-c", code, "check", "-"],
        capture_output=True,
        text=True,
        timeout=20,
        check=False,
    )
    assert out.returncode == 2, out.stdout + out.stderr
    assert "Traceback" not in out.stderr
