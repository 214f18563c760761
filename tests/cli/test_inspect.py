"""``vmemplan inspect``: the running machine, snapshots written and read back, fleets,
and trees that try to make it read what it must not."""

from __future__ import annotations

import json
import os
import tarfile
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from vmemplan.cli import cli
from vmemplan.output.inspect_schema import InspectDoc

LIVE = Path(__file__).resolve().parents[1] / "data" / "live"


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, ["inspect", *args], catch_exceptions=False)


def doc_of(result: Result) -> dict[str, Any]:
    assert result.exit_code == 0, result.stderr
    doc: dict[str, Any] = json.loads(result.stdout)
    InspectDoc.model_validate(doc)
    return doc


def test_the_running_machine_is_the_default_root() -> None:
    """Whatever this machine has (no pmem here), inspect reads it, costs its boot RAM and
    exits 0; its JSON is the inspect contract."""
    doc = doc_of(run("--json"))
    assert doc["source"]["kind"] == "live"
    assert doc["source"]["root"] == "/"
    assert doc["devices"][0]["kind"] == "boot-ram"
    assert doc["total"]["dram_bytes"] == sum(d["dram_bytes"] for d in doc["devices"])
    assert {c["name"] for c in doc["counters"]} >= {"nr_memmap_boot_pages", "nr_memmap_pages"}


def test_the_same_cost_records_as_host() -> None:
    """inspect --json's total and devices are host --json's records: same keys."""
    inspected = doc_of(run("--root", str(LIVE / "two-nodes"), "--json"))
    host = json.loads(CliRunner().invoke(cli, ["host", "--system-ram", "8G", "--json"]).stdout)
    assert list(inspected["total"]) == list(host["total"])
    assert list(inspected["devices"][0]) == list(host["devices"][0])
    assert list(inspected["input"]) == list(host["input"])


def test_a_saved_snapshot_reads_as_the_tree_it_was_taken_from(tmp_path: Path) -> None:
    """--save writes the spec's files (links kept) with a manifest; a directory and a
    .tar.gz both give the document of the tree itself (but for the source block)."""
    src = LIVE / "hugetlb-on-kmem"
    want = doc_of(run("--root", str(src), "--json"))
    for out in (tmp_path / "snap", tmp_path / "snap.tar.gz"):
        saved = run("--root", str(src), "--save", str(out))
        assert saved.exit_code == 0, saved.stderr
        assert saved.stdout.startswith("saved ")
        got = doc_of(run("--root", str(out), "--json"))
        for key in ("input", "total", "devices", "counters"):
            assert got[key] == want[key], key
    manifest = json.loads((tmp_path / "snap" / "vmemplan-snapshot.json").read_text())
    assert "proc/vmstat" in manifest["files"]
    assert os.path.islink(tmp_path / "snap" / "sys/bus/dax/devices/dax0.0")
    with tarfile.open(tmp_path / "snap.tar.gz") as tar:
        names = tar.getnames()
    assert all(n.startswith(("proc/", "sys/", "vmemplan-snapshot.json")) for n in names)


def test_save_writes_only_to_a_new_path(tmp_path: Path) -> None:
    (tmp_path / "there").mkdir()
    result = run("--root", str(LIVE / "fsdax"), "--save", str(tmp_path / "there"))
    assert result.exit_code == 2
    assert "already exists" in result.stderr
    assert list((tmp_path / "there").iterdir()) == []


def test_many_roots_print_one_json_document_per_line() -> None:
    result = run("--root", str(LIVE / "*"))
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == len(list(LIVE.iterdir()))
    roots = [InspectDoc.model_validate_json(line).source.root for line in lines]
    assert roots == sorted(roots)


def test_a_fleet_with_an_unreadable_host_prints_the_rest_and_exits_2(tmp_path: Path) -> None:
    bad = tmp_path / "broken.tar.gz"
    bad.write_bytes(b"not gzip")
    result = run("--root", str(LIVE / "fsdax"), "--root", str(bad))
    assert result.exit_code == 2
    first, second = (json.loads(line) for line in result.stdout.splitlines())
    assert first["status"] == "ok"
    assert second["status"] == "error"
    assert "not a readable .tar.gz snapshot" in result.stderr


def test_a_root_that_is_no_tree_is_bad_input(tmp_path: Path) -> None:
    (tmp_path / "f.txt").write_text("x")
    for root in (str(tmp_path / "nope"), str(tmp_path / "f.txt")):
        result = run("--root", root)
        assert result.exit_code == 2
        assert result.stderr.startswith("vmemplan: error: --root: ")
        assert result.stderr.count("\n") == 1


def _fixture_copy(tmp_path: Path, name: str) -> Path:
    """A writable copy of a fixture (links kept)."""
    import shutil  # noqa: PLC0415

    dst = tmp_path / name
    shutil.copytree(LIVE / name, dst, symlinks=True)
    return dst


def test_links_stay_inside_the_root(tmp_path: Path) -> None:
    """A snapshot whose meminfo is a link to /etc/passwd (or ../../../../etc/passwd) reads
    the snapshot's own etc/passwd, which it has not: meminfo is missing, nothing leaks."""
    root = _fixture_copy(tmp_path, "hugetlb-hvo-off")
    want = doc_of(run("--root", str(root), "--json"))
    (root / "proc/meminfo").unlink()
    (root / "proc/meminfo").symlink_to("/etc/passwd")
    (root / "proc/cmdline").unlink()
    (root / "proc/cmdline").symlink_to("../../../../../../etc/hostname")
    doc = doc_of(run("--root", str(root), "--json"))
    files = {f["path"]: f for f in doc["source"]["files"]}
    assert files["proc/meminfo"]["missing"] == 1
    assert files["proc/meminfo"]["read"] == 0
    assert doc["total"] == want["total"]
    assert "root:" not in json.dumps(doc)


def test_a_fifo_or_a_device_in_a_snapshot_is_not_read(tmp_path: Path) -> None:
    """A FIFO would block a reader forever, /dev/zero would never end: both are skipped."""
    root = _fixture_copy(tmp_path, "hugetlb-hvo-off")
    (root / "proc/vmstat").unlink()
    os.mkfifo(root / "proc/vmstat")
    (root / "proc/zoneinfo").unlink()
    (root / "proc/zoneinfo").symlink_to("/dev/zero")
    doc = doc_of(run("--root", str(root), "--json"))
    counters = {c["name"]: c for c in doc["counters"]}
    assert counters["nr_memmap_boot_pages"]["kernel"] is None
    assert counters["nr_memmap_boot_pages"]["verdict"] == "not comparable"


def test_an_archive_member_outside_the_tree_or_not_a_file_is_left_out(tmp_path: Path) -> None:
    """Members named ../x or /x never escape (nothing is extracted anyway); a device or
    hard link member is skipped; links resolve inside the archive."""
    path = tmp_path / "evil.tar.gz"
    with tarfile.open(path, "w:gz") as tar:
        src = LIVE / "hugetlb-hvo-off"
        tar.add(src, arcname=".", recursive=True)
        for name, kind in (("../escape", tarfile.REGTYPE), ("proc/dev", tarfile.CHRTYPE)):
            info = tarfile.TarInfo(name)
            info.type = kind
            info.size = 3 if kind == tarfile.REGTYPE else 0
            tar.addfile(info, BytesIO(b"bad") if kind == tarfile.REGTYPE else None)
    assert not (tmp_path / "escape").exists()
    doc = doc_of(run("--root", str(path), "--json"))
    assert doc == {**doc, "status": "ok"}
    assert not (tmp_path / "escape").exists()


HMEM = "sys/devices/platform/hmem.0/dax0.0"


@pytest.mark.parametrize(
    ("path", "text", "code"),
    [
        # a block of 3 bytes made a set of 4 GiB / 3 block ids (killed for memory)
        ("sys/devices/system/memory/block_size_bytes", "3", 0),
        ("sys/devices/system/memory/block_size_bytes", "0", 0),
        ("sys/devices/system/memory/block_size_bytes", "f" * 21, 0),
        # a firmware map entry up to 2^72 made a walk of 2^72 / 128 MiB blocks (a hang)
        ("sys/firmware/memmap/0/end", "0x" + "f" * 18, 2),
        ("sys/devices/system/node/node1/hugepages/hugepages-1048576kB/nr_hugepages", "9" * 12, 0),
        (f"{HMEM}/align", "3", 0),
        (f"{HMEM}/mapping0/start", "0x10", 2),
        ("proc/zoneinfo", "Node 99999999999999999999, zone Normal", 0),
    ],
)
def test_hostile_values_are_bounded_and_named(
    tmp_path: Path, path: str, text: str, code: int
) -> None:
    """Whatever a snapshot's files say, inspect reads them in time linear in the files,
    and either costs the machine (noting what it ignored) or refuses it in one line
    naming --root and the tree."""
    root = _fixture_copy(tmp_path, "hugetlb-on-kmem")
    (root / path).write_text(text + "\n")
    result = run("--root", str(root), "--json")
    assert result.exit_code == code, result.stderr
    if code:
        assert result.stderr.startswith(f"vmemplan: error: --root: {root}: ")
        assert result.stderr.count("\n") == 1
    else:
        InspectDoc.model_validate_json(result.stdout)
