"""``python -m vmemplan`` and the ``vmemplan`` console script."""

import contextlib
import gc
import os
import sys
from types import FrameType

from vmemplan.errors import Interrupted

# The C module under `signal`, which builds three enums at import (~0.5 ms of a ~55 ms
# `estimate --json`); only SIGINT's handler is set here. (It has no stub for mypy.)
_signal = __import__("_signal")

EXIT_INTERRUPTED = 130


def _interrupted(signum: int, frame: FrameType | None) -> None:
    raise Interrupted


def _say_interrupted() -> None:
    """The one line of an interrupted run, written straight to fd 2 (no stream is needed)."""
    with contextlib.suppress(OSError):  # stderr closed or full: the exit code still says it
        os.write(2, b"vmemplan: error: interrupted\n")


def reserve_standard_fds() -> None:
    """Give a closed stdin, stdout or stderr (``<&-``, ``>&-``, ``2>&-``) a stand-in.

    Python leaves ``sys.stdin`` (and so on) None for a closed descriptor, and the first file
    vmemplan opens would take its number. Each closed one gets /dev/null, opened so that
    using it fails as using a closed descriptor does: reading stdin and writing stdout raise
    EBADF, which the command line reports as bad input (exit 2, one line); a closed stderr
    swallows the diagnostics, and the exit code still tells what happened.
    """
    for fd, name, flags, mode in (
        (0, "stdin", os.O_WRONLY, "r"),
        (1, "stdout", os.O_RDONLY, "w"),
        (2, "stderr", os.O_WRONLY, "w"),
    ):
        try:
            os.fstat(fd)
        except OSError:
            stand_in = os.open(os.devnull, flags)  # the lowest free number: fd itself
            if stand_in != fd:
                os.dup2(stand_in, fd)
                os.close(stand_in)
            setattr(sys, name, open(fd, mode, closefd=False, encoding="utf-8"))  # noqa: SIM115


def tolerate_non_utf8_stdout() -> None:
    """On a stdout that is not UTF-8 (PYTHONIOENCODING=ascii, a latin-1 locale), write a
    character it cannot encode as an escape (``\\u0394``, valid in JSON too), not fail.

    vmemplan's own text has an ASCII form there (rich boxes, ``delta``); this is for what
    a user gave (a label, a file name).
    """
    encoding = (getattr(sys.stdout, "encoding", None) or "").lower().replace("-", "")
    reconfigure = getattr(sys.stdout, "reconfigure", None)
    if not encoding.startswith("utf") and reconfigure is not None:
        reconfigure(errors="backslashreplace")


def main() -> None:
    """Import the CLI with the cyclic garbage collector off, then run it.

    SIGINT is handled first: from then on ^C (also while the modules below are imported)
    is one line, ``vmemplan: error: interrupted``, and exit 130. A process started with
    SIGINT ignored (a script's background job, nohup) keeps it ignored, as Python does.

    Importing click, the model (and, for text, rich) allocates some 100,000 objects and
    frees almost none, so the collections the allocations trigger find nothing; they cost
    ~6 ms of a ~70 ms `estimate --json`. After the imports the collector is back on, and
    gc.freeze() keeps the import-time objects out of the collections the command triggers.

    A large ``check`` or ``--batch`` builds some 100 objects per namespace that live until
    the end and form no cycles; at the default threshold (700 allocations) the young
    collections rescan them all the time, for nothing (0.1-0.2 s of a 10,000-namespace
    check). The command runs with a 200,000-allocation threshold, as mypy's main does.
    """
    try:
        if _signal.getsignal(_signal.SIGINT) != _signal.SIG_IGN:  # ignored stays ignored
            _signal.signal(_signal.SIGINT, _interrupted)
        reserve_standard_fds()
        tolerate_non_utf8_stdout()
        gc.disable()
        try:
            from vmemplan.cli import main as cli_main  # noqa: PLC0415
        finally:
            gc.enable()
        gc.freeze()
        gc.set_threshold(200_000, 30, 30)
        cli_main()
    except Interrupted:
        _say_interrupted()
        os._exit(EXIT_INTERRUPTED)


if __name__ == "__main__":
    main()
