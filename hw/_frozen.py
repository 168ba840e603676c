"""Deep immutability for validated configs: pydantic's ``frozen=True`` stops attribute assignment
but not ``chip.energy.events_pj["x"] = 1``; mappings are made read-only here and sequences
are tuples (declared as such in the schemas)."""
from __future__ import annotations

from typing import TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, model_validator

__all__ = ["FrozenDict", "Frozen", "ConfigModel"]

_MSG = ("a validated config is immutable; build a new one instead (ChipConfig.with_overrides, "
        "NetworkSpec.model_copy(update=...), or validate a changed model_dump())")


class FrozenDict(dict):
    """A dict that refuses every mutation (and copies/pickles as itself)."""

    def _refuse(self, *args, **kwargs):
        raise TypeError(_MSG)

    __setitem__ = __delitem__ = __ior__ = clear = pop = popitem = setdefault = update = _refuse

    def __copy__(self):
        return self

    def __deepcopy__(self, memo):
        import copy
        return FrozenDict(copy.deepcopy(dict(self), memo))

    def __reduce__(self):
        return (FrozenDict, (dict(self),))


K = TypeVar("K")
V = TypeVar("V")
# ``Frozen[dict[str, float]]``-style use: Annotated[dict[K, V], AfterValidator(FrozenDict)]
Frozen = AfterValidator(FrozenDict)


def _plain(value):
    """YAML/JSON lists become tuples (the schemas' sequences are tuples: read-only once loaded),
    numpy scalars become Python scalars (so strict validation accepts np.int64 from arrays)."""
    import numpy as np

    if isinstance(value, list):
        return tuple(_plain(v) for v in value)
    if isinstance(value, (np.bool_,)):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    return value


class ConfigModel(BaseModel):
    """Base of every validated config (chips, networks, sweeps): unknown keys rejected, frozen,
    strict types (no bool or float where an integer is meant, no number where a string is),
    finite floats only (NaN and infinity are named as such), and deeply immutable (sequences are
    tuples, mappings FrozenDicts)."""
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False)

    @model_validator(mode="before")
    @classmethod
    def _lists_to_tuples(cls, data):
        return {k: _plain(v) for k, v in data.items()} if isinstance(data, dict) else data
