"""Dotted paths into nested config data (``core.neurons``, ``inputs[0].source.rate_hz``): one
parser and one setter for chip overrides, sweep axes and error locations."""
from __future__ import annotations

import re
from typing import Any

from ._errors import ConfigError

__all__ = ["parse_path", "format_path", "set_path"]

_PART = re.compile(r"([^\[\]]+)((?:\[\d+\])*)")


def parse_path(path: str) -> tuple:
    """``"a.b[2].c"`` -> ``("a", "b", 2, "c")``; raises ValueError for a malformed path."""
    parts: list = []
    for part in path.split("."):
        m = _PART.fullmatch(part)
        if not m:
            raise ValueError(path)
        parts.append(m.group(1))
        parts.extend(int(i) for i in re.findall(r"\[(\d+)\]", m.group(2)))
    return tuple(parts)


def format_path(loc: tuple) -> str:
    """The inverse of :func:`parse_path`: ``("a", "b", 2, "c")`` -> ``"a.b[2].c"``."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else ("." if out else "") + str(part)
    return out


def set_path(data: Any, path: str, value, what: str, example: str) -> None:
    """Set ``path`` in nested dicts/lists ``data`` (in place); the path must already exist.

    ``what`` names the kind of data in the error ('chip config', 'network'), ``example`` is a
    valid path of that kind for the fix."""
    try:
        parts = parse_path(path)
    except ValueError:
        raise ConfigError(path, f"is not a valid {what} path", value, f"use dotted names, e.g. {example}") from None
    node = data
    for i, p in enumerate(parts):
        last = i == len(parts) - 1
        ok = (isinstance(node, dict) and isinstance(p, str) and p in node) or \
             (isinstance(node, list) and isinstance(p, int) and p < len(node))
        if not ok or (not last and not isinstance(node[p], (dict, list))):
            raise ConfigError(path, f"is not a {what} field", value,
                              f"use a dotted path such as {example} (the fields are listed in the {what} schema)")
        if last:
            node[p] = value
        else:
            node = node[p]
