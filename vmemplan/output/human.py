"""``-u/--human``: the sizes of a JSON document as ndctl prints them with ``ndctl list -u``.

The default JSON keeps exact integers (the published contract); ``--human`` is for a
person reading JSON, so its sizes are strings and it is not checked against the schemas.
"""

from __future__ import annotations

from typing import Any

# Keys whose value is a physical address rather than a size.
ADDRESS_KEYS = frozenset({"start_bytes", "end_bytes"})

_MiB, _GiB, _TiB = 1 << 20, 1 << 30, 1 << 40


def ndctl_size(value: int) -> int | str:
    """A size the way ``ndctl list -u`` prints it.

    Below 5000 KiB the integer stays; above, hundredths rounded half up, in MiB (MB)
    below 2 GiB, GiB (GB) below 2 TiB, else TiB (TB): ``"15.63 GiB (16.78 GB)"``.
    """
    # Follows display_size() in pmem/ndctl util/json.c (the util_json_object_size() serializer).
    if value < 5000 * 1024:
        return value
    if value < 2 * _GiB:
        iec, dec = (_MiB, "MiB"), (10**6, "MB")
    elif value < 2 * _TiB:
        iec, dec = (_GiB, "GiB"), (10**9, "GB")
    else:
        iec, dec = (_TiB, "TiB"), (10**12, "TB")
    c_iec = (value * 200 // iec[0] + 1) // 2
    c_dec = (value // (dec[0] // 200) + 1) // 2
    return f"{c_iec // 100}.{c_iec % 100:02d} {iec[1]} ({c_dec // 100}.{c_dec % 100:02d} {dec[1]})"


def ndctl_hex(value: int) -> str:
    """An address the way ndctl's ``-u`` prints hex fields: ``0x1000000000``."""
    # Follows display_hex() in pmem/ndctl util/json.c (used by util_json_object_hex()).
    return f"{value:#x}"


def _is_size_key(key: str) -> bool:
    return key == "bytes" or key.endswith("_bytes")


def humanize(doc: Any) -> Any:
    """A copy of a JSON document with every ``*_bytes`` size and address made readable."""
    if isinstance(doc, list):
        return [humanize(v) for v in doc]
    if not isinstance(doc, dict):
        return doc
    out: dict[str, Any] = {}
    for key, value in doc.items():
        if isinstance(value, int) and not isinstance(value, bool) and _is_size_key(key):
            out[key] = ndctl_hex(value) if key in ADDRESS_KEYS else ndctl_size(value)
        else:
            out[key] = humanize(value)
    return out
