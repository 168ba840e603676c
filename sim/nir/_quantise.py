"""Quantisation: one discretised float neuron layer -> the chip's fixed-point neuron.

Per NIR neuron node, :func:`quantise_layer` chooses the layer's state scale ``S`` (chip LSB
per unit of NIR voltage) and weight exponent ``w_exp`` so that the threshold sits within
``state_headroom`` of the state range and the weights use as many of their levels as the
weight and accumulator widths allow; it then rounds weights, the always-on bias channel,
decays, thresholds, resets and the ``v_leak`` drive, and measures what rounding cost
(docs/nir.md, "Quantisation"). The widths come from a :class:`neurocycle.hw.NumericFormat`.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from neurocycle.hw import DECAY_ONE, W_EXP_MAX, ConfigError, NumericFormat

from ._linear import Expr
from ._report import LayerQuantisation, ProjectionLoss


@dataclass
class FloatLayer:
    """One NIR neuron node discretised at ``dt``, before quantisation (arrays per neuron).

    Per step: ``u <- (1 - du) u + gain * input``, ``v <- (1 - dv) v + u + leak``; spikes on
    ``v > theta`` and resets to ``reset`` (``theta is None``: a non-spiking readout).
    """
    node: str
    kind: str
    n: int
    du: np.ndarray
    dv: np.ndarray
    gain: np.ndarray
    leak: np.ndarray
    theta: np.ndarray | None
    reset: np.ndarray | None
    inp: Expr          # the layer's input: maps from source-node spikes, plus a constant bias
    refractory: int = 0   # timesteps v stays at reset after a spike (the chip's refractory counter)
    fires_on: str = ">"   # the writer's comparison: ">" (v > theta, NIR) or ">=" (Sinabs, SpikingJelly, Rockpool)


@dataclass
class QuantisedLayer:
    """A neuron layer in fixed point: parameters, synapses and what rounding cost."""
    node: str
    kind: str
    n: int
    params: np.ndarray      # int64[n, 7]: du, dv, bias, vth, v_reset, refractory, w_exp (PROFILE_FIELDS order)
    terms: list             # (source node, target idx, source idx, quantised weights, float weights)
    term_delays: list       # per term: the timesteps its path is delayed by (Delay nodes; 0 or 1 = the hop)
    bias_q: np.ndarray      # int64[n]: quantised weight from the always-on bias channel
    role: str               # "spiking" or "readout"
    state_scale: float      # S: chip LSB per unit of NIR voltage
    w_exp: int
    lsb: float              # NIR voltage per weight LSB before w_exp: 1 / x
    w_rms: float
    w_max_rel: float
    dropped: int
    b_err: float
    dec_err: float
    th_err: float
    leak_err: float
    notes: list
    w_max_q: int
    kept: int
    problems: list          # ConfigErrors: parameters that do not fit the state bits
    projections: tuple = ()  # ProjectionLoss per source (and the bias channel)

    def report(self, populations: tuple[str, ...]) -> LayerQuantisation:
        """The layer's row in the quantisation report."""
        return LayerQuantisation(
            node=self.node, kind=self.kind, populations=populations, size=self.n, role=self.role,
            synapses=self.kept, synapses_dropped=self.dropped, w_exp=self.w_exp, state_scale=self.state_scale,
            weight_lsb=(1 << self.w_exp) / self.state_scale,
            weight_max_q=self.w_max_q, weight_rms_rel_error=self.w_rms, weight_max_rel_error=self.w_max_rel,
            input_bias_max_rel_error=self.b_err,
            du=tuple(sorted(set(self.params[:, 0].tolist()))), dv=tuple(sorted(set(self.params[:, 1].tolist()))),
            decay_max_error=self.dec_err, vth=tuple(sorted(set(self.params[:, 3].tolist())))[:8],
            threshold_max_rel_error=self.th_err, leak_bias_max_abs_error=self.leak_err,
            notes=tuple(self.notes), projections=self.projections)


def quantise_layer(layer: FloatLayer, numeric: NumericFormat, headroom: float) -> QuantisedLayer:
    """Choose the layer scale (S, w_exp) and quantise weights, bias and parameters."""
    k, t, n = layer.node, layer.kind, layer.n
    du_f, dv_f, gain, leak, theta, reset, inp = (layer.du, layer.dv, layer.gain, layer.leak, layer.theta,
                                                 layer.reset, layer.inp)
    w_max, state_max, acc_max = numeric.weight_max, numeric.state_max, numeric.accumulator_max
    problems: list[ConfigError] = []
    spiking = theta is not None
    terms = []
    for (src, _), m in inp.terms.items():
        terms.append((src, m.rows, m.cols, gain[m.rows] * m.vals))
    b_eff = gain * inp.bias if inp.bias is not None else np.zeros(n)
    all_w = np.concatenate([w for *_, w in terms] + [b_eff])
    w_abs_max = float(np.abs(all_w).max()) if all_w.size else 0.0
    row_abs = np.abs(b_eff).copy()
    for _, r, _, w in terms:
        row_abs += np.bincount(r, weights=np.abs(w), minlength=n)
    r_max = float(row_abs.max()) if n else 0.0
    x_max = math.inf
    if w_abs_max > 0:
        x_max = min(w_max / w_abs_max, acc_max / r_max)
    notes = []
    if spiking:
        V = float(max(np.abs(theta).max(), np.abs(reset).max(), np.abs(leak).max(), w_abs_max))
        s_state = state_max / (headroom * V) if V > 0 else math.inf
        # The state scale S = x * 2**w_exp is as large as the headroom allows: the chip
        # truncates u and v toward zero every step, a systematic loss of up to one LSB
        # each, so a fine state matters more than the last weight bit. w_exp is the
        # smallest exponent that reaches S with |weights| <= the weight range; weights
        # then use between half and all of their levels.
        w_exp, x = 0, None
        if math.isinf(x_max):
            x = s_state if math.isfinite(s_state) else 1.0
        elif not math.isfinite(s_state):
            w_exp, x = W_EXP_MAX, x_max
        else:
            for e in range(W_EXP_MAX + 1):
                if s_state / (1 << e) <= x_max:
                    w_exp, x = e, s_state / (1 << e)
                    break
            if x is None:   # even w_exp = 7 leaves S short of the headroom limit
                w_exp, x = W_EXP_MAX, x_max
            if w_exp == 0 and x * w_abs_max < w_max / 2:
                notes.append(f"the threshold is {V / w_abs_max:.3g}x the largest weight: weights use "
                             f"{x * w_abs_max:.1f} of {w_max} levels (raise state bits to refine)")
    else:
        # readouts: no threshold to protect, keep the largest state range (w_exp = 0)
        w_exp = 0
        x = x_max if math.isfinite(x_max) else 1.0
    if spiking and x and math.isfinite(x):
        # Exactly representable layers (weights, bias, reset and leak are dyadic): a power-of-two
        # scale makes every one of them an integer, so nothing rounds. Where the current lasts one
        # step (du -> 4095), the scale is also kept below 4096 / (largest input per step), so that
        # decay(u, 4095) = trunc(u / 4096) leaves no residue into the next step.
        exact = _exact_scale(x * (1 << w_exp), terms, b_eff, reset, leak, row_abs, w_max,
                             one_step=bool(np.all(du_f >= 1.0)))
        if exact is not None:
            if exact != (x, w_exp):
                notes.append("exactly representable: a power-of-two scale makes every weight, reset and leak an "
                             "integer")
            x, w_exp = exact
    S = x * (1 << w_exp)
    # quantise; shrink if rounding pushed a row sum over the accumulator range
    for _ in range(8):
        q_terms = [(src, r, c, np.clip(np.rint(x * w), -w_max, w_max).astype(np.int64), w)
                   for src, r, c, w in terms]
        q_bias = np.clip(np.rint(x * b_eff), -w_max, w_max).astype(np.int64)
        rows_q = np.abs(q_bias).astype(np.float64)
        for _, r, _, q, _ in q_terms:
            rows_q += np.bincount(r, weights=np.abs(q), minlength=n)
        if not n or rows_q.max() <= acc_max:
            break
        x *= acc_max / rows_q.max() * 0.999
        S = x * (1 << w_exp)
    lsb = 1.0 / x if x else math.inf
    # errors
    w_all = np.concatenate([w for *_, w in q_terms]) if q_terms else np.zeros(0)
    q_all = np.concatenate([q for *_, q, _ in q_terms]) if q_terms else np.zeros(0, np.int64)
    err = q_all * lsb - w_all
    denom = float(np.sqrt((w_all ** 2).sum()))
    w_rms = float(np.sqrt((err ** 2).sum())) / denom if denom > 0 else 0.0
    w_max_rel = float(np.abs(err).max() / np.abs(w_all).max()) if w_all.size and np.abs(w_all).max() > 0 else 0.0
    dropped = int(((q_all == 0) & (w_all != 0)).sum())
    b_err = float(np.abs(q_bias * lsb - b_eff).max() / np.abs(b_eff).max()) if np.abs(b_eff).max() > 0 else 0.0
    # neuron parameters
    du = np.clip(np.rint(DECAY_ONE * du_f), 0, DECAY_ONE - 1).astype(np.int64)
    dv = np.clip(np.rint(DECAY_ONE * dv_f), 0, DECAY_ONE - 1).astype(np.int64)
    # error of the per-step decay factor (1 - d/4096) against the float (1 - f)
    dec_err = float(max(np.abs(du / DECAY_ONE - du_f).max(initial=0), np.abs(dv / DECAY_ONE - dv_f).max(initial=0)))
    bias = np.rint(S * leak).astype(np.int64)
    leak_err = float(np.abs(bias / S - leak).max()) if n else 0.0
    if spiking:
        if layer.fires_on == ">=":
            vth = np.ceil(S * theta - 1e-9 * np.abs(S * theta)).astype(np.int64)   # v >= theta
        else:
            vth = (np.floor(S * theta) + 1).astype(np.int64)     # NIR spikes on v > theta
        v_reset = np.rint(S * reset).astype(np.int64)
        # v_chip >= vth  <=>  v > theta up to one LSB: the error is the gap to the scaled threshold
        th_err = float(np.abs(vth - S * theta).max() / max(S * np.abs(theta).max(), 1e-300))
        if (np.abs(vth) > state_max).any():
            problems.append(ConfigError(f"nir.nodes.{k}", "the scaled threshold does not fit the state bits",
                                        int(np.abs(vth).max()), "raise the chip's state bits or lower state_headroom"))
    else:
        vth = np.full(n, state_max, np.int64)      # unreachable unless the state saturates
        v_reset = np.full(n, state_max, np.int64)
        th_err = 0.0
    if (np.abs(bias) > state_max).any():
        problems.append(ConfigError(f"nir.nodes.{k}", "the per-step v_leak drive does not fit the state bits",
                                    int(np.abs(bias).max()), "lower v_leak or raise the chip's state bits"))
    projections = tuple(projection_loss(src, w, q) for src, _, _, q, w in q_terms)
    if np.any(b_eff != 0):
        projections += (projection_loss(None, b_eff, q_bias),)
    params = np.stack([du, dv, bias, vth, v_reset, np.full(n, int(layer.refractory), np.int64),
                       np.full(n, w_exp, np.int64)], axis=1)
    return QuantisedLayer(
        node=k, kind=t, n=n, params=params, terms=q_terms, term_delays=[d for (_, d) in inp.terms], bias_q=q_bias,
        role="spiking" if spiking else "readout", state_scale=S, w_exp=w_exp, lsb=lsb,
        w_rms=w_rms, w_max_rel=w_max_rel, dropped=dropped, b_err=b_err, dec_err=dec_err, th_err=th_err,
        leak_err=leak_err, notes=notes, w_max_q=int(np.abs(q_all).max(initial=0)), kept=int((q_all != 0).sum()),
        problems=problems, projections=projections)


def _exact_scale(S: float, terms, b_eff, reset, leak, row_abs, w_max: int, one_step: bool):
    """``(x, w_exp)`` of a power-of-two scale at most ``S`` at which the layer is exact, or None."""
    caps = [S]
    r_max = float(row_abs.max()) if row_abs.size else 0.0
    if one_step and r_max > 0:
        caps.insert(0, min(S, 4095.0 / r_max))
    w_abs = max([float(np.abs(w).max(initial=0.0)) for *_, w in terms] + [float(np.abs(b_eff).max(initial=0.0))])
    for cap in caps:
        if cap <= 0 or not math.isfinite(cap):
            continue
        S2 = 2.0 ** math.floor(math.log2(cap))
        e = max(0, math.ceil(math.log2(S2 * w_abs / w_max))) if w_abs > 0 else 0
        if e > W_EXP_MAX:
            continue
        x2 = S2 / (1 << e)
        vals = [x2 * w for *_, w in terms] + [x2 * b_eff, S2 * reset, S2 * leak]
        # 1e-4 LSB: parameters read back from float32 files are integers to that precision
        if all(np.allclose(v, np.rint(v), rtol=0, atol=1e-4) for v in vals if np.size(v)) and \
                all(np.abs(np.rint(v)).max(initial=0) <= w_max for v in vals[:-2] if np.size(v)):
            return x2, e
    return None


def projection_loss(source: str | None, w: np.ndarray, q: np.ndarray) -> ProjectionLoss:
    """What rounding to zero cost one projection (``source=None``: the always-on bias channel)."""
    w, q = np.asarray(w, np.float64), np.asarray(q)
    nz = w != 0
    lost = nz & (q == 0)
    mass = float(np.abs(w).sum())
    return ProjectionLoss(source=source, synapses=int(nz.sum()), dropped=int(lost.sum()),
                          dropped_weight_fraction=float(np.abs(w[lost]).sum() / mass) if mass > 0 else 0.0,
                          largest_weight=float(np.abs(w).max(initial=0.0)))
