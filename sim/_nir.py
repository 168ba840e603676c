"""Import spiking networks from NIR (the Neuromorphic Intermediate Representation, PyPI ``nir``).

NIR graphs hold continuous-time float parameters with no timestep and no quantisation. The
importer discretises them at a timestep ``dt`` (forward Euler by default, the convention of
snnTorch and Norse exports), maps every neuron node to the chip's fixed-point CUBA LIF
(docs/microarchitecture.md §7), collapses chains of linear nodes (Affine, Linear, Scale,
Flatten, Conv, pooling, one-timestep Delay) into explicit synapses, and quantises weights per
target layer with a scale that uses the weight exponent and the threshold, so the
dynamics are preserved. docs/nir.md explains every choice and the error budget.

    conv = convert_nir("model.nir", chip="default-4x4")
    print(conv.report)                        # per-layer quantisation error
    run = simulate("default-4x4", conv.spec, steps=200, backend="reference")
    conv.output_spike_counts(run)             # {output name: spikes per output neuron}
    conv.readout(run)                         # {output name: LI/CubaLI state traces}
"""
from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from neurocycle.hw import DECAY_ONE, W_EXP_MAX, ChipConfig, ConfigError, ConfigErrors, lif_step, load_chip
from neurocycle.hw import validate_data

from ._network import NetworkSpec

__all__ = ["import_nir", "convert_nir", "NIRConversion", "QuantisationReport", "LayerQuantisation",
           "OutputMap", "SUPPORTED_NODES"]

DISCRETISATIONS = ("euler", "exp")
DEFAULT_DT_MS = 1.0
DEFAULT_STATE_HEADROOM = 8.0
BIAS_INPUT = "nir_bias"

_SPIKING = ("LIF", "CubaLIF", "IF", "Threshold")
_READOUT = ("LI", "CubaLI", "I")
_LINEAR = ("Affine", "Linear", "Scale", "Flatten", "Conv1d", "Conv2d", "SumPool2d", "AvgPool2d", "Delay",
           "Identity")
SUPPORTED_NODES = ("Input", "Output") + _SPIKING + _READOUT + _LINEAR + ("NIRGraph",)


# ----------------------------------------------------------------------------- report
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

    def to_dict(self) -> dict:
        return {k: (list(v) if isinstance(v, tuple) else v) for k, v in self.__dict__.items()}


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

    def layer(self, node: str) -> LayerQuantisation:
        for lq in self.layers:
            if lq.node == node:
                return lq
        raise KeyError(f"no layer for NIR node {node!r}; layers: {[lq.node for lq in self.layers]}")

    @property
    def worst_weight_rms_rel_error(self) -> float:
        return max((lq.weight_rms_rel_error for lq in self.layers), default=0.0)

    def to_dict(self) -> dict:
        d = {k: v for k, v in self.__dict__.items() if k != "layers"}
        d["layers"] = [lq.to_dict() for lq in self.layers]
        return d

    def table(self) -> str:
        head = (f"NIR import: dt = {self.dt_ms:g} ms ({self.dt_source}), {self.discretisation} discretisation, "
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

    def output_spike_counts(self, run, name: str | None = None) -> dict[str, np.ndarray]:
        """Spike count per output neuron over the whole run, per spiking output."""
        return {k: np.bincount(ids, minlength=self.outputs[k].size)
                for k, (_, ids) in self.output_spikes(run, name).items() if self.outputs[k].kind == "spikes"}

    def readout(self, run, name: str | None = None, *, units: str = "nir") -> dict[str, np.ndarray]:
        """Membrane state of each readout output, shape ``[steps, size]``.

        Backends record spikes, not state, so the state of the readout neurons is recomputed
        bit-exactly from the run's recorded spikes and stimulus with the chip's neuron
        function (``neurocycle.hw.lif_step``): the numbers the chip's state memory holds.
        ``units="nir"`` divides by the layer scale (NIR voltage); ``"chip"`` gives raw integers.
        """
        if units not in ("nir", "chip"):
            raise ConfigError("units", "must be 'nir' or 'chip'", units, "pick one of them")
        out = {}
        for om in self._out(name):
            _, v, _ = _state_trace(run, om.gid_offset, om.size)
            out[om.name] = v if units == "chip" else v / om.state_scale
        return out

    def readout_saturated(self, run, name: str | None = None) -> dict[str, bool]:
        """True where a readout's state hit the rail of the chip's state bits at any step."""
        lim = (1 << (self.state_bits - 1)) - 1
        return {k: bool((np.abs(v) >= lim).any()) for k, v in self.readout(run, name, units="chip").items()}

    def state(self, run, node: str, *, units: str = "nir") -> tuple[np.ndarray, np.ndarray]:
        """``(u, v)`` of every neuron of a NIR neuron node after every timestep, ``[steps, size]``,
        recomputed bit-exactly from the run's spikes (see :meth:`readout`). ``u`` is in the units
        of its contribution to ``v`` per step."""
        if node not in self.node_gids:
            raise ConfigError("node", "is not a neuron node of the imported graph", node,
                              f"use one of: {', '.join(self.node_gids)}")
        g0, n = self.node_gids[node]
        u, v, _ = _state_trace(run, g0, n)
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
        out = {}
        for node, (g0, n) in self.node_gids.items():
            u, v, _ = _state_trace(run, g0, n)
            out[node] = float(((np.abs(u) >= lim) | (np.abs(v) >= lim)).mean()) if u.size else 0.0
        return out


# ----------------------------------------------------------------------------- sparse maps
@dataclass
class _Map:
    """Sparse linear map, COO: out[rows] += vals * in[cols]."""
    rows: np.ndarray
    cols: np.ndarray
    vals: np.ndarray
    n_out: int
    n_in: int


def _coalesce(rows, cols, vals, n_out, n_in) -> _Map:
    if rows.size == 0:
        z = np.zeros(0, np.int64)
        return _Map(z, z, np.zeros(0), n_out, n_in)
    key = rows.astype(np.int64) * n_in + cols
    uk, inv = np.unique(key, return_inverse=True)
    v = np.bincount(inv.ravel(), weights=vals, minlength=uk.size)
    keep = v != 0
    uk, v = uk[keep], v[keep]
    return _Map(uk // n_in, uk % n_in, v, n_out, n_in)


def _identity(n: int) -> _Map:
    a = np.arange(n, dtype=np.int64)
    return _Map(a, a, np.ones(n), n, n)


def _compose(op: _Map, m: _Map) -> _Map:
    """op @ m (apply m first)."""
    order = np.argsort(op.cols, kind="stable")
    oc, orow, ov = op.cols[order], op.rows[order], op.vals[order]
    start = np.searchsorted(oc, m.rows, "left")
    cnt = np.searchsorted(oc, m.rows, "right") - start
    rep = np.repeat(np.arange(m.rows.size), cnt)
    idx = np.repeat(start, cnt) + (np.arange(rep.size) - np.repeat(np.cumsum(cnt) - cnt, cnt))
    return _coalesce(orow[idx], m.cols[rep], ov[idx] * m.vals[rep], op.n_out, m.n_in)


def _apply(op: _Map, x: np.ndarray) -> np.ndarray:
    return np.bincount(op.rows, weights=op.vals * x[op.cols], minlength=op.n_out)


@dataclass
class _Expr:
    """A node's output as Σ_src map_src(spikes of src) + bias; ``delay`` counts Delay nodes."""
    n: int
    terms: dict[tuple[str, int], _Map] = field(default_factory=dict)   # (source node, delays) -> map
    bias: np.ndarray | None = None

    def add(self, other: "_Expr") -> None:
        for k, m in other.terms.items():
            if k in self.terms:
                a = self.terms[k]
                self.terms[k] = _coalesce(np.concatenate([a.rows, m.rows]), np.concatenate([a.cols, m.cols]),
                                          np.concatenate([a.vals, m.vals]), a.n_out, a.n_in)
            else:
                self.terms[k] = m
        if other.bias is not None:
            self.bias = other.bias.copy() if self.bias is None else self.bias + other.bias

    def through(self, op: _Map, bias: np.ndarray | None = None, delay: int = 0) -> "_Expr":
        out = _Expr(op.n_out)
        for (src, d), m in self.terms.items():
            out.terms[(src, d + delay)] = _compose(op, m)
        if self.bias is not None:
            out.bias = _apply(op, self.bias)
        if bias is not None:
            out.bias = bias.astype(np.float64) if out.bias is None else out.bias + bias
        return out


# ----------------------------------------------------------------------------- linear ops
def _tuple(x, nd: int, what: str) -> tuple[int, ...]:
    a = np.atleast_1d(np.asarray(x)).astype(np.int64).ravel()
    if a.size == 1:
        a = np.repeat(a, nd)
    if a.size != nd:
        raise ValueError(f"{what} has {a.size} entries for {nd} spatial dimension(s)")
    return tuple(int(v) for v in a)


def _conv_op(weight: np.ndarray, in_shape: tuple[int, ...], stride, padding, dilation, groups: int):
    """Expand an N-d convolution (PyTorch semantics, cross-correlation) into a sparse map."""
    nd = weight.ndim - 2
    if len(in_shape) != nd + 1:
        raise ValueError(f"input shape {in_shape} is not (channels, {nd} spatial dims)")
    c_in, sp_in = in_shape[0], in_shape[1:]
    c_out, cin_g, ks = weight.shape[0], weight.shape[1], weight.shape[2:]
    groups = int(groups)
    if groups < 1 or c_in != cin_g * groups or c_out % groups:
        raise ValueError(f"channels do not match: input has {c_in}, weight expects {cin_g} x groups={groups}, "
                         f"output {c_out}")
    stride, dilation = _tuple(stride, nd, "stride"), _tuple(dilation, nd, "dilation")
    if isinstance(padding, bytes):
        padding = padding.decode()
    if isinstance(padding, np.ndarray) and padding.dtype.kind in "SUO":
        padding = str(padding.item() if padding.ndim == 0 else padding[0])
        padding = padding.decode() if isinstance(padding, bytes) else padding
    same = isinstance(padding, str) and padding == "same"
    if isinstance(padding, str):
        if padding == "valid":
            lo = hi = (0,) * nd
        elif padding == "same":
            tot = [dilation[d] * (ks[d] - 1) for d in range(nd)]
            lo = tuple(t // 2 for t in tot)
            hi = tuple(t - t // 2 for t in tot)
        else:
            raise ValueError(f"padding {padding!r} is not 'same', 'valid' or a number")
    else:
        lo = hi = _tuple(padding, nd, "padding")
    sp_out = tuple((sp_in[d] + lo[d] + hi[d] - dilation[d] * (ks[d] - 1) - 1) // stride[d] + 1 for d in range(nd))
    if min(sp_out) < 1:
        raise ValueError(f"the kernel {ks} does not fit the input {sp_in} (output would be {sp_out})")
    if same:
        sp_out = tuple(sp_in)
    n_sp_in, n_sp_out = int(np.prod(sp_in)), int(np.prod(sp_out))
    cout_g = c_out // groups
    co, cil = np.meshgrid(np.arange(c_out), np.arange(cin_g), indexing="ij")
    co, cil = co.ravel(), cil.ravel()
    ci = (co // cout_g) * cin_g + cil
    ocoords = [g.ravel() for g in np.meshgrid(*[np.arange(n) for n in sp_out], indexing="ij")]
    o_flat = np.arange(n_sp_out)
    rows, cols, vals = [], [], []
    for kidx in np.ndindex(*ks):
        w = weight[(co, cil) + tuple(np.full(co.size, k) for k in kidx)].astype(np.float64)
        nzw = w != 0
        if not nzw.any():
            continue
        icoords = [ocoords[d] * stride[d] - lo[d] + kidx[d] * dilation[d] for d in range(nd)]
        valid = np.ones(n_sp_out, bool)
        for d in range(nd):
            valid &= (icoords[d] >= 0) & (icoords[d] < sp_in[d])
        if not valid.any():
            continue
        i_sp = np.ravel_multi_index(tuple(c[valid] for c in icoords), sp_in)
        o_sp = o_flat[valid]
        a_co, a_ci, a_w = co[nzw], ci[nzw], w[nzw]
        rows.append((a_co[:, None] * n_sp_out + o_sp[None, :]).ravel())
        cols.append((a_ci[:, None] * n_sp_in + i_sp[None, :]).ravel())
        vals.append(np.repeat(a_w, o_sp.size))
    cat = (lambda xs, dt: np.concatenate(xs) if xs else np.zeros(0, dt))
    op = _coalesce(cat(rows, np.int64), cat(cols, np.int64), cat(vals, np.float64), c_out * n_sp_out,
                   c_in * n_sp_in)
    return op, (c_out,) + tuple(sp_out)


def _pool_op(kernel, stride, padding, in_shape: tuple[int, ...], average: bool):
    if len(in_shape) != 3:
        raise ValueError(f"2d pooling needs a (channels, height, width) input, got shape {in_shape}")
    ks = _tuple(kernel, 2, "kernel_size")
    st = _tuple(stride, 2, "stride") if stride is not None and np.asarray(stride).size else ks
    c = in_shape[0]
    w = np.full((c, 1) + ks, 1.0 / (ks[0] * ks[1]) if average else 1.0)
    # count_include_pad semantics (PyTorch default): always divide by the kernel area
    return _conv_op(w, in_shape, st, padding, 1, c)


# ----------------------------------------------------------------------------- helpers
_NAME_OK = re.compile(r"^[A-Za-z_][A-Za-z0-9_\-]*$")


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


def _shape_of(x) -> tuple[int, ...] | None:
    if x is None:
        return None
    a = np.asarray(x)
    if a.dtype == object:
        return None
    try:
        return tuple(int(v) for v in np.atleast_1d(a).ravel())
    except (TypeError, ValueError):
        return None


def _type_name(node) -> str:
    return type(node).__name__


def _flatten_graph(graph, prefix: str = "") -> tuple[dict, list, list[ConfigError]]:
    """Inline nested NIRGraphs: their nodes become 'sub.name'; their Input/Output nodes pass through."""
    import nir

    nodes, edges, errors = {}, [], []
    entry, exit_ = {}, {}
    for name, node in graph.nodes.items():
        full = f"{prefix}{name}"
        if isinstance(node, nir.NIRGraph):
            sub_nodes, sub_edges, sub_err = _flatten_graph(node, full + ".")
            errors += sub_err
            ins = [k for k, n in node.nodes.items() if isinstance(n, nir.Input)]
            outs = [k for k, n in node.nodes.items() if isinstance(n, nir.Output)]
            for k in ins:
                sub_nodes[f"{full}.{k}"] = ("passthrough", node.nodes[k])
            for k in outs:
                sub_nodes[f"{full}.{k}"] = ("passthrough", node.nodes[k])
            nodes.update(sub_nodes)
            edges += sub_edges
            entry[full] = [f"{full}.{k}" for k in ins]
            exit_[full] = [f"{full}.{k}" for k in outs]
        else:
            nodes[full] = ("node", node)
    for a, b in graph.edges:
        a, b = f"{prefix}{a}", f"{prefix}{b}"
        srcs = exit_.get(a, [a]) if a not in nodes else [a]
        dsts = entry.get(b, [b]) if b not in nodes else [b]
        if len(srcs) != 1 or len(dsts) != 1:
            bad = a if len(srcs) != 1 else b
            errors.append(ConfigError(f"nir.nodes.{bad}", "a nested graph used as one node must have exactly one "
                                      "Input and one Output", f"{len(srcs)} output(s), {len(dsts)} input(s)",
                                      "connect to its inner nodes by name ('sub.node') or split the subgraph"))
            continue
        edges.append((srcs[0], dsts[0]))
    return nodes, edges, errors


def _load_graph(source):
    try:
        import nir
    except ImportError:  # pragma: no cover - nir is a declared extra
        raise ConfigError("network", "importing NIR graphs needs the 'nir' package", None,
                          "pip install 'neurocycle[nir]'") from None
    if isinstance(source, nir.NIRGraph):
        return source, "nir-graph", Path(".")
    if isinstance(source, (str, os.PathLike)):
        path = Path(os.fspath(source))
        if not path.is_file():
            raise ConfigError("network", "NIR file does not exist", str(path), "check the path to the .nir file")
        try:
            g = nir.read(str(path))
        except Exception as exc:  # noqa: BLE001 - any unreadable file gets one clear error
            raise ConfigError("network", f"cannot be read as a NIR graph ({type(exc).__name__}: {exc})",
                              str(path), "write it with nir.write(path, graph) (NIR >= 1.0)") from None
        return g, path.stem, path.parent
    raise ConfigError("network", "is not a NIR graph or a path to a .nir file", type(source).__name__,
                      "pass a nir.NIRGraph or the path of a file written by nir.write")


# ----------------------------------------------------------------------------- conversion
def import_nir(source, **options) -> NetworkSpec:
    """Import a NIR graph (a ``nir.NIRGraph`` or a ``.nir`` path) as a :class:`NetworkSpec`.

    Takes the options of :func:`convert_nir`; use that to also get the quantisation report and
    the output mapping.
    """
    return convert_nir(source, **options).spec


def convert_nir(source, *, chip: "str | os.PathLike | ChipConfig | dict | None" = None,
                dt_ms: float | None = None, discretisation: str = "euler",
                weight_bits: int | None = None, state_bits: int | None = None,
                accumulator_bits: int | None = None, state_headroom: float = DEFAULT_STATE_HEADROOM,
                inputs: dict | None = None, input_rate_hz: float | None = None,
                name: str | None = None, seed: int = 0) -> NIRConversion:
    """Convert a NIR graph to a chip-independent network in the chip's fixed-point units.

    - ``chip``: the chip whose bit widths (weight, state, accumulator) set the quantisation
      (default: the default chip preset); ``weight_bits``/``state_bits``/``accumulator_bits``
      override single widths.
    - ``dt_ms``: the timestep. Default: the graph's ``metadata['dt']`` (seconds) if present,
      else the exporter's timestep when every neuron node encodes one (snnTorch writes
      ``r = tau / dt``), else 1 ms.
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
    graph, stem, base_dir = _load_graph(source)
    if discretisation not in DISCRETISATIONS:
        raise ConfigError("discretisation", f"must be one of {', '.join(DISCRETISATIONS)}", discretisation,
                          "use 'euler' (what snnTorch/Norse simulate) or 'exp'")
    if not (isinstance(state_headroom, (int, float)) and state_headroom >= 1):
        raise ConfigError("state_headroom", "must be a number >= 1", state_headroom, "use e.g. 8")
    chip_cfg = load_chip(chip)
    wb = chip_cfg.bits.weight if weight_bits is None else int(weight_bits)
    sb = chip_cfg.bits.state if state_bits is None else int(state_bits)
    ab = chip_cfg.bits.accumulator if accumulator_bits is None else int(accumulator_bits)
    for fld, v, lo, hi in (("weight_bits", wb, 2, 16), ("state_bits", sb, 4, 32), ("accumulator_bits", ab, 4, 32)):
        if not lo <= v <= hi:
            raise ConfigError(fld, f"must be in {lo}..{hi}", v, "use the chip's bit widths")
    return _Converter(graph, stem if name is None else name, base_dir, dt_ms, discretisation, wb, sb, ab,
                      float(state_headroom), inputs or {}, input_rate_hz, seed).run()


class _Converter:
    def __init__(self, graph, name, base_dir, dt_ms, disc, wb, sb, ab, headroom, inputs, input_rate_hz, seed):
        self.graph, self.name, self.base_dir = graph, name, base_dir
        self.dt_ms_opt, self.disc = dt_ms, disc
        self.wb, self.sb, self.ab, self.headroom = wb, sb, ab, headroom
        self.inputs_opt, self.input_rate_hz, self.seed = inputs, input_rate_hz, seed
        self.errors: list[ConfigError] = []
        self.w_max = (1 << (wb - 1)) - 1
        self.state_max = (1 << (sb - 1)) - 1
        self.acc_max = (1 << (ab - 1)) - 1

    def err(self, node: str, rule: str, value=None, fix: str = "") -> None:
        self.errors.append(ConfigError(f"nir.nodes.{node}", rule, value, fix))

    def raise_errors(self) -> None:
        if self.errors:
            errs, self.errors = self.errors, []
            raise ConfigErrors(errs)

    # ---- graph ----------------------------------------------------------------------
    def run(self) -> NIRConversion:
        nodes, edges, errs = _flatten_graph(self.graph)
        self.errors += errs
        self.nodes = {k: v[1] for k, v in nodes.items()}
        self.kind = {}
        for k, (tag, node) in nodes.items():
            t = "Passthrough" if tag == "passthrough" else _type_name(node)
            if t not in SUPPORTED_NODES + ("Passthrough",):
                self.err(k, f"node type {t} is not supported by the importer", t,
                         f"use supported node types: {', '.join(SUPPORTED_NODES)}")
            self.kind[k] = t
        self.preds = {k: [] for k in self.nodes}
        self.succs = {k: [] for k in self.nodes}
        for a, b in edges:
            if a not in self.nodes or b not in self.nodes:
                self.errors.append(ConfigError("nir.edges", "edge refers to a node that does not exist",
                                               f"{a} -> {b}", "fix the graph's edge list"))
                continue
            self.preds[b].append(a)
            self.succs[a].append(b)
        self.raise_errors()
        self.choose_dt()
        self.infer_shapes()
        self.raise_errors()
        self.check_uses()          # its problems are reported together with the layers' below
        self.build_inputs()
        layers = self.build_layers()
        self.raise_errors()
        return self.assemble(layers)

    def choose_dt(self) -> None:
        if self.dt_ms_opt is not None:
            if not (isinstance(self.dt_ms_opt, (int, float)) and math.isfinite(self.dt_ms_opt) and self.dt_ms_opt > 0):
                raise ConfigError("dt_ms", "must be a positive number of milliseconds", self.dt_ms_opt,
                                  "give the timestep, e.g. dt_ms=1.0")
            self.dt_ms, self.dt_source = float(self.dt_ms_opt), "given"
            return
        meta = getattr(self.graph, "metadata", None) or {}
        md = meta.get("dt") if isinstance(meta, dict) else None
        try:
            md = float(np.asarray(md).item()) if md is not None else None
        except (TypeError, ValueError):
            md = None
        if md is not None and md > 0 and math.isfinite(md):
            self.dt_ms, self.dt_source = md * 1e3, "graph metadata 'dt'"
            return
        cands = []
        for k, node in self.nodes.items():
            t = self.kind[k]
            pairs = []
            if t in ("LIF", "LI"):
                pairs.append((node.tau, node.r))
            elif t in ("CubaLIF", "CubaLI"):
                pairs.append((node.tau_mem, node.r))
                if not np.allclose(np.asarray(node.w_in, float), 1.0):
                    pairs.append((node.tau_syn, node.w_in))
            for tau, r in pairs:
                tau, r = np.asarray(tau, float).ravel(), np.asarray(r, float).ravel()
                bad = (r <= 0).any() or (tau <= 0).any() or not np.isfinite(tau).all()
                if r.size == 0 or np.allclose(r, 1.0) or bad:    # r = 1 (Norse) encodes no dt
                    cands = None
                    break
                cands.append(np.broadcast_to(tau / r, np.broadcast_shapes(tau.shape, r.shape)))
            if cands is None:
                break
        if cands:
            c = np.concatenate([np.ravel(x) for x in cands])
            if np.allclose(c, c[0], rtol=1e-6) and c[0] > 0:
                self.dt_ms, self.dt_source = float(c[0]) * 1e3, "inferred from r = tau/dt (snnTorch convention)"
                return
        self.dt_ms, self.dt_source = DEFAULT_DT_MS, "default"

    @property
    def dt_s(self) -> float:
        return self.dt_ms / 1e3

    def infer_shapes(self) -> None:
        """Output shape of every node, from its own parameters or its inputs (C order)."""
        shape: dict[str, tuple[int, ...] | None] = {}
        own = {}
        for k, node in self.nodes.items():
            t = self.kind[k]
            s = None
            if t == "Input":
                s = _shape_of(node.input_type.get("input"))
            elif t in ("Affine", "Linear"):
                w = np.asarray(node.weight)
                if w.ndim != 2:
                    self.err(k, f"{t} weight must be a 2-d (out, in) matrix", f"shape {w.shape}",
                             "flatten batched weights into one matrix")
                    continue
                s = (w.shape[0],)
            elif t in ("LIF", "CubaLIF", "IF", "LI", "CubaLI", "I", "Threshold", "Scale", "Delay"):
                attr = {"LIF": "tau", "CubaLIF": "tau_mem", "IF": "r", "LI": "tau", "CubaLI": "tau_mem", "I": "r",
                        "Threshold": "threshold", "Scale": "scale", "Delay": "delay"}[t]
                a = np.asarray(getattr(node, attr))
                if a.size > 1:
                    s = tuple(a.shape)
            elif t in ("Conv1d", "Conv2d"):
                ins = getattr(node, "input_shape", None)
                if ins is not None and np.asarray(ins).size:
                    w = np.asarray(node.weight)
                    in_shape = (w.shape[1] * int(node.groups),) + _tuple(ins, w.ndim - 2, "input_shape")
                    own[k] = in_shape
            own.setdefault(k, None)
            shape[k] = s
        # propagate: pass-through-shaped nodes take their inputs' shape
        for _ in range(len(self.nodes) + 1):
            changed = False
            for k in self.nodes:
                if shape.get(k) is not None:
                    continue
                t = self.kind[k]
                ins = [shape[p] for p in self.preds[k] if shape.get(p) is not None]
                in_shape = own.get(k) or (ins[0] if ins else None)
                if in_shape is None:
                    continue
                try:
                    s = self.out_shape(k, t, in_shape)
                except ValueError as exc:
                    self.err(k, f"cannot use this {t}: {exc}", None, "check the layer's parameters and input shape")
                    shape[k] = ()
                    changed = True
                    continue
                shape[k] = s
                changed = True
            if not changed:
                break
        self.own_in_shape = {k: v for k, v in own.items() if v is not None}
        self.shape = {}
        for k in self.nodes:
            s = shape.get(k)
            if s is None:
                if self.kind[k] != "Input" or self.succs[k]:
                    self.err(k, "cannot determine the shape of this node", None,
                             "give Input nodes a shape and connect every node to an input")
                continue
            self.shape[k] = s
        # sizes must agree along every edge
        for k in self.nodes:
            if k not in self.shape:
                continue
            need = self.in_size(k)
            for p in self.preds[k]:
                if p in self.shape and need is not None and int(np.prod(self.shape[p])) != need:
                    self.err(k, f"input size mismatch: '{p}' gives {int(np.prod(self.shape[p]))} values, this "
                                f"node takes {need}", f"{self.shape[p]} -> {self.kind[k]}",
                             "fix the layer sizes so every edge carries the same number of values")

    def out_shape(self, k: str, t: str, in_shape: tuple[int, ...]) -> tuple[int, ...]:
        node = self.nodes[k]
        if t in ("Conv1d", "Conv2d"):
            w = np.asarray(node.weight)
            if w.ndim - 2 != (1 if t == "Conv1d" else 2):
                raise ValueError(f"weight shape {w.shape} does not match {t}")
            _, out = _conv_op(w, in_shape, node.stride, node.padding, node.dilation, node.groups)
            return out
        if t in ("SumPool2d", "AvgPool2d"):
            _, out = _pool_op(node.kernel_size, node.stride, node.padding, in_shape, t == "AvgPool2d")
            return out
        if t == "Flatten":
            n = int(np.prod(in_shape))
            ot = _shape_of((node.output_type or {}).get("output"))
            if ot is not None and int(np.prod(ot)) == n:
                return ot
            return (n,)
        return tuple(in_shape)   # neurons with scalar parameters, Scale/Delay scalars, passthrough, Output

    def in_size(self, k: str) -> int | None:
        t, node = self.kind[k], self.nodes[k]
        if t in ("Affine", "Linear"):
            return int(np.asarray(node.weight).shape[1])
        if k in getattr(self, "own_in_shape", {}):
            return int(np.prod(self.own_in_shape[k]))
        if t in ("Conv1d", "Conv2d", "SumPool2d", "AvgPool2d", "Flatten", "Passthrough", "Output"):
            return None
        if k in self.shape:
            return int(np.prod(self.shape[k])) if t != "Input" else None
        return None

    def check_uses(self) -> None:
        self.outputs_of = {}
        for k, t in self.kind.items():
            if t in _READOUT:
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
        if len(preds) != 1 or self.kind[preds[0]] not in _SPIKING + _READOUT:
            got = ", ".join(f"{p} ({self.kind[p]})" for p in preds) or "nothing"
            self.err(k, "an Output must be fed by exactly one neuron node (LIF, CubaLIF, IF, Threshold, or an "
                        f"LI/CubaLI/I readout), possibly through Flatten; it is fed by {got}", None,
                     "end the graph with a spiking layer or an LI readout (the chip has no linear outputs)")
            return None
        return preds[0]

    # ---- expressions ------------------------------------------------------------------
    def expr(self, k: str, stack: tuple = ()) -> _Expr:
        """The output of node ``k`` as a linear combination of source-node spikes (+ bias)."""
        if k in self._expr_cache:
            return self._expr_cache[k]
        t = self.kind[k]
        n = int(np.prod(self.shape[k]))
        if t == "Input" or t in _SPIKING or t in _READOUT:
            e = _Expr(n, {(k, 0): _identity(n)})
            self._expr_cache[k] = e
            return e
        if k in stack:
            raise _AlgebraicLoop(stack[stack.index(k):] + (k,))
        inp = _Expr(int(self.in_size(k) or 0))
        first = True
        for p in self.preds[k]:
            pe = self.expr(p, stack + (k,))
            if first:
                inp = _Expr(pe.n)
                first = False
            inp.add(pe)
        node = self.nodes[k]
        # a convolution's own input_shape reshapes its (flat, C-order) input; otherwise the
        # predecessor's shape is the input shape
        in_shape = self.own_in_shape.get(k) or (self.shape[self.preds[k][0]] if self.preds[k] else (inp.n,))
        if t == "Affine":
            w = np.asarray(node.weight, np.float64)
            r, c = np.nonzero(w)
            e = inp.through(_Map(r, c, w[r, c], w.shape[0], w.shape[1]), np.asarray(node.bias, np.float64).ravel()
                            * np.ones(w.shape[0]))
        elif t == "Linear":
            w = np.asarray(node.weight, np.float64)
            r, c = np.nonzero(w)
            e = inp.through(_Map(r, c, w[r, c], w.shape[0], w.shape[1]))
        elif t == "Scale":
            s = np.asarray(node.scale, np.float64)
            try:
                s = np.broadcast_to(s, in_shape).ravel() if s.size != inp.n else s.ravel()
            except ValueError:
                self.err(k, f"scale of shape {s.shape} does not broadcast to the input shape {in_shape}", None,
                         "give one scale per input element, per channel (C,1,1) or a scalar")
                s = np.ones(inp.n)
            idx = np.flatnonzero(s)
            e = inp.through(_Map(idx, idx, s[idx], inp.n, inp.n))
        elif t in ("Conv1d", "Conv2d"):
            op, out = _conv_op(np.asarray(node.weight, np.float64), in_shape, node.stride, node.padding,
                               node.dilation, node.groups)
            b = np.asarray(node.bias, np.float64).ravel()
            bias = None
            if b.size and np.any(b != 0):
                bias = np.repeat(np.broadcast_to(b, (out[0],)), int(np.prod(out[1:])))
            e = inp.through(op, bias)
        elif t in ("SumPool2d", "AvgPool2d"):
            op, _ = _pool_op(node.kernel_size, node.stride, node.padding, in_shape, t == "AvgPool2d")
            e = inp.through(op)
        elif t == "Delay":
            d = np.asarray(node.delay, np.float64).ravel()
            if d.size == 0 or not np.allclose(d, self.dt_s, rtol=1e-6, atol=0):
                self.err(k, f"Delay of {sorted(set(np.round(d, 12).tolist()))[:4]} s is not supported: the chip "
                            f"(v1) has no programmable delays, only the one-timestep delay of every synaptic hop "
                            f"(dt = {self.dt_s:g} s)", d.tolist()[:4],
                         "remove the Delay, or use delay == dt (that delay is the hop delay the chip applies)")
            e = inp.through(_identity(inp.n), delay=1)
        else:  # Flatten, Identity, nested Input/Output, graph Output
            e = inp
        self._expr_cache[k] = e
        return e

    def node_input(self, k: str) -> _Expr | None:
        n = int(np.prod(self.shape[k]))
        total = _Expr(n)
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
            if d > 1:
                self.err(k, f"the path from '{src}' passes {d} Delay nodes ({d} timesteps); the chip delays every "
                            "hop by exactly one timestep", d, "use at most one one-timestep Delay per path")
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
        x = self.dt_s / tau
        if self.disc == "exp":
            return -np.expm1(-x)
        if (x > 1 + 1e-9).any():
            self.err(k, f"{what} = {float(tau.min()):g} s is shorter than dt = {self.dt_s:g} s: forward Euler "
                        "would overshoot (decay factor 1 - dt/tau < 0)", float(tau.min()),
                     f"use dt_ms <= {1e3 * float(tau.min()):g}, or discretisation='exp'")
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

    def build_layers(self) -> list:
        self._expr_cache: dict[str, _Expr] = {}
        layers = []
        for k, t in self.kind.items():
            if t not in _SPIKING + _READOUT or k not in self.shape:
                continue
            n = int(np.prod(self.shape[k]))
            P = lambda name, default=None: self._param(k, name, n, default)  # noqa: E731
            one = np.ones(n)
            if t in ("LIF", "LI"):
                fm = self._f(P("tau"), k, "tau")
                du, dv = one, fm            # du -> 4095: the input current lasts one step
                gain, leak = fm * P("r"), fm * P("v_leak")
            elif t in ("CubaLIF", "CubaLI"):
                fs, fm = self._f(P("tau_syn"), k, "tau_syn"), self._f(P("tau_mem"), k, "tau_mem")
                du, dv = fs, fm
                gain, leak = fm * P("r") * fs * P("w_in", 1.0), fm * P("v_leak")
            elif t in ("IF", "I"):
                du, dv = one, np.zeros(n)
                gain, leak = self.dt_s * P("r"), np.zeros(n)
            else:  # Threshold: memoryless comparator
                du, dv = one, one
                gain, leak = one.copy(), np.zeros(n)
            if t in ("LIF", "CubaLIF", "IF"):
                theta, reset = P("v_threshold"), P("v_reset", 0.0)
            elif t == "Threshold":
                theta, reset = P("threshold"), np.zeros(n)
            else:
                theta = reset = None
            inp = self.node_input(k)
            if inp is None:
                continue
            layers.append(self.quantise(k, t, n, du, dv, gain, leak, theta, reset, inp))
        return layers

    def quantise(self, k, t, n, du_f, dv_f, gain, leak, theta, reset, inp: _Expr) -> dict:
        """Choose the layer scale (S, w_exp) and quantise weights, bias and parameters."""
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
            x_max = min(self.w_max / w_abs_max, self.acc_max / r_max)
        notes = []
        if spiking:
            V = float(max(np.abs(theta).max(), np.abs(reset).max(), np.abs(leak).max(), w_abs_max))
            s_state = self.state_max / (self.headroom * V) if V > 0 else math.inf
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
                if w_exp == 0 and x * w_abs_max < self.w_max / 2:
                    notes.append(f"the threshold is {V / w_abs_max:.3g}x the largest weight: weights use "
                                 f"{x * w_abs_max:.1f} of {self.w_max} levels (raise state bits to refine)")
        else:
            # readouts: no threshold to protect, keep the largest state range (w_exp = 0)
            w_exp = 0
            x = x_max if math.isfinite(x_max) else 1.0
        S = x * (1 << w_exp)
        # quantise; shrink if rounding pushed a row sum over the accumulator range
        for _ in range(8):
            q_terms = [(src, r, c, np.clip(np.rint(x * w), -self.w_max, self.w_max).astype(np.int64), w)
                       for src, r, c, w in terms]
            q_bias = np.clip(np.rint(x * b_eff), -self.w_max, self.w_max).astype(np.int64)
            rows_q = np.abs(q_bias).astype(np.float64)
            for _, r, _, q, _ in q_terms:
                rows_q += np.bincount(r, weights=np.abs(q), minlength=n)
            if not n or rows_q.max() <= self.acc_max:
                break
            x *= self.acc_max / rows_q.max() * 0.999
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
            vth = (np.floor(S * theta) + 1).astype(np.int64)     # NIR spikes on v > theta
            v_reset = np.rint(S * reset).astype(np.int64)
            # v_chip >= vth  <=>  v > theta up to one LSB: the error is the gap to the scaled threshold
            th_err = float(np.abs(vth - S * theta).max() / max(S * np.abs(theta).max(), 1e-300))
            if (np.abs(vth) > self.state_max).any():
                self.err(k, "the scaled threshold does not fit the state bits", int(np.abs(vth).max()),
                         "raise the chip's state bits or lower state_headroom")
        else:
            vth = np.full(n, self.state_max, np.int64)      # unreachable unless the state saturates
            v_reset = np.full(n, self.state_max, np.int64)
            th_err = 0.0
        if (np.abs(bias) > self.state_max).any():
            self.err(k, "the per-step v_leak drive does not fit the state bits", int(np.abs(bias).max()),
                     "lower v_leak or raise the chip's state bits")
        params = np.stack([du, dv, bias, vth, v_reset, np.zeros(n, np.int64), np.full(n, w_exp, np.int64)], axis=1)
        return {"node": k, "kind": t, "n": n, "params": params, "terms": q_terms, "bias_q": q_bias,
                "role": "spiking" if spiking else "readout", "S": S, "w_exp": w_exp, "lsb": lsb,
                "w_rms": w_rms, "w_max_rel": w_max_rel, "dropped": dropped, "b_err": b_err,
                "dec_err": dec_err, "th_err": th_err, "leak_err": leak_err, "notes": notes,
                "w_max_q": int(np.abs(q_all).max(initial=0)), "kept": int((q_all != 0).sum())}

    # ---- assemble the spec ----------------------------------------------------------------
    def assemble(self, layers: list) -> NIRConversion:
        used = self.used_names
        pops, node_gids, gid, pop_ranges = [], {}, 0, {}
        fields = ("du", "dv", "bias", "vth", "v_reset", "refractory", "w_exp")
        for L in layers:
            k, n, params = L["node"], L["n"], L["params"]
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
            L["populations"] = tuple(r[0] for r in ranges)
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

        def emit(src_pops, tgt_pops, s_idx, t_idx, q):
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
                projections.append({"source": sname, "target": tname, "connect": {"kind": "explicit", "pairs": pairs},
                                    "weight": int(q[a]), "name": f"{sname}->{tname}"})

        for L in layers:
            tgt = pop_ranges[L["node"]]
            for src, r, c, q, _ in L["terms"]:
                emit(src_ranges(src), tgt, c, r, q)
            if np.any(L["bias_q"] != 0):
                if bias_name is None:
                    bias_name = _sanitise(BIAS_INPUT, used)
                    inputs.append({"name": bias_name, "size": 1, "source": {"kind": "regular", "period_steps": 1}})
                idx = np.flatnonzero(L["bias_q"])
                emit([(bias_name, 0, 1)], tgt, np.zeros(idx.size, np.int64), idx, L["bias_q"][idx])
        data = {"name": self.name, "description": f"imported from NIR ({len(layers)} neuron layer(s), "
                                                  f"dt = {self.dt_ms:g} ms)",
                "seed": self.seed, "fixed_point": {"dt_ms": self.dt_ms},
                "populations": pops, "inputs": inputs, "projections": projections}
        if not pops:
            raise ConfigError("network", "the NIR graph has no neuron node (LIF, CubaLIF, IF, LI, CubaLI, I, "
                              "Threshold)", None, "add at least one neuron layer")
        spec = validate_data(NetworkSpec, data, what="network")
        report = QuantisationReport(
            dt_ms=self.dt_ms, dt_source=self.dt_source, discretisation=self.disc, weight_bits=self.wb,
            state_bits=self.sb, accumulator_bits=self.ab, state_headroom=self.headroom,
            layers=tuple(LayerQuantisation(
                node=L["node"], kind=L["kind"], populations=L["populations"], size=L["n"], role=L["role"],
                synapses=L["kept"], synapses_dropped=L["dropped"], w_exp=L["w_exp"], state_scale=L["S"],
                weight_lsb=(1 << L["w_exp"]) / L["S"],
                weight_max_q=L["w_max_q"], weight_rms_rel_error=L["w_rms"], weight_max_rel_error=L["w_max_rel"],
                input_bias_max_rel_error=L["b_err"],
                du=tuple(sorted(set(L["params"][:, 0].tolist()))), dv=tuple(sorted(set(L["params"][:, 1].tolist()))),
                decay_max_error=L["dec_err"], vth=tuple(sorted(set(L["params"][:, 3].tolist())))[:8],
                threshold_max_rel_error=L["th_err"], leak_bias_max_abs_error=L["leak_err"],
                notes=tuple(L["notes"])) for L in layers))
        outputs = {}
        lmap = {L["node"]: L for L in layers}
        for out, src in self.outputs_of.items():
            L = lmap.get(src)
            if L is None:
                continue
            g0, n = node_gids[src]
            outputs[out] = OutputMap(name=out, node=src, kind="spikes" if L["role"] == "spiking" else "state",
                                     gid_offset=g0, size=n, shape=tuple(self.shape[src]), state_scale=L["S"])
        return NIRConversion(spec=spec, report=report, outputs=outputs, node_gids=node_gids,
                             input_channels=self.input_channels, dt_ms=self.dt_ms, state_bits=self.sb,
                             base_dir=self.base_dir)


class _AlgebraicLoop(Exception):
    def __init__(self, path):
        self.path = path


# ----------------------------------------------------------------------------- readout state
def _state_trace(run, gid0: int, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(u, v, spiked) of neurons ``gid0 .. gid0+n-1`` after every timestep, recomputed from the
    run's recorded spikes and stimulus with the chip's neuron function. The neurons' own spikes
    come out again (a consistency check the tests use)."""
    net, res, stim = run.net, run.result, run.stimulus
    sel = (net.syn_target >= gid0) & (net.syn_target < gid0 + n)
    s, t, w = net.syn_source[sel], net.syn_target[sel] - gid0, net.syn_weight[sel]
    n_src = net.n_inputs + net.n_neurons
    order = np.argsort(s, kind="stable")
    s, t, w = s[order], t[order], w[order]
    off = np.zeros(n_src + 1, np.int64)
    np.cumsum(np.bincount(s, minlength=n_src), out=off[1:])
    par = {f: np.asarray(net.params[f][gid0:gid0 + n], np.int64)
           for f in ("du", "dv", "bias", "vth", "v_reset", "refractory", "w_exp")}
    sp_off = np.searchsorted(res.spike_steps, np.arange(res.steps + 1))
    u = np.zeros(n, np.int64)
    v = np.zeros(n, np.int64)
    ref = np.zeros(n, np.int64)
    acc = np.zeros(n, np.int64)
    trace_u = np.zeros((res.steps, n), np.int64)
    trace = np.zeros((res.steps, n), np.int64)
    fired = np.zeros((res.steps, n), bool)
    for step in range(res.steps):
        u, v, ref, sp = lif_step(u, v, ref, acc, par["du"], par["dv"], par["bias"], par["vth"], par["v_reset"],
                                 par["refractory"], par["w_exp"], run.chip.bits.state)
        trace_u[step], trace[step], fired[step] = u, v, sp
        srcs = np.concatenate([stim.channels[stim.offsets[step]:stim.offsets[step + 1]],
                               net.n_inputs + res.spike_neurons[sp_off[step]:sp_off[step + 1]]])
        lens = off[srcs + 1] - off[srcs]
        idx = np.repeat(off[srcs], lens) + (np.arange(lens.sum()) - np.repeat(np.cumsum(lens) - lens, lens))
        acc = np.bincount(t[idx], weights=w[idx], minlength=n).astype(np.int64) if idx.size else np.zeros(n, np.int64)
    return trace_u, trace, fired
