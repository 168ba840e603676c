"""Converting a NIR graph into a chip-independent network (``NetworkSpec``).

:func:`convert_nir` reads the graph (``_reader``), chooses the timestep, checks what the chip
can run (binary spikes between neuron nodes, readouts only as outputs, ``Delay`` nodes of whole
timesteps, which become synaptic delays), multiplies every chain of linear nodes into one sparse
map per (source, target, delay) (``_linear``), discretises each neuron node into a float layer,
quantises it for a :class:`neurocycle.hw.NumericFormat` (``_quantise``), and assembles
populations, inputs and explicit projections into a ``NetworkSpec`` (docs/nir.md).
"""
from __future__ import annotations

import dataclasses
import math
import os
import re
from pathlib import Path

import numpy as np

from neurocycle.hw import ConfigError, NumericFormat
from neurocycle.hw import validate_data

from .._network import NetworkSpec
from ._linear import Expr, Map, conv_op, identity, pool_op
from . import _frameworks as fw
from ._preview import preview_rates
from ._quantise import FloatLayer, QuantisedLayer, quantise_layer
from ._reader import READOUT, SPIKING, SUPPORTED_NODES, FlatGraph, load_graph
from ._report import NIRConversion, OutputMap, QuantisationReport

DISCRETISATIONS = ("euler", "exp")
DEFAULT_DT_MS = 1.0
DEFAULT_STATE_HEADROOM = 8.0
DEFAULT_MAX_DROPPED_FRACTION = 0.05
BIAS_INPUT = "nir_bias"
MAX_DELAY_STEPS = 64      # the longest synaptic delay a chip holds: core.delay_slots' upper bound
PREVIEW_STEPS = 100


def _sanitise(name: str, used: set[str]) -> str:
    s = re.sub(r"[^A-Za-z0-9_\-]", "_", name)[:56] or "node"
    if not re.match(r"[A-Za-z_]", s[0]):
        s = "n_" + s
    base, i = s, 1
    while s in used:
        s = f"{base}_{i}"
        i += 1
    used.add(s)
    return s


def import_nir(source, **options) -> NetworkSpec:
    """Import a NIR graph (a ``nir.NIRGraph`` or a ``.nir`` path) as a :class:`NetworkSpec`.

    Takes the options of :func:`convert_nir`; use that to also get the quantisation report and
    the output mapping.
    """
    return convert_nir(source, **options).spec


def convert_nir(source, *, numeric: NumericFormat | None = None,
                dt_ms: float | None = None, discretisation: str = "euler",
                weight_bits: int | None = None, state_bits: int | None = None,
                accumulator_bits: int | None = None, state_headroom: float = DEFAULT_STATE_HEADROOM,
                inputs: dict | None = None, input_rate_hz: float | None = None,
                name: str | None = None, seed: int = 0, framework: str | None = None,
                allow_dropped: bool = False,
                max_dropped_fraction: float = DEFAULT_MAX_DROPPED_FRACTION) -> NIRConversion:
    """Convert a NIR graph to a chip-independent network in fixed-point units.

    - ``numeric``: the :class:`neurocycle.hw.NumericFormat` (weight, state and accumulator
      bits) that sets the quantisation; for a chip, ``NumericFormat.of(chip)``. Default: the
      default chip preset's format (``NumericFormat.default()``).
      ``weight_bits``/``state_bits``/``accumulator_bits`` override single widths.
    - ``framework``: the writer of the graph (``"snntorch"``, ``"norse"``, ``"sinabs"``,
      ``"spikingjelly"``, ``"rockpool"``, ``"lava-dl"``, ``"spyx"``, or ``"nir"`` for NIR's own
      equations): its conventions for time constants, input gains and the threshold comparison
      are applied (docs/nir.md, "Framework conventions"). Default: the writer whose encoding the
      graph's numbers show; if none does and the candidate readings disagree, the import is
      refused with what each implies.
    - ``dt_ms``: the length of one timestep in ms. With a framework whose file encodes its step
      (snnTorch, Lava-dl, SpikingJelly IF, Spyx, Rockpool) it only sets the physical time of
      reports and Poisson rates; for Norse it is the step Norse used (default 1 ms); for
      ``"nir"`` it is the discretisation step. Default: the graph's ``metadata['dt']``, the
      file's own step, or the writer's export default.
    - ``allow_dropped``: accept projections that lose synapses to rounding (a weight below half
      a weight LSB is not placed). By default a projection that loses all its synapses, or more
      than ``max_dropped_fraction`` of its total |weight|, is an error.
    - ``discretisation``: ``"euler"`` (forward Euler, decay ``1 - dt/tau``: what snnTorch
      and Norse simulate) or ``"exp"`` (decay ``exp(-dt/tau)``).
    - ``state_headroom``: the threshold (and largest single input) is placed at most at
      ``2**(state_bits-1) / state_headroom`` so excursions below reset and above threshold
      within a step do not saturate.
    - ``inputs``: per NIR Input node, the spike source: a source dict
      (``{"kind": "poisson", "rate_hz": 50}``), a ``.npz`` path with ``steps``/``channels``,
      or a binary array ``[steps, *input shape]``. Unlisted inputs are Poisson at
      ``input_rate_hz`` (default: 10 % spike probability per timestep).
    """
    graph, stem, base_dir, read_notes = load_graph(source)
    if discretisation not in DISCRETISATIONS:
        raise ConfigError("discretisation", f"must be one of {', '.join(DISCRETISATIONS)}", discretisation,
                          "use 'euler' (what snnTorch/Norse simulate) or 'exp'")
    if not (isinstance(state_headroom, (int, float)) and state_headroom >= 1):
        raise ConfigError("state_headroom", "must be a number >= 1", state_headroom, "use e.g. 8")
    if numeric is None:
        numeric = NumericFormat.default()
    elif not isinstance(numeric, NumericFormat):
        raise ConfigError("numeric", "must be a neurocycle.hw.NumericFormat", type(numeric).__name__,
                          "pass NumericFormat.of(chip) (a chip config, preset name or YAML path), "
                          "or NumericFormat(weight_bits=..., state_bits=..., accumulator_bits=...)")
    overrides = {k: int(v) for k, v in (("weight_bits", weight_bits), ("state_bits", state_bits),
                                        ("accumulator_bits", accumulator_bits)) if v is not None}
    if overrides:
        numeric = dataclasses.replace(numeric, **overrides)     # range-checked again
    if not (isinstance(max_dropped_fraction, (int, float)) and 0 <= max_dropped_fraction <= 1):
        raise ConfigError("max_dropped_fraction", "must be a fraction between 0 and 1", max_dropped_fraction,
                          "use e.g. 0.05 (5 % of a projection's weight may round to 0)")
    conv = _Converter(graph, stem if name is None else name, base_dir, dt_ms, discretisation, numeric,
                      float(state_headroom), inputs or {}, input_rate_hz, seed)
    conv.framework, conv.allow_dropped, conv.max_dropped = framework, bool(allow_dropped), float(max_dropped_fraction)
    conv.read_notes = list(read_notes)
    return conv.run()


class _Converter:
    """One conversion: graph -> timestep -> shapes -> rules -> inputs -> float layers ->
    quantised layers -> populations and projections. Problems are collected per stage and
    raised together (``ConfigErrors``)."""

    def __init__(self, graph, name, base_dir, dt_ms, disc, numeric: NumericFormat, headroom, inputs,
                 input_rate_hz, seed):
        self.graph, self.name, self.base_dir = graph, name, base_dir
        self.dt_ms_opt, self.disc = dt_ms, disc
        self.numeric, self.headroom = numeric, headroom
        self.inputs_opt, self.input_rate_hz, self.seed = inputs, input_rate_hz, seed

    def err(self, node: str, rule: str, value=None, fix: str = "") -> None:
        self.g.err(node, rule, value, fix)

    def raise_errors(self) -> None:
        self.g.raise_errors()

    # ---- graph ----------------------------------------------------------------------
    def run(self) -> NIRConversion:
        g = self.g = FlatGraph(self.graph)
        self.errors = g.errors                 # one list of problems, shared with the graph
        self.nodes, self.kind, self.preds, self.succs = g.nodes, g.kind, g.preds, g.succs
        self.raise_errors()
        g.infer_shapes()
        self.shape, self.own_in_shape = g.shape, g.own_in_shape
        self.raise_errors()
        self.check_uses()          # its problems are reported together with the layers' below
        self.choose_reading()
        self.build_inputs()
        layers = self.build_layers()
        self.raise_errors()
        self.check_dropped(layers)
        return self.assemble(layers)

    def choose_reading(self) -> None:
        """Whose conventions apply and how long a step is (docs/nir.md, "Choosing the reading")."""
        nodes, kind = self.nodes, self.kind
        self.notes: list[str] = list(self.read_notes)
        dt_ms = self.dt_ms_opt
        if dt_ms is not None and not (isinstance(dt_ms, (int, float)) and not isinstance(dt_ms, bool)
                                      and math.isfinite(dt_ms) and dt_ms > 0):
            raise ConfigError("dt_ms", "must be a positive number of milliseconds", dt_ms,
                              "give the timestep, e.g. dt_ms=1.0 (--dt-ms 1)")
        if self.framework is not None:
            self.set_reading(fw.named(self.framework, nodes, kind, dt_ms), "given (framework option)")
            return
        meta = getattr(self.graph, "metadata", None) or {}
        md = meta.get("dt") if isinstance(meta, dict) else None
        try:
            md = float(np.asarray(md).item()) if md is not None else None
        except (TypeError, ValueError):
            md = None
        if md is not None and md > 0 and math.isfinite(md):
            conv = fw.CONVENTIONS[fw.GENERIC]
            self.set_reading(fw.Reading(conv, md, dt_ms if dt_ms is not None else md * 1e3, "graph metadata 'dt'"),
                             "graph metadata 'dt'")
            return
        ev = fw.evidence(nodes, kind)
        if len(ev) > 1 and any(fw.round_step(d) for _, d, _ in ev):
            ev = [e for e in ev if fw.round_step(e[1])]   # writers use round steps (1e-4 s, 1 ms, 1)
        if ev:
            cands = [fw.named(name, nodes, kind, dt_ms) for name, _, _ in ev]
            why = "; ".join(w for _, _, w in ev)
            self.decide(cands, f"the file shows it: {why}")
            return
        cands = []
        for name, dt_graph, why in fw.candidate_readings(nodes, kind, dt_ms):
            conv = fw.CONVENTIONS[name]
            if fw.plausible(nodes, kind, conv, dt_graph):
                phys = dt_ms if dt_ms is not None else (1.0 if name == "sinabs" else
                                                        (dt_graph * 1e3 if name != "norse" else 1.0))
                cands.append(fw.Reading(conv, dt_graph, phys, why))
        if not cands:
            self.refuse([fw.Reading(fw.CONVENTIONS[n], d, dt_ms or 1.0, w)
                         for n, d, w in fw.candidate_readings(nodes, kind, dt_ms)],
                        "no reading puts every time constant between 1 and 5,000 timesteps")
        self.decide(cands, "the only plausible reading (every time constant between 1 and 5,000 timesteps)")

    def set_reading(self, reading: "fw.Reading", how: str) -> None:
        self.reading = reading
        self.how = how
        self.dt_ms = float(reading.dt_ms)
        self.dt_source = reading.source
        if reading.framework != fw.GENERIC:
            self.notes.append(f"{reading.convention.title}: {reading.convention.reset}")

    def decide(self, cands: list, why: str) -> None:
        """One reading: use it. Several: use them if their float runs agree, else refuse."""
        uniq = []
        for c in cands:
            if not any(c.framework == u.framework and math.isclose(c.dt_graph, u.dt_graph, rel_tol=1e-9) for u in uniq):
                uniq.append(c)
        if len(uniq) == 1:
            self.set_reading(uniq[0], why)
            return
        previews = [self.preview(c) for c in uniq]
        if all(p["rates"] == previews[0]["rates"] and p["kept"] == previews[0]["kept"] for p in previews):
            self.set_reading(uniq[0], why + f"; the readings {', '.join(c.framework for c in uniq)} give the same "
                                            "run")
            return
        self.refuse(uniq, "the timestep and conventions cannot be known from the graph", previews)

    def preview(self, reading) -> dict:
        """What a reading would do: per-step decays, synapses kept, and a float run's output rates."""
        saved = (getattr(self, "reading", None), getattr(self, "dt_ms", None), list(self.errors))
        self.reading, self.dt_ms = reading, reading.dt_ms
        self._expr_cache = {}
        floats = self.float_layers()
        self.errors[:] = saved[2]
        self.reading, self.dt_ms = saved[0], saved[1]
        rng = np.random.default_rng(self.seed)
        ins = {k: (rng.random((PREVIEW_STEPS, int(np.prod(self.shape[k])))) < 0.1).astype(np.uint8)
               for k, t in self.kind.items() if t == "Input" and k in self.shape}
        outs = {o: src for o, src in self.outputs_of.items()}
        rates = preview_rates(floats, ins, PREVIEW_STEPS, outs) if floats else {}
        kept = dropped = 0
        for L in floats:
            q = quantise_layer(L, self.numeric, self.headroom)
            kept += q.kept
            dropped += q.dropped
        dm = [float(np.median(L.dv)) for L in floats if L.kind not in ("IF", "I", "Threshold")]
        return {"rates": {k: round(v, 6) for k, v in rates.items()}, "kept": kept, "dropped": dropped,
                "decay": (min(dm), max(dm)) if dm else None}

    def refuse(self, cands: list, rule: str, previews: list | None = None) -> None:
        if previews is None:
            previews = [self.preview(c) for c in cands]
        lines = []
        for c, p in zip(cands, previews):
            rate = ", ".join(f"{o}: {100 * r:.2f} %" for o, r in p["rates"].items()) or "no spiking output"
            dec = "" if p["decay"] is None else (f"membrane keeps {1 - p['decay'][1]:.4g}..{1 - p['decay'][0]:.4g} "
                                                 "of itself per step, ")
            lines.append(f"  --from {c.framework:<12} {c.source}: dt = {fw.fmt_step(c.dt_graph)} graph units; "
                         f"{dec}{p['kept']} synapses placed, {p['dropped']} rounded to 0; "
                         f"output spikes per neuron-step (10 % Poisson input): {rate}")
        names = sorted({c.framework for c in cands})
        self.errors.append(ConfigError("network.framework", f"{rule}; NIR has no timestep, and each writer encodes its own. "
                          "Candidate readings of this graph:\n" + "\n".join(lines), None,
                          f"name the framework that exported it: --from {' / --from '.join(names)} "
                          "(framework= in Python); add --dt-ms for the step if it was not the writer's default"))
        self.raise_errors()

    @property
    def dt_s(self) -> float:
        """One timestep in the graph's own time units (what Delay nodes and time constants use)."""
        return self.reading.dt_graph

    # ---- what the chip can run -----------------------------------------------------------
    def check_uses(self) -> None:
        """Readouts only as outputs, outputs fed by one neuron node, no unconnected nodes."""
        self.outputs_of = {}
        for k, t in self.kind.items():
            if t in READOUT:
                bad = [s for s in self.succs[k] if not self._only_to_outputs(s)]
                if bad:
                    self.err(k, f"{t} is non-spiking: its state can only be a graph output (readout), but it feeds "
                                f"{', '.join(bad)}", t,
                             "the chip sends binary spikes only: use LIF/CubaLIF/IF/Threshold for hidden layers")
            if t == "Input" and any(self.kind[s] == "Output" for s in self.succs[k]):
                self.err(k, "an Input feeds an Output directly: nothing would run on the chip", None,
                         "put at least one neuron layer between input and output")
            if t == "Output":
                src = self._output_source(k)
                if src is not None:
                    self.outputs_of[k] = src
            if t not in ("Input",) and t in SUPPORTED_NODES + ("Passthrough",) and not self.preds[k] \
                    and t != "Output":
                self.err(k, "node has no input edge", None, "connect it or remove it")

    def _only_to_outputs(self, k: str) -> bool:
        t = self.kind[k]
        if t == "Output":
            return True
        if t in ("Flatten", "Passthrough"):
            return all(self._only_to_outputs(s) for s in self.succs[k])
        return False

    def _output_source(self, k: str) -> str | None:
        preds = self.preds[k]
        seen = set()
        while len(preds) == 1 and self.kind[preds[0]] in ("Flatten", "Passthrough") and preds[0] not in seen:
            seen.add(preds[0])
            preds = self.preds[preds[0]]
        if len(preds) != 1 or self.kind[preds[0]] not in SPIKING + READOUT:
            got = ", ".join(f"{p} ({self.kind[p]})" for p in preds) or "nothing"
            self.err(k, "an Output must be fed by exactly one neuron node (LIF, CubaLIF, IF, Threshold, or an "
                        f"LI/CubaLI/I readout), possibly through Flatten; it is fed by {got}", None,
                     "end the graph with a spiking layer or an LI readout (the chip has no linear outputs)")
            return None
        return preds[0]

    # ---- expressions ------------------------------------------------------------------
    def expr(self, k: str, stack: tuple = ()) -> Expr:
        """The output of node ``k`` as a linear combination of source-node spikes (+ bias)."""
        if k in self._expr_cache:
            return self._expr_cache[k]
        t = self.kind[k]
        n = int(np.prod(self.shape[k]))
        if t == "Input" or t in SPIKING or t in READOUT:
            e = Expr(n, {(k, 0): identity(n)})
            self._expr_cache[k] = e
            return e
        if k in stack:
            raise _AlgebraicLoop(stack[stack.index(k):] + (k,))
        inp = Expr(int(self.g.in_size(k) or 0))
        first = True
        for p in self.preds[k]:
            pe = self.expr(p, stack + (k,))
            if first:
                inp = Expr(pe.n)
                first = False
            inp.add(pe)
        node = self.nodes[k]
        # a convolution's own input_shape reshapes its (flat, C-order) input; otherwise the
        # predecessor's shape is the input shape
        in_shape = self.own_in_shape.get(k) or (self.shape[self.preds[k][0]] if self.preds[k] else (inp.n,))
        if t == "Affine":
            w = np.asarray(node.weight, np.float64)
            r, c = np.nonzero(w)
            e = inp.through(Map(r, c, w[r, c], w.shape[0], w.shape[1]), np.asarray(node.bias, np.float64).ravel()
                            * np.ones(w.shape[0]))
        elif t == "Linear":
            w = np.asarray(node.weight, np.float64)
            r, c = np.nonzero(w)
            e = inp.through(Map(r, c, w[r, c], w.shape[0], w.shape[1]))
        elif t == "Scale":
            s = np.asarray(node.scale, np.float64)
            try:
                s = np.broadcast_to(s, in_shape).ravel() if s.size != inp.n else s.ravel()
            except ValueError:
                self.err(k, f"scale of shape {s.shape} does not broadcast to the input shape {in_shape}", None,
                         "give one scale per input element, per channel (C,1,1) or a scalar")
                s = np.ones(inp.n)
            idx = np.flatnonzero(s)
            e = inp.through(Map(idx, idx, s[idx], inp.n, inp.n))
        elif t in ("Conv1d", "Conv2d"):
            op, out = conv_op(np.asarray(node.weight, np.float64), in_shape, node.stride, node.padding,
                               node.dilation, node.groups)
            b = np.asarray(node.bias, np.float64).ravel()
            bias = None
            if b.size and np.any(b != 0):
                bias = np.repeat(np.broadcast_to(b, (out[0],)), int(np.prod(out[1:])))
            e = inp.through(op, bias)
        elif t in ("SumPool2d", "AvgPool2d"):
            op, _ = pool_op(node.kernel_size, node.stride, node.padding, in_shape, t == "AvgPool2d")
            e = inp.through(op)
        elif t == "Delay":
            # a delay of k timesteps (per element); the chip holds synaptic delays of 1..64 timesteps
            # (core.delay_slots), and its hop delay is the first of them (docs/nir.md, "Timing")
            d = np.broadcast_to(np.asarray(node.delay, np.float64).ravel(), (inp.n,)) \
                if np.asarray(node.delay).size in (1, inp.n) else np.asarray(node.delay, np.float64).ravel()
            steps = np.rint(d / self.dt_s) if d.size else d
            if d.size != inp.n:
                self.err(k, f"Delay has {d.size} delays for {inp.n} inputs", d.size, "give one delay per element or a scalar")
                e = inp
            elif (d < 0).any() or not np.allclose(steps * self.dt_s, d, rtol=1e-6, atol=1e-12 * self.dt_s):
                self.err(k, f"Delay of {sorted(set(np.round(d, 12).tolist()))[:4]} s is not a whole number of "
                            f"timesteps (dt = {self.dt_s:g} s): the chip delays spikes by whole timesteps",
                         d.tolist()[:4], f"use multiples of dt = {self.dt_s:g} s (or name the step with --dt-ms)")
                e = inp
            elif steps.max(initial=0) > MAX_DELAY_STEPS:
                self.err(k, f"Delay of {float(d.max()):g} s is {int(steps.max())} timesteps (dt = {self.dt_s:g} s), "
                            f"beyond the longest synaptic delay a chip holds ({MAX_DELAY_STEPS} timesteps, "
                            "core.delay_slots)", int(steps.max()),
                         f"shorten the delay to at most {MAX_DELAY_STEPS} timesteps")
                e = inp
            else:
                e = Expr(inp.n)
                for ks in np.unique(steps).astype(int):       # the elements of each delay, as one term each
                    idx = np.flatnonzero(steps == ks)
                    e.add(inp.through(Map(idx, idx, np.ones(idx.size), inp.n, inp.n), delay=int(ks)))
                if inp.bias is not None:
                    e.bias = inp.bias.copy()
        else:  # Flatten, Identity, nested Input/Output, graph Output
            e = inp
        self._expr_cache[k] = e
        return e

    def node_input(self, k: str) -> Expr | None:
        n = int(np.prod(self.shape[k]))
        total = Expr(n)
        for p in self.preds[k]:
            try:
                pe = self.expr(p, (k,))
            except _AlgebraicLoop as loop:
                self.err(k, "the graph has a loop through linear nodes only (no neuron in it)", " -> ".join(loop.path),
                         "every cycle must pass through a neuron node")
                return None
            if pe.n != n:
                self.err(k, f"receives {pe.n} values from '{p}' but has {n} neurons", None,
                         "fix the layer sizes")
                return None
            total.add(pe)
        for (src, d), m in total.terms.items():
            if d > MAX_DELAY_STEPS:
                self.err(k, f"the path from '{src}' is delayed by {d} timesteps (its Delay nodes together), beyond the "
                            f"longest synaptic delay a chip holds ({MAX_DELAY_STEPS} timesteps, core.delay_slots)", d,
                         f"keep every path's delays at most {MAX_DELAY_STEPS} timesteps in total")
        return total

    # ---- inputs -------------------------------------------------------------------------
    def build_inputs(self) -> None:
        used: set[str] = set()
        self.pop_name = {}
        self.input_groups = []
        self.input_channels = {}
        unknown = set(self.inputs_opt) - {k for k, t in self.kind.items() if t == "Input"}
        if unknown:
            self.errors.append(ConfigError("inputs", "names no Input node of the graph", sorted(unknown),
                                           f"use: {', '.join(k for k, t in self.kind.items() if t == 'Input')}"))
        ch = 0
        rate = self.input_rate_hz if self.input_rate_hz is not None else 0.1 / self.dt_s
        for k, t in self.kind.items():
            if t != "Input" or k not in self.shape:
                continue
            gname = _sanitise(k, used)
            self.pop_name[k] = gname
            shape = self.shape[k]
            size = int(np.prod(shape))
            src = self._source(k, self.inputs_opt.get(k), shape, rate)
            self.input_groups.append({"name": gname, "size": size, "source": src})
            self.input_channels[k] = (ch, size)
            ch += size
        self.used_names = used

    def _source(self, k, val, shape, rate) -> dict:
        size = int(np.prod(shape))
        if val is None:
            return {"kind": "poisson", "rate_hz": float(rate)}
        if isinstance(val, dict):
            return dict(val)
        if hasattr(val, "model_dump"):
            return val.model_dump()
        if isinstance(val, (str, os.PathLike)):
            p = Path(os.fspath(val))
            if p.suffix != ".npz":
                self.errors.append(ConfigError(f"inputs.{k}", "a file input must be an .npz with arrays 'steps' and "
                                               "'channels'", str(p), "save it with numpy.savez"))
            return {"kind": "array", "file": str(p.resolve())}
        a = np.asarray(val)
        if a.ndim >= 1 and a.shape[0] >= 0 and int(np.prod(a.shape[1:])) == size:
            steps, chans = np.nonzero(a.reshape(a.shape[0], size))
            return {"kind": "array", "steps": steps.tolist(), "channels": chans.tolist()}
        self.errors.append(ConfigError(f"inputs.{k}", f"a spike array must have shape [steps, {size}] or "
                                       f"[steps, *{tuple(shape)}]", f"shape {a.shape}",
                                       "pass a binary array with one row per timestep"))
        return {"kind": "poisson", "rate_hz": float(rate)}

    # ---- neuron layers -------------------------------------------------------------------
    def _f(self, tau: np.ndarray, k: str, what: str) -> np.ndarray:
        """Per-step decay fraction for time constant ``tau`` (seconds)."""
        tau = np.asarray(tau, np.float64)
        if (tau <= 0).any() or np.isnan(tau).any():
            self.err(k, f"{what} must be positive", float(tau[(tau <= 0) | np.isnan(tau)][0]),
                     "give time constants in seconds > 0")
            return np.zeros_like(tau)
        conv = self.reading.convention
        if conv.name == fw.GENERIC and self.disc == "exp":
            conv = dataclasses.replace(conv, disc="exp")
        x = fw.step_fraction(conv, tau, self.dt_s)
        if conv.disc == "exp":
            return x
        if (x > 1 + 1e-9).any():
            self.err(k, f"{what} = {float(tau.min()):g} is shorter than one timestep ({self.dt_s:g} in the graph's "
                        f"time units, {self.reading.label()}): forward Euler would overshoot (decay factor "
                        "1 - dt/tau < 0)", float(tau.min()),
                     f"check the framework (--from) and the step (--dt-ms); for NIR's own equations use "
                     f"dt_ms <= {1e3 * float(tau.min()):g} or discretisation='exp'")
        return np.minimum(x, 1.0)

    def _param(self, k: str, name: str, n: int, default=None) -> np.ndarray:
        v = getattr(self.nodes[k], name, default)
        if v is None:
            v = default
        a = np.asarray(v, np.float64)
        try:
            return np.broadcast_to(a.reshape(-1) if a.size == n else a, (n,)).astype(np.float64).copy()
        except ValueError:
            self.err(k, f"parameter {name} has shape {a.shape}, which does not fit the layer's {n} neurons", None,
                     "give one value per neuron or a scalar")
            return np.zeros(n)

    def float_layers(self) -> list[FloatLayer]:
        """Discretise every neuron node under the reading (a :class:`FloatLayer` each)."""
        self._expr_cache: dict[str, Expr] = {}
        conv = self.reading.convention
        layers = []
        for k, t in self.kind.items():
            if t not in SPIKING + READOUT or k not in self.shape:
                continue
            n = int(np.prod(self.shape[k]))
            P = lambda name, default=None: self._param(k, name, n, default)  # noqa: E731
            du, dv, gain, leak = fw.neuron_step(conv, t, P, self.dt_s, n, lambda tau, what: self._f(tau, k, what))
            if t in ("LIF", "CubaLIF", "IF"):
                theta, reset = P("v_threshold"), P("v_reset", 0.0)
            elif t == "Threshold":
                theta, reset = P("threshold"), np.zeros(n)
            else:
                theta = reset = None
            inp = self.node_input(k)
            if inp is None:
                continue
            layers.append(FloatLayer(k, t, n, du, dv, gain, leak, theta, reset, inp,
                                     refractory=conv.cuba_refractory if t == "CubaLIF" else 0,
                                     fires_on=conv.fires_on if t != "Threshold" else ">"))
        return layers

    def build_layers(self) -> list[QuantisedLayer]:
        """The float layers of the reading, quantised for the number format."""
        layers = []
        for L in self.float_layers():
            q = quantise_layer(L, self.numeric, self.headroom)
            self.errors.extend(q.problems)
            layers.append(q)
        return layers

    def check_dropped(self, layers: list[QuantisedLayer]) -> None:
        """A projection that rounds to nothing (or loses more than max_dropped_fraction of its
        weight) is an error unless allow_dropped: never drop synapses silently."""
        if self.allow_dropped:
            return
        for L in layers:
            for p in L.projections:
                if not p.dropped:
                    continue
                if not (p.zeroed or p.dropped_weight_fraction > self.max_dropped):
                    continue
                src = "the always-on bias channel" if p.source is None else f"'{p.source}'"
                lsb = (1 << L.w_exp) / L.state_scale
                what = (f"every one of its {p.synapses} synapses" if p.zeroed else
                        f"{p.dropped} of {p.synapses} synapses ({100 * p.dropped_weight_fraction:.2f} % of its "
                        f"weight, more than max_dropped_fraction = {100 * self.max_dropped:g} %)")
                if p.largest_weight < 0.5 * lsb or p.zeroed:
                    fix = (f"its largest effective weight ({p.largest_weight:.3g}) is below half a weight LSB "
                           f"({lsb:.3g} threshold units): the input gain of this reading ({self.reading.label()}) is "
                           "probably wrong - name the source framework (--from) and its step (--dt-ms); or pass "
                           "--allow-dropped-synapses (allow_dropped=True) to run without them")
                else:
                    fix = ("use a chip with more weight bits, or pass --allow-dropped-synapses (allow_dropped=True) "
                           "to accept the loss (it is listed in the report)")
                self.err(L.node, f"the projection from {src} would lose {what}: they round to 0 at this layer's "
                                 "weight scale", f"{p.dropped} dropped", fix)
        self.raise_errors()

    # ---- assemble the spec ----------------------------------------------------------------
    def assemble(self, layers: list[QuantisedLayer]) -> NIRConversion:
        used = self.used_names
        pops, node_gids, gid, pop_ranges = [], {}, 0, {}
        fields = ("du", "dv", "bias", "vth", "v_reset", "refractory", "w_exp")
        for L in layers:
            k, n, params = L.node, L.n, L.params
            base = _sanitise(k, used)
            # consecutive runs of identical fixed-point parameters -> one population each
            change = np.flatnonzero((np.diff(params, axis=0) != 0).any(axis=1)) + 1 if n > 1 else np.zeros(0, int)
            starts = np.concatenate([[0], change]).astype(int)
            ends = np.concatenate([change, [n]]).astype(int)
            ranges = []
            for i, (a, b) in enumerate(zip(starts, ends)):
                pname = base if len(starts) == 1 else _sanitise(f"{base}_{i}", used)
                neuron = {"model": "lif_fixed", **{f: int(params[a, j]) for j, f in enumerate(fields)}}
                pops.append({"name": pname, "size": int(b - a), "neuron": neuron})
                ranges.append((pname, int(a), int(b)))
            pop_ranges[k] = ranges
            node_gids[k] = (gid, n)
            gid += n
        # projections: per (source population, target population, quantised weight)
        projections = []
        inputs = list(self.input_groups)
        bias_name = None

        def src_ranges(src):
            if self.kind[src] == "Input":
                return [(self.pop_name[src], 0, int(np.prod(self.shape[src])))]
            return pop_ranges[src]

        def emit(src_pops, tgt_pops, s_idx, t_idx, q, delay=0):
            keep = q != 0
            s_idx, t_idx, q = s_idx[keep], t_idx[keep], q[keep]
            if not q.size:
                return
            sp = np.searchsorted([a for _, a, _ in src_pops], s_idx, "right") - 1
            tp = np.searchsorted([a for _, a, _ in tgt_pops], t_idx, "right") - 1
            order = np.lexsort((t_idx, s_idx, q, tp, sp))
            s_idx, t_idx, q, sp, tp = s_idx[order], t_idx[order], q[order], sp[order], tp[order]
            key = np.stack([sp, tp, q], axis=1)
            brk = np.flatnonzero((np.diff(key, axis=0) != 0).any(axis=1)) + 1
            for a, b in zip(np.concatenate([[0], brk]), np.concatenate([brk, [q.size]])):
                sname, s0, _ = src_pops[sp[a]]
                tname, t0, _ = tgt_pops[tp[a]]
                pairs = np.stack([s_idx[a:b] - s0, t_idx[a:b] - t0], axis=1).tolist()
                proj = {"source": sname, "target": tname, "connect": {"kind": "explicit", "pairs": pairs},
                        "weight": int(q[a]), "name": f"{sname}->{tname}"}
                if delay > 1:      # a path delayed by k timesteps: a synapse of total delay k (the hop is the first)
                    proj["delay_steps"] = int(delay)
                projections.append(proj)

        for L in layers:
            tgt = pop_ranges[L.node]
            for (src, r, c, q, _), d in zip(L.terms, L.term_delays):
                emit(src_ranges(src), tgt, c, r, q, d)
            if np.any(L.bias_q != 0):
                if bias_name is None:
                    bias_name = _sanitise(BIAS_INPUT, used)
                    inputs.append({"name": bias_name, "size": 1, "source": {"kind": "regular", "period_steps": 1}})
                idx = np.flatnonzero(L.bias_q)
                emit([(bias_name, 0, 1)], tgt, np.zeros(idx.size, np.int64), idx, L.bias_q[idx])
        data = {"name": self.name, "description": f"imported from NIR ({len(layers)} neuron layer(s), "
                                                  f"dt = {self.dt_ms:g} ms)",
                "seed": self.seed, "fixed_point": {"dt_ms": self.dt_ms},
                "populations": pops, "inputs": inputs, "projections": projections}
        if not pops:
            raise ConfigError("network", "the NIR graph has no neuron node (LIF, CubaLIF, IF, LI, CubaLI, I, "
                              "Threshold)", None, "add at least one neuron layer")
        spec = validate_data(NetworkSpec, data, what="network")
        nf = self.numeric
        conv = self.reading.convention
        disc = self.disc if conv.name == fw.GENERIC else conv.disc
        latency, lag_notes = self.latencies(layers)
        report = QuantisationReport(
            dt_ms=self.dt_ms, dt_source=self.dt_source, discretisation=disc, weight_bits=nf.weight_bits,
            state_bits=nf.state_bits, accumulator_bits=nf.accumulator_bits, state_headroom=self.headroom,
            layers=tuple(L.report(tuple(r[0] for r in pop_ranges[L.node])) for L in layers),
            framework=conv.name, reading=self.how, fires_on=conv.fires_on, dt_graph=float(self.reading.dt_graph),
            notes=tuple(self.notes + lag_notes))
        outputs = {}
        lmap = {L.node: L for L in layers}
        for out, src in self.outputs_of.items():
            L = lmap.get(src)
            if L is None:
                continue
            g0, n = node_gids[src]
            outputs[out] = OutputMap(name=out, node=src, kind="spikes" if L.role == "spiking" else "state",
                                     gid_offset=g0, size=n, shape=tuple(self.shape[src]), state_scale=L.state_scale)
        return NIRConversion(spec=spec, report=report, outputs=outputs, node_gids=node_gids,
                             input_channels=self.input_channels, dt_ms=self.dt_ms, state_bits=nf.state_bits,
                             base_dir=self.base_dir, latency=latency)

    def latencies(self, layers) -> tuple[dict, list[str]]:
        """Per output, how many timesteps later the chip answers than the writer's own simulation:
        one per hop (docs/nir.md, "Timing") less the writer's own per-layer delay (Spyx: 1)."""
        per_layer = 1 - self.reading.convention.internal_delay
        names = {L.node for L in layers}
        depth = {k: 0 for k, t in self.kind.items() if t == "Input"}
        frontier = list(depth)
        while frontier:                       # shortest number of neuron layers from an input (BFS)
            nxt = []
            for k in frontier:
                for s_ in self.succs[k]:
                    if s_ not in depth:
                        depth[s_] = depth[k] + (1 if s_ in names else 0)
                        nxt.append(s_)
            frontier = nxt
        latency, notes = {}, []
        for out, src in self.outputs_of.items():
            latency[out] = per_layer * depth.get(src, 0)
            preds = [p_ for p_ in self.preds[src] if p_ in depth]
            if len({depth[p_] for p_ in preds if depth[p_] < depth[src]}) > 1 and per_layer:
                notes.append(f"output '{out}' is fed over paths of different depth: the chip delays every hop by "
                             "one timestep, so one shift cannot align every path with the writer's own run")
        return latency, notes


class _AlgebraicLoop(Exception):
    def __init__(self, path):
        self.path = path
