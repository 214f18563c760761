"""Where the output goes: a pipe closed early, a full device, a terminal with --color never."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

VMEMPLAN = [sys.executable, "-m", "vmemplan"]


@pytest.mark.parametrize("fmt", [[], ["--json"]])
def test_closed_pipe_exits_0_quietly(fmt: list[str]) -> None:
    """`vmemplan estimate --size 1T | head -1`: the reader leaving is not a failed budget."""
    r, w = os.pipe()
    proc = subprocess.Popen(
        [*VMEMPLAN, "estimate", "--size", "1T", *fmt], stdout=w, stderr=subprocess.PIPE
    )
    os.close(w)
    with os.fdopen(r, "rb") as reader:
        reader.read(1)  # take one byte, then hang up
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0
    assert err == b""


@pytest.mark.parametrize("fmt", [[], ["--json"]])
def test_full_device_is_one_line_and_exit_2(fmt: list[str]) -> None:
    with open("/dev/full", "wb") as full:
        proc = subprocess.run(
            [*VMEMPLAN, "estimate", "--size", "1T", *fmt],
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            timeout=60,
            check=False,
        )
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1
    assert "cannot write output" in proc.stderr
    assert "internal error" not in proc.stderr


def test_color_never_emits_no_escape_even_on_a_terminal() -> None:
    """--color never on a terminal: no colour, bold or italic escapes at all."""
    code = (
        "import rich.console, sys\n"
        "rich.console.Console.is_terminal = property(lambda self: True)\n"
        "from vmemplan.cli import main\n"
        "sys.argv = ['vmemplan', 'estimate', '--size', '1T', '--color', 'never']\n"
        "main()\n"
    )
    env = {**os.environ, "COLUMNS": "100"}
    env.pop("NO_COLOR", None)
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=False
    )
    assert proc.returncode == 0, proc.stderr
    assert "struct pages" in proc.stdout.lower()
    assert "\x1b[" not in proc.stdout


def test_bare_vmemplan_prints_the_normal_help() -> None:
    proc = subprocess.run([*VMEMPLAN], capture_output=True, text=True, check=False)
    assert proc.returncode == 0
    assert proc.stdout.startswith("Usage: vmemplan")
    assert "\n  estimate " in proc.stdout  # the command list, one per line
    assert proc.stderr == ""


def test_usage_errors_are_one_line_without_tabs() -> None:
    proc = subprocess.run([*VMEMPLAN, "schema"], capture_output=True, text=True, check=False)
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1
    assert "\t" not in proc.stderr
    assert "config, report" in proc.stderr
