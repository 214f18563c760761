"""The process's edges: closed or full standard streams and ^C keep the exit-code contract.

Each case runs a real process (descriptors, signals): exit 0/1/2/3/130 as documented, at
most one line on stderr, never a traceback.
"""

from __future__ import annotations

import select
import signal
import subprocess
import sys

import pytest

VMEMPLAN = [sys.executable, "-m", "vmemplan"]


def run_sh(redirect: str, *args: str, stdin: int | None = None) -> subprocess.CompletedProcess[str]:
    """Run vmemplan under ``sh`` with ``redirect`` (``>&-``, ``2>/dev/full``...) applied."""
    return subprocess.run(
        ["sh", "-c", f'exec "$@" {redirect}', "sh", *VMEMPLAN, *args],
        capture_output=True,
        stdin=stdin,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize("fmt", [[], ["--json"]])
def test_a_closed_stdout_is_one_line_and_exit_2(fmt: list[str]) -> None:
    """`>&-`: the product cannot be written, as with /dev/full (not an AttributeError)."""
    proc = run_sh(">&-", "estimate", "--size", "1T", *fmt)
    assert proc.returncode == 2
    assert proc.stderr == "vmemplan: error: cannot write output: Bad file descriptor\n"


def test_a_closed_stdout_in_a_batch_is_exit_2() -> None:
    proc = run_sh(">&- <<EOF\n--size 1T\nEOF", "estimate", "--batch", "-")
    assert proc.returncode == 2
    assert proc.stderr == "vmemplan: error: cannot write output: Bad file descriptor\n"


def test_a_closed_stderr_does_not_change_a_success() -> None:
    proc = run_sh("2>&-", "estimate", "--size", "1T", "--json")
    assert proc.returncode == 0
    assert '"schema_version"' in proc.stdout


@pytest.mark.parametrize("redirect", ["2>&-", "2>/dev/full"])
def test_bad_input_is_exit_2_whatever_stderr_is(redirect: str) -> None:
    """The error line cannot be written: the exit code still says bad input."""
    proc = run_sh(redirect, "estimate", "--size", "3X")
    assert proc.returncode == 2
    assert proc.stdout == ""


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["check", "-"], "Bad file descriptor"),
        (["estimate", "--batch", "-"], "vmemplan: error: --batch: <stdin>: Bad file descriptor\n"),
        (["estimate", "--from-ndctl", "-"], "Bad file descriptor"),
    ],
)
def test_a_closed_stdin_is_bad_input(args: list[str], expected: str) -> None:
    """`<&-`: reading stdin fails as an unreadable file does (exit 2), not as a bug (3)."""
    proc = run_sh("<&-", *args)
    assert proc.returncode == 2
    said = proc.stdout + proc.stderr  # check reports a file's problems on stdout
    assert expected in said
    assert "internal error" not in said
    assert "Traceback" not in said


def test_interrupt_while_waiting_for_input_is_one_line_and_130() -> None:
    """^C while a batch waits for its next line: what was answered stays, then one line."""
    proc = subprocess.Popen(
        [*VMEMPLAN, "estimate", "--batch", "-"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdin is not None
    assert proc.stdout is not None
    proc.stdin.write(b"--size 1T\n")
    proc.stdin.flush()
    ready, _, _ = select.select([proc.stdout], [], [], 60)  # a batch that does not stream
    if not ready:  # would never answer before its input ends
        proc.kill()
        proc.communicate()
        pytest.fail("line 1 was not answered before the input ended")
    first = proc.stdout.readline()  # answered: the process now waits for line 2
    assert first.startswith(b'{"schema_version"')
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert err == b"vmemplan: error: interrupted\n"  # no blank line before it
    assert out == b""


# ^C while the console script imports click: a finder that sends SIGINT to its own
# process when click is looked for (deterministic, unlike a timed kill).
_INTERRUPT_DURING_IMPORT = """
import os, signal, sys

class SigintOnImport:
    def find_spec(self, name, path=None, target=None):
        if name == {module!r}:
            os.kill(os.getpid(), signal.SIGINT)
        return None

sys.meta_path.insert(0, SigintOnImport())
sys.argv = ["vmemplan", "estimate", "--size", "1T"]
from vmemplan.__main__ import main
main()
"""


@pytest.mark.parametrize("module", ["click", "vmemplan.estimate", "rich"])
def test_interrupt_during_start_up_is_one_line_and_130(module: str) -> None:
    proc = subprocess.run(
        [sys.executable, "-c", _INTERRUPT_DURING_IMPORT.format(module=module)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 130
    assert proc.stderr == "vmemplan: error: interrupted\n"
    assert proc.stdout == ""


def test_an_ignored_interrupt_stays_ignored() -> None:
    """A process started with SIGINT ignored (a background job of a script, nohup) keeps
    it ignored, as Python itself does: ^C meant for the foreground does not stop it."""
    proc = subprocess.Popen(
        [*VMEMPLAN, "estimate", "--batch", "-"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN),  # noqa: PLW1509
    )
    assert proc.stdin is not None
    assert proc.stdout is not None
    proc.stdin.write(b"--size 1T\n")
    proc.stdin.flush()
    ready, _, _ = select.select([proc.stdout], [], [], 60)
    assert ready
    first = proc.stdout.readline()
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(b"--size 2T\n", timeout=60)
    assert (proc.returncode, err) == (0, b"")
    assert first.startswith(b'{"schema_version"')
    assert out.startswith(b'{"schema_version"')
    assert out.count(b"\n") == 1  # line 2 answered too
