"""A file that is not a config (a shadow file, an env file of tokens) is not echoed back.

Before: each line of a shadow file came back in full as an "unknown key 'root:$6$...'"
problem. Now a key is shown in full only up to 24 characters, a longer one as its first 8,
and a value as its first 24: a secret of any useful length is never printed whole.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.hostile.bounded import run

HASH = "$6$rounds=5000$saltsalt$" + "Zx9" * 28  # a sha512-crypt-like hash: 108 characters
TOKEN = "ghp_" + "A1b2C3d4E5" * 4  # a 44-character token
SECRET_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"

SHADOW = f"root:{HASH}:20228:0:99999:7:::\ndaemon:*:20228:0:99999:7:::\n"
ENV = f"GITHUB_TOKEN={TOKEN}\nAWS_SECRET_ACCESS_KEY={SECRET_KEY}\n"
YAML_ENV = f"github_token_{TOKEN}: 1\npassword: {SECRET_KEY}\n"


@pytest.mark.parametrize(
    ("name", "text", "secrets"),
    [
        ("shadow", SHADOW, [HASH]),
        ("tokens.env", ENV, [TOKEN, SECRET_KEY]),
        ("tokens.yaml", YAML_ENV, [TOKEN, SECRET_KEY]),
    ],
)
@pytest.mark.parametrize("fmt", ["text", "json", "github"])
def test_no_secret_is_printed_in_full(
    tmp_path: Path, name: str, text: str, secrets: list[str], fmt: str
) -> None:
    (tmp_path / name).write_text(text)
    result = run("check", "--input-format", "yaml", "--format", fmt, str(tmp_path / name))
    assert result.code == 2
    out = result.stdout + result.stderr
    assert "unknown key" in out or "top level" in out  # it did report the file
    for secret in secrets:
        assert secret not in out
        assert secret[:16] not in out  # not even most of it
        assert secret[-12:] not in out


def test_a_long_key_shows_its_first_characters_and_its_length(tmp_path: Path) -> None:
    path = tmp_path / "shadow.yaml"
    path.write_text(SHADOW)
    result = run("check", str(path))
    first = result.stdout.splitlines()[0]
    key = f"root:{HASH}:20228:0:99999:7::"
    assert first == (
        f"{path}:1: \"root:$6$\"...: unknown key 'root:$6$'... ({len(key)} characters)"
    )


def test_a_short_unknown_key_is_shown_whole_with_its_suggestion(tmp_path: Path) -> None:
    path = tmp_path / "host.toml"
    path.write_text('[host]\narhc = "x86_64"\n')
    result = run("check", str(path))
    assert f"{path}:2: host.arhc: unknown key 'arhc' (did you mean 'arch'?)" in result.stdout


# A token pasted as the value of every key that takes a string: each is refused, and each
# problem shows the value's first 24 characters and its length, never the whole of it.
PASTED = "ghp_" + "0123456789abcdefghijklmnopqrstuvwxyzABCD"  # no repeats: its tail is not its head
_STRING_KEYS_HOST = ("kernel", "arch", "counters", "ns_per_page")
_STRING_KEYS_NAMESPACE = ("name", "size", "align", "start", "mode", "map")


def test_a_bad_string_value_is_never_echoed_whole(tmp_path: Path) -> None:
    lines = ["[host]"]
    lines += [f'{key} = "{PASTED}"' for key in _STRING_KEYS_HOST]
    lines += [f'system_ram = ["{PASTED}"]', "[budgets]", f'init = "{PASTED}"']
    lines += ["[[namespaces]]"]
    lines += [f'{key} = "{PASTED}"' for key in _STRING_KEYS_NAMESPACE[1:]]
    lines += [f'name = "{PASTED}!"']
    lines += ["[[hugetlb]]", f'page_size = "{PASTED}"', "count = 1"]
    path = tmp_path / "host.toml"
    path.write_text("\n".join(lines) + "\n")
    result = run("check", str(path))
    assert result.code == 2
    out = result.stdout + result.stderr
    where = [f"host.{key}" for key in _STRING_KEYS_HOST]
    where += [f"namespaces[0].{key}" for key in _STRING_KEYS_NAMESPACE]
    where += ["host.system_ram[0]", "budgets.init", "hugetlb[0].page_size"]
    for key in where:
        assert f": {key}: " in out  # each bad value is reported...
    assert PASTED not in out  # ...and none of them in full
    assert PASTED[-16:] not in out
    assert f"({len(PASTED)} characters)" in out


@pytest.mark.parametrize(
    ("option", "text"),
    [
        ("--iomem", f"root:{PASTED}{PASTED[::-1]}:20228:0:99999:7:::\n"),
        ("--from-ndctl", f'[{{"dev": "namespace0.0", "mode": "{PASTED}", "size": 1}}]'),
        ("--from-ndctl", f'[{{"dev": "namespace0.0", "mode": "devdax", "map": "{PASTED}"}}]'),
    ],
)
def test_a_dump_that_is_not_one_is_not_echoed_whole(tmp_path: Path, option: str, text: str) -> None:
    """An /proc/iomem line was quoted up to 77 characters, a dump's string value whole."""
    path = tmp_path / "dump"
    path.write_text(text)
    result = run("estimate", option, str(path))
    assert result.code == 2
    assert len(result.err_lines) == 1
    assert "characters)" in result.stderr
    assert PASTED[-16:] not in result.stderr
    assert PASTED[::-1] not in result.stderr
