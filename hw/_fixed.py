"""The fixed-point arithmetic contract (docs/microarchitecture.md §7), written once, in numpy.

This is the specification of the neuron: the functional reference calls it, the Cython
kernel and the RTL are checked against it.
"""
from __future__ import annotations

import numpy as np

from ._config import DECAY_BITS, DECAY_ONE


def saturate(x: np.ndarray, bits: int) -> np.ndarray:
    """Clamp to the signed range of ``bits`` bits."""
    lo, hi = -(1 << (bits - 1)), (1 << (bits - 1)) - 1
    return np.clip(x, lo, hi)


def decay(x: np.ndarray, d: np.ndarray) -> np.ndarray:
    """``trunc(x * (4096 - d) / 4096)``: rounding toward zero, the one rounding rule."""
    prod = np.asarray(x, dtype=np.int64) * (DECAY_ONE - np.asarray(d, dtype=np.int64))
    mag = np.abs(prod) >> DECAY_BITS
    return np.where(prod < 0, -mag, mag)


def lif_step(u, v, ref, I, du, dv, bias, vth, v_reset, refractory, w_exp, state_bits: int):
    """One CUBA LIF update for arrays of neurons. Returns (u', v', ref', spiked).

    All inputs are int64 arrays of equal length (profile fields already gathered per neuron).
    """
    u = np.asarray(u, dtype=np.int64)
    v = np.asarray(v, dtype=np.int64)
    ref = np.asarray(ref, dtype=np.int64)
    I = np.asarray(I, dtype=np.int64)
    u_new = saturate(decay(u, du) + (I << np.asarray(w_exp, dtype=np.int64)), state_bits)
    v_int = saturate(decay(v, dv) + u_new + bias, state_bits)
    in_ref = ref > 0
    spiked = (~in_ref) & (v_int >= vth)
    v_new = np.where(in_ref, v, np.where(spiked, v_reset, v_int))
    ref_new = np.where(in_ref, ref - 1, np.where(spiked, refractory, 0))
    return u_new, v_new, ref_new, spiked
