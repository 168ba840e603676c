"""Hardware-independent networks: populations, projections, input sources.

One schema (pydantic, unknown keys rejected) serves the YAML files and the Python builder.
``NetworkSpec.instantiate(seed)`` samples connectivity and weights into flat arrays; the
compiler turns those into a chip program. A network never mentions hardware.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Annotated, Any, Literal, Mapping, Union

import numpy as np
from pydantic import Discriminator, Field, Tag, field_validator, model_validator

from neurocycle.hw import PROFILE_FIELDS, ConfigError, ConfigModel, NumericFormat
from neurocycle.hw import parse_yaml, read_yaml, validate_data

from ._neurons import LIF, FixedPoint, LIFConversion, LIFFixed, NeuronModel  # noqa: F401 (re-exported)

_NAME = Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_\-]*$", max_length=64)]


# integers the kernels and the RTL hold (int32 fields; the compiler then checks the chip's widths)
Int32 = Annotated[int, Field(ge=-(1 << 31), le=(1 << 31) - 1)]
_Model = ConfigModel


SPIKE_KINDS = ("binary", "graded")
PAYLOAD_MAX = (1 << 16) - 1      # the largest payload of any chip (bits.payload <= 16)


class Population(_Model):
    name: _NAME
    size: Annotated[int, Field(ge=1, le=1 << 24)]
    neuron: NeuronModel
    spikes: Annotated[Literal["binary", "graded"], Field(
        description="binary: a spike is an event; graded: a spike carries the number of thresholds crossed "
                    "(needs a chip with bits.payload > 0; docs/microarchitecture.md §7)")] = "binary"


# ----------------------------------------------------------------------------- inputs
class PoissonSource(_Model):
    kind: Literal["poisson"]
    rate_hz: Annotated[float, Field(ge=0, description="mean rate; probability per step = rate*dt")]


class RegularSource(_Model):
    kind: Literal["regular"]
    period_steps: Annotated[int, Field(ge=1)]
    phase_steps: Annotated[int, Field(ge=0)] = 0
    stagger: Annotated[bool, Field(description="channel c fires at phase + c (mod period)")] = False


class ArraySource(_Model):
    """Explicit spikes: ``steps`` and ``channels`` lists, or an ``.npz`` file holding both; a graded
    input group also gives ``payloads`` (one value 1..65535 per spike; an ``.npz`` array ``payloads``)."""
    kind: Literal["array"]
    file: str | None = None
    steps: tuple[Annotated[int, Field(ge=0)], ...] | None = None
    channels: tuple[Annotated[int, Field(ge=0)], ...] | None = None
    payloads: tuple[Annotated[int, Field(ge=1, le=PAYLOAD_MAX)], ...] | None = None

    @model_validator(mode="after")
    def _one_source(self):
        if (self.file is None) == (self.steps is None):
            raise ValueError("give either 'file' (an .npz with arrays 'steps' and 'channels') or inline "
                             "'steps' and 'channels'|set exactly one of them")
        if self.steps is not None and (self.channels is None or len(self.channels) != len(self.steps)):
            raise ValueError("'steps' and 'channels' must be lists of equal length|give one channel per step")
        if self.payloads is not None and (self.steps is None or len(self.payloads) != len(self.steps)):
            raise ValueError("@payloads|'payloads' must be an inline list as long as 'steps' (or an array 'payloads' "
                             "in the .npz file)|give one payload per spike")
        return self


InputSource = Annotated[Union[PoissonSource, RegularSource, ArraySource], Field(discriminator="kind")]


class InputGroup(_Model):
    name: _NAME
    size: Annotated[int, Field(ge=1, le=1 << 24)]
    source: InputSource
    spikes: Annotated[Literal["binary", "graded"], Field(
        description="graded: every spike carries a payload (array source with payloads; needs a chip with "
                    "bits.payload > 0)")] = "binary"

    @model_validator(mode="after")
    def _graded_source(self):
        src = self.source
        has = isinstance(src, ArraySource) and (src.payloads is not None or src.file is not None)
        if self.spikes == "graded" and not has:
            raise ValueError("@source|a graded input group needs an array source with payloads (one per spike)"
                             "|use source: {kind: array, steps: [...], channels: [...], payloads: [...]} "
                             "or a file with arrays steps, channels and payloads")
        if self.spikes == "binary" and isinstance(src, ArraySource) and src.payloads is not None:
            raise ValueError("@source.payloads|payloads are given for a binary input group|set spikes: graded "
                             "on the input group, or drop the payloads")
        return self


# ----------------------------------------------------------------------------- projections
class AllToAll(_Model):
    kind: Literal["all_to_all"]
    allow_self: bool = True


class OneToOne(_Model):
    kind: Literal["one_to_one"]


class FixedProbability(_Model):
    kind: Literal["fixed_probability"]
    p: Annotated[float, Field(ge=0, le=1)]
    allow_self: bool = True


class FixedInDegree(_Model):
    kind: Literal["fixed_in_degree"]
    k: Annotated[int, Field(ge=0)]
    allow_self: bool = True


class FixedOutDegree(_Model):
    kind: Literal["fixed_out_degree"]
    k: Annotated[int, Field(ge=0)]
    allow_self: bool = True


class Explicit(_Model):
    """Explicit pairs: inline ``pairs: [[src, tgt], ...]`` or an ``.npz`` with ``source``,
    ``target`` (and optionally ``weight``, which then overrides the projection's weight)."""
    kind: Literal["explicit"]
    pairs: tuple[tuple[Annotated[int, Field(ge=0)], Annotated[int, Field(ge=0)]], ...] | None = None
    file: str | None = None

    @model_validator(mode="after")
    def _one(self):
        if (self.pairs is None) == (self.file is None):
            raise ValueError("give either 'pairs' or 'file'|set exactly one of them")
        return self


Connectivity = Annotated[Union[AllToAll, OneToOne, FixedProbability, FixedInDegree, FixedOutDegree, Explicit],
                         Field(discriminator="kind")]


class ConstantWeight(_Model):
    kind: Literal["constant"]
    value: Int32


class UniformWeight(_Model):
    kind: Literal["uniform"]
    low: Int32
    high: Int32

    @model_validator(mode="after")
    def _order(self):
        if self.low > self.high:
            raise ValueError(f"low ({self.low}) > high ({self.high})|swap them")
        return self


class NormalWeight(_Model):
    """Normal, rounded to the nearest integer, then clipped to [low, high] where given."""
    kind: Literal["normal"]
    mean: float
    std: Annotated[float, Field(ge=0)]
    low: Int32 | None = None
    high: Int32 | None = None


def _weight_tag(v: Any) -> str:
    if isinstance(v, (int, np.integer)) and not isinstance(v, bool):
        return "int"
    if isinstance(v, dict):
        return v.get("kind", "constant")
    return getattr(v, "kind", "int")


WeightDist = Annotated[Union[Annotated[Int32, Tag("int")], Annotated[ConstantWeight, Tag("constant")],
                             Annotated[UniformWeight, Tag("uniform")], Annotated[NormalWeight, Tag("normal")]],
                       Discriminator(_weight_tag)]


def _delay_tag(v: Any) -> str:
    if isinstance(v, (int, np.integer)) and not isinstance(v, bool):
        return "int"
    if isinstance(v, dict):
        return v.get("kind", "constant")
    return getattr(v, "kind", "int")


class ConstantDelay(_Model):
    kind: Literal["constant"]
    value: Annotated[int, Field(ge=1, le=1 << 16)]


class UniformDelay(_Model):
    """Whole timesteps drawn uniformly from ``low .. high`` (both included)."""
    kind: Literal["uniform"]
    low: Annotated[int, Field(ge=1, le=1 << 16)]
    high: Annotated[int, Field(ge=1, le=1 << 16)]

    @model_validator(mode="after")
    def _order(self):
        if self.low > self.high:
            raise ValueError(f"low ({self.low}) > high ({self.high})|swap them")
        return self


class NormalDelay(_Model):
    """Normal, rounded to whole timesteps, then clipped to ``[low, high]`` (``low`` at least 1)."""
    kind: Literal["normal"]
    mean: Annotated[float, Field(ge=0, le=1 << 16)]
    std: Annotated[float, Field(ge=0, le=1 << 16)]
    low: Annotated[int, Field(ge=1, le=1 << 16)] = 1
    high: Annotated[int, Field(ge=1, le=1 << 16)] = 1 << 16


DelayDist = Annotated[Union[Annotated[Annotated[int, Field(ge=1, le=1 << 16)], Tag("int")],
                            Annotated[ConstantDelay, Tag("constant")], Annotated[UniformDelay, Tag("uniform")],
                            Annotated[NormalDelay, Tag("normal")]],
                      Discriminator(_delay_tag)]


class StdpRule(_Model):
    """Pair-based STDP in fixed point (docs/microarchitecture.md §11): a pre-synaptic trace per
    axon and a post-synaptic trace per neuron, each decaying once per timestep with its time
    constant and incremented by ``a_plus`` / ``a_minus`` on a spike; a post-synaptic spike
    potentiates by ``pre trace >> lr_shift``, a pre-synaptic spike depresses by
    ``post trace >> lr_shift``; weights stay in ``[w_min, w_max]``."""
    rule: Literal["stdp"]
    a_plus: Annotated[int, Field(ge=0, le=65535, description="pre-synaptic trace increment (trace units)")]
    a_minus: Annotated[int, Field(ge=0, le=65535, description="post-synaptic trace increment (trace units)")]
    tau_plus_steps: Annotated[float, Field(gt=0, le=1e6, description="pre-synaptic trace time constant (timesteps)")]
    tau_minus_steps: Annotated[float, Field(gt=0, le=1e6, description="post-synaptic trace time constant (timesteps)")]
    w_min: Int32
    w_max: Int32
    lr_shift: Annotated[int, Field(ge=0, le=15, description="a weight changes by trace >> lr_shift")] = 0

    @model_validator(mode="after")
    def _bounds(self):
        if self.w_min > self.w_max:
            raise ValueError(f"@w_min|w_min ({self.w_min}) is above w_max ({self.w_max})|swap them")
        return self

    def fixed(self) -> tuple[int, int, int, int, int, int, int]:
        """(a_plus, a_minus, d_plus, d_minus, w_min, w_max, shift): the core's rule registers
        (neurocycle.hw.layout.STDP_FIELDS without ``enable``)."""
        from neurocycle.hw import stdp_decay_constant
        return (self.a_plus, self.a_minus, stdp_decay_constant(self.tau_plus_steps),
                stdp_decay_constant(self.tau_minus_steps), self.w_min, self.w_max, self.lr_shift)


class Projection(_Model):
    source: _NAME
    target: _NAME
    connect: Connectivity
    weight: WeightDist = 1
    name: str | None = None
    delay_steps: Annotated[DelayDist, Field(
        description="total synaptic delay in timesteps (1 = the one-timestep hop of every spike; more needs a chip "
                    "with core.delay_slots >= the delay): a whole number or a distribution")] = 1
    delay_ms: Annotated[float | None, Field(gt=0, le=1e6, description="total synaptic delay in ms, converted to "
                                            "timesteps with fixed_point.dt_ms (instead of delay_steps)")] = None
    plasticity: StdpRule | None = None

    @model_validator(mode="after")
    def _one_delay(self):
        if self.delay_ms is not None and "delay_steps" in self.model_fields_set:
            raise ValueError("@delay_ms|give the delay either as delay_steps or as delay_ms, not both"
                             "|keep one of them")
        return self

    def label(self, index: int) -> str:
        """The projection's name, or ``source->target``."""
        return self.name or f"{self.source}->{self.target}"


# ----------------------------------------------------------------------------- network
class NetworkSpec(_Model):
    """A spiking network, independent of any chip."""
    name: str = "network"
    description: str = ""
    seed: Annotated[int, Field(ge=0, lt=1 << 63, description="seed of connectivity and inputs")] = 0
    fixed_point: FixedPoint = FixedPoint()
    populations: tuple[Population, ...] = ()
    inputs: tuple[InputGroup, ...] = ()
    projections: tuple[Projection, ...] = ()
    learning: Annotated[bool, Field(description="false freezes every plastic projection: its synapses are "
                                                "compiled static (inference with the same weights)")] = True

    @field_validator("populations", "inputs", "projections", mode="before")
    @classmethod
    def _empty_list(cls, v):
        return () if v is None else v   # `projections:` with nothing under it means none

    @model_validator(mode="after")
    def _cross_refs(self):
        names: dict[str, str] = {}
        for kind, groups in (("populations", self.populations), ("inputs", self.inputs)):
            for i, g in enumerate(groups):
                if g.name in names:
                    raise ValueError(f"@{kind}[{i}].name|'{g.name}' is already used by {names[g.name]}"
                                     "|give every population and input a unique name")
                names[g.name] = f"{kind}[{i}]"
        if not self.populations:
            raise ValueError("@populations|a network needs at least one population|add a 'populations' list entry")
        pops = {p.name: p for p in self.populations}
        sizes = {**{g.name: g.size for g in self.inputs}, **{p.name: p.size for p in self.populations}}
        for i, pr in enumerate(self.projections):
            where = f"projections[{i}]"
            if pr.source not in sizes:
                raise ValueError(f"@{where}.source|'{pr.source}' is not a population or input"
                                 f"|use one of: {', '.join(sizes)}")
            if pr.target not in pops:
                raise ValueError(f"@{where}.target|'{pr.target}' is not a population (inputs cannot be targets)"
                                 f"|use one of: {', '.join(pops)}")
            ns, nt = sizes[pr.source], pops[pr.target].size
            c = pr.connect
            if isinstance(c, OneToOne) and ns != nt:
                raise ValueError(f"@{where}.connect|one_to_one needs equal sizes, source has {ns}, target {nt}"
                                 "|use populations of equal size or another connectivity")
            if isinstance(c, FixedInDegree) and c.k > ns:
                raise ValueError(f"@{where}.connect.k|fixed_in_degree k={c.k} exceeds the source size {ns}"
                                 f"|use k <= {ns}")
            if isinstance(c, FixedOutDegree) and c.k > nt:
                raise ValueError(f"@{where}.connect.k|fixed_out_degree k={c.k} exceeds the target size {nt}"
                                 f"|use k <= {nt}")
            if pr.delay_ms is not None:
                dt = self.fixed_point.dt_ms
                if round(pr.delay_ms / dt) < 1:
                    raise ValueError(f"@{where}.delay_ms|{pr.delay_ms:g} ms is below one timestep (dt_ms = {dt:g}): "
                                     "every spike takes at least one timestep to reach its target"
                                     f"|use delay_ms >= {dt:g} (one timestep)")
        return self

    def projection_index(self, projection: "str | int") -> int:
        """Index of a projection given by its index, its ``name``, or ``source->target`` (which must
        then be unique)."""
        n = len(self.projections)
        if isinstance(projection, (int, np.integer)) and not isinstance(projection, bool):
            if not 0 <= int(projection) < n:
                raise ConfigError("projection", f"index is outside 0..{n - 1}", projection,
                                  "give a projection index, name or 'source->target'")
            return int(projection)
        hits = [i for i, p in enumerate(self.projections) if p.name == projection]
        if not hits:
            hits = [i for i, p in enumerate(self.projections) if p.name is None and p.label(i) == projection]
        if len(hits) == 1:
            return hits[0]
        labels = [p.label(i) for i, p in enumerate(self.projections)]
        if len(hits) > 1:
            raise ConfigError("projection", f"'{projection}' names {len(hits)} projections", projection,
                              "give the projection a unique name (projections[i].name) or use its index")
        raise ConfigError("projection", "is not a projection of the network", projection,
                          f"use an index 0..{n - 1} or one of: {', '.join(labels) or '(none)'}")

    def neuron_conversions(self) -> dict:
        """Per population with a physical neuron (``model: lif``): the conversion report
        (:meth:`LIFConversion.to_dict`; nothing is sampled)."""
        fp = self.fixed_point
        return {p.name: p.neuron.conversion(fp).to_dict() for p in self.populations if isinstance(p.neuron, LIF)}

    # -- sampling -------------------------------------------------------------------
    def instantiate(self, seed: int | None = None, base_dir: str | os.PathLike | None = None) -> "NetworkInstance":
        return _instantiate(self, self.seed if seed is None else seed, Path(base_dir or "."))


@dataclass(frozen=True)
class NetworkInstance:
    """A sampled network: flat arrays, ready for the compiler.

    Source index space: input channels first (``0 .. n_inputs-1``), then neurons
    (``n_inputs + gid``). Neuron ids (``gid``) follow population order.
    """
    spec: NetworkSpec
    seed: int
    n_neurons: int
    n_inputs: int
    pop_offsets: Mapping[str, int]      # read-only views: an instance is immutable
    input_offsets: Mapping[str, int]
    params: Mapping[str, np.ndarray]    # per neuron, fixed point: du dv bias vth v_reset refractory w_exp graded
    syn_source: np.ndarray              # int64, source index (inputs first)
    syn_target: np.ndarray              # int64, neuron gid
    syn_weight: np.ndarray              # int64
    base_dir: Path = field(default=Path("."))
    input_graded: np.ndarray | None = None   # bool per input channel (None: every channel binary)
    syn_delay: np.ndarray | None = None      # int64 total delay in timesteps (>= 1); None: all 1
    syn_rule: np.ndarray | None = None       # int64 plasticity rule index into ``rules`` (-1: static); None: all static
    syn_proj: np.ndarray | None = None       # int64 projection index of every synapse
    rules: tuple = ()                        # the distinct StdpRule of the plastic projections

    @property
    def delays(self) -> np.ndarray:
        """Total delay in timesteps of every synapse (1 = the hop delay)."""
        return self.syn_delay if self.syn_delay is not None else np.ones(self.n_synapses, np.int64)

    @property
    def plastic_rule(self) -> np.ndarray:
        """Rule index of every synapse into ``rules`` (-1: static)."""
        return self.syn_rule if self.syn_rule is not None else np.full(self.n_synapses, -1, np.int64)

    @property
    def graded_sources(self) -> np.ndarray:
        """bool per source index (inputs first, then neurons): the source sends graded payloads."""
        gi = self.input_graded if self.input_graded is not None else np.zeros(self.n_inputs, bool)
        return np.concatenate([gi.astype(bool), np.asarray(self.params["graded"]).astype(bool)])

    @property
    def is_graded(self) -> bool:
        return bool(self.graded_sources.any())

    @property
    def n_synapses(self) -> int:
        return int(self.syn_source.size)

    def stimulus(self, steps: int) -> "Stimulus":
        return _stimulus(self, steps)

    def summary(self) -> dict:
        return {
            "name": self.spec.name, "seed": self.seed, "neurons": self.n_neurons, "inputs": self.n_inputs,
            "synapses": self.n_synapses,
            "populations": {p.name: p.size for p in self.spec.populations},
            "input_groups": {g.name: {"size": g.size, "kind": g.source.kind} for g in self.spec.inputs},
            "projections": len(self.spec.projections),
            "neuron_conversion": self.conversions(),
        }

    def conversions(self) -> dict:
        """Per population with a physical neuron (``model: lif``): its fixed-point parameters,
        requested vs represented values and any quantisation warning (docs/networks.md)."""
        return self.spec.neuron_conversions()


@dataclass(frozen=True)
class Stimulus:
    """External input spikes for ``steps`` timesteps, as CSR: channels of step t are
    ``channels[offsets[t]:offsets[t+1]]`` (sorted, unique). ``payloads`` (same length as
    ``channels``) is the payload of every input spike when an input group is graded (1 for a
    binary channel); ``None`` when every input is binary."""
    steps: int
    offsets: np.ndarray
    channels: np.ndarray
    payloads: np.ndarray | None = None

    def payload_of_spikes(self) -> np.ndarray:
        """int64 payload of every input spike (all ones without graded inputs)."""
        if self.payloads is None:
            return np.ones(self.channels.size, np.int64)
        return np.asarray(self.payloads, np.int64)

    @property
    def n_spikes(self) -> int:
        return int(self.channels.size)




def _rng(seed: int, *key: int) -> np.random.Generator:
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=key)))


def _load_npz(path: Path, what: str, keys: tuple[str, ...], optional: tuple[str, ...] = ()) -> dict:
    """The integer index arrays ``keys`` (and ``optional``) of an .npz file, checked at the
    boundary: present, one-dimensional, integer-typed (floats would be truncated silently), no
    pickled objects. Returns int64 arrays."""
    if not path.is_file():
        raise ConfigError(what, "file does not exist", str(path), "check the path (relative to the network file)")
    try:
        with np.load(path, allow_pickle=False) as z:
            missing = [k for k in keys if k not in z]
            if missing:
                raise ConfigError(what, f"npz file lacks array(s) {missing}", str(path),
                                  f"save arrays named {', '.join(keys)}")
            out = {}
            for k in (*keys, *(o for o in optional if o in z)):
                a = z[k]
                if a.ndim != 1:
                    raise ConfigError(f"{what}:{k}", f"must be a one-dimensional array (it has shape {a.shape})",
                                      str(path), f"save {k} as a flat array (e.g. {k}.ravel()) if that is what it means")
                if a.dtype.kind not in "iu":
                    raise ConfigError(f"{what}:{k}", f"must hold integers (it holds {a.dtype})", str(path),
                                      f"save {k} with an integer dtype (e.g. {k}.astype(np.int64)); floats are not "
                                      "truncated silently")
                if a.dtype.kind == "u" and a.size and int(a.max()) > np.iinfo(np.int64).max:
                    raise ConfigError(f"{what}:{k}", "holds values beyond int64", str(path), "use smaller indices")
                out[k] = a.astype(np.int64)
            return out
    except ConfigError:
        raise
    except Exception as exc:  # noqa: BLE001 - any unreadable file gets the same clear error
        raise ConfigError(what, f"cannot be read as .npz ({exc})", str(path), "save it with numpy.savez") from None


def _draw_without_replacement(rng: np.random.Generator, n_rows: int, n: int, k: int, excl_self: bool) -> np.ndarray:
    """For each row i, k distinct values of 0..n-1 (never i when ``excl_self``), sorted.

    Memory stays O(rows·k + chunk·n): small populations use argpartition over random keys in
    row chunks; large ones draw per row (numpy's choice without replacement is O(k) there).
    """
    out = np.empty((n_rows, k), dtype=np.int64)
    m = n - 1 if excl_self else n
    if k == m:
        base = np.arange(m)
        out[:] = base
    elif n <= 4096:
        chunk = max(1, (1 << 22) // n)
        for r0 in range(0, n_rows, chunk):
            r1 = min(n_rows, r0 + chunk)
            keys = rng.random((r1 - r0, m))
            out[r0:r1] = np.argpartition(keys, k - 1, axis=1)[:, :k]
    else:
        for i in range(n_rows):
            out[i] = rng.choice(m, k, replace=False)
    if excl_self:   # values were drawn from 0..n-2; skip over the row's own index
        out += out >= np.arange(n_rows)[:, None]
    out.sort(axis=1)
    return out


def _sample_pairs(c, ns: int, nt: int, same: bool, rng: np.random.Generator, where: str,
                  base_dir: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    if isinstance(c, AllToAll):
        s, t = np.meshgrid(np.arange(ns), np.arange(nt), indexing="ij")
        s, t = s.ravel(), t.ravel()
        if same and not c.allow_self:
            keep = s != t
            s, t = s[keep], t[keep]
        return s, t, None
    if isinstance(c, OneToOne):
        return np.arange(ns), np.arange(nt), None
    if isinstance(c, FixedProbability):
        mask = rng.random((ns, nt)) < c.p
        if same and not c.allow_self:
            np.fill_diagonal(mask, False)
        s, t = np.nonzero(mask)
        return s, t, None
    if isinstance(c, (FixedInDegree, FixedOutDegree)):
        out = isinstance(c, FixedOutDegree)
        n_from, n_to = (nt, ns) if out else (ns, nt)  # draw k of n_from for each of n_to
        excl_self = same and not c.allow_self
        if excl_self and c.k > n_from - 1:
            raise ConfigError(f"{where}.connect.k", f"k={c.k} with allow_self false needs k <= size-1",
                              c.k, f"use k <= {n_from - 1} or allow_self: true")
        k = c.k
        if k == 0:
            return np.zeros(0, np.int64), np.zeros(0, np.int64), None
        chosen = _draw_without_replacement(rng, n_to, n_from, k, excl_self)
        fixed = np.repeat(np.arange(n_to), k)
        drawn = chosen.ravel()
        return (fixed, drawn, None) if out else (drawn, fixed, None)
    if isinstance(c, Explicit):
        if c.pairs is not None:
            arr = np.asarray(c.pairs, dtype=np.int64).reshape(-1, 2)
            s, t, w = arr[:, 0], arr[:, 1], None
        else:
            z = _load_npz(base_dir / c.file, f"{where}.connect.file", ("source", "target"), optional=("weight",))
            s, t, w = z["source"], z["target"], z.get("weight")
            if s.size != t.size or (w is not None and w.size != s.size):
                raise ConfigError(f"{where}.connect.file", "arrays source/target/weight differ in length",
                                  f"{s.size}/{t.size}", "save arrays of equal length")
        if s.size and (s.min() < 0 or s.max() >= ns):
            raise ConfigError(f"{where}.connect", f"source index out of range 0..{ns - 1}", int(s.max()),
                              "use indices within the source population")
        if t.size and (t.min() < 0 or t.max() >= nt):
            raise ConfigError(f"{where}.connect", f"target index out of range 0..{nt - 1}", int(t.max()),
                              "use indices within the target population")
        return s, t, w
    raise AssertionError(c)


def _sample_weights(w, n: int, rng: np.random.Generator) -> np.ndarray:
    if isinstance(w, (int, np.integer)):
        return np.full(n, int(w), dtype=np.int64)
    if isinstance(w, ConstantWeight):
        return np.full(n, w.value, dtype=np.int64)
    if isinstance(w, UniformWeight):
        return rng.integers(w.low, w.high + 1, size=n, dtype=np.int64)
    if isinstance(w, NormalWeight):
        x = np.rint(rng.normal(w.mean, w.std, size=n)).astype(np.int64)
        if w.low is not None or w.high is not None:
            x = np.clip(x, w.low if w.low is not None else None, w.high if w.high is not None else None)
        return x
    raise AssertionError(w)


def _instantiate(spec: NetworkSpec, seed: int, base_dir: Path) -> NetworkInstance:
    pop_off, off = {}, 0
    for p in spec.populations:
        pop_off[p.name], off = off, off + p.size
    n_neurons = off
    in_off, off = {}, 0
    for g in spec.inputs:
        in_off[g.name], off = off, off + g.size
    n_inputs = off
    params = {f: np.empty(n_neurons, dtype=np.int64) for f in PROFILE_FIELDS}
    for p in spec.populations:
        fx = p.neuron.to_fixed(spec.fixed_point)
        sl = slice(pop_off[p.name], pop_off[p.name] + p.size)
        for f in PROFILE_FIELDS:
            params[f][sl] = int(p.spikes == "graded") if f == "graded" else getattr(fx, f)
    input_graded = np.zeros(n_inputs, bool)
    for g in spec.inputs:
        input_graded[in_off[g.name]:in_off[g.name] + g.size] = g.spikes == "graded"
    input_graded.setflags(write=False)
    sizes = {**{g.name: g.size for g in spec.inputs}, **{p.name: p.size for p in spec.populations}}
    srcs, tgts, ws, delays, rule_of, projs, rules = [], [], [], [], [], [], []
    for i, pr in enumerate(spec.projections):
        rng = _rng(seed, 1, i)
        ns, nt = sizes[pr.source], sizes[pr.target]
        same = pr.source == pr.target
        s, t, w_file = _sample_pairs(pr.connect, ns, nt, same, rng, f"projections[{i}]", base_dir)
        w = w_file if w_file is not None else _sample_weights(pr.weight, s.size, rng)
        src_base = in_off[pr.source] if pr.source in in_off else n_inputs + pop_off[pr.source]
        srcs.append(s.astype(np.int64) + src_base)
        tgts.append(t.astype(np.int64) + pop_off[pr.target])
        ws.append(w.astype(np.int64))
        delays.append(_sample_delays(pr, s.size, _rng(seed, 3, i), spec.fixed_point.dt_ms))
        plastic = pr.plasticity is not None and spec.learning
        if plastic and pr.plasticity not in rules:
            rules.append(pr.plasticity)
        rule_of.append(np.full(s.size, rules.index(pr.plasticity) if plastic else -1, np.int64))
        projs.append(np.full(s.size, i, np.int64))
    cat = (lambda xs: np.concatenate(xs) if xs else np.zeros(0, np.int64))
    syn_s, syn_t, syn_w = cat(srcs), cat(tgts), cat(ws)
    syn_d, syn_r, syn_p = cat(delays), cat(rule_of), cat(projs)
    order = np.lexsort((syn_t, syn_s))
    syn_s, syn_t, syn_w = syn_s[order], syn_t[order], syn_w[order]
    syn_d, syn_r, syn_p = syn_d[order], syn_r[order], syn_p[order]
    for a in (*params.values(), syn_s, syn_t, syn_w, syn_d, syn_r, syn_p):
        a.setflags(write=False)
    return NetworkInstance(spec=spec, seed=seed, n_neurons=n_neurons, n_inputs=n_inputs,
                           pop_offsets=MappingProxyType(pop_off), input_offsets=MappingProxyType(in_off),
                           params=MappingProxyType(params), syn_source=syn_s, syn_target=syn_t, syn_weight=syn_w,
                           base_dir=base_dir, input_graded=input_graded if input_graded.any() else None,
                           syn_delay=syn_d if (syn_d > 1).any() else None,
                           syn_rule=syn_r if (syn_r >= 0).any() else None, syn_proj=syn_p, rules=tuple(rules))


def _sample_delays(pr: Projection, n: int, rng: np.random.Generator, dt_ms: float) -> np.ndarray:
    """Total delay in timesteps (>= 1) of each of the ``n`` synapses of projection ``pr`` (its own
    random stream: delays never change the weights or the connectivity drawn before them)."""
    if pr.delay_ms is not None:
        return np.full(n, max(1, int(round(pr.delay_ms / dt_ms))), np.int64)
    d = pr.delay_steps
    if isinstance(d, (int, np.integer)):
        return np.full(n, int(d), np.int64)
    if isinstance(d, ConstantDelay):
        return np.full(n, d.value, np.int64)
    if isinstance(d, UniformDelay):
        return rng.integers(d.low, d.high + 1, size=n, dtype=np.int64)
    if isinstance(d, NormalDelay):
        return np.clip(np.rint(rng.normal(d.mean, d.std, size=n)), max(1, d.low), d.high).astype(np.int64)
    raise AssertionError(d)


def _stimulus(net: NetworkInstance, steps: int) -> Stimulus:
    if steps < 0:
        raise ConfigError("steps", "must be >= 0", steps, "give a non-negative number of timesteps")
    rows, cols, pays = [], [], []
    dt_s = net.spec.fixed_point.dt_ms / 1000.0
    for gi, g in enumerate(net.spec.inputs):
        base = net.input_offsets[g.name]
        src = g.source
        q = None
        if isinstance(src, PoissonSource):
            p = src.rate_hz * dt_s
            if p > 1:
                raise ConfigError(f"inputs[{gi}].source.rate_hz", "rate x dt exceeds one spike per timestep",
                                  src.rate_hz, f"use rate_hz <= {1 / dt_s:g} for dt_ms={net.spec.fixed_point.dt_ms}")
            m = _rng(net.seed, 2, gi).random((steps, g.size)) < p
            r, c = np.nonzero(m)
        elif isinstance(src, RegularSource):
            t = np.arange(steps)[:, None]
            ch = np.arange(g.size)[None, :]
            phase = src.phase_steps + (ch if src.stagger else 0)
            m = np.broadcast_to(((t - phase) % src.period_steps == 0) & (t >= phase), (steps, g.size))
            r, c = np.nonzero(m)
        else:
            graded = g.spikes == "graded"
            if src.file is not None:
                z = _load_npz(net.base_dir / src.file, f"inputs[{gi}].source.file",
                              ("steps", "channels", "payloads") if graded else ("steps", "channels"))
                r, c = z["steps"], z["channels"]
                if r.size != c.size:
                    raise ConfigError(f"inputs[{gi}].source.file", "arrays steps and channels differ in length",
                                      f"{r.size} vs {c.size}", "save arrays of equal length")
                q = z["payloads"].astype(np.int64).ravel() if graded else None
                if q is not None and q.size != r.size:
                    raise ConfigError(f"inputs[{gi}].source.file", "array payloads differs in length from steps",
                                      f"{q.size} vs {r.size}", "save one payload per spike")
                if q is not None and q.size and (q.min() < 1 or q.max() > PAYLOAD_MAX):
                    bad = int(q[(q < 1) | (q > PAYLOAD_MAX)][0])
                    raise ConfigError(f"inputs[{gi}].source.file", f"payload {bad} is outside 1..{PAYLOAD_MAX} "
                                      "(0 is no spike)", bad, "leave out the spikes of value 0")
            else:
                r, c = np.asarray(src.steps, np.int64), np.asarray(src.channels, np.int64)
                q = np.asarray(src.payloads, np.int64) if graded else None
            if c.size and (c.min() < 0 or c.max() >= g.size):
                raise ConfigError(f"inputs[{gi}].source", f"channel out of range 0..{g.size - 1}", int(c.max()),
                                  f"use channels below the group size {g.size}")
            if r.size and r.min() < 0:
                raise ConfigError(f"inputs[{gi}].source", "negative step", int(r.min()), "use steps >= 0")
            keep = r < steps
            r, c = r[keep], c[keep]
            if q is not None:
                q = q[keep]
                key = r * g.size + c
                uk, first = np.unique(key, return_index=True)
                if uk.size != key.size:
                    k = int(np.flatnonzero(np.bincount(np.searchsorted(uk, key)) > 1)[0])
                    raise ConfigError(f"inputs[{gi}].source", "a graded channel fires twice in one timestep "
                                      f"(step {int(uk[k] // g.size)}, channel {int(uk[k] % g.size)}): its payload "
                                      "would be ambiguous", f"{int(uk[k] // g.size)}/{int(uk[k] % g.size)}",
                                      "give each channel at most one payload per timestep (add them up)")
        rows.append(r.astype(np.int64))
        cols.append(c.astype(np.int64) + base)
        pays.append(q if q is not None else np.ones(r.size, np.int64))
    graded_any = any(g.spikes == "graded" for g in net.spec.inputs)
    if rows:
        r, c, q = np.concatenate(rows), np.concatenate(cols), np.concatenate(pays)
        key, first = np.unique(r * max(1, net.n_inputs) + c, return_index=True)   # sort by (step, channel), dedupe
        r, c, q = key // max(1, net.n_inputs), key % max(1, net.n_inputs), q[first]
    else:
        r = c = q = np.zeros(0, np.int64)
    offsets = np.searchsorted(r, np.arange(steps + 1)).astype(np.int64)
    return Stimulus(steps=steps, offsets=offsets, channels=c.astype(np.int64),
                    payloads=q.astype(np.int64) if graded_any else None)


# ----------------------------------------------------------------------------- loading
def load_network(source: "str | os.PathLike | NetworkSpec | dict | None" = None, *,
                 numeric: NumericFormat | None = None) -> tuple[NetworkSpec, Path]:
    """Load a network from a preset name, a YAML path, a dict, a spec, or a NIR graph (a ``.nir``
    path or a ``nir.NIRGraph``; ``numeric``, a ``neurocycle.hw.NumericFormat``, then sets the
    quantisation bits: default, the default chip preset's). Returns (spec, base_dir)."""
    from neurocycle.hw import DEFAULT_NETWORK
    from neurocycle.hw import resolve_file

    if isinstance(source, NetworkSpec):
        return source, Path(".")
    if isinstance(source, dict):
        return validate_data(NetworkSpec, source, what="network"), Path(".")
    if isinstance(getattr(source, "spec", None), NetworkSpec):   # e.g. a NIRConversion
        return source.spec, Path(getattr(source, "base_dir", "."))
    if type(source).__module__.split(".")[0] == "nir":
        from .nir import import_nir
        return import_nir(source, numeric=numeric), Path(".")
    if source is None:
        source = DEFAULT_NETWORK
    path = os.fspath(source)
    if path.endswith(".nir"):
        from .nir import import_nir
        return import_nir(path, numeric=numeric), Path(path).parent
    path = resolve_file("networks", path)
    data, node = read_yaml(path)
    spec = validate_data(NetworkSpec, data, node=node, source=path, what="network")
    return spec, Path(path).parent


def network_from_yaml_text(text: str, source: str = "<string>") -> NetworkSpec:
    data, node = parse_yaml(text, source)
    return validate_data(NetworkSpec, data, node=node, source=source, what="network")
