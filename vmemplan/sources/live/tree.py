"""A read-only view of a tree that mirrors ``/``: the running machine, a snapshot
directory, or a snapshot ``.tar.gz`` read in memory.

Paths are relative to the root (``proc/meminfo``). A symbolic link is followed inside the
root, as a chroot would: an absolute target starts again at the root, ``..`` stops at it,
so a snapshot's ``driver -> /etc/shadow`` reads the snapshot's own ``etc/shadow`` (which a
snapshot never has), never the host's. Every read is capped (``MAX_FILE_BYTES``), opens
with ``O_NOFOLLOW`` and refuses anything that is not a regular file (a FIFO in a hostile
snapshot would block; a device would never end). Nothing is ever written.

Each read is counted against a *source* label (the spec's file pattern, e.g.
``sys/devices/system/memory/memory*/state``): how many files of it were read, missing, or
denied (``EACCES``/``EPERM``: root only). That is what ``inspect`` reports as its sources.
"""

from __future__ import annotations

import errno
import os
import stat
import tarfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Literal

from vmemplan.errors import InputError
from vmemplan.excerpt import excerpt

Kind = Literal["file", "dir", "link", "other"]

# The largest file of a tree read: /proc/iomem and /proc/zoneinfo of a many-node machine
# stay far below it; a sysfs attribute is at most a page.
MAX_FILE_BYTES = 4 << 20
# The largest number of links one path may cross (the kernel's MAXSYMLINKS is 40).
MAX_LINKS = 40
# A snapshot archive: members and total bytes held in memory at most.
MAX_MEMBERS = 1_000_000
MAX_ARCHIVE_BYTES = 256 << 20


@dataclass
class SourceCount:
    """What one source label gave: files read, missing, denied (root only)."""

    read: int = 0
    missing: int = 0
    denied: int = 0


@dataclass
class Tree:
    """The primitives a backend provides on *real* paths (no link followed), and the
    link-following, counting reads above them."""

    shown: str
    sources: dict[str, SourceCount] = field(default_factory=dict)
    # every link a resolution crossed: its real path -> its target (what --save keeps)
    links_seen: dict[str, str] = field(default_factory=dict)
    _resolved: dict[str, str | None] = field(default_factory=dict)
    _kinds: dict[str, Kind | None] = field(default_factory=dict)

    # -- backend primitives (real paths, relative, "" is the root) --------------------
    def _kind(self, real: str) -> Kind | None:
        raise NotImplementedError

    def _readlink(self, real: str) -> str:
        raise NotImplementedError

    def readlink(self, real: str) -> str:
        """The target of the link at real path ``real`` ("" if it is none)."""
        return self._readlink(real) if self.kind(real) == "link" else ""

    def _listdir(self, real: str) -> list[tuple[str, Kind]]:
        raise NotImplementedError

    def _read(self, real: str) -> bytes:
        """The bytes of a regular file (``OSError`` as the kernel would give it)."""
        raise NotImplementedError

    # -- link resolution ------------------------------------------------------------------
    def kind(self, real: str) -> Kind | None:
        """The kind of a real path, cached (a listing primes the cache)."""
        if real not in self._kinds:
            self._kinds[real] = self._kind(real)
        return self._kinds[real]

    def resolve(self, rel: str) -> str | None:
        """The real path ``rel`` names once every link is followed inside the root (None:
        it does not exist, or loops)."""
        rel = rel.strip("/")
        if rel in self._resolved:
            return self._resolved[rel]
        out = self._resolve(rel)
        self._resolved[rel] = out
        return out

    def _resolve(self, rel: str) -> str | None:
        parts = [p for p in rel.split("/") if p not in ("", ".")]
        done: list[str] = []
        links = 0
        while parts:
            part = parts.pop(0)
            if part == "..":
                if done:
                    done.pop()
                continue
            # the directory so far is resolved: look the next name up in it
            parent = "/".join(done)
            real = f"{parent}/{part}" if parent else part
            k = self.kind(real)
            if k is None:
                return None
            if k == "link":
                links += 1
                if links > MAX_LINKS:
                    return None
                target = self._readlink(real)
                self.links_seen[real] = target
                if target.startswith("/"):
                    done = []
                parts = [p for p in target.split("/") if p not in ("", ".")] + parts
                continue
            done.append(part)
        return "/".join(done)

    # -- reads ----------------------------------------------------------------------------
    def _count(self, source: str) -> SourceCount:
        count = self.sources.get(source)
        if count is None:
            count = self.sources[source] = SourceCount()
        return count

    def read(self, rel: str, source: str | None = None) -> str | None:
        """The text of ``rel`` (None: missing, denied or not a regular file), counted
        against ``source`` (default: ``rel`` itself)."""
        count = self._count(source or rel)
        real = self.resolve(rel)
        if real is None or self.kind(real) != "file":
            count.missing += 1
            return None
        try:
            data = self._read(real)
        except OSError as err:
            if err.errno in (errno.EACCES, errno.EPERM):
                count.denied += 1
            else:  # ENXIO (an unbound pfn's size), EIO, ELOOP: the file says nothing
                count.missing += 1
            return None
        count.read += 1
        return data.decode("utf-8", errors="replace")

    def value(self, rel: str, source: str | None = None) -> str | None:
        """``read()`` stripped of its surrounding white space."""
        text = self.read(rel, source)
        return None if text is None else text.strip()

    def listdir(self, rel: str) -> list[str]:
        """The names in directory ``rel`` (links included), sorted; [] if it is none."""
        real = self.resolve(rel)
        if real is None or self.kind(real) != "dir":
            return []
        out = []
        for name, k in self._listdir(real):
            child = f"{real}/{name}" if real else name
            self._kinds.setdefault(child, k)
            out.append(name)
        return sorted(out)

    def link_name(self, rel: str) -> str | None:
        """The last name of the link ``rel`` points at (``driver`` -> ``kmem``), read
        without following it; None if ``rel`` is not a link."""
        head, _, name = rel.strip("/").rpartition("/")
        parent = self.resolve(head) if head else ""
        if parent is None:
            return None
        real = f"{parent}/{name}" if parent else name
        if self.kind(real) != "link":
            return None
        target = self._readlink(real).rstrip("/")
        return target.rpartition("/")[2] or None


class DirTree(Tree):
    """A directory: ``/`` (the running machine) or a snapshot written by ``--save``."""

    def __init__(self, root: str, shown: str) -> None:
        super().__init__(shown)
        self.root = root.rstrip("/") or "/"

    def _path(self, real: str) -> str:
        if not real:
            return self.root
        return f"{self.root}/{real}" if self.root != "/" else f"/{real}"

    def _kind(self, real: str) -> Kind | None:
        try:
            mode = os.lstat(self._path(real)).st_mode
        except (OSError, ValueError):
            return None
        if stat.S_ISLNK(mode):
            return "link"
        if stat.S_ISDIR(mode):
            return "dir"
        if stat.S_ISREG(mode):
            return "file"
        return "other"

    def _readlink(self, real: str) -> str:
        try:
            return os.readlink(self._path(real))
        except (OSError, ValueError):
            return ""

    def _listdir(self, real: str) -> list[tuple[str, Kind]]:
        out: list[tuple[str, Kind]] = []
        try:
            with os.scandir(self._path(real)) as it:
                for entry in it:
                    try:
                        if entry.is_symlink():
                            k: Kind = "link"
                        elif entry.is_dir(follow_symlinks=False):
                            k = "dir"
                        elif entry.is_file(follow_symlinks=False):
                            k = "file"
                        else:
                            k = "other"
                    except OSError:
                        continue
                    out.append((entry.name, k))
        except (OSError, ValueError):
            return []
        return out

    def _read(self, real: str) -> bytes:
        flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
        fd = os.open(self._path(real), flags)
        try:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                raise OSError(errno.EINVAL, "not a regular file")
            chunks = []
            total = 0
            while total <= MAX_FILE_BYTES:
                chunk = os.read(fd, 1 << 16)
                if not chunk:
                    break
                chunks.append(chunk)
                total += len(chunk)
            if total > MAX_FILE_BYTES:
                raise OSError(errno.EFBIG, "larger than the per-file cap")
            return b"".join(chunks)
        finally:
            os.close(fd)


class ArchiveTree(Tree):
    """A ``.tar.gz`` snapshot, held in memory: regular files (each capped) and symbolic
    links (followed inside the archive); hard links, devices and FIFOs are left out.
    Nothing is extracted."""

    def __init__(self, path: str, shown: str, option: str) -> None:
        super().__init__(shown)
        self.files: dict[str, bytes] = {}
        self.links: dict[str, str] = {}
        self.dirs: dict[str, dict[str, Kind]] = {"": {}}
        self.skipped = 0
        total = 0
        try:
            with tarfile.open(path, "r:gz") as tar:
                for n, member in enumerate(_members(tar)):
                    if n >= MAX_MEMBERS:
                        raise InputError(option, f"{shown}: more than {MAX_MEMBERS:,} members")
                    name = _member_name(member.name)
                    if name is None:
                        self.skipped += 1
                        continue
                    if member.isfile():
                        if member.size > MAX_FILE_BYTES:
                            self.skipped += 1
                            continue
                        total += member.size
                        if total > MAX_ARCHIVE_BYTES:
                            raise InputError(
                                option, f"{shown}: holds more than {MAX_ARCHIVE_BYTES >> 20} MiB"
                            )
                        f = tar.extractfile(member)
                        if f is None:
                            self.skipped += 1
                            continue
                        self.files[name] = f.read(MAX_FILE_BYTES + 1)[:MAX_FILE_BYTES]
                        self._add(name, "file")
                    elif member.issym():
                        self.links[name] = member.linkname
                        self._add(name, "link")
                    elif member.isdir():
                        self._add(name, "dir")
                    else:
                        self.skipped += 1
        except (tarfile.TarError, OSError, EOFError, ValueError) as err:
            reason = getattr(err, "strerror", None) or "not a readable .tar.gz snapshot"
            raise InputError(option, f"{shown}: {reason}") from None

    def _add(self, name: str, kind: Kind) -> None:
        parts = name.split("/")
        for i in range(len(parts)):
            parent = "/".join(parts[:i])
            child_kind: Kind = kind if i == len(parts) - 1 else "dir"
            children = self.dirs.setdefault(parent, {})
            if parts[i] not in children or child_kind != "dir":
                children[parts[i]] = child_kind
            if child_kind == "dir":
                self.dirs.setdefault("/".join(parts[: i + 1]), {})

    def _kind(self, real: str) -> Kind | None:
        parent, _, name = real.rpartition("/")
        return self.dirs.get(parent, {}).get(name)

    def _readlink(self, real: str) -> str:
        return self.links.get(real, "")

    def _listdir(self, real: str) -> list[tuple[str, Kind]]:
        return list(self.dirs.get(real, {}).items())

    def _read(self, real: str) -> bytes:
        data = self.files.get(real)
        if data is None:
            raise OSError(errno.ENOENT, "no such file")
        return data


def _members(tar: tarfile.TarFile) -> Iterator[tarfile.TarInfo]:
    while True:
        member = tar.next()
        if member is None:
            return
        yield member


def _member_name(name: str) -> str | None:
    """A member's path inside the tree, or None if it would leave it (``..``, NUL)."""
    if "\x00" in name:
        return None
    parts = [p for p in name.split("/") if p not in ("", ".")]
    if not parts or ".." in parts:
        return None
    return "/".join(parts)


def open_tree(root: str, option: str = "--root") -> Tree:
    """The tree at ``root``: a directory, or a ``.tar.gz`` snapshot (``InputError``
    naming ``option`` otherwise)."""
    shown = excerpt(root, 200)
    try:
        st = os.stat(root)
    except (OSError, ValueError) as err:
        reason = err.strerror if isinstance(err, OSError) and err.strerror else "cannot read"
        raise InputError(option, f"{shown}: {reason}") from None
    if stat.S_ISDIR(st.st_mode):
        return DirTree(root, shown)
    if stat.S_ISREG(st.st_mode) and root.endswith((".tar.gz", ".tgz")):
        return ArchiveTree(root, shown, option)
    raise InputError(option, f"{shown}: not a directory or a .tar.gz snapshot")
