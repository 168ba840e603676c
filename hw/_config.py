"""Chip configuration: what the chip *is*. Frozen pydantic models, unknown keys rejected.

Derived quantities (address widths, SRAM bits, flit layout) are computed once, in
:class:`ChipDerived`, and read everywhere else from ``chip.derived``.
"""
from __future__ import annotations

import math
import os
from dataclasses import dataclass
from functools import cached_property
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from . import _technology as _tech
from ._layout import COUNTER_NAMES, N_PORTS, PORTS  # noqa: F401 (N_PORTS re-exported)
from ._frozen import ConfigModel, Frozen, FrozenDict
from ._paths import set_path
from ._yaml import parse_yaml, read_yaml, validate_data

DECAY_BITS = 12          # du/dv are 12-bit: decay(x, d) = trunc(x * (4096 - d) / 4096)
DECAY_ONE = 1 << DECAY_BITS
W_EXP_MAX = 7            # weight exponent is a 3-bit field
PORT_NAMES = PORTS        # router ports, declared in _layout


_Model = ConfigModel


def _clog2(n: int) -> int:
    return max(1, math.ceil(math.log2(n))) if n > 1 else 1


MAX_CORES = 4096         # a chip's cores (a system holds up to 65,536: hw/_system.py; docs/engine.md "Hard limits")


class MeshConfig(_Model):
    """Tile grid: ``width`` columns (x, west→east) × ``height`` rows (y, north→south); a tile is
    one router and ``cores_per_router`` cores (concentration)."""
    width: Annotated[int, Field(ge=1, le=64, description="tiles (routers) along x")] = 4
    height: Annotated[int, Field(ge=1, le=64, description="tiles (routers) along y")] = 4
    cores_per_router: Annotated[int, Field(ge=1, le=4, description="cores sharing one router through their own "
                                           "local ports (concentration; 1 = one core per tile)")] = 1

    @model_validator(mode="after")
    def _cores_fit(self):
        n = self.width * self.height * self.cores_per_router
        if n > MAX_CORES:
            raise ValueError(f"@cores_per_router|mesh.width x mesh.height x mesh.cores_per_router = {n} cores, more "
                             f"than the {MAX_CORES} the simulator addresses|use a smaller mesh or fewer cores per router")
        return self


class CoreConfig(_Model):
    """Capacities of one neuro-core and its input FIFO."""
    neurons: Annotated[int, Field(ge=1, le=65536, description="neurons per core")] = 256
    axons: Annotated[int, Field(ge=1, le=65536, description="axon-table entries per core")] = 1024
    synapse_words: Annotated[int, Field(ge=1, le=1 << 22, description="synapse SRAM words per core")] = 16384
    synapse_lanes: Annotated[int, Field(ge=1, le=16, description="synapse slots per SRAM word (read per cycle)")] = 1
    synapse_word_cycles: Annotated[int, Field(ge=1, le=64, description="cycles the SI spends on one synapse word "
                                              "(read and accumulate; 1 = one word per cycle)")] = 1
    fanout_entries: Annotated[int, Field(ge=1, le=1 << 20, description="fan-out table entries per core")] = 4096
    profiles: Annotated[int, Field(ge=1, le=256, description="neuron parameter profiles per core")] = 16
    fifo_depth: Annotated[int, Field(ge=1, le=64, description="core input FIFO depth (flits)")] = 4
    neuron_update: Annotated[Literal["dense", "event"], Field(
        description="dense: the NU updates every neuron each timestep; event: only pending neurons "
                    "(docs/microarchitecture.md §5.1)")] = "dense"
    scan_word_bits: Annotated[int, Field(ge=1, le=64, description="pending-bitmap bits an event-driven NU scans per "
                                                                  "cycle (a power of two; unused when dense)")] = 32
    delay_slots: Annotated[int, Field(ge=1, le=64, description="synaptic delays of 1..delay_slots timesteps: every "
                                      "synapse slot holds an extra delay of 0..delay_slots-1 and the accumulators "
                                      "are a ring of delay_slots+1 banks (1 = the one-timestep hop delay only; "
                                      "docs/microarchitecture.md §10)")] = 1
    learning: Annotated[Literal["off", "stdp"], Field(
        description="on-chip learning: stdp adds a plastic bit per synapse slot, pre/post traces, a reverse "
                    "table and a learning engine to every core (docs/microarchitecture.md §11)")] = "off"
    learning_entries: Annotated[int, Field(ge=1, le=1 << 20, description="reverse-table entries per core: incoming "
                                           "plastic synapses the learning engine can reach (used with "
                                           "learning: stdp)")] = 4096

    @field_validator("scan_word_bits")
    @classmethod
    def _pow2(cls, v: int) -> int:
        if v & (v - 1):
            lo = 1 << (v.bit_length() - 1)
            raise ValueError(f"must be a power of two (1, 2, 4, ..., 64): the NU addresses a bitmap word by the "
                             f"neuron index's high bits|use {lo} or {2 * lo}")
        return v


class RouterConfig(_Model):
    """Mesh router: one input FIFO of ``fifo_depth`` flits per port (N, E, S, W and one local port
    per core), round-robin arbiters; XY unicast routing, or key-table multicast
    (docs/microarchitecture.md §4)."""
    fifo_depth: Annotated[int, Field(ge=1, le=64, description="router input FIFO depth (flits)")] = 2
    routing: Annotated[Literal["unicast", "multicast"], Field(
        description="unicast: one XY-routed flit per destination core; multicast: a source reaching several "
                    "cores sends one flit, replicated by the routers from key tables with default routes")] = "unicast"
    table_entries: Annotated[int, Field(ge=1, le=1 << 20, description="multicast routing-table entries per router "
                                        "(used when routing is multicast)")] = 1024


class BitsConfig(_Model):
    """Fixed-point widths (signed unless noted)."""
    weight: Annotated[int, Field(ge=2, le=16, description="synaptic weight bits")] = 8
    state: Annotated[int, Field(ge=4, le=32, description="u and v bits (saturating)")] = 16
    accumulator: Annotated[int, Field(ge=4, le=32, description="input accumulator bits")] = 20
    refractory: Annotated[int, Field(ge=1, le=8, description="refractory counter bits (unsigned)")] = 4
    payload: Annotated[int, Field(ge=0, le=16, description="spike payload bits (unsigned): 0 = binary spikes, "
                                                           "1..16 = graded spikes")] = 0
    trace: Annotated[int, Field(ge=2, le=16, description="STDP trace bits (unsigned; used with core.learning: "
                                                         "stdp)")] = 8

    @model_validator(mode="after")
    def _acc_holds_weight(self):
        if self.accumulator < self.weight:
            raise ValueError(f"@accumulator|bits.accumulator ({self.accumulator}) must be >= bits.weight ({self.weight})"
                             "|raise bits.accumulator or lower bits.weight")
        p = self.payload
        if p and self.weight + p > self.accumulator:
            raise ValueError(f"@payload|bits.payload = {p}: one synapse adds weight x payload, which needs "
                             f"bits.weight + bits.payload = {self.weight + p} bits, more than bits.accumulator = "
                             f"{self.accumulator}|raise bits.accumulator to {self.weight + p} (max 32) or lower "
                             f"bits.payload to {max(0, self.accumulator - self.weight)}")
        if p and p >= self.state:
            raise ValueError(f"@payload|bits.payload = {p} must be below bits.state = {self.state}: a payload counts "
                             f"the thresholds (>= 1) crossed by a {self.state}-bit membrane, so it never reaches "
                             f"2^{self.state - 1}|lower bits.payload to {self.state - 1} or raise bits.state")
        return self


class HostConfig(_Model):
    """The host link enters the West input port of tile (0, row)."""
    row: Annotated[int, Field(ge=0, description="row y of the west-edge tile that carries the host link")] = 0


class SramFitConfig(_Model):
    """One CACTI-style SRAM fit for one word width: E = a * S_KB**b pJ per access."""
    word_bits: Annotated[int, Field(ge=1, le=4096, description="word (access) width of this fit")]
    read_a_pj: Annotated[float, Field(gt=0, description="read energy at 1 KB")]
    read_b: Annotated[float, Field(ge=0, le=2, description="read energy exponent of capacity")]
    write_a_pj: Annotated[float, Field(gt=0, description="write energy at 1 KB")]
    write_b: Annotated[float, Field(ge=0, le=2, description="write energy exponent of capacity")]


class TechnologyConfig(_Model):
    """Process technology: derives per-event energies, leakage and area (docs/energy.md).

    Fields left empty (null) take the node's default from the tables in
    ``neurocycle.hw._technology`` (every value names its publication, docs/references.md); a node
    without table rows needs them set explicitly.
    """
    node_nm: Annotated[int, Field(ge=3, le=250, description="process node (tables: 45, 28, 22)")] = 28
    sram_cell: Annotated[Literal["itrs-hp", "itrs-lop"], Field(description="CACTI cell type of the SRAM energy fits")] = "itrs-hp"
    sram_fits: Annotated[tuple[SramFitConfig, ...] | None, Field(description="own E = a*S_KB^b fits (>= two word widths)")] = None
    sram_leakage_uw_per_kb: Annotated[float, Field(ge=0, le=1e5, description="SRAM (+logic) leakage")] = \
        _tech.SRAM_LEAKAGE_UW_PER_KB_DEFAULT
    sram_area_um2_per_bit: Annotated[float | None, Field(gt=0, le=100, description="SRAM area per bit incl. periphery (null: node table)")] = None
    logic_um2_per_ge: Annotated[float | None, Field(gt=0, le=1000, description="logic area per gate equivalent (null: node table)")] = None
    core_logic_ge: Annotated[float | None, Field(gt=0, le=1e9, description="core logic size (null: structural estimate)")] = None
    router_logic_ge: Annotated[float | None, Field(gt=0, le=1e9, description="router logic size (null: structural estimate)")] = None
    logic_energy_scale: Annotated[float | None, Field(gt=0, le=100, description="logic energy vs 45 nm (null: node table)")] = None
    router_pj_per_bit: Annotated[float, Field(ge=0, le=100, description="router traversal energy per flit bit")] = _tech.ROUTER_PJ_PER_BIT_DEFAULT
    wire_pj_per_bit_mm: Annotated[float | None, Field(ge=0, le=100, description="link wire energy (null: node table)")] = None
    tile_pitch_mm: Annotated[float | None, Field(gt=0, le=100, description="link length (null: sqrt of tile area)")] = None
    host_link_pj_per_bit: Annotated[float, Field(ge=0, le=1e4, description="host link energy per flit bit")] = _tech.HOST_LINK_PJ_PER_BIT_DEFAULT
    clock_pj_per_mm2_cycle: Annotated[float | None, Field(ge=0, le=1e4, description="clock/idle energy per tile area per cycle (null: node table)")] = None
    overhead_factor: Annotated[float, Field(ge=1, le=100, description="control/overhead multiplier")] = \
        _tech.OVERHEAD_FACTOR_DEFAULT

    @field_validator("sram_fits")
    @classmethod
    def _two_widths(cls, v):
        if v is not None and len({f.word_bits for f in v}) < 2:
            raise ValueError("needs fits for at least two different word widths"
                             "|give two fits (e.g. word_bits 32 and 64) so energies scale to any word width")
        return v


class EnergyConfig(_Model):
    """Per-event energies (pJ, named like the event counters), static power, operating mode.

    ``mode: table`` — ``events_pj`` is the complete table (unlisted events cost 0) and
    ``static_power_mw`` the static power (0 if unset). ``mode: technology`` — energies are
    derived from the chip's ``technology`` section; ``events_pj`` / ``static_power_mw``
    override single entries.
    """
    mode: Annotated[Literal["table", "technology"], Field(description="table: events_pj is complete; technology: derived from `technology`")] = "technology"
    events_pj: Annotated[dict[str, Annotated[float, Field(ge=0)]], Frozen] = Field(
        default_factory=FrozenDict, description="pJ per event, keyed by event name (below)")
    static_power_mw: Annotated[float | None, Field(ge=0, description="static power of the chip as a whole (periphery, "
                                                   "or everything); null: derived (technology) or 0 (table)")] = None
    static_power_mw_per_core: Annotated[float | None, Field(ge=0, description="static power of each tile (leakage "
                                                            "of a core and its router), added to static_power_mw "
                                                            "once per core; null: none (table) or derived (technology)")] = None
    timestep_us: Annotated[float | None, Field(gt=0, le=1e9, description="real-time timestep (throttled operation)")] = None

    @field_validator("events_pj")
    @classmethod
    def _known_events(cls, v: dict) -> dict:
        unknown = sorted(set(v) - set(COUNTER_NAMES))
        if unknown:
            raise ValueError(f"unknown event name(s) {unknown}|use counter names: {', '.join(COUNTER_NAMES)}")
        return v

    @model_validator(mode="after")
    def _no_double_hops(self):
        # link_flits_ew / link_flits_ns split link_flits by direction: pricing both would charge
        # every hop twice (in technology mode link_flits carries a derived price unless set to 0)
        split = [n for n in ("link_flits_ew", "link_flits_ns") if self.events_pj.get(n, 0.0) > 0]
        if not split:
            return self
        whole = self.events_pj.get("link_flits")
        if (whole or 0.0) > 0 or (whole is None and self.mode == "technology"):
            got = whole if whole is not None else "derived (technology mode)"
            raise ValueError(f"@events_pj.link_flits|is priced ({got}) together with {' and '.join(split)}, "
                             "which count the same hops by direction, so every hop would be charged twice"
                             "|price hops either as link_flits or as link_flits_ew + link_flits_ns, and set "
                             "link_flits: 0 when you use the directions")
        return self


class ChipConfig(_Model):
    """A many-core neuromorphic chip of the reference microarchitecture (docs/microarchitecture.md)."""
    name: Annotated[str, Field(description="preset / report name")] = "chip"
    description: Annotated[str, Field(description="one line for `neurocycle presets`")] = ""
    clock_mhz: Annotated[float, Field(ge=0.001, le=10000, description="clock frequency")] = 100.0
    barrier_cycles: Annotated[int, Field(ge=1, le=1 << 20, description="cycles of the timestep barrier")] = 8
    mesh: MeshConfig = MeshConfig()
    core: CoreConfig = CoreConfig()
    router: RouterConfig = RouterConfig()
    bits: BitsConfig = BitsConfig()
    host: HostConfig = HostConfig()
    energy: EnergyConfig = EnergyConfig()
    technology: TechnologyConfig = TechnologyConfig()

    @model_validator(mode="after")
    def _host_on_mesh(self):
        if self.host.row >= self.mesh.height:
            raise ValueError(f"@host.row|host.row {self.host.row} is outside the mesh (height {self.mesh.height})"
                             f"|use a row in 0..{self.mesh.height - 1}")
        return self

    @cached_property
    def derived(self) -> "ChipDerived":
        return ChipDerived.of(self)

    def with_overrides(self, overrides: dict) -> "ChipConfig":
        """A new validated config with dotted-path overrides applied (``{"core.neurons": 64}``)."""
        data = self.model_dump(mode="json")
        for path, value in overrides.items():
            set_path(data, path, value, "chip config", "core.neurons or router.fifo_depth")
        return validate_data(ChipConfig, data, what="chip")


@dataclass(frozen=True)
class ChipDerived:
    """Quantities derived from a chip config, computed in this one place."""
    n_cores: int              # routers x cores_per_router
    n_routers: int            # mesh tiles
    n_ports: int              # router ports: cores_per_router local ports + N, E, S, W
    x_bits: int               # flit dst_x: a core column x * cores_per_router + local core
    mc_bits: int              # flit mc field: 1 on a multicast chip, else 0 (absent)
    y_bits: int
    axon_bits: int
    neuron_bits: int
    profile_bits: int
    payload_bits: int         # spike payload (0: binary chip)
    flit_bits: int            # axon + dst_y + dst_x + mc + payload
    word_addr_bits: int
    fanout_addr_bits: int
    synapse_slot_bits: int    # valid + target + weight
    synapse_word_bits: int    # lanes * slot bits
    synapse_sram_bits: int    # per core
    neuron_state_bits: int    # per neuron: u + v + refractory
    axon_entry_bits: int      # base word + length
    axon_len_bits: int        # synapse count field of an axon entry (0 .. words*lanes)
    fanout_len_bits: int      # fan-out count field of a neuron entry (0 .. fanout_entries)
    fanout_entry_bits: int    # one destination route: the flit without its payload
    table_key_bits: int       # multicast table key: the route without its mc bit
    table_entry_bits: int     # valid + key + output-port set
    table_bits: int           # multicast table of one router (0 on a unicast chip)
    pending_bits: int         # per core: the pending bitmaps of an event-driven NU, one per bank (0 when dense)
    acc_banks: int            # accumulator banks (delay_slots + 1; 2 without delays)
    delay_bits: int           # extra-delay field of a synapse slot (0 when delay_slots = 1)
    learning: bool            # core.learning == "stdp"
    plastic_bits: int         # plastic bit of a synapse slot (1 with learning, else 0)
    trace_bits: int           # STDP trace width (bits.trace)
    lane_bits: int            # lane index width (ceil(log2 lanes), at least 1)
    rev_addr_bits: int        # reverse-table address (learning_entries)
    rev_len_bits: int         # reverse-table count field of a neuron entry (0 .. learning_entries)
    rev_entry_bits: int       # one reverse-table entry {axon, word, lane} (0 without learning)
    trace_mem_bits: int       # per core: (neurons + axons) x (trace + flag bit) (0 without learning)
    reverse_table_bits: int   # per core: learning_entries x rev_entry_bits (0 without learning)
    scan_words: int           # words of one pending bitmap (ceil(neurons / scan_word_bits)); 0 when dense
    profile_entry_bits: int
    core_sram_bits: int       # all memories of one core
    weight_min: int
    weight_max: int
    state_min: int
    state_max: int
    acc_min: int
    acc_max: int
    refractory_max: int
    cycle_ns: float

    @classmethod
    def of(cls, c: ChipConfig) -> "ChipDerived":
        core, bits = c.core, c.bits
        cpr = c.mesh.cores_per_router
        x_bits, y_bits = _clog2(c.mesh.width * cpr), _clog2(c.mesh.height)
        axon_bits, neuron_bits = _clog2(core.axons), _clog2(core.neurons)
        profile_bits, word_addr_bits = _clog2(core.profiles), _clog2(core.synapse_words)
        fanout_addr_bits = _clog2(core.fanout_entries)
        mc_bits = 1 if c.router.routing == "multicast" else 0
        payload_bits = bits.payload
        route_bits = x_bits + y_bits + axon_bits + mc_bits
        flit_bits = route_bits + payload_bits
        n_ports = cpr + 4
        key_bits = route_bits - mc_bits
        entry_bits = 1 + key_bits + n_ports
        event = core.neuron_update == "event"
        banks = core.delay_slots + 1
        pending_bits = banks * core.neurons if event else 0
        delay_bits = _clog2(core.delay_slots) if core.delay_slots > 1 else 0
        learning = core.learning == "stdp"
        plastic_bits = 1 if learning else 0
        lane_bits = _clog2(core.synapse_lanes)
        rev_addr_bits, rev_len_bits = _clog2(core.learning_entries), _clog2(core.learning_entries + 1)
        slot_bits = 1 + neuron_bits + bits.weight + delay_bits + plastic_bits
        word_bits = slot_bits * core.synapse_lanes
        # axon entry: base word address + synapse count (up to neurons*... bounded by words*lanes)
        len_bits = _clog2(core.synapse_words * core.synapse_lanes + 1)
        axon_entry_bits = word_addr_bits + len_bits
        state_bits = 2 * bits.state + bits.refractory
        profile_entry_bits = 2 * DECAY_BITS + 3 * bits.state + bits.refractory + 3 + (1 if payload_bits else 0)
        neuron_mem_bits = core.neurons * (state_bits + profile_bits + fanout_addr_bits
                                          + _clog2(core.fanout_entries + 1) + banks * bits.accumulator
                                          + ((rev_addr_bits + rev_len_bits) if learning else 0))
        rev_entry_bits = (axon_bits + word_addr_bits + lane_bits) if learning else 0
        trace_mem_bits = (core.neurons + core.axons) * (bits.trace + 1) if learning else 0
        core_sram = (core.synapse_words * word_bits + core.axons * axon_entry_bits
                     + core.fanout_entries * route_bits + core.profiles * profile_entry_bits + neuron_mem_bits
                     + pending_bits + trace_mem_bits + core.learning_entries * rev_entry_bits)
        return cls(
            n_cores=c.mesh.width * c.mesh.height * cpr, n_routers=c.mesh.width * c.mesh.height, n_ports=n_ports,
            x_bits=x_bits, mc_bits=mc_bits, y_bits=y_bits, axon_bits=axon_bits,
            neuron_bits=neuron_bits, profile_bits=profile_bits, payload_bits=payload_bits, flit_bits=flit_bits,
            word_addr_bits=word_addr_bits, fanout_addr_bits=fanout_addr_bits,
            synapse_slot_bits=slot_bits, synapse_word_bits=word_bits,
            synapse_sram_bits=core.synapse_words * word_bits, neuron_state_bits=state_bits,
            axon_entry_bits=axon_entry_bits, axon_len_bits=len_bits, fanout_len_bits=_clog2(core.fanout_entries + 1),
            fanout_entry_bits=route_bits, table_key_bits=key_bits, table_entry_bits=entry_bits,
            table_bits=c.router.table_entries * entry_bits if mc_bits else 0,
            pending_bits=pending_bits, acc_banks=banks, delay_bits=delay_bits,
            learning=learning, plastic_bits=plastic_bits, trace_bits=bits.trace, lane_bits=lane_bits,
            rev_addr_bits=rev_addr_bits, rev_len_bits=rev_len_bits, rev_entry_bits=rev_entry_bits,
            trace_mem_bits=trace_mem_bits, reverse_table_bits=core.learning_entries * rev_entry_bits,
            scan_words=-(-core.neurons // core.scan_word_bits) if event else 0,
            profile_entry_bits=profile_entry_bits, core_sram_bits=core_sram,
            weight_min=-(1 << (bits.weight - 1)), weight_max=(1 << (bits.weight - 1)) - 1,
            state_min=-(1 << (bits.state - 1)), state_max=(1 << (bits.state - 1)) - 1,
            acc_min=-(1 << (bits.accumulator - 1)), acc_max=(1 << (bits.accumulator - 1)) - 1,
            refractory_max=(1 << bits.refractory) - 1, cycle_ns=1000.0 / c.clock_mhz,
        )


def load_chip(source: "str | os.PathLike | ChipConfig | dict | None" = None) -> ChipConfig:
    """Load a chip config from a preset name, a YAML path, a dict, or ``None`` (the default preset)."""
    from ._presets import DEFAULT_CHIP, resolve_file

    if isinstance(source, ChipConfig):
        return source
    if isinstance(source, dict):
        return validate_data(ChipConfig, source, what="chip")
    path = resolve_file("chips", DEFAULT_CHIP if source is None else source)
    data, node = read_yaml(path)
    return validate_data(ChipConfig, data, node=node, source=path, what="chip")


def chip_from_yaml_text(text: str, source: str = "<string>") -> ChipConfig:
    data, node = parse_yaml(text, source)
    return validate_data(ChipConfig, data, node=node, source=source, what="chip")
