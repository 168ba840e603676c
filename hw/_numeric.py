"""The numeric format a network is quantised for: weight, state and accumulator bit widths.

A network importer (``neurocycle.sim.nir``) needs these three numbers and nothing else of a
chip, so it takes a :class:`NumericFormat` instead of a ``ChipConfig``: the network layer
stays independent of the hardware description (docs/contributing.md, "Layers"). Derive one
from a chip with ``NumericFormat.of(chip)``; the callers that hold a chip (``simulate``/
``prepare``, the CLI) do that, and ``NumericFormat.default()`` is the format of the default
chip preset.
"""
from __future__ import annotations

import operator
from dataclasses import dataclass

from ._errors import ConfigError

# (field, lowest, highest): the same ranges as a chip's ``bits`` (hw/_config.py BitsConfig)
_RANGES = (("weight_bits", 2, 16), ("state_bits", 4, 32), ("accumulator_bits", 4, 32))


@dataclass(frozen=True)
class NumericFormat:
    """Signed fixed-point widths: synaptic weight, neuron state (u, v) and input accumulator.

    Checked on construction: weight 2..16, state 4..32, accumulator 4..32 bits, and the
    accumulator at least as wide as a weight.
    """
    weight_bits: int
    state_bits: int
    accumulator_bits: int

    def __post_init__(self):
        for name, lo, hi in _RANGES:
            v = getattr(self, name)
            try:
                if isinstance(v, bool):
                    raise TypeError
                v = operator.index(v)          # ints, numpy integers; not floats or strings
            except TypeError:
                raise ConfigError(name, "must be a whole number of bits", v, f"give an int in {lo}..{hi}") from None
            object.__setattr__(self, name, v)
            if not lo <= v <= hi:
                raise ConfigError(name, f"must be in {lo}..{hi}", v,
                                  f"use a width in {lo}..{hi} (e.g. the chip's bits, NumericFormat.of(chip))")
        if self.accumulator_bits < self.weight_bits:
            raise ConfigError("accumulator_bits", f"must be >= weight_bits ({self.weight_bits})",
                              self.accumulator_bits, "raise accumulator_bits or lower weight_bits")

    @classmethod
    def of(cls, chip) -> "NumericFormat":
        """The format of a chip: a ``ChipConfig``, or a preset name, YAML path or dict that
        ``load_chip`` accepts (``None``: the default chip preset)."""
        from ._config import load_chip

        bits = load_chip(chip).bits
        return cls(weight_bits=bits.weight, state_bits=bits.state, accumulator_bits=bits.accumulator)

    @classmethod
    def default(cls) -> "NumericFormat":
        """The format of the default chip preset (``neurocycle.hw.DEFAULT_CHIP``)."""
        return cls.of(None)

    @property
    def weight_max(self) -> int:
        """Largest weight magnitude: ``2**(weight_bits-1) - 1``."""
        return (1 << (self.weight_bits - 1)) - 1

    @property
    def state_max(self) -> int:
        """Largest state magnitude (the saturation rail): ``2**(state_bits-1) - 1``."""
        return (1 << (self.state_bits - 1)) - 1

    @property
    def accumulator_max(self) -> int:
        """Largest accumulator magnitude: ``2**(accumulator_bits-1) - 1``."""
        return (1 << (self.accumulator_bits - 1)) - 1
