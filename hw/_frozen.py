"""Deep immutability for validated configs: pydantic's ``frozen=True`` stops attribute assignment
but not ``chip.energy.events_pj["x"] = 1``; mappings are made read-only here and sequences
are tuples (declared as such in the schemas)."""
from __future__ import annotations

from typing import TypeVar

from pydantic import AfterValidator

__all__ = ["FrozenDict", "Frozen"]

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
