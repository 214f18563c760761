"""``vmemplan check``: examples pass, budgets fail with exit 1, bad files exit 2."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.helpers import flat_kmems, flat_pgmaps, flat_pools
from vmemplan.cli import cli
from vmemplan.output.schema import CheckDoc

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "examples").glob("*.toml")) + sorted((ROOT / "examples").glob("*.yaml"))
BAD = sorted((ROOT / "tests" / "data" / "config" / "bad").iterdir())


def run(*args: str, stdin: str | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), input=stdin, catch_exceptions=False)


def report(*args: str) -> tuple[int, dict[str, Any]]:
    result = run("check", *args, "--format", "json")
    doc: dict[str, Any] = json.loads(result.stdout)
    CheckDoc.model_validate(doc)
    return result.exit_code, doc


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_every_example_passes(path: Path) -> None:
    code, doc = report(str(path))
    assert (code, doc["status"], doc["findings"]) == (0, "pass", [])
    (file_doc,) = doc["files"]
    assert flat_pgmaps(file_doc)
    total = file_doc["total"]
    srs = flat_kmems(file_doc)
    pools = flat_pools(file_doc)
    assert total["dram_bytes"] == sum(ns["dram_bytes"] for ns in flat_pgmaps(file_doc)) + sum(
        f["dram_bytes"] for f in srs
    ) + sum(p["dram_bytes"] for p in pools)
    assert total["lost_bytes"] == sum(ns["lost_bytes"] for ns in flat_pgmaps(file_doc)) + sum(
        f["capacity_bytes"] - f["usable_bytes"] for f in srs
    )
    counts = total["detail"]["devices"]
    assert (counts["system-ram"], counts["hugetlb"]) == (len(srs), len(pools))


def test_examples_are_enough() -> None:
    assert len(EXAMPLES) >= 3


def _write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


ONE_TIB_1G = """
[[namespaces]]
name = "pmem0"
size = "1T"
align = "1G"
[namespaces.budgets]
dram = "{dram}"
"""


def test_budget_failure_exits_1_with_the_line(tmp_path: Path) -> None:
    path = _write(tmp_path, "host.toml", ONE_TIB_1G.format(dram="1M"))
    code, doc = report(path)
    assert code == 1
    assert doc["status"] == "fail"
    (finding,) = doc["findings"]
    assert finding["location"] == "namespaces[0].budgets.dram"
    assert finding["line"] == 7
    assert finding["severity"] == "fail"
    assert "40.07 MiB exceeds 1.00 MiB" in finding["message"]  # 10,258 pages


def test_budget_that_holds_exits_0(tmp_path: Path) -> None:
    path = _write(tmp_path, "host.toml", ONE_TIB_1G.format(dram="41M"))
    assert run("check", path).exit_code == 0


def test_total_budget_is_checked_on_the_sum(tmp_path: Path) -> None:
    """Each namespace holds its own budget; together they exceed the total."""
    text = (
        '[budgets]\ndram = "60M"\n'
        + ONE_TIB_1G.format(dram="41M")
        + ONE_TIB_1G.format(dram="41M")
        .replace("pmem0", "pmem1")
        .replace('size = "1T"', 'size = "1T"\nstart = "2T"')
    )
    code, doc = report(_write(tmp_path, "host.toml", text))
    assert code == 1
    assert [f["location"] for f in doc["findings"]] == ["budgets.dram"]
    total = doc["files"][0]["total"]["dram_bytes"]
    assert total == sum(ns["dram_bytes"] for ns in flat_pgmaps(doc["files"][0])) > 60 << 20


def test_github_annotations(tmp_path: Path) -> None:
    path = _write(tmp_path, "host.toml", ONE_TIB_1G.format(dram="1M"))
    result = run("check", path, "--format", "github")
    assert result.exit_code == 1
    assert result.stdout.startswith(f"::error file={path},line=7,title=vmemplan fail::")


def test_impossible_geometry_is_an_error_on_its_key(tmp_path: Path) -> None:
    text = '[[namespaces]]\nname = "a"\nsize = "1T"\nstart = "1G"\n'
    code, doc = report(_write(tmp_path, "host.toml", text))
    assert code == 2
    (finding,) = doc["findings"]
    assert finding["location"] == "namespaces[0].start"
    assert finding["line"] == 4
    assert "System RAM" in finding["message"]


def test_several_files_exit_with_the_worst(tmp_path: Path) -> None:
    failing = _write(tmp_path, "fail.toml", ONE_TIB_1G.format(dram="1M"))
    passing = str(EXAMPLES[0])
    assert run("check", passing, failing).exit_code == 1
    assert run("check", passing, failing, str(BAD[0])).exit_code == 2


@pytest.mark.parametrize("path", BAD, ids=[p.name for p in BAD])
def test_every_bad_file_exits_2_without_traceback(path: Path) -> None:
    result = run("check", str(path))
    assert result.exit_code == 2
    assert "Traceback" not in result.stdout + result.stderr
    assert result.stdout.strip().endswith("problem)") or result.stdout.strip().endswith("problems)")


def test_unreadable_file_exits_2(tmp_path: Path) -> None:
    result = run("check", str(tmp_path / "missing.toml"))
    assert result.exit_code == 2
    assert "missing.toml" in result.stdout


def test_check_from_ndctl_against_cli_budgets() -> None:
    dump = str(ROOT / "tests" / "data" / "ndctl" / "example_a_list_X_devdax.json")
    assert run("check", "--from-ndctl", dump, "--max-dram", "1M").exit_code == 0
    result = run("check", "--from-ndctl", dump, "--max-device-loss", "1M")
    assert result.exit_code == 1
    assert "--max-device-loss" in result.stdout


@settings(max_examples=60)
@given(st.binary(max_size=400))
def test_random_bytes_never_escape_as_a_traceback(data: bytes) -> None:
    import tempfile  # noqa: PLC0415

    for suffix in (".toml", ".yaml", ".json"):
        with tempfile.NamedTemporaryFile(suffix=suffix) as f:
            f.write(data)
            f.flush()
            result = CliRunner().invoke(cli, ["check", f.name])
        assert result.exit_code in (0, 1, 2), result.output
        assert result.exception is None or isinstance(result.exception, SystemExit)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.text(max_size=12),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=20,
)
namespace_like = st.fixed_dictionaries(
    {"name": st.sampled_from(["a", "b"]), "size": st.sampled_from(["1G", "1T", 0, "x", 2**65])},
    optional={
        "align": st.sampled_from(["4K", "2M", "1G", "3M", 7]),
        "start": st.sampled_from(["64G", "1G", "65G", -1]),
        "map": st.sampled_from(["mem", "dev", "both"]),
        "mode": st.sampled_from(["devdax", "fsdax", "raw"]),
        "budgets": st.fixed_dictionaries({}, optional={"dram": st.sampled_from(["1%", "1M", "x"])}),
    },
)


@settings(max_examples=80)
@given(
    st.one_of(
        json_values,
        st.fixed_dictionaries(
            {"namespaces": st.lists(namespace_like, max_size=3)}, optional={"host": json_values}
        ),
    )
)
def test_random_documents_never_escape_as_a_traceback(doc: object) -> None:
    import tempfile  # noqa: PLC0415

    with tempfile.NamedTemporaryFile("w", suffix=".json") as f:
        json.dump(doc, f)
        f.flush()
        result = CliRunner().invoke(cli, ["check", f.name, "--format", "json"])
    assert result.exit_code in (0, 1, 2), result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    CheckDoc.model_validate_json(result.stdout)


def test_cli_budgets_need_from_ndctl() -> None:
    result = run("check", str(EXAMPLES[0]), "--max-dram", "1%")
    assert result.exit_code == 2
    assert "apply to --from-ndctl" in result.stderr


# --------------------------------------------------------------------------------------
# '-' reads stdin; --input-format; unknown extensions (issue 6 item 14)

YAML_EXAMPLE = ROOT / "examples" / "database-host.yaml"
TOML_EXAMPLE = ROOT / "examples" / "two-socket-vm-host.toml"


def _files_of(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """The per-file figures, without the file name (stdin is named '-')."""
    return [{k: v for k, v in f.items() if k != "file"} for f in doc["files"]]


def _json_text(path: Path) -> str:
    import tomllib  # noqa: PLC0415

    return json.dumps(tomllib.loads(path.read_text()), indent=1)


@pytest.mark.parametrize(
    ("text", "source"),
    [
        (YAML_EXAMPLE.read_text(), YAML_EXAMPLE),
        (_json_text(TOML_EXAMPLE), TOML_EXAMPLE),
        (TOML_EXAMPLE.read_text(), TOML_EXAMPLE),
    ],
    ids=["yaml", "json", "toml"],
)
def test_stdin_is_detected_and_checked_like_the_file(text: str, source: Path) -> None:
    code, doc = report(str(source))
    result = run("check", "-", "--format", "json", stdin=text)
    piped = json.loads(result.stdout)
    assert (result.exit_code, piped["status"]) == (code, "pass")
    assert piped["files"][0]["file"] == "-"
    assert _files_of(piped) == _files_of(doc)


def test_stdin_text_report_names_stdin() -> None:
    result = run("check", "-", stdin=YAML_EXAMPLE.read_text())
    assert result.exit_code == 0
    assert result.stdout.startswith("-: pass (2 namespaces: DRAM ")


def test_stdin_yaml_errors_carry_their_yaml_line() -> None:
    text = "schema_version: 1\nnamespaces:\n  - name: a\n    size: 1Q\n"
    result = run("check", "-", stdin=text)
    assert result.exit_code == 2
    assert result.stdout.splitlines()[0].startswith("-:4: namespaces[0].size: ")


def test_input_format_overrides_the_extension(tmp_path: Path) -> None:
    odd = _write(tmp_path, "host.toml", YAML_EXAMPLE.read_text())
    assert run("check", odd).exit_code == 2  # read as TOML: a syntax error
    code, doc = report(odd, "--input-format", "yaml")
    _, by_name = report(str(YAML_EXAMPLE))
    assert (code, _files_of(doc)) == (0, _files_of(by_name))


def test_unknown_extension_is_one_line_with_a_hint(tmp_path: Path) -> None:
    conf = _write(tmp_path, "host.conf", TOML_EXAMPLE.read_text())
    result = run("check", conf)
    assert result.exit_code == 2
    assert result.stdout == ""
    (line,) = result.stderr.splitlines()
    assert conf in line
    assert "'.conf'" in line
    assert "--input-format" in line
    # refused before any file is read: a good file given first is not reported either
    result = run("check", str(TOML_EXAMPLE), conf)
    assert (result.exit_code, result.stdout) == (2, "")
    code, _ = report(conf, "--input-format", "toml")
    assert code == 0


def test_name_without_extension_is_detected(tmp_path: Path) -> None:
    plain = _write(tmp_path, "host", YAML_EXAMPLE.read_text())
    code, doc = report(plain)
    _, by_name = report(str(YAML_EXAMPLE))
    assert (code, _files_of(doc)) == (0, _files_of(by_name))


def test_input_format_needs_a_config_file() -> None:
    result = run("check", "--from-ndctl", "-", "--input-format", "json", stdin="[]")
    assert result.exit_code == 2
    assert "--input-format: applies to config files" in result.stderr


def test_stdin_is_read_once() -> None:
    result = run("check", "-", "-", stdin=YAML_EXAMPLE.read_text())
    assert result.exit_code == 2
    assert "stdin" in result.stderr


def test_help_says_how_the_format_is_detected() -> None:
    text = " ".join(run("check", "--help").stdout.split())
    assert "--input-format [toml|yaml|json]" in text
    assert "'-' (stdin)" in text
    assert "'{' is JSON" in text


ARM64_HOST = """\
[host]
arch = "arm64-4k"
kernel = "6.12.20"
system_ram = ["0+4G"]
{extra}
[[namespaces]]
name = "pmem0"
size = "4G"
start = "4G"
align = "2M"
"""
ARM64_CLI = ("--arch", "arm64-4k", "--kernel", "6.12.20", "--system-ram", "0+4G")


def _check_doc(tmp_path: Path, extra: str) -> dict[str, Any]:
    path = tmp_path / "host.toml"
    path.write_text(ARM64_HOST.format(extra=extra))
    code, doc = report(str(path))
    assert code == 0, doc["findings"]
    ns: dict[str, Any] = flat_pgmaps(doc["files"][0])[0]
    return ns


@pytest.mark.parametrize("linear_map", ["pages", "blocks"])
def test_host_linear_map_and_kernel_switches_are_the_cli_options(
    tmp_path: Path, linear_map: str
) -> None:
    """[host] linear_map and kernel_switches give what --linear-map/--kernel-switch give."""
    extra = f'linear_map = "{linear_map}"\n[host.kernel_switches]\ncounters = "exact"\n'
    ns = _check_doc(tmp_path, extra)
    result = run(
        "estimate", "--size", "4G", "--start", "4G", "--align", "2M", *ARM64_CLI,
        "--linear-map", linear_map, "--kernel-switch", "counters=exact", "--json",
    )  # fmt: skip
    est = json.loads(result.stdout)
    (one,) = est["devices"]
    assert ns["direct_map_tables"] == one["detail"]["direct_map_tables"]
    assert ns["direct_map_bytes"] == one["direct_map_bytes"]
    assert ns["dram_bytes"] == one["dram_bytes"]
    assert ns["input"]["kernel"]["switches"]["counters"] == {"value": "exact", "source": "override"}
    # pages: 4 GiB of base pages above the boot RAM's tables need 2,048 PTE tables and the
    # 4 PMD tables under 4 new PUD entries; blocks: 1G PUD blocks in the boot RAM's PUD table
    expected = (2048, 4) if linear_map == "pages" else (0, 0)
    dm = ns["direct_map_tables"]
    assert (dm["pte"], dm["pmd"]) == expected


@pytest.mark.parametrize(
    ("extra", "key", "words"),
    [
        ("gbpages = false", "host.gbpages", "x86 only"),
        ('linear_map = "huge"', "host.linear_map", "expected pages or blocks"),
        ("kernel_switches = { zone_device = false }", "host.kernel_switches", "CONFIG_ZONE_DEVICE"),
        ("kernel_switches = { bogus = 1 }", "host.kernel_switches", "unknown switch 'bogus'"),
        ('kernel_switches = { counters = "x" }', "host.kernel_switches", "counters expects"),
    ],
)
def test_bad_host_switches_are_one_located_problem(
    tmp_path: Path, extra: str, key: str, words: str
) -> None:
    path = tmp_path / "host.toml"
    path.write_text(ARM64_HOST.format(extra=extra))
    code, doc = report(str(path))
    assert code == 2
    (finding,) = doc["findings"]
    assert finding["location"].startswith(key)
    assert words in finding["message"]
    assert finding["line"] is not None
