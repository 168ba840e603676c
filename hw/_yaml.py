"""YAML loading with line numbers, and pydantic errors turned into ConfigErrors."""
from __future__ import annotations

import os
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from ._errors import ConfigError, ConfigErrors
from ._paths import format_path, parse_path

M = TypeVar("M", bound=BaseModel)

_FIXES = {
    "extra_forbidden": "remove it or check its spelling against the documented fields",
    "missing": "add this field",
    "int_type": "give a whole number",
    "int_parsing": "give a whole number",
    "int_from_float": "give a whole number (no fractional part)",
    "float_type": "give a number",
    "float_parsing": "give a number",
    "bool_type": "give true or false",
    "bool_parsing": "give true or false",
    "string_type": "give a string",
    "greater_than": "use a value above {gt}",
    "greater_than_equal": "use a value of at least {ge}",
    "less_than": "use a value below {lt}",
    "less_than_equal": "use a value of at most {le}",
    "finite_number": "give a finite number (NaN and infinity are not allowed)",
    "int_from_bool": "give a whole number, not true/false",
    "tuple_type": "give a list",
    "too_long": "give at most {max_length} entries",
    "string_too_long": "use at most {max_length} characters",
    "string_pattern_mismatch": "use letters, digits, '_' and '-', starting with a letter or '_'",
    "literal_error": "use one of the allowed values",
    "union_tag_invalid": "use one of the allowed 'kind' values",
    "union_tag_not_found": "add a 'kind' field",
    "model_type": "give a mapping (key: value lines)",
    "model_attributes_type": "give a mapping (key: value lines)",
    "dict_type": "give a mapping (key: value lines)",
    "list_type": "give a list",
}


# ----------------------------------------------------------------------------- the input boundary
# Limits decided up front (docs/configuration.md, "Input limits"): a config file is small text.
MAX_YAML_BYTES = 8 << 20          # 8 MiB: big arrays belong in .npz files referenced by `file:`
MAX_YAML_VALUES = 25_000          # scalars + collections, aliases expanded (alias bombs; big data -> .npz)
MAX_YAML_DEPTH = 64               # nesting of mappings/sequences
_BOOL = "tag:yaml.org,2002:bool"

_Base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)   # libyaml when available


class _Loader(_Base):  # type: ignore[misc, valid-type]
    """Safe loader with YAML 1.2 booleans: only true/false are booleans (YAML 1.1 would read
    `yes`, `no`, `on`, `off` as booleans, which then pass for 1 and 0)."""


_Loader.yaml_implicit_resolvers = {
    k: [(tag, rx) for tag, rx in v if tag != _BOOL] for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()}
_Loader.add_implicit_resolver(_BOOL, __import__("re").compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
                              list("tTfF"))


def read_yaml(path: str | os.PathLike) -> tuple[Any, yaml.Node | None]:
    """Parse a YAML file; return (data, node tree for line look-up). Refuses, with a clear
    error and before reading it, a file that is too big, not UTF-8 text, or binary (a NIR/HDF5
    or .npz file where a YAML file was expected)."""
    path = os.fspath(path)
    try:
        size = os.stat(path).st_size
        if os.path.isdir(path):
            raise IsADirectoryError(path)
        if size > MAX_YAML_BYTES:
            raise ConfigError("file", f"is {size / (1 << 20):.1f} MiB; a YAML config is limited to "
                              f"{MAX_YAML_BYTES >> 20} MiB", path,
                              "put large arrays (connectivity, input spikes) in an .npz file and reference it with "
                              "`file:`")
        with open(path, "rb") as fh:
            raw = fh.read()
    except FileNotFoundError:
        raise ConfigError("file", "does not exist", path,
                          "check the path, or use a preset name (`neurocycle presets`)") from None
    except IsADirectoryError:
        raise ConfigError("file", "is a directory, not a YAML file", path, "give a .yaml file") from None
    except PermissionError:
        raise ConfigError("file", "cannot be read (permission denied)", path, "check the file's permissions") from None
    kind = binary_kind(raw[:8])
    if kind:
        raise ConfigError("file", f"is {kind}, not a YAML text file", path,
                          "give a chip/network YAML here" + (" (a .nir graph is a network: pass it as the network "
                                                             "argument)" if "NIR" in kind else ""))
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        raise ConfigError("file", f"is not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset {exc.start})", None,
                          "save the file as UTF-8", source=path, line=line) from None
    return parse_yaml(text, source=path)


def binary_kind(head: bytes) -> str | None:
    """What a binary file is, from its first bytes (None for text)."""
    if head.startswith(b"\x89HDF"):
        return "an HDF5 file (a NIR graph?)"
    if head.startswith(b"PK\x03\x04"):
        return "a zip archive (an .npz array file?)"
    if head.startswith(b"\x93NUMPY"):
        return "a numpy .npy array file"
    if b"\x00" in head:
        return "a binary file"
    return None


def parse_yaml(text: str, source: str = "<string>") -> tuple[Any, yaml.Node | None]:
    """Parse YAML text: a streaming pass over its events first (size with aliases expanded,
    depth, duplicate keys — cheap, and it stops at the first violation), then compose (nodes
    keep line numbers for error messages) and construct, once."""
    try:
        _check_events(text, source)
        node = yaml.compose(text, Loader=_Loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError("file", f"is not valid YAML: {problem}", None,
                          "fix the YAML syntax at that line (indentation, ':' after keys, quotes)",
                          source=source, line=line) from None
    except RecursionError:
        raise ConfigError("file", f"nests deeper than the YAML parser can follow (limit {MAX_YAML_DEPTH} levels)",
                          None, "flatten the structure", source=source) from None
    if node is None:
        return None, None
    loader = _Loader("")
    try:
        data = loader.construct_document(node)
    finally:
        loader.dispose()
    return data, node


def _check_events(text: str, source: str) -> None:
    """Refuse, while streaming the parser's events, a document that expands to more than
    MAX_YAML_VALUES values (an alias counts its anchor's whole subtree each time it is used),
    nests more than MAX_YAML_DEPTH levels, or repeats a key in a mapping."""
    count = 0
    anchors: dict[str, int] = {}
    stack: list[list] = []        # frames: [is_mapping, expect_key, keys {value: line}, start count, anchor]

    def fail(rule, fix, mark):
        raise ConfigError("file", rule, None, fix, source=source, line=mark.line + 1 if mark else None)

    def finished(n_before: int, anchor, key_scalar=None, mark=None):
        """A node is complete: record its anchor's size; in a mapping, check and flip the key slot."""
        if anchor:
            anchors[anchor] = count - n_before
        if stack and stack[-1][0]:
            frame = stack[-1]
            if frame[1] and key_scalar is not None:
                line = mark.line + 1
                if key_scalar in frame[2]:
                    raise ConfigError(str(key_scalar), f"is given twice (lines {frame[2][key_scalar]} and {line}); "
                                      "YAML would silently keep the second", None, "remove one of them",
                                      source=source, line=line)
                frame[2][key_scalar] = line
            frame[1] = not frame[1]

    for ev in yaml.parse(text, Loader=_Loader):
        if isinstance(ev, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            count += 1
            if len(stack) >= MAX_YAML_DEPTH:
                fail(f"nests more than {MAX_YAML_DEPTH} levels deep", "flatten the structure", ev.start_mark)
            stack.append([isinstance(ev, yaml.MappingStartEvent), True, {}, count - 1, ev.anchor])
        elif isinstance(ev, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            frame = stack.pop()
            finished(frame[3], frame[4])
        elif isinstance(ev, yaml.ScalarEvent):
            count += 1
            finished(count - 1, ev.anchor, ev.value, ev.start_mark)
        elif isinstance(ev, yaml.AliasEvent):
            count += anchors.get(ev.anchor, 1)
            finished(count, None)
        else:
            continue
        if count > MAX_YAML_VALUES:
            fail(f"expands to more than {MAX_YAML_VALUES:,} values (YAML aliases repeat their anchor each time they "
                 "are used)", "keep configs small: put large arrays (connectivity, spikes) in an .npz file and "
                 "reference it with `file:`", ev.start_mark)


def node_line(node: yaml.Node | None, loc: tuple) -> int | None:
    """The 1-based line of the deepest node reachable along ``loc``."""
    line = None
    for key in loc:
        if node is None:
            break
        line = node.start_mark.line + 1
        if isinstance(node, yaml.MappingNode):
            nxt = None
            for k, v in node.value:
                if k.value == str(key):
                    nxt = k if key == loc[-1] else v
                    break
            node = nxt
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
            node = node.value[key]
        else:
            # discriminated unions add the tag name to loc; skip it without descending
            continue
    if node is not None:
        line = node.start_mark.line + 1
    return line


def _path_to_loc(path: str) -> tuple:
    try:
        return parse_path(path)
    except ValueError:
        return (path,)


_loc_to_path = format_path


def validation_to_config_error(exc: ValidationError, node=None, source: str | None = None,
                               prefix: str = "") -> ConfigErrors:
    errors = []
    for err in exc.errors(include_url=False):
        loc = tuple(err["loc"])
        # pydantic appends the union member name (e.g. 'poisson') and function names; keep
        # only keys that exist in the user's data for the message path.
        path = _loc_to_path(tuple(p for p in loc if not (isinstance(p, str) and p.startswith("function-"))))
        if prefix:
            path = f"{prefix}.{path}" if path else prefix
        kind = err["type"]
        msg = err["msg"]
        if kind == "value_error":
            # our own validators raise ValueError("rule|fix") or ValueError("@sub.path|rule|fix")
            text = msg.removeprefix("Value error, ")
            if text.startswith("@"):
                sub, rule, fix = (text[1:].split("|", 2) + ["", ""])[:3]
                loc = loc + _path_to_loc(sub)
                path = _loc_to_path(loc)
                if prefix:
                    path = f"{prefix}.{path}"
            else:
                rule, _, fix = text.partition("|")
        else:
            rule, fix = msg[0].lower() + msg[1:], _FIXES.get(kind, "")
            try:
                fix = fix.format(**err.get("ctx", {}))
            except (KeyError, IndexError, ValueError):
                pass
            if kind == "extra_forbidden":
                rule = "is not a known field"
        value = err.get("input") if kind != "missing" else None
        if isinstance(value, dict) and kind != "extra_forbidden":
            value = None
        errors.append(ConfigError(path, rule.strip(), value, fix.strip(), source=source,
                                  line=node_line(node, loc)))
    return ConfigErrors(errors)


def validate_data(model: type[M], data: Any, *, node=None, source: str | None = None,
                  what: str = "file") -> M:
    if data is None:
        raise ConfigError(what, "is empty", None, f"write a {model.__name__} mapping", source=source)
    if not isinstance(data, dict):
        raise ConfigError(what, "must be a mapping of fields", type(data).__name__,
                          f"write `field: value` lines for a {model.__name__}", source=source, line=1)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise validation_to_config_error(exc, node, source) from None
