"""Reading a config file or a dump: regular files and pipes only, never past a size cap.

Every input vmemplan reads (``check FILE``, ``--config``, ``--from-ndctl``, ``--iomem``,
``--batch``) comes through ``read_input()`` (the whole text, capped) or ``opened()`` (for
a reader that streams and caps its own lines, ``--batch``). What they accept:

- a regular file, or a pipe (``-`` on a pipe, ``<(...)``'s ``/dev/fd/N``, a named FIFO);
  ``-`` also reads a terminal or a socket (how some CI runners hand a child its stdin);
- at most ``VMEMPLAN_MAX_INPUT`` bytes (a size: ``64M``, the default, ``1G``, ``0x10000``):
  the reader stops one byte past the cap and refuses the input, so a symlink to
  ``/dev/zero`` or an endless pipe costs at most the cap.

A device (``/dev/zero``, ``/dev/urandom``, a disk), a directory or a socket path is refused
before it is opened for reading past its status. Every refusal is an ``InputError`` (exit
2) naming the option and an escaped excerpt of the path.
"""

from __future__ import annotations

import contextlib
import os
import stat
import sys
from collections.abc import Callable, Iterator
from functools import partial

from vmemplan.errors import InputError
from vmemplan.excerpt import excerpt

MAX_INPUT_ENV = "VMEMPLAN_MAX_INPUT"
DEFAULT_MAX_INPUT_BYTES = 64 << 20
_CHUNK_BYTES = 1 << 20
_PATH_EXCERPT = 200


def max_input_bytes() -> int:
    """The cap on one input, from ``VMEMPLAN_MAX_INPUT`` (a size) or the 64 MiB default."""
    from vmemplan.units import parse_size  # noqa: PLC0415 - only when the variable is set

    text = os.environ.get(MAX_INPUT_ENV)
    if text is None or not text.strip():
        return DEFAULT_MAX_INPUT_BYTES
    limit = parse_size(text.strip(), MAX_INPUT_ENV)
    if limit <= 0:
        raise InputError(MAX_INPUT_ENV, f"{excerpt(text)}: must be at least 1 byte")
    return limit


def _kind(mode: int) -> str | None:
    """What a file of this mode is, when it is one vmemplan does not read (else None)."""
    if stat.S_ISREG(mode) or stat.S_ISFIFO(mode):
        return None
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def read_input(path: str, option: str) -> str:
    """The text of ``path`` (``-``: stdin), decoded as UTF-8 (undecodable bytes replaced).

    Refuses (``InputError`` naming ``option``) a path that is not a regular file or a
    pipe, and an input longer than ``max_input_bytes()``.
    """
    return read_input_bytes(path, option).decode("utf-8", errors="replace")


def read_input_bytes(path: str, option: str) -> bytes:
    """``read_input()`` without the decoding."""
    limit = max_input_bytes()
    shown = _shown(path)
    with opened(path, option, shown) as read:
        return _read_capped(read, limit, option, shown)


def _is_dev_null(st: os.stat_result) -> bool:
    try:
        null = os.stat(os.devnull)
    except OSError:
        return False
    return stat.S_ISCHR(null.st_mode) and st.st_rdev == null.st_rdev


def _shown(path: str) -> str:
    return "<stdin>" if path == "-" else excerpt(path, _PATH_EXCERPT)


def _read(read: Callable[[int], bytes], option: str, shown: str, n: int) -> bytes:
    try:
        return read(n)
    except (OSError, ValueError) as err:
        raise _unreadable(err, option, shown) from None


def _unreadable(err: OSError | ValueError, option: str, shown: str) -> InputError:
    reason = err.strerror if isinstance(err, OSError) and err.strerror else "cannot read"
    return InputError(option, f"{shown}: {reason}")


@contextlib.contextmanager
def opened(path: str, option: str, shown: str | None = None) -> Iterator[Callable[[int], bytes]]:
    """``read(n)`` of ``path`` (``-``: stdin) once it is known to be a file or a pipe, up
    to n bytes as they arrive (b"" at the end); closed after. No cap: ``read_input()``
    caps the whole text, a reader that streams (``--batch``) caps its own lines."""
    shown = _shown(path) if shown is None else shown
    fd: int | None = None
    try:
        if path == "-":
            if sys.stdin is None:  # started with stdin closed (`<&-`)
                raise InputError(option, "<stdin>: closed")
            try:
                stdin_fd = sys.stdin.fileno()
            except (OSError, ValueError):  # not a real file (in-process tests): the stream
                read: Callable[[int], bytes] = sys.stdin.buffer.read
            else:
                st = os.fstat(stdin_fd)
                mode = st.st_mode
                # a terminal, or /dev/null (`< /dev/null`, or the stand-in for a closed
                # stdin, which fails with EBADF when read: __main__.reserve_standard_fds)
                quiet = stat.S_ISCHR(mode) and (os.isatty(stdin_fd) or _is_dev_null(st))
                kind = None if quiet or stat.S_ISSOCK(mode) else _kind(mode)
                if kind is not None:
                    raise InputError(option, f"{shown}: {kind}, not a file or a pipe")
                read = partial(os.read, stdin_fd)
        else:
            kind = _kind(os.stat(path).st_mode)
            if kind is not None:
                raise InputError(option, f"{shown}: {kind}, not a file or a pipe")
            fd = os.open(path, os.O_RDONLY | os.O_NOCTTY | getattr(os, "O_CLOEXEC", 0))
            # the path may have been swapped for a device after the stat above
            kind = _kind(os.fstat(fd).st_mode)
            if kind is not None:
                raise InputError(option, f"{shown}: {kind}, not a file or a pipe")
            read = partial(os.read, fd)
    except (OSError, ValueError) as err:  # ValueError: a NUL in the path
        if fd is not None:
            os.close(fd)
        raise _unreadable(err, option, shown) from None
    except InputError:
        if fd is not None:
            os.close(fd)
        raise
    try:
        yield partial(_read, read, option, shown)  # a failed read is the input's error
    finally:
        if fd is not None:
            os.close(fd)


def _read_capped(read: Callable[[int], bytes], limit: int, option: str, shown: str) -> bytes:
    """At most ``limit`` bytes from ``read(n)`` (a file descriptor's ``os.read`` or a
    stream's ``read``); one more byte means the input is too long."""
    chunks: list[bytes] = []
    total = 0
    while total <= limit:
        chunk = read(min(_CHUNK_BYTES, limit + 1 - total))
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
        total += len(chunk)
    raise _too_large(option, shown, limit)


def _too_large(option: str, shown: str, limit: int) -> InputError:
    return InputError(
        option,
        f"{shown}: larger than the {_size(limit)} input limit "
        f"(set {MAX_INPUT_ENV}=SIZE to raise it, e.g. {MAX_INPUT_ENV}=256M)",
    )


def _size(n: int) -> str:
    for shift, unit in ((30, "GiB"), (20, "MiB"), (10, "KiB")):
        if n >= 1 << shift and n % (1 << shift) == 0:
            return f"{n >> shift} {unit}"
    return f"{n:,} bytes"
