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


def graded_count(v: np.ndarray, vth: np.ndarray, payload_bits: int) -> tuple[np.ndarray, np.ndarray]:
    """The graded output of docs/microarchitecture.md §7: ``payload_bits`` compare-subtract steps.

    Returns ``(q, r)`` with ``q = min(floor(v / vth), 2**P - 1)`` (0 when ``v < vth``) and
    ``r = v - q * vth``, for ``vth >= 1``; computed exactly as the hardware does (greedy, from the
    top quotient bit down), which is the same thing."""
    r = np.asarray(v, dtype=np.int64).copy()
    vth = np.asarray(vth, dtype=np.int64)
    q = np.zeros(r.shape, np.int64)
    for b in range(payload_bits - 1, -1, -1):
        step = vth << b
        take = r >= step
        r = np.where(take, r - step, r)
        q = q | (take.astype(np.int64) << b)
    return q, r


def neuron_update(u, v, ref, I, du, dv, bias, vth, v_reset, refractory, w_exp, state_bits: int,
                  graded=None, payload_bits: int = 0):
    """One neuron update (§7) for arrays of neurons. Returns ``(u', v', ref', payload)``;
    payload 0 = no spike, 1 for a binary spike, ``1 .. 2**payload_bits - 1`` for a graded one.

    All inputs are int64 arrays of equal length (profile fields already gathered per neuron);
    ``graded`` (per neuron, 0/1) selects the graded output rule on a chip with ``payload_bits > 0``.
    """
    u = np.asarray(u, dtype=np.int64)
    v = np.asarray(v, dtype=np.int64)
    ref = np.asarray(ref, dtype=np.int64)
    I = np.asarray(I, dtype=np.int64)
    u_new = saturate(decay(u, du) + (I << np.asarray(w_exp, dtype=np.int64)), state_bits)
    v_int = saturate(decay(v, dv) + u_new + bias, state_bits)
    in_ref = ref > 0
    vth = np.asarray(vth, dtype=np.int64)
    if payload_bits and graded is not None and np.any(graded):
        g = np.asarray(graded).astype(bool) & ~in_ref
        q, r = graded_count(np.where(g, v_int, 0), np.where(g, np.maximum(vth, 1), 1), payload_bits)
        q = np.where(g, q, 0)
        b_spk = (~in_ref) & ~np.asarray(graded).astype(bool) & (v_int >= vth)
        payload = np.where(b_spk, 1, q)
        spiked = payload > 0
        v_after = np.where(g, r, np.asarray(v_reset, dtype=np.int64))
    else:
        spiked = (~in_ref) & (v_int >= vth)
        payload = spiked.astype(np.int64)
        v_after = np.asarray(v_reset, dtype=np.int64) + np.zeros_like(v_int)
    v_new = np.where(in_ref, v, np.where(spiked, v_after, v_int))
    ref_new = np.where(in_ref, ref - 1, np.where(spiked, refractory, 0))
    return u_new, v_new, ref_new, payload


def lif_step(u, v, ref, I, du, dv, bias, vth, v_reset, refractory, w_exp, state_bits: int):
    """One CUBA LIF update (binary profiles) for arrays of neurons. Returns (u', v', ref', spiked).

    All inputs are int64 arrays of equal length (profile fields already gathered per neuron).
    """
    u_new, v_new, ref_new, payload = neuron_update(u, v, ref, I, du, dv, bias, vth, v_reset, refractory, w_exp,
                                                   state_bits)
    return u_new, v_new, ref_new, payload > 0


# ----------------------------------------------------------------------------- STDP (§11)
def stdp_decay_constant(tau_steps: float) -> int:
    """The 12-bit trace decay ``d`` of a time constant of ``tau_steps`` timesteps:
    ``round(4096 * (1 - exp(-1 / tau)))``, so ``decay(x, d) ≈ x * exp(-1 / tau)`` (0..4095)."""
    d = int(round(DECAY_ONE * (1.0 - np.exp(-1.0 / float(tau_steps)))))
    return min(max(d, 0), DECAY_ONE - 1)


def trace_update(x, flag, inc, d, trace_bits: int) -> np.ndarray:
    """One timestep of an STDP trace (docs/microarchitecture.md §11.1):
    ``min(decay(x, d) + (flag ? inc : 0), 2**trace_bits - 1)``."""
    x = decay(np.asarray(x, np.int64), d) + np.where(np.asarray(flag, bool), np.asarray(inc, np.int64), 0)
    return np.minimum(x, (1 << trace_bits) - 1)


def stdp_depress(w, y, shift, w_min, w_max) -> np.ndarray:
    """Depression at a pre-synaptic arrival: ``clip(w - (y >> shift), w_min, w_max)``."""
    w = np.asarray(w, np.int64) - (np.asarray(y, np.int64) >> np.asarray(shift, np.int64))
    return np.minimum(np.maximum(w, w_min), w_max)


def stdp_potentiate(w, x, shift, w_min, w_max) -> np.ndarray:
    """Potentiation in the post-synaptic pass: ``clip(w + (x >> shift), w_min, w_max)``."""
    w = np.asarray(w, np.int64) + (np.asarray(x, np.int64) >> np.asarray(shift, np.int64))
    return np.minimum(np.maximum(w, w_min), w_max)


def stdp_window(dt, a_plus: int, a_minus: int, d_plus: int, d_minus: int, shift: int, trace_bits: int) -> np.ndarray:
    """The weight change of one pre/post pair from zero traces, without clipping, for
    ``dt = t_post - t_pre`` (timesteps; an array): the chip's exact STDP window
    (docs/microarchitecture.md §11.3). ``+decay^(dt-1)(a_plus) >> shift`` for ``dt >= 1``,
    ``-decay^(-dt-1)(a_minus) >> shift`` for ``dt <= -1``, 0 at ``dt = 0``."""
    dt = np.asarray(dt, np.int64)
    out = np.zeros(dt.shape, np.int64)
    k_max = int(np.abs(dt).max(initial=0))
    xp = np.minimum(np.int64(a_plus), (1 << trace_bits) - 1)
    xm = np.minimum(np.int64(a_minus), (1 << trace_bits) - 1)
    for k in range(1, k_max + 1):          # trace value k-1 decays after the spike
        out = np.where(dt == k, xp >> shift, out)
        out = np.where(dt == -k, -(xm >> shift), out)
        xp, xm = decay(xp, d_plus), decay(xm, d_minus)
    return out
