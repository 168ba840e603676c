"""docs/configuration.md from the chip schema, so the field reference never drifts (written by
``python -m neurocycle.hw._codegen`` with the other generated files; a test checks it is current)."""
from __future__ import annotations

import typing

import annotated_types as at
from pydantic import BaseModel

from ._config import ChipConfig
from ._layout import COUNTERS
from ._system import SystemConfig


def _type_name(ann) -> str:
    origin = typing.get_origin(ann)
    if origin is typing.Literal:
        return " \\| ".join(f"`{a}`" for a in typing.get_args(ann))
    if origin in (typing.Union, getattr(__import__("types"), "UnionType", None)):
        return " or ".join(_type_name(a) for a in typing.get_args(ann) if a is not type(None)) + " or null"
    if origin in (list, dict, tuple):
        return "list" if origin is tuple else origin.__name__   # tuples are YAML lists (read-only once loaded)
    if typing.get_origin(ann) is typing.Annotated:
        return _type_name(typing.get_args(ann)[0])
    return getattr(ann, "__name__", str(ann))


def _rule(metadata) -> str:
    parts = []
    for m in metadata:
        for attr, sym in (("ge", "≥"), ("gt", ">"), ("le", "≤"), ("lt", "<")):
            if isinstance(m, getattr(at, attr.capitalize() if attr != "ge" else "Ge")) and hasattr(m, attr):
                parts.append(f"{sym} {getattr(m, attr)}")
    return ", ".join(parts)


def _rows(model: type[BaseModel], prefix: str = "", leaf: tuple = ()):
    for name, f in model.model_fields.items():
        ann = f.annotation
        if name in leaf:                    # a nested config documented elsewhere (a system's chip)
            yield (f"`{prefix}{name}`", "str or mapping", "—", "", f.description or "")
            continue
        inner = [a for a in (typing.get_args(ann) or (ann,)) if isinstance(a, type) and issubclass(a, BaseModel)]
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            yield from _rows(ann, f"{prefix}{name}.")
            continue
        if inner and typing.get_origin(ann) is not list:
            yield from _rows(inner[0], f"{prefix}{name}.")
            continue
        default = f.default if f.default_factory is None else f.default_factory()
        shown = "—" if default is None or f.is_required() else f"`{default}`"
        yield (f"`{prefix}{name}`", _type_name(ann), shown, _rule(f.metadata), f.description or "")


def config_reference_markdown() -> str:
    lines = ["# Chip configuration reference", "",
             "Generated from the schema in `hw/_config.py` by `python -m neurocycle.hw._codegen` "
             "(a test checks this page is current). Unknown keys are rejected; every value is "
             "checked against the rule shown, and the error names the field, the rule, the value, "
             "the fix and the YAML line. Nested fields are written as dotted paths — the same paths "
             "`neurocycle sweep` and `neurocycle ppa --set` override.", "",
             "| field | type | default | rule | meaning |", "|---|---|---|---|---|"]
    for row in _rows(ChipConfig):
        lines.append("| " + " | ".join(str(c).replace("\n", " ") for c in row) + " |")
    lines += ["", "## Event names (for `energy.events_pj`)", "",
              "| event | unit | scope | counts |", "|---|---|---|---|"]
    for c in COUNTERS:
        lines.append(f"| `{c.name}` | {c.unit} | {c.scope} | {c.description} |")
    lines += ["", "## System configuration (`configs/systems`)", "",
              "A system is a grid of chips of one design joined by chip-to-chip links "
              "(docs/microarchitecture.md §12). Schema in `hw/_system.py`; `link_overrides` entries take "
              "`chips: [[cx, cy], [cx2, cy2]]` (two neighbouring chips) and any of the link fields "
              "listed under `link_overrides` below.", "",
              "| field | type | default | rule | meaning |", "|---|---|---|---|---|"]
    for row in _rows(SystemConfig, leaf=("chip",)):
        lines.append("| " + " | ".join(str(c).replace("\n", " ") for c in row) + " |")
    return "\n".join(lines) + "\n"
