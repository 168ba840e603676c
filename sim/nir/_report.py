"""What a NIR import hands back: the quantisation report, where each output lives, and the
conversion object whose methods read a run's results in the graph's own terms.

State read-back (:meth:`NIRConversion.readout`, :meth:`~NIRConversion.state`,
:meth:`~NIRConversion.saturation`): backends record spikes, not state, so the functional
reference is run again on the run's chip program and stimulus, recording ``(u, v, spiked)``
of the wanted neurons after every timestep (``run_reference(..., record=StateRecord(rows))``).
Every backend's spikes equal the reference's, so these are the numbers the chip's state
memory holds during that run.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from neurocycle.hw import ConfigError

from .._network import NetworkSpec
from .._reference import StateRecord, run_reference


@dataclass(frozen=True)
class ProjectionLoss:
    """Synapses of one projection (one source node into one neuron node) that round to 0."""
    source: str | None             # NIR source node; None for the always-on bias channel
    synapses: int                  # non-zero float weights
    dropped: int                   # of them, quantised to 0 (not placed)
    dropped_weight_fraction: float  # their share of the projection's total |weight|
    largest_weight: float          # largest |effective weight| (NIR volts per spike)

    @property
    def zeroed(self) -> bool:
        return self.synapses > 0 and self.dropped == self.synapses

    def to_dict(self) -> dict:
        return dict(self.__dict__)


@dataclass(frozen=True)
class LayerQuantisation:
    """How one NIR neuron node was put into fixed point, and what that cost.

    Errors are measured against the discretised float model of the same node: weights in
    units of the NIR membrane voltage per spike after the input gain (``w_eff``).
    """
    node: str                      # NIR node name
    kind: str                      # NIR node type
    populations: tuple[str, ...]   # network populations holding its neurons (in order)
    size: int
    role: str                      # "spiking" or "readout"
    synapses: int                  # synapses kept on chip
    synapses_dropped: int          # non-zero float weights that quantised to 0 (not placed)
    w_exp: int
    state_scale: float             # chip LSB per unit of NIR voltage (S)
    weight_lsb: float              # NIR voltage per weight LSB after w_exp: 2**w_exp / S
    weight_max_q: int              # largest |quantised weight| used
    weight_rms_rel_error: float    # ||w_q*lsb - w_eff|| / ||w_eff||
    weight_max_rel_error: float    # max |w_q*lsb - w_eff| / max |w_eff|
    input_bias_max_rel_error: float  # always-on bias channel, relative to max |bias|
    du: tuple[int, ...]            # distinct current decays used
    dv: tuple[int, ...]            # distinct voltage decays used
    decay_max_error: float         # max |chip decay factor - float decay factor| (u and v)
    vth: tuple[int, ...]           # distinct thresholds (chip units)
    threshold_max_rel_error: float
    leak_bias_max_abs_error: float  # per-step v_leak drive, NIR voltage units
    notes: tuple[str, ...] = ()
    projections: tuple[ProjectionLoss, ...] = ()   # per source: synapses that rounded to 0

    def to_dict(self) -> dict:
        d = {k: (list(v) if isinstance(v, tuple) else v) for k, v in self.__dict__.items() if k != "projections"}
        d["projections"] = [p.to_dict() for p in self.projections]
        return d


@dataclass(frozen=True)
class QuantisationReport:
    """Per-layer quantisation of a NIR import (print it for a table)."""
    dt_ms: float
    dt_source: str
    discretisation: str
    weight_bits: int
    state_bits: int
    accumulator_bits: int
    state_headroom: float
    layers: tuple[LayerQuantisation, ...]
    framework: str = "nir"          # whose conventions were applied (docs/nir.md, "Framework conventions")
    reading: str = ""               # how the framework and the step were decided
    fires_on: str = ">"             # the threshold comparison used
    dt_graph: float = 0.0           # one timestep in the graph's own time units
    notes: tuple[str, ...] = ()     # graph-level notes (conventions NIR cannot carry, type check, ...)

    def layer(self, node: str) -> LayerQuantisation:
        for lq in self.layers:
            if lq.node == node:
                return lq
        raise KeyError(f"no layer for NIR node {node!r}; layers: {[lq.node for lq in self.layers]}")

    @property
    def worst_weight_rms_rel_error(self) -> float:
        return max((lq.weight_rms_rel_error for lq in self.layers), default=0.0)

    def to_dict(self) -> dict:
        d = {k: (list(v) if isinstance(v, tuple) else v) for k, v in self.__dict__.items() if k != "layers"}
        d["layers"] = [lq.to_dict() for lq in self.layers]
        return d

    def dropped_lines(self) -> list[str]:
        """One line per projection that lost synapses to rounding (what `validate` and `run` print)."""
        out = []
        for lq in self.layers:
            for p in lq.projections:
                if p.dropped:
                    src = "the bias channel" if p.source is None else f"'{p.source}'"
                    out.append(f"{lq.node} <- {src}: {p.dropped} of {p.synapses} synapses round to 0 "
                               f"({100 * p.dropped_weight_fraction:.2f} % of the projection's weight)")
        return out

    def table(self) -> str:
        head = (f"NIR import: {self.framework} conventions ({self.reading}); dt = {self.dt_ms:g} ms ({self.dt_source}), "
                f"{self.discretisation} discretisation, spike on v {self.fires_on} threshold, "
                f"{self.weight_bits}-bit weights, {self.state_bits}-bit state")
        cols = ("node", "kind", "size", "synapses", "dropped", "w_exp", "LSB/unit", "w rms err", "w max err",
                "vth err", "decay err")
        rows = [cols]
        for lq in self.layers:
            rows.append((lq.node, lq.kind, str(lq.size), str(lq.synapses), str(lq.synapses_dropped), str(lq.w_exp),
                         f"{lq.state_scale:.4g}", f"{100 * lq.weight_rms_rel_error:.3f}%",
                         f"{100 * lq.weight_max_rel_error:.3f}%",
                         "-" if lq.role == "readout" else f"{100 * lq.threshold_max_rel_error:.3f}%",
                         f"{lq.decay_max_error:.2e}"))
        widths = [max(len(r[i]) for r in rows) for i in range(len(cols))]
        lines = [head] + ["  ".join(c.ljust(w) if i < 2 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths)))
                          for r in rows]
        for lq in self.layers:
            lines += [f"  note ({lq.node}): {n}" for n in lq.notes]
        lines += [f"  note: {n}" for n in self.notes]
        lines += [f"  dropped: {d}" for d in self.dropped_lines()]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.table()


@dataclass(frozen=True)
class OutputMap:
    """Where a NIR Output node lives in the network: neuron ids ``gid_offset .. +size``."""
    name: str
    node: str                # the NIR neuron node feeding the output
    kind: str                # "spikes" (spiking node) or "state" (LI / CubaLI / I readout)
    gid_offset: int
    size: int
    shape: tuple[int, ...]
    state_scale: float       # chip LSB per unit of NIR voltage (to read state back)


@dataclass(frozen=True)
class NIRConversion:
    """A NIR graph turned into a network spec, with the report and the output mapping."""
    spec: NetworkSpec
    report: QuantisationReport
    outputs: dict[str, OutputMap]
    node_gids: dict[str, tuple[int, int]]     # NIR neuron node -> (first gid, size)
    input_channels: dict[str, tuple[int, int]]  # NIR Input node -> (first channel, size)
    dt_ms: float
    state_bits: int
    base_dir: Path = field(default=Path("."))
    latency: dict = field(default_factory=dict)   # output name -> timesteps the chip answers later than the writer

    @property
    def framework(self) -> str:
        return self.report.framework

    # -- reading results ---------------------------------------------------------------
    def _out(self, name: str | None) -> list[OutputMap]:
        if name is None:
            return list(self.outputs.values())
        if name not in self.outputs:
            raise ConfigError("output", "is not an output of the NIR graph", name,
                              f"use one of: {', '.join(self.outputs)}")
        return [self.outputs[name]]

    def output_spikes(self, run, name: str | None = None) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """Spikes of each spiking output: ``{name: (timesteps, output index)}``."""
        r = run.result
        out = {}
        for om in self._out(name):
            sel = (r.spike_neurons >= om.gid_offset) & (r.spike_neurons < om.gid_offset + om.size)
            out[om.name] = (r.spike_steps[sel].copy(), r.spike_neurons[sel] - om.gid_offset)
        return out

    def output_spike_trains(self, run, name: str | None = None, *, align: bool = False) -> dict[str, np.ndarray]:
        """Binary spike trains ``[steps, *output shape]`` (uint8) per spiking output.

        ``align=True`` shifts each output back by its :attr:`latency` (the chip's one-timestep hop
        per layer that the writer's own simulation does not have), so row ``t`` is the writer's
        step ``t``; the last ``latency`` rows are then those the run did not reach (zeros)."""
        steps = int(run.result.steps)
        out = {}
        for k, (st, ids) in self.output_spikes(run, name).items():
            om = self.outputs[k]
            if om.kind != "spikes":
                continue
            a = np.zeros((steps, om.size), np.uint8)
            a[st, ids] = 1
            if align:
                lag = int(self.latency.get(k, 0))
                a = np.concatenate([a[lag:], np.zeros((min(lag, steps), om.size), np.uint8)])
            out[k] = a.reshape((steps,) + tuple(om.shape))
        return out

    def output_spike_counts(self, run, name: str | None = None) -> dict[str, np.ndarray]:
        """Spike count per output neuron over the whole run, per spiking output."""
        return {k: np.bincount(ids, minlength=self.outputs[k].size)
                for k, (_, ids) in self.output_spikes(run, name).items() if self.outputs[k].kind == "spikes"}

    def readout(self, run, name: str | None = None, *, units: str = "nir") -> dict[str, np.ndarray]:
        """Membrane state of each readout output, shape ``[steps, size]``.

        Backends record spikes, not state, so the state is recomputed bit-exactly by running the
        functional reference again on the run's program and stimulus, recording these neurons
        (every backend's spikes equal the reference's): the numbers the chip's state memory holds.
        ``units="nir"`` divides by the layer scale (NIR voltage); ``"chip"`` gives raw integers.
        """
        if units not in ("nir", "chip"):
            raise ConfigError("units", "must be 'nir' or 'chip'", units, "pick one of them")
        oms = self._out(name)
        traces = state_traces(run, [(om.gid_offset, om.size) for om in oms])
        return {om.name: v if units == "chip" else v / om.state_scale for om, (_, v, _) in zip(oms, traces)}

    def readout_saturated(self, run, name: str | None = None) -> dict[str, bool]:
        """True where a readout's state hit the rail of the chip's state bits at any step."""
        lim = (1 << (self.state_bits - 1)) - 1
        return {k: bool((np.abs(v) >= lim).any()) for k, v in self.readout(run, name, units="chip").items()}

    def state(self, run, node: str, *, units: str = "nir") -> tuple[np.ndarray, np.ndarray]:
        """``(u, v)`` of every neuron of a NIR neuron node after every timestep, ``[steps, size]``,
        recomputed bit-exactly by the functional reference (see :meth:`readout`). ``u`` is in the units
        of its contribution to ``v`` per step."""
        if node not in self.node_gids:
            raise ConfigError("node", "is not a neuron node of the imported graph", node,
                              f"use one of: {', '.join(self.node_gids)}")
        g0, n = self.node_gids[node]
        [(u, v, _)] = state_traces(run, [(g0, n)])
        if units == "chip":
            return u, v
        s = self.report.layer(node).state_scale
        return u / s, v / s

    def saturation(self, run) -> dict[str, float]:
        """Per neuron node, the fraction of neuron-timesteps in which ``u`` or ``v`` sat on a rail
        of the chip's state range. Non-zero means the run left the regime docs/nir.md's tolerance
        covers (raise the chip's state bits or lower ``state_headroom``...); readouts that only
        integrate are expected to stay off the rails too."""
        lim = (1 << (self.state_bits - 1)) - 1
        traces = state_traces(run, list(self.node_gids.values()))
        return {node: float(((np.abs(u) >= lim) | (np.abs(v) >= lim)).mean()) if u.size else 0.0
                for node, (u, v, _) in zip(self.node_gids, traces)}


def state_traces(run, ranges: list[tuple[int, int]]) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """``(u, v, spiked)``, each ``[steps, n]``, of the neurons ``gid0 .. gid0+n-1`` of every
    ``(gid0, n)`` in ``ranges`` after every timestep of ``run``: one run of the functional
    reference on the run's program and stimulus, recording those neurons' placed rows."""
    p = run.program
    rows = [np.asarray(p.gid_row[g0:g0 + n], np.int64) for g0, n in ranges]
    rec = StateRecord(np.concatenate(rows) if rows else np.zeros(0, np.int64))
    run_reference(p, run.stimulus, record=rec)
    out, a = [], 0
    for r in rows:
        b = a + r.size
        out.append((rec.u[:, a:b].copy(), rec.v[:, a:b].copy(), rec.spiked[:, a:b].copy()))
        a = b
    return out
