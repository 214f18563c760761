"""Run ``vmemplan`` as a process with a wall-time and an address-space bound.

Every hostile case runs this way: a regression that reads without limit or goes quadratic
fails the test (killed by the timeout, or a MemoryError under ``RLIMIT_AS``) instead of
stalling CI. The bounds are generous for a shared 2-core runner: each case takes well under
a second or two when the input is handled linearly.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

# Address space of one run: the interpreter, pydantic and the input stay far below it.
MEMORY_BYTES = 1 << 30
TIMEOUT_S = 20.0


@dataclass(frozen=True)
class Run:
    """What one bounded run did."""

    code: int
    stdout: str
    stderr: str

    @property
    def err_lines(self) -> list[str]:
        """stderr's lines."""
        return self.stderr.splitlines()


def run(
    *args: str,
    stdin: bytes | int | None = None,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    pass_fds: Sequence[int] = (),
    memory_bytes: int = MEMORY_BYTES,
    timeout_s: float = TIMEOUT_S,
) -> Run:
    """``python -m vmemplan ARGS`` under ``RLIMIT_AS`` = ``memory_bytes``, killed after
    ``timeout_s`` (``subprocess.TimeoutExpired`` fails the test). ``stdin``: bytes to
    pipe in, or a file descriptor to hand over as it is."""

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))

    environ = {k: v for k, v in os.environ.items() if not k.startswith("VMEMPLAN_")}
    environ.update({"COLUMNS": "100", "PYTHONIOENCODING": "utf-8", **(env or {})})
    piped = isinstance(stdin, bytes)
    out = subprocess.run(
        [sys.executable, "-m", "vmemplan", *args],
        input=stdin if piped else None,
        stdin=None if piped else subprocess.DEVNULL if stdin is None else stdin,
        capture_output=True,
        env=environ,
        cwd=cwd,
        pass_fds=pass_fds,
        preexec_fn=limit,
        timeout=timeout_s,
        check=False,
    )
    return Run(
        out.returncode,
        out.stdout.decode("utf-8", errors="replace"),
        out.stderr.decode("utf-8", errors="replace"),
    )
