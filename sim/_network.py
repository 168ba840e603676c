"""Hardware-independent networks: populations, projections, input sources.

One schema (pydantic, unknown keys rejected) serves the YAML files and the Python builder.
``NetworkSpec.instantiate(seed)`` samples connectivity and weights into flat arrays; the
compiler turns those into a chip program. A network never mentions hardware.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from types import MappingProxyType
from typing import Annotated, Any, Literal, Mapping, Union

import numpy as np
from pydantic import Discriminator, Field, Tag, field_validator, model_validator

from neurocycle.hw import PROFILE_FIELDS, ConfigError, ConfigModel, NumericFormat
from neurocycle.hw import parse_yaml, read_yaml, validate_data

from ._csr import ranges
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
    (``n_inputs + gid``). Neuron ids (``gid``) follow population order. Synapses are sorted by
    (source, target); those of source ``i`` are ``source_offsets[i] .. source_offsets[i+1]-1``.
    The arrays are as narrow as their values allow (issue #18): indices int32 (int64 only past
    2**31), weights int16 when every weight fits, else int32.
    """
    spec: NetworkSpec
    seed: int
    n_neurons: int
    n_inputs: int
    pop_offsets: Mapping[str, int]      # read-only views: an instance is immutable
    input_offsets: Mapping[str, int]
    params: Mapping[str, np.ndarray]    # per neuron, fixed point: du dv bias vth v_reset refractory w_exp graded
    source_offsets: np.ndarray          # int64[n_inputs + n_neurons + 1]: CSR of the synapses by source
    syn_target: np.ndarray              # int32, neuron gid
    syn_weight: np.ndarray              # int16 or int32
    base_dir: Path = field(default=Path("."))
    input_graded: np.ndarray | None = None   # bool per input channel (None: every channel binary)
    # synaptic delays and plasticity (docs/microarchitecture.md §10, §11), as narrow as their values:
    # stored only when some synapse has them (the default network holds neither)
    syn_delay: np.ndarray | None = None      # uint8 (uint16/int32 past 255) total delay in timesteps (>= 1); None: all 1
    syn_rule: np.ndarray | None = None       # int8 plasticity rule index into ``rules`` (-1: static); None: all static
    rules: tuple = ()                        # the distinct StdpRule of the plastic projections
    proj_stored: np.ndarray | None = None    # uint8 (uint16/int32 past 256) projection index per synapse, only
                                             # when two projections join the same groups (else: from the groups)

    @property
    def delays(self) -> np.ndarray:
        """Total delay in timesteps of every synapse (1 = the hop delay); a full-size array when the
        network has no delays (made on each access: the compiler reads ``syn_delay`` in chunks)."""
        return self.syn_delay if self.syn_delay is not None else np.ones(self.n_synapses, np.uint8)

    @property
    def plastic_rule(self) -> np.ndarray:
        """Rule index of every synapse into ``rules`` (-1: static)."""
        return self.syn_rule if self.syn_rule is not None else np.full(self.n_synapses, -1, np.int8)

    @cached_property
    def syn_proj(self) -> np.ndarray:
        """Projection index of every synapse, computed when first asked for (errors, Run.weights):
        from the groups of its source and target, or stored when two projections join the same groups."""
        if self.proj_stored is not None:
            return self.proj_stored
        spec = self.spec
        groups = [g.name for g in spec.inputs] + [p.name for p in spec.populations]
        starts = np.array([self.input_offsets[g.name] for g in spec.inputs]
                          + [self.n_inputs + self.pop_offsets[p.name] for p in spec.populations], np.int64)
        pops = [p.name for p in spec.populations]
        table = np.full((max(len(groups), 1), max(len(pops), 1)), -1, np.int32)
        for i, pr in enumerate(spec.projections):
            table[groups.index(pr.source), pops.index(pr.target)] = i
        pstart = np.array([self.pop_offsets[p] for p in pops], np.int64)
        n_src = self.source_offsets.size - 1
        src_group = np.searchsorted(starts, np.arange(n_src), side="right") - 1 if starts.size else \
            np.zeros(n_src, np.int64)
        out = np.empty(self.n_synapses, np.int32)
        for a in range(0, self.n_synapses, _CHUNK):
            b = min(self.n_synapses, a + _CHUNK)
            s0 = int(np.searchsorted(self.source_offsets, a, side="right")) - 1
            s1 = int(np.searchsorted(self.source_offsets, b, side="left"))
            src = np.repeat(np.arange(s0, s1), np.minimum(self.source_offsets[s0 + 1:s1 + 1], b)
                            - np.maximum(self.source_offsets[s0:s1], a))
            tg = np.searchsorted(pstart, self.syn_target[a:b], side="right") - 1
            out[a:b] = table[src_group[src], tg]
        out.setflags(write=False)
        return out

    @property
    def syn_source(self) -> np.ndarray:
        """Source index of every synapse (inputs first), expanded from ``source_offsets`` on
        each access (int32; not stored: the offsets say the same in 8 bytes per source)."""
        n_src = self.source_offsets.size - 1
        out = np.repeat(np.arange(n_src, dtype=_index_dtype(n_src)), np.diff(self.source_offsets))
        out.setflags(write=False)
        return out

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
        return int(self.syn_target.size)

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


# Synapses are sampled one projection at a time, each into compact arrays (int32 indices, the
# narrowest weight type that holds the projection's weights), and then placed into the
# instance's source-major arrays: no per-synapse int64 arrays of the whole network, no
# full-size temporaries copied several times (issue #18). Peak memory while sampling is about
# 12 bytes per synapse (the samples and the instance, docs/engine.md "Memory").
_CHUNK = 1 << 22          # synapses (or random draws) handled per vectorised step


def _index_dtype(n: int):
    """The narrowest of int32 / int64 that holds indices 0 .. n-1."""
    return np.int32 if n < (1 << 31) else np.int64


def _narrow_weights(w: np.ndarray) -> np.ndarray:
    """``w`` (int32) as int16 when every value fits, else unchanged."""
    if w.size == 0 or (int(w.min()) >= -(1 << 15) and int(w.max()) < (1 << 15)):
        return w.astype(np.int16)
    return w


def _draw_without_replacement(rng: np.random.Generator, n_rows: int, n: int, k: int, excl_self: bool) -> np.ndarray:
    """For each row i, k distinct values of 0..n-1 (never i when ``excl_self``), sorted.

    Memory stays O(rows·k + chunk·n): small populations use argpartition over random keys in
    row chunks; large ones draw per row (numpy's choice without replacement is O(k) there).
    """
    out = np.empty((n_rows, k), dtype=_index_dtype(n))
    m = n - 1 if excl_self else n
    if k == m:
        out[:] = np.arange(m)
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
        out += out >= np.arange(n_rows, dtype=out.dtype)[:, None]
    out.sort(axis=1)
    return out


@dataclass
class _Sample:
    """One projection's synapses, sorted by (source, target) (ties in draw order), with indices
    local to the source and target groups: ``counts[i]`` synapses of local source i, then their
    local targets ``t`` and weights ``w`` in that order."""
    counts: np.ndarray          # int64[ns]
    t: np.ndarray               # int32 (int64 for huge groups)
    w: np.ndarray               # int16 or int32
    d: np.ndarray | None = None  # total delays in the same order (None: every delay 1)


def _sorted_sample(s, t, ns: int, order=None):
    """Counts per source and the targets, in (source, target) order; ``order`` the permutation
    applied (None: the draw is already in that order)."""
    if order is None and s.size > 1 and (np.any(s[1:] < s[:-1]) or np.any((s[1:] == s[:-1]) & (t[1:] < t[:-1]))):
        order = np.lexsort((t, s))
    if order is not None:
        s, t = s[order], t[order]
    return np.bincount(s, minlength=ns).astype(np.int64), t, order


def _sample_pairs(c, ns: int, nt: int, same: bool, rng: np.random.Generator, where: str,
                  base_dir: Path):
    """(counts[ns], targets in source-major order, permutation of the draw order or None, file
    weights or None): the connectivity of one projection, drawn exactly as ever (the same
    random stream), stored compactly."""
    it = _index_dtype(max(ns, nt))
    if isinstance(c, AllToAll):
        t_row = np.arange(nt, dtype=it)
        if same and not c.allow_self:
            keep = ~np.eye(ns, nt, dtype=bool)
            t = np.broadcast_to(t_row, (ns, nt))[keep]
            counts = keep.sum(axis=1).astype(np.int64)
        else:
            t = np.tile(t_row, ns)
            counts = np.full(ns, nt, np.int64)
        return counts, t, None, None
    if isinstance(c, OneToOne):
        return np.ones(ns, np.int64), np.arange(nt, dtype=it), None, None
    if isinstance(c, FixedProbability):
        # row chunks of the same draw as rng.random((ns, nt)) (the stream is consumed in order)
        chunk = max(1, _CHUNK // max(1, nt))
        counts, ts = np.zeros(ns, np.int64), []
        for r0 in range(0, ns, chunk):
            r1 = min(ns, r0 + chunk)
            mask = rng.random((r1 - r0, nt)) < c.p
            if same and not c.allow_self:
                i = np.arange(r0, min(r1, nt))
                mask[i - r0, i] = False
            counts[r0:r1] = mask.sum(axis=1)
            ts.append(np.nonzero(mask)[1].astype(it))
        return counts, (np.concatenate(ts) if ts else np.zeros(0, it)), None, None
    if isinstance(c, (FixedInDegree, FixedOutDegree)):
        out = isinstance(c, FixedOutDegree)
        n_from, n_to = (nt, ns) if out else (ns, nt)  # draw k of n_from for each of n_to
        excl_self = same and not c.allow_self
        if excl_self and c.k > n_from - 1:
            raise ConfigError(f"{where}.connect.k", f"k={c.k} with allow_self false needs k <= size-1",
                              c.k, f"use k <= {n_from - 1} or allow_self: true")
        k = c.k
        if k == 0:
            return np.zeros(ns, np.int64), np.zeros(0, it), None, None
        chosen = _draw_without_replacement(rng, n_to, n_from, k, excl_self).astype(it, copy=False)
        if out:     # rows are sources, each row's targets sorted: already (source, target) order
            return np.full(ns, k, np.int64), chosen.ravel(), None, None
        s = chosen.ravel()
        order = np.argsort(s, kind="stable")      # targets ascend within a source in draw order
        return np.bincount(s, minlength=ns).astype(np.int64), np.repeat(np.arange(nt, dtype=it), k)[order], order, None
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
        if w is not None and w.size and (w.min() < -(1 << 31) or w.max() >= (1 << 31)):
            bad = int(w[(w < -(1 << 31)) | (w >= (1 << 31))][0])
            raise ConfigError(f"{where}.connect.file", "weight outside the 32-bit integers the chips hold", bad,
                              "scale the weights down")
        counts, t, order = _sorted_sample(s.astype(it), t.astype(it), ns)
        return counts, t, order, (None if w is None else w.astype(np.int32))
    raise AssertionError(c)


def _sample_weights(w, n: int, rng: np.random.Generator, where: str) -> np.ndarray:
    """``n`` weights in draw order, int32 (the same values as an int64 draw)."""
    if isinstance(w, (int, np.integer)):
        return np.full(n, int(w), dtype=np.int32)
    if isinstance(w, ConstantWeight):
        return np.full(n, w.value, dtype=np.int32)
    if isinstance(w, UniformWeight):
        return rng.integers(w.low, w.high + 1, size=n, dtype=np.int32)
    if isinstance(w, NormalWeight):
        x = np.rint(rng.normal(w.mean, w.std, size=n))
        if w.low is not None or w.high is not None:
            x = np.clip(x, w.low if w.low is not None else None, w.high if w.high is not None else None)
        if x.size and (x.min() < -(1 << 31) or x.max() >= (1 << 31)):
            raise ConfigError(f"{where}.weight", "draws weights outside the 32-bit integers the chips hold",
                              float(x.max() if x.max() >= (1 << 31) else x.min()),
                              "give the normal distribution low/high bounds or a smaller mean/std")
        return x.astype(np.int32)
    raise AssertionError(w)


def _sample_projection(pr: Projection, i: int, seed: int, ns: int, nt: int, base_dir: Path,
                       dt_ms: float = 1.0, delay_dtype=None) -> _Sample:
    """One projection's synapses; its delays (in ``delay_dtype``) too when that is given (their
    own random stream: delays never change the weights or the connectivity drawn before them)."""
    rng = _rng(seed, 1, i)
    where = f"projections[{i}]"
    counts, t, order, w_file = _sample_pairs(pr.connect, ns, nt, pr.source == pr.target, rng, where, base_dir)
    if w_file is not None:
        w = w_file
    else:
        w = _sample_weights(pr.weight, t.size, rng, where)
    d = None
    if delay_dtype is not None:
        d = _sample_delays(pr, t.size, _rng(seed, 3, i), dt_ms).astype(delay_dtype)
    if order is not None:
        w = w[order]
        d = None if d is None else d[order]
    return _Sample(counts=counts, t=t, w=_narrow_weights(w), d=d)


def _proj_dtype(n_proj: int):
    """The narrowest unsigned type of a projection index."""
    return np.uint8 if n_proj <= (1 << 8) else np.uint16 if n_proj <= (1 << 16) else np.int32


def _max_delay(pr: Projection, dt_ms: float) -> int:
    """The largest total delay (timesteps) projection ``pr`` can draw (known before drawing)."""
    if pr.delay_ms is not None:
        return max(1, int(round(pr.delay_ms / dt_ms)))
    d = pr.delay_steps
    if isinstance(d, (int, np.integer)):
        return int(d)
    if isinstance(d, ConstantDelay):
        return d.value
    if isinstance(d, UniformDelay):
        return d.high
    if isinstance(d, NormalDelay):
        return d.high
    raise AssertionError(d)


def _known_counts(pr: Projection, ns: int, nt: int) -> np.ndarray | None:
    """Synapses per source of a projection whose counts need no random draw (None otherwise)."""
    c = pr.connect
    if isinstance(c, AllToAll):
        return np.full(ns, nt - 1 if pr.source == pr.target and not c.allow_self else nt, np.int64)
    if isinstance(c, OneToOne):
        return np.ones(ns, np.int64)
    if isinstance(c, FixedOutDegree):
        return np.full(ns, c.k, np.int64)
    return None


def _fits_int16(w, connect) -> bool:
    """Whether every weight a projection can draw is an int16 (known before drawing)."""
    if isinstance(connect, Explicit) and connect.file is not None:
        return False                      # the file may hold its own weights
    if isinstance(w, (int, np.integer)):
        lo = hi = int(w)
    elif isinstance(w, ConstantWeight):
        lo = hi = w.value
    elif isinstance(w, UniformWeight):
        lo, hi = w.low, w.high
    elif isinstance(w, NormalWeight) and w.low is not None and w.high is not None:
        lo, hi = w.low, w.high
    else:
        return False
    return -(1 << 15) <= lo and hi < (1 << 15)


def _place(counts_of: list, sample, src_base: list, tgt_base: list, n_src: int, n_neurons: int, cols):
    """The instance's arrays (source offsets[n_src+1], targets, and one array per column of
    ``cols``), sorted by (source, target), ties in projection order then draw order -- exactly the
    order of a stable sort of all projections' synapses by (source, target). ``counts_of[j]`` are
    projection j's synapses per source; ``sample(j)`` draws it (or hands over an earlier draw), one
    projection at a time, each freed once placed: the peak is the instance plus one projection's
    draw. ``cols`` are (dtype, value(sample, j)): the weights, and the delays and rules of a
    network that has them; a value is an array in the sample's order or one number for all."""
    counts = np.zeros(n_src, np.int64)
    n_contrib = np.zeros(n_src, np.int32)
    for c, b in zip(counts_of, src_base):
        counts[b:b + c.size] += c
        n_contrib[b:b + c.size] += c > 0
    off = np.zeros(n_src + 1, np.int64)
    np.cumsum(counts, out=off[1:])
    total = int(off[-1])
    tgt = np.empty(total, _index_dtype(n_neurons))
    outs = [np.empty(total, dt) for dt, _ in cols]
    cursor = off[:-1].copy()
    for j in range(len(counts_of)):
        sm, b, tb = sample(j), src_base[j], tgt_base[j]
        vals = [fn(sm, j) for _, fn in cols]
        ns = sm.counts.size
        lo, hi = int(cursor[b]), int(cursor[b] + sm.t.size)
        if ns and hi == int(off[b + ns]) and lo == int(off[b]) or sm.t.size == 0:
            # the only projection of these sources: one contiguous block
            np.add(sm.t, tgt.dtype.type(tb), out=tgt[lo:hi], casting="unsafe")
            for o, v in zip(outs, vals):
                o[lo:hi] = v
        else:
            cum = np.concatenate([[0], np.cumsum(sm.counts)])
            i0 = 0
            while i0 < ns:        # source chunks of about _CHUNK synapses
                i1 = int(np.searchsorted(cum, cum[i0] + _CHUNK, side="right"))
                i1 = min(ns, max(i1 - 1, i0 + 1))
                dest = ranges(cursor[b + i0:b + i1], sm.counts[i0:i1])
                sl = slice(int(cum[i0]), int(cum[i1]))
                tgt[dest] = sm.t[sl] + tgt.dtype.type(tb)
                for o, v in zip(outs, vals):
                    o[dest] = v[sl] if isinstance(v, np.ndarray) else v
                i0 = i1
        cursor[b:b + ns] += sm.counts
        del sm, vals                 # free this projection's arrays now
    # sources reached by several projections: sort their segments by target (stable: ties
    # keep projection order)
    multi = np.flatnonzero(n_contrib > 1)
    if multi.size:
        cum = np.concatenate([[0], np.cumsum(counts[multi])])
        i0 = 0
        while i0 < multi.size:
            i1 = int(np.searchsorted(cum, cum[i0] + _CHUNK, side="right"))
            i1 = min(multi.size, max(i1 - 1, i0 + 1))
            m = multi[i0:i1]
            idx = ranges(off[m], counts[m])
            seg = np.repeat(np.arange(m.size), counts[m])
            o = np.lexsort((tgt[idx], seg))
            tgt[idx] = tgt[idx][o]
            for a in outs:
                a[idx] = a[idx][o]
            i0 = i1
    return off, tgt, outs


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
    # projections whose synapse counts are known are drawn only when placed (one at a time);
    # the others are drawn first, to count them
    n_proj = len(spec.projections)
    samples, counts_of, src_base, tgt_base = [None] * n_proj, [], [], []
    # delays and plasticity: columns of their own only when some projection has them, as narrow
    # as the largest value the spec allows (docs/microarchitecture.md §10, §11)
    dt_ms = spec.fixed_point.dt_ms
    d_max = max((_max_delay(pr, dt_ms) for pr in spec.projections), default=1)
    delay_dt = None if d_max <= 1 else (np.uint8 if d_max < (1 << 8) else np.uint16 if d_max < (1 << 16)
                                        else np.int32)
    rules, rule_of = [], []
    for pr in spec.projections:
        plastic = pr.plasticity is not None and spec.learning
        if plastic and pr.plasticity not in rules:
            rules.append(pr.plasticity)
        rule_of.append(rules.index(pr.plasticity) if plastic else -1)
    pairs = [(pr.source, pr.target) for pr in spec.projections]
    shared_groups = len(set(pairs)) < len(pairs)      # syn_proj cannot follow from the groups
    for i, pr in enumerate(spec.projections):
        ns, nt = sizes[pr.source], sizes[pr.target]
        c = _known_counts(pr, ns, nt)
        if c is None:
            samples[i] = _sample_projection(pr, i, seed, ns, nt, base_dir, dt_ms, delay_dt)
            c = samples[i].counts
        counts_of.append(c)
        src_base.append(in_off[pr.source] if pr.source in in_off else n_inputs + pop_off[pr.source])
        tgt_base.append(pop_off[pr.target])
    narrow = all(_fits_int16(pr.weight, pr.connect) for pr in spec.projections) and \
        all(sm is None or sm.w.dtype == np.int16 for sm in samples)

    def sample(j: int) -> _Sample:
        sm, samples[j] = samples[j], None
        if sm is None:
            pr = spec.projections[j]
            sm = _sample_projection(pr, j, seed, sizes[pr.source], sizes[pr.target], base_dir, dt_ms, delay_dt)
            assert np.array_equal(sm.counts, counts_of[j]), "a projection drew other counts than its rule fixes"
        return sm

    cols = [(np.int16 if narrow else np.int32, lambda sm, j: sm.w)]
    if delay_dt is not None:
        cols.append((delay_dt, lambda sm, j: sm.d))
    if rules:
        cols.append((np.int8 if len(rules) < 128 else np.int16, lambda sm, j: rule_of[j]))
    if shared_groups:
        cols.append((_proj_dtype(n_proj), lambda sm, j: j))
    src_off, syn_t, outs = _place(counts_of, sample, src_base, tgt_base, n_inputs + n_neurons, n_neurons, cols)
    syn_w = outs.pop(0)
    syn_d = outs.pop(0) if delay_dt is not None else None
    syn_r = outs.pop(0) if rules else None
    syn_p = outs.pop(0) if shared_groups else None
    if syn_w.dtype != np.int16 and syn_w.size and int(syn_w.min()) >= -(1 << 15) and int(syn_w.max()) < (1 << 15):
        syn_w = syn_w.astype(np.int16)
    if syn_d is not None and not (syn_d > 1).any():
        syn_d = None
    for arr in (*params.values(), src_off, syn_t, syn_w, syn_d, syn_r, syn_p):
        if arr is not None:
            arr.setflags(write=False)
    return NetworkInstance(spec=spec, seed=seed, n_neurons=n_neurons, n_inputs=n_inputs,
                           pop_offsets=MappingProxyType(pop_off), input_offsets=MappingProxyType(in_off),
                           params=MappingProxyType(params), source_offsets=src_off, syn_target=syn_t,
                           syn_weight=syn_w, base_dir=base_dir,
                           input_graded=input_graded if input_graded.any() else None,
                           syn_delay=syn_d, syn_rule=syn_r, rules=tuple(rules), proj_stored=syn_p)


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
