"""The contract between the three implementations, declared once.

Everything the functional reference, the Cython cycle model and the SystemVerilog RTL must
agree on *by construction* is declared here, and the other languages are generated from it
(``python -m neurocycle.hw._codegen``; a test fails when a generated file is stale):

- the router port order;
- the bit layouts: the chip's flit, and the cycle kernel's internal words (its flit word,
  FIFO record state, downstream-table entry, timer key);
- the neuron-profile fields and the neuron-memory fields of the host bus;
- the event counters: name, unit, scope, description, their order in the RTL counter banks and
  how each is priced in *every* energy mode (or why it is free);
- the RTL parameter set of ``nc_chip`` (name, where its value comes from, which modules take it);
- the host-bus address map (selects, register indices).

Generated from it: ``rtl/nc_defs.svh`` (indices, field positions, flit accessors, the parameter
read-back vector), ``rtl/nc_chip_params.svh`` / ``rtl/nc_tile_params.svh`` /
``rtl/nc_tile_param_map.svh`` (the parameter lists of the chip, tile and core modules),
``cython_core/_layout.pxd`` (kernel constants) and ``docs/layout.md`` (the reference page).
How to add a counter, a parameter or a flit field: docs/contributing.md.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

__all__ = [
    "PORTS", "N_PORTS", "MAX_PORTS", "MAX_CORES_PER_ROUTER", "port_names", "local_port", "BitField", "BitLayout", "CHIP_FLIT", "KERNEL_FLIT", "KERNEL_MC_FLIT", "KERNEL_AXON", "KERNEL_FIFO_STATE",
    "KERNEL_DOWNSTREAM", "KERNEL_TIMER", "KERNEL_LAYOUTS", "RecordField", "Record", "SYNAPSE_SLOT", "SYNAPSE_META", "SYNAPSE_SLOT_DL",
    "synapse_slot", "ProfileField", "PROFILE_FIELDS", "PROFILE",
    "NEURON_FIELDS", "AXON_FIELDS", "REV_FIELDS", "STDP_FIELDS", "BANK_PEND_FIELD",
    "Component", "Energy", "Free", "Counter", "COUNTERS", "COUNTER_NAMES", "COUNTER_BY_NAME",
    "CORE_COUNTERS", "ROUTER_COUNTERS", "CHIP_COUNTERS", "DETAIL_FIELDS", "DETAIL_NAMES", "RtlParam", "RTL_PARAMS",
    "RTL_PARAM_BY_NAME", "SystemRtlParam", "SYSTEM_RTL_PARAMS", "BUS", "SELECTS", "CHIP_REGS", "CORE_REGS", "ROUTER_REGS", "CNT_BITS", "OCC_BITS", "DEFAULT_HOST_QUEUE_DEPTH",
]

# ============================================================================ ports
PORTS = ("L", "N", "E", "S", "W")      # router port order: also the arbitration order
N_PORTS = len(PORTS)                   # ports of a router with one core (cores_per_router = 1)
MAX_CORES_PER_ROUTER = 4
MAX_PORTS = MAX_CORES_PER_ROUTER + 4   # local ports of cores 1..C-1 follow W: L1 = 5, L2 = 6, L3 = 7


def port_names(cores_per_router: int = 1) -> tuple[str, ...]:
    """The ports of a router with ``cores_per_router`` local ports, in port (= arbitration) order:
    ``L N E S W`` then ``L1 .. L(C-1)`` (docs/microarchitecture.md §1)."""
    return PORTS + tuple(f"L{j}" for j in range(1, cores_per_router))


def local_port(j: int) -> int:
    """The port of local core ``j`` of a router."""
    return 0 if j == 0 else N_PORTS - 1 + j


# ============================================================================ bit layouts
@dataclass(frozen=True)
class BitField:
    """One field of a packed word. ``bits`` is a fixed width, or the name of a width that
    depends on the chip (a ``ChipDerived`` attribute and RTL parameter, e.g. ``axon_bits``)."""
    name: str
    bits: int | str
    doc: str


@dataclass(frozen=True)
class BitLayout:
    """A packed word, fields listed from the least significant bit up."""
    name: str
    fields: tuple[BitField, ...]
    doc: str

    def field(self, name: str) -> BitField:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(f"{self.name} has no field {name!r}")

    def widths(self, widths: dict[str, int] | None = None) -> dict[str, int]:
        """Field -> width, symbolic widths resolved from ``widths`` (e.g. ``ChipDerived`` values)."""
        out = {}
        for f in self.fields:
            out[f.name] = f.bits if isinstance(f.bits, int) else int((widths or {})[f.bits])
        return out

    def shifts(self, widths: dict[str, int] | None = None) -> dict[str, int]:
        """Field -> LSB position."""
        out, pos = {}, 0
        for name, w in self.widths(widths).items():
            out[name] = pos
            pos += w
        return out

    def total_bits(self, widths: dict[str, int] | None = None) -> int:
        return sum(self.widths(widths).values())

    def max(self, name: str, widths: dict[str, int] | None = None) -> int:
        """Largest value field ``name`` holds."""
        return (1 << self.widths(widths)[name]) - 1

    def pack(self, widths: dict[str, int] | None = None, **values) -> np.ndarray:
        """Pack (vectorised, int64) the given fields; unlisted fields are 0. Values must fit."""
        sh = self.shifts(widths)
        out = np.zeros(np.broadcast(*[np.asarray(v) for v in values.values()]).shape if values else (), np.int64)
        for name, v in values.items():
            out = out | (np.asarray(v, np.int64) << sh[name])
        return out

    def unpack(self, word, name: str, widths: dict[str, int] | None = None) -> np.ndarray:
        return (np.asarray(word, np.int64) >> self.shifts(widths)[name]) & self.max(name, widths)


# The chip's flit: one spike = one single-flit packet (docs/microarchitecture.md §2).
CHIP_FLIT = BitLayout("flit", (
    BitField("axon", "axon_bits", "destination axon of the destination core(s)"),
    BitField("dst_y", "y_bits", "destination row (a multicast flit: the source core's row)"),
    BitField("dst_x", "x_bits", "destination core column x * cores_per_router + local core (a multicast flit: the "
                                "source core's)"),
    BitField("mc", "mc_bits", "1: a multicast flit, routed by the routers' key tables (absent: 0 bits on a "
                              "unicast chip)"),
    BitField("payload", "payload_bits", "spike payload (graded chips; 0 bits on a binary chip): put on top of a "
                                        "fan-out entry by the NU, given by the host for an input"),
), "a spike on the mesh, as routed by the routers; the fan-out tables hold it without its payload")

# The cycle kernel's flit word: what the hot loops need, with no table look-up (docs/engine.md).
# dst 16 bits (and the timer's core, the downstream table's FIFO index) bound the kernel to 65,536
# cores: a chip has at most 4,096 (64 x 64), a system of chips is simulated as one mesh of at most
# 65,536 (hw/_system.py MAX_SYSTEM_CORES). record 32 bits = the global index of every axon-table
# entry of the largest system (65,536 cores x 65,536 axons), so the word imposes no limit of its
# own. Bit 63 stays 0 (a multicast copy, KERNEL_MC_FLIT, is negative): words has the 12 bits left;
# a longer axon saturates it and takes its busy cycles from its record.
KERNEL_FLIT = BitLayout("kflit", (
    BitField("dst", 16, "destination core k (of the chip, or of a system's mesh)"),
    BitField("port", 3, "output port at the router whose FIFO holds the flit (written at every push)"),
    BitField("words", 12, "SI busy cycles of the destination axon (words x synapse_word_cycles), saturated "
                          "(the kernel then computes them from the axon record)"),
    BitField("record", 32, "global index of the destination axon, core_axon_offset[dst] + axon: its two-word "
                           "record is at 2 x record in the kernel's axon table"),
    BitField("unused", 1, "0 (a kmcflit has 1 here)"),
), "the cycle kernel's int64 flit")

# Word 1 of the kernel's two-word record of one axon. Word 0 is the int64 byte offset of the axon's
# first synapse slot in the program's synapse memory (SYNAPSE_SLOT records, flattened over cores,
# words and lanes): 64 bits, so that memory has no size limit of the kernel's making.
KERNEL_AXON = BitLayout("kaxon", (
    BitField("n_syn", 30, "synapses of the axon (valid slots from the offset on; at most core.synapse_words x "
                          "synapse_lanes = 2^26)"),
    BitField("row_base", 34, "first placed row of the axon's core (its synapses' targets are local)"),
), "word 1 of the cycle kernel's axon record [slot offset, kaxon]")

# The general router path's multicast flit word (docs/engine.md): bit 63 set (a negative int64),
# the node of the flit's copy in the kernel's tree of the routes of its multicast flit.
KERNEL_MC_FLIT = BitLayout("kmcflit", (
    BitField("node", 32, "tree node of this copy: the router it is at and its outputs there"),
    BitField("unused", 31, "0"),
    BitField("tag", 1, "1: a multicast copy (the int64 is negative); a kflit has 0 here"),
), "the cycle kernel's int64 multicast flit (general router path)")

KERNEL_FIFO_STATE = BitLayout("kfifo", (
    BitField("pops", 48, "flits popped so far (the ring head is pops mod capacity)"),
    BitField("occ", 8, "occupancy"),
    BitField("max_occ", 8, "largest start-of-cycle occupancy"),
), "word 0 of the kernel's record of one router input FIFO (uint64)")

KERNEL_DOWNSTREAM = BitLayout("kdown", (
    BitField("req_base", 11, "REQ-plane index of (input p2, output 0, row y2): ((p2*6) << 6) + y2"),
    BitField("x", 6, "column x2 of the downstream router (its bit in the row words)"),
    BitField("fifo", 19, "record index r2*8 + p2 of the downstream input FIFO"),
    BitField("route_row", 28, "r2 << LNC: the downstream router's row of the routing table (bit-parallel "
                              "path: at most 4,096 routers x 4,096 cores; 0 on a system)"),
), "the kernel's per-(router, output) downstream-table entry (int64)")

KERNEL_TIMER = BitLayout("ktimer", (
    BitField("core", 16, "core of the timer"),
    BitField("kind", 1, "0: the NU's next push phase starts; 1: the core FIFO has space again"),
    BitField("cycle", 47, "cycle the timer fires"),
), "a key of the kernel's timer heap (int64, ordered by cycle)")

KERNEL_LAYOUTS = (KERNEL_FLIT, KERNEL_MC_FLIT, KERNEL_AXON, KERNEL_FIFO_STATE, KERNEL_DOWNSTREAM, KERNEL_TIMER)


# ============================================================================ synapse memory
@dataclass(frozen=True)
class RecordField:
    """A field of a packed in-memory record: its numpy type code, C type and meaning."""
    name: str
    numpy: str
    ctype: str
    doc: str


@dataclass(frozen=True)
class Record:
    """A packed record (no padding) that Python builds as a numpy structured array and the kernel
    reads as a C ``packed struct`` of the same name."""
    name: str
    fields: tuple[RecordField, ...]
    doc: str

    @property
    def dtype(self) -> np.dtype:
        return np.dtype([(f.name, f.numpy) for f in self.fields])


# One slot of a core's synapse memory, as the chip program holds it ([words, lanes] of these, with
# the valid bits in a separate uint8 array of the same shape; the cycle kernel reads the same
# array). 4 bytes: the target is a neuron index local to the core (core.neurons <= 65,536) and
# the weight a signed bits.weight value (bits.weight <= 16); as a little-endian uint32 the target
# is the low half (numpy gathers it as one contiguous word).
SYNAPSE_SLOT = Record("SynSlot", (
    RecordField("target", "<u2", "uint16_t", "target neuron, local to the core (0 if invalid)"),
    RecordField("weight", "<i2", "int16_t", "signed weight (0 if invalid)"),
), "one synapse slot of the program's synapse memory (numpy structured array / C packed struct; valid "
   "bits apart)")

# The delay and plastic bits of a synapse slot (docs/microarchitecture.md §10, §11): a chip with
# delays (core.delay_slots > 1) or learning (core.learning: stdp) holds them in a fifth byte of
# every slot (SYNAPSE_SLOT_DL); a chip without either keeps the 4-byte SYNAPSE_SLOT, so the default
# synapse memory costs nothing for them (issue #18).
SYNAPSE_META = BitLayout("synmeta", (
    BitField("delay", 6, "extra delay d = total delay - 1 (0 .. core.delay_slots - 1 <= 63; 0 if invalid)"),
    BitField("plastic", 1, "1: the slot learns (STDP; 0 if invalid)"),
    BitField("unused", 1, "0"),
), "the meta byte of a synapse slot on a chip with delays or learning (SYNAPSE_SLOT_DL)")

SYNAPSE_SLOT_DL = Record("SynSlotDL", SYNAPSE_SLOT.fields + (
    RecordField("meta", "u1", "uint8_t", "delay | plastic << 6 (SYNAPSE_META)"),
), "one synapse slot of a chip with delays or learning: SYNAPSE_SLOT and its SYNAPSE_META byte (the cycle "
   "kernel updates learned weights in place)")


def synapse_slot(delay_slots: int, learning: str) -> Record:
    """The synapse slot record of a chip: SYNAPSE_SLOT_DL with delays or learning, else SYNAPSE_SLOT."""
    return SYNAPSE_SLOT_DL if (delay_slots > 1 or learning != "off") else SYNAPSE_SLOT


# ============================================================================ neuron memories
@dataclass(frozen=True)
class ProfileField:
    """A neuron-profile field: ``bits`` a fixed width or a ``bits.*`` config name; ``signed``."""
    name: str
    bits: int | str
    signed: bool
    doc: str


# The neuron parameter profile (docs/microarchitecture.md §7), in table-column and bus-field order.
PROFILE = (
    ProfileField("du", 12, False, "current decay: decay(u, du) = trunc(u * (4096 - du) / 4096)"),
    ProfileField("dv", 12, False, "voltage decay"),
    ProfileField("bias", "state", True, "constant added to v every update"),
    ProfileField("vth", "state", True, "threshold: spike if v >= vth"),
    ProfileField("v_reset", "state", True, "v after a spike"),
    ProfileField("refractory", "refractory", False, "timesteps without integration after a spike"),
    ProfileField("w_exp", 3, False, "input scaling: I * 2**w_exp"),
    ProfileField("graded", 1, False, "graded output: payload = thresholds crossed (max 2**P - 1), reset by "
                                     "subtraction; 0 = binary (graded chips only)"),
)
PROFILE_FIELDS = tuple(f.name for f in PROFILE)

# Fields of one neuron in the host-bus neuron memory select (index = neuron, field = this order).
NEURON_FIELDS = (
    ("profile", "profile index"),
    ("fo_base", "first fan-out entry"),
    ("fo_len", "fan-out entries"),
    ("u", "synaptic current state (signed)"),
    ("v", "membrane state (signed)"),
    ("ref", "refractory counter"),
    ("acc0", "accumulator bank 0 (physical)"),
    ("acc1", "accumulator bank 1 (physical)"),
    ("pend0", "pending bit, bank 0 (physical; event-driven cores)"),
    ("pend1", "pending bit, bank 1 (physical; event-driven cores)"),
    ("rev_base", "first reverse-table entry of the neuron's incoming plastic synapses (learning)"),
    ("rev_len", "reverse-table entries of the neuron (learning)"),
    ("trace", "post-synaptic STDP trace y (learning)"),
    ("spk", "spiked-this-timestep bit s, cleared by the trace walk (learning)"),
)

# Fields of one axon in the host-bus axon select (index = axon, field = this order).
AXON_FIELDS = (
    ("base", "first synapse word"),
    ("len", "synapse count"),
    ("trace", "pre-synaptic STDP trace x (learning)"),
    ("arr", "flit-arrived-this-timestep bit r, cleared by the trace walk (learning)"),
)

# Fields of one reverse-table entry (select REV; learning chips): the synapse slot it points to.
REV_FIELDS = (
    ("axon", "axon of the synapse (its pre-synaptic trace)"),
    ("word", "synapse word"),
    ("lane", "lane within the word"),
)

# The STDP rule of a core (docs/microarchitecture.md §11): program table columns, in this order;
# the host writes them to the core registers STDP_<NAME> (CORE_REGS).
STDP_FIELDS = (
    ("enable", "1: the core learns (it holds a plastic synapse)"),
    ("a_plus", "pre-synaptic trace increment"),
    ("a_minus", "post-synaptic trace increment"),
    ("d_plus", "pre-synaptic trace decay (12-bit, as du/dv)"),
    ("d_minus", "post-synaptic trace decay"),
    ("w_min", "lower weight bound (signed)"),
    ("w_max", "upper weight bound (signed)"),
    ("shift", "learning-rate shift: a weight changes by trace >> shift"),
)

# Select BANK (accumulator ring, docs/microarchitecture.md §10): index = neuron, field = bank b
# (0..delay_slots) for acc[b], BANK_PEND_FIELD + b for pend[b].
BANK_PEND_FIELD = 64


# ============================================================================ counters
@dataclass(frozen=True)
class Component:
    """One term of a technology-mode event energy: ``kind`` with ``arg`` evaluated by
    ``neurocycle.hw._energy`` (``sram_read``/``sram_write`` of a core memory, ``add`` of a width,
    ``lif_datapath``, ``router_traversal``, ``link_wire``, ``host_link``, ``barrier_tokens``,
    ``clock_tree``); ``label`` names it in reports."""
    label: str
    kind: str
    arg: str = ""


@dataclass(frozen=True)
class Energy:
    """Technology mode derives the event's energy as the sum of ``components`` times the
    overhead factor (``overhead=False`` for events priced from chip-level figures that already
    include their control). (Table mode prices every counter alike: ``energy.events_pj[name]``,
    0 when the table does not list it.)"""
    components: tuple[Component, ...]
    overhead: bool = True


@dataclass(frozen=True)
class Free:
    """Technology mode derives no energy for the event, for the reason given (a table in
    ``energy.events_pj`` may still charge it, e.g. to model a chip whose published figure is per
    spike)."""
    reason: str


@dataclass(frozen=True)
class Counter:
    name: str
    unit: str
    scope: str          # "core" (one value per core), "router" (one per router) or "chip"
    description: str
    price: Energy | Free


_R = lambda label, mem: Component(label, "sram_read", mem)    # noqa: E731
_W = lambda label, mem: Component(label, "sram_write", mem)   # noqa: E731
_NU_READ = (_R("state_read", "neuron_state"), _R("profile_read", "profiles"),
            _R("accumulator_read", "accumulator_bank"), Component("lif_arithmetic", "lif_datapath"),
            Component("graded_output", "graded_output"))
_BUSY = "a busy-cycle count: the energy is in the events the engine performs in those cycles"
_SPLIT = ("which carries the technology price (tiles are square, so both directions have the same wire "
          "length); counted apart so a table can price the two directions differently (Loihi, TrueNorth); a "
          "table that prices the directions must leave link_flits at 0")
_IDLE = ("a waiting engine holds its registers and touches no memory; idle power is charged through "
         "`cycles` (clock) and static leakage")

# Order within a scope = order in the RTL counter bank of that scope.
COUNTERS: tuple[Counter, ...] = (
    Counter("neuron_updates_active", "updates", "core",
            "NU neuron updates that changed the neuron's state (u, v or refractory): state written back",
            Energy(_NU_READ + (_W("state_write", "neuron_state"), _W("accumulator_clear", "accumulator_bank")))),
    Counter("neuron_updates_inactive", "updates", "core",
            "NU neuron updates that left the state unchanged (read only)", Energy(_NU_READ)),
    Counter("spikes", "spikes", "core", "spikes generated by the core's neurons",
            Free("a spike is the NU's threshold compare (in the update) plus its fan-out flits (priced "
                 "as fanout_flits); the table mode can still price it through fanout_flits")),
    Counter("fanout_flits", "flits", "core",
            "flits pushed by the NU into the router's local input FIFO (fan-out table reads)",
            Energy((_R("fanout_table_read", "fanout_table"),))),
    Counter("axon_lookups", "lookups", "core", "flits popped by the SI from the core FIFO (axon table reads)",
            Energy((_R("axon_table_read", "axon_table"),))),
    Counter("synaptic_ops", "ops", "core", "valid synapse slots integrated into an accumulator (SOPs)",
            Energy((_R("accumulator_read", "accumulator_bank"), _W("accumulator_write", "accumulator_bank"),
                    Component("accumulate_add", "add", "accumulator"), Component("payload_multiply", "payload_mult")))),
    Counter("synapse_word_reads", "words", "core", "synapse SRAM words read by the SI",
            Energy((_R("synapse_sram_read", "synapse"),))),
    Counter("nu_busy_cycles", "cycles", "core", "cycles the NU updated a neuron or pushed a flit", Free(_BUSY)),
    Counter("nu_stall_cycles", "cycles", "core", "cycles the NU waited on a full local router FIFO", Free(_IDLE)),
    Counter("si_busy_cycles", "cycles", "core", "cycles the SI popped a flit or read a synapse word", Free(_BUSY)),
    Counter("nu_scan_cycles", "cycles", "core",
            "SCAN cycles of an event-driven NU: one pending-bitmap word read and cleared (0 on a dense core)",
            Energy((_R("pending_read", "pending_bitmap"), _W("pending_clear", "pending_bitmap")))),
    Counter("pending_sets", "bits", "core",
            "pending-bitmap bits set on an event-driven core: one per synapse integrated by the SI, one per "
            "neuron update that is not quiet (0 on a dense core)",
            Energy((_W("pending_set", "pending_bitmap"),))),
    Counter("synapse_word_writes", "words", "core",
            "synapse SRAM words written back by STDP: the SI's write cycle after a word with a plastic slot, and "
            "the learning engine's WR cycles (0 without learning)",
            Energy((_W("synapse_sram_write", "synapse"),))),
    Counter("weight_updates", "updates", "core",
            "plastic weights updated by STDP: one per plastic slot the SI reads (depression) and one per "
            "reverse-table entry the learning engine processes (potentiation)",
            Energy((_R("trace_read", "traces"), Component("weight_update", "weight_update")))),
    Counter("reverse_reads", "entries", "core",
            "reverse-table entries read by the learning engine, each with the synapse word it points to",
            Energy((_R("reverse_table_read", "reverse_table"), _R("synapse_sram_read", "synapse")))),
    Counter("post_lookups", "lookups", "core",
            "spiking neurons whose reverse-table pointer the learning engine read (one per spike of a "
            "learning core)", Energy((_R("reverse_pointer_read", "neuron_state"),))),
    Counter("trace_updates", "traces", "core",
            "STDP traces decayed (and incremented) by the learning engine's trace walk: every neuron and axon "
            "of a learning core, once per timestep",
            Energy((_R("trace_read", "traces"), _W("trace_write", "traces"), Component("trace_decay", "trace_decay")))),
    Counter("learning_cycles", "cycles", "core",
            "cycles the learning engine worked after quiescence (POST, RD, WR and TRACE cycles)", Free(_BUSY)),
    Counter("router_flits", "flits", "router", "flits granted by the router (one per flit per router traversed)",
            Energy((Component("router_traversal", "router_traversal"),), overhead=False)),
    Counter("link_flits", "flits", "router", "flits sent on the router's N/E/S/W output links to a neighbour tile",
            Energy((Component("link_wire", "link_wire"),), overhead=False)),
    Counter("router_blocked_cycles", "cycles", "router",
            "input-port cycles with a head flit that was not popped (summed over the router's inputs)", Free(_IDLE)),
    Counter("mc_table_lookups", "lookups", "router",
            "multicast flits looked up in the router's key table (one per multicast flit per router visited)",
            Energy((_R("mc_table_read", "mc_table"),))),
    Counter("mc_default_routes", "lookups", "router",
            "multicast table lookups that found no entry: the flit took the default (straight-through) route",
            Free("a part of mc_table_lookups, which carries the price of the search")),
    Counter("mc_partial_cycles", "cycles", "router",
            "input-port cycles in which a multicast head was granted some but not all of its outputs",
            Free(_IDLE)),
    Counter("link_flits_ew", "flits", "router", "flits sent on the router's E and W output links (east-west hops)",
            Free(f"the east-west part of link_flits, {_SPLIT}")),
    Counter("link_flits_ns", "flits", "router", "flits sent on the router's N and S output links (north-south hops)",
            Free(f"the north-south part of link_flits, {_SPLIT}")),
    Counter("local_flits", "flits", "router",
            "flits granted from a local input of the router (a core of its tile) to a local output (a core "
            "of its tile): spikes delivered within the tile, no link traversed",
            Free("a part of router_flits, which carries the technology price (one router traversal); counted "
                 "apart so a table can price delivery within the tile (Loihi's within-tile spike)")),
    Counter("host_flits", "flits", "chip", "input flits pushed by the host into the host link",
            Energy((Component("host_link", "host_link"),), overhead=False)),
    Counter("barriers", "barriers", "chip", "timestep barriers (one per timestep)",
            Energy((Component("barrier_tokens", "barrier_tokens"),), overhead=False)),
    Counter("cycles", "cycles", "chip", "clock cycles of the run",
            Energy((Component("clock_tree", "clock_tree"),), overhead=False)),
)

COUNTER_NAMES: tuple[str, ...] = tuple(c.name for c in COUNTERS)
CORE_COUNTERS: tuple[str, ...] = tuple(c.name for c in COUNTERS if c.scope == "core")
ROUTER_COUNTERS: tuple[str, ...] = tuple(c.name for c in COUNTERS if c.scope == "router")
CHIP_COUNTERS: tuple[str, ...] = tuple(c.name for c in COUNTERS if c.scope == "chip")

# The energy breakdown a report shows: every counter belongs to exactly one group (checked here,
# so a new counter cannot silently fall out of the breakdown).
ENERGY_GROUPS: dict[str, tuple[str, ...]] = {
    "synapse": ("axon_lookups", "synaptic_ops", "synapse_word_reads", "si_busy_cycles"),
    "neuron": ("neuron_updates_active", "neuron_updates_inactive", "spikes", "nu_busy_cycles", "nu_stall_cycles",
               "nu_scan_cycles", "pending_sets"),
    "network": ("fanout_flits", "router_flits", "link_flits", "link_flits_ew", "link_flits_ns", "local_flits",
                "router_blocked_cycles", "host_flits", "mc_table_lookups", "mc_default_routes", "mc_partial_cycles"),
    "learning": ("synapse_word_writes", "weight_updates", "reverse_reads", "post_lookups", "trace_updates",
                 "learning_cycles"),
    "clock and barrier": ("cycles", "barriers"),
}
_grouped = [n for names in ENERGY_GROUPS.values() for n in names]
if sorted(_grouped) != sorted(COUNTER_NAMES):
    raise AssertionError("hw/_layout.py: ENERGY_GROUPS must list every counter exactly once: "
                         f"missing {sorted(set(COUNTER_NAMES) - set(_grouped))}, "
                         f"unknown or repeated {sorted(n for n in set(_grouped) if _grouped.count(n) > 1 or n not in COUNTER_NAMES)}")
COUNTER_BY_NAME = {c.name: c for c in COUNTERS}

# Per-port detail arrays every cycle-level backend reports ([n_cores, columns]); the RTL router
# register index of each per-port group is in ROUTER_REGS.
# [n_routers, P] (ports L N E S W L1 .. L(C-1)), fifo_max_occupancy [n_routers, P + C].
DETAIL_FIELDS = (
    ("link_flits_port", "grants of each output port L N E S W (L1 ..)"),
    ("blocked_cycles_port", "blocked cycles of each input port"),
    ("fifo_max_occupancy", "largest start-of-cycle occupancy of each router input FIFO, then of each local "
                           "core's input FIFO"),
    ("mc_lookups_port", "multicast table lookups of each input port"),
    ("mc_default_port", "multicast default routes of each input port"),
    ("mc_partial_port", "multicast partial-forward cycles of each input port"),
)
DETAIL_NAMES = tuple(n for n, _ in DETAIL_FIELDS)

# ============================================================================ RTL parameters
CNT_BITS = 48      # width of every RTL event counter (host bus reads 64 bits)
DEFAULT_HOST_QUEUE_DEPTH = 1024   # host-side input queue of an RTL build (flits per timestep)
OCC_BITS = 7       # width of every RTL FIFO occupancy count (depths up to 64, the schema's limit)


@dataclass(frozen=True)
class RtlParam:
    """A parameter of ``nc_chip``. ``value(chip, build)`` gives it for a chip config (``build``:
    build-time options such as the host queue depth); ``source`` says where it comes from;
    ``scope`` ``"chip"`` = only ``nc_chip`` takes it, ``"tile"`` = also ``nc_tile`` and ``nc_core``."""
    name: str
    source: str
    scope: str
    doc: str
    value: Callable = field(repr=False, compare=False)


def _cfg(path: str):
    def get(chip, build):
        node = chip
        for part in path.split("."):
            node = getattr(node, part)
        return int(node)
    return get


def _der(name: str):
    return lambda chip, build: int(getattr(chip.derived, name))


RTL_PARAMS: tuple[RtlParam, ...] = (
    RtlParam("MESH_W", "mesh.width", "chip", "tiles along x", _cfg("mesh.width")),
    RtlParam("MESH_H", "mesh.height", "chip", "tiles along y", _cfg("mesh.height")),
    RtlParam("HOST_ROW", "host.row", "chip", "row of the west-edge tile that carries the host link", _cfg("host.row")),
    RtlParam("NEURONS", "core.neurons", "tile", "neurons per core", _cfg("core.neurons")),
    RtlParam("AXONS", "core.axons", "tile", "axon-table entries per core", _cfg("core.axons")),
    RtlParam("SYN_WORDS", "core.synapse_words", "tile", "synapse SRAM words per core", _cfg("core.synapse_words")),
    RtlParam("LANES", "core.synapse_lanes", "tile", "synapse slots per SRAM word", _cfg("core.synapse_lanes")),
    RtlParam("WORD_CYCLES", "core.synapse_word_cycles", "tile", "SI cycles per synapse word",
             _cfg("core.synapse_word_cycles")),
    RtlParam("FANOUT_ENTRIES", "core.fanout_entries", "tile", "fan-out table entries per core",
             _cfg("core.fanout_entries")),
    RtlParam("PROFILES", "core.profiles", "tile", "neuron parameter profiles per core", _cfg("core.profiles")),
    RtlParam("CORE_FIFO_DEPTH", "core.fifo_depth", "tile", "core input FIFO depth", _cfg("core.fifo_depth")),
    RtlParam("ROUTER_FIFO_DEPTH", "router.fifo_depth", "tile", "router input FIFO depth", _cfg("router.fifo_depth")),
    RtlParam("WEIGHT_BITS", "bits.weight", "tile", "synaptic weight bits (signed)", _cfg("bits.weight")),
    RtlParam("STATE_BITS", "bits.state", "tile", "u and v bits (signed, saturating)", _cfg("bits.state")),
    RtlParam("ACC_BITS", "bits.accumulator", "tile", "accumulator bits (signed)", _cfg("bits.accumulator")),
    RtlParam("REF_BITS", "bits.refractory", "tile", "refractory counter bits", _cfg("bits.refractory")),
    RtlParam("BARRIER_CYCLES", "barrier_cycles", "chip", "cycles of the timestep barrier", _cfg("barrier_cycles")),
    RtlParam("HOST_QUEUE_DEPTH", "build option", "chip", "host-side input queue (flits per timestep)",
             lambda chip, build: int(build["host_queue_depth"])),
    RtlParam("CNT_BITS", "build option", "tile", "event counter width (default CNT_BITS = 48)",
             lambda chip, build: int(build.get("cnt_bits", CNT_BITS))),
    RtlParam("X_BITS", "derived.x_bits", "tile", "flit dst_x width", _der("x_bits")),
    RtlParam("Y_BITS", "derived.y_bits", "tile", "flit dst_y width", _der("y_bits")),
    RtlParam("AXON_BITS", "derived.axon_bits", "tile", "flit axon width", _der("axon_bits")),
    RtlParam("FLIT_BITS", "derived.flit_bits", "tile", "flit width (sum of the flit fields)", _der("flit_bits")),
    RtlParam("NEURON_BITS", "derived.neuron_bits", "tile", "neuron index width", _der("neuron_bits")),
    RtlParam("PROFILE_BITS", "derived.profile_bits", "tile", "profile index width", _der("profile_bits")),
    RtlParam("WORD_ADDR_BITS", "derived.word_addr_bits", "tile", "synapse word address width",
             _der("word_addr_bits")),
    RtlParam("LEN_BITS", "derived.axon_len_bits", "tile", "synapse count field of an axon entry",
             _der("axon_len_bits")),
    RtlParam("FANOUT_ADDR_BITS", "derived.fanout_addr_bits", "tile", "fan-out entry address width",
             _der("fanout_addr_bits")),
    RtlParam("FANOUT_LEN_BITS", "derived.fanout_len_bits", "tile", "fan-out count field of a neuron entry",
             _der("fanout_len_bits")),
    RtlParam("CORES_PER_ROUTER", "mesh.cores_per_router", "tile", "cores per router (local ports)",
             _cfg("mesh.cores_per_router")),
    RtlParam("MC_BITS", "derived.mc_bits", "tile", "flit mc width: 1 = multicast routing, 0 = unicast",
             _der("mc_bits")),
    RtlParam("MC_ENTRIES", "router.table_entries", "tile", "multicast table entries per router (0 on a unicast chip)",
             lambda chip, build: int(chip.router.table_entries) if chip.derived.mc_bits else 0),
    RtlParam("PAYLOAD_BITS", "derived.payload_bits", "tile", "flit payload width (0: binary chip)",
             _der("payload_bits")),
    RtlParam("EVENT", "core.neuron_update", "tile", "1: event-driven neuron update (pending bitmaps), 0: dense",
             lambda chip, build: int(chip.core.neuron_update == "event")),
    RtlParam("SCAN_BITS", "core.scan_word_bits", "tile", "pending-bitmap bits scanned per SCAN cycle",
             _cfg("core.scan_word_bits")),
    RtlParam("DELAY_SLOTS", "core.delay_slots", "tile", "synaptic delays 1..DELAY_SLOTS: DELAY_SLOTS+1 accumulator banks",
             _cfg("core.delay_slots")),
    RtlParam("DELAY_BITS", "derived.delay_bits", "tile", "extra-delay field of a synapse slot (0: no delays)",
             _der("delay_bits")),
    RtlParam("LEARN", "core.learning", "tile", "1: STDP (plastic bits, traces, reverse table, learning engine)",
             lambda chip, build: int(chip.core.learning == "stdp")),
    RtlParam("TRACE_BITS", "bits.trace", "tile", "STDP trace width", _cfg("bits.trace")),
    RtlParam("REV_ENTRIES", "core.learning_entries", "tile", "reverse-table entries per core",
             _cfg("core.learning_entries")),
    RtlParam("REV_ADDR_BITS", "derived.rev_addr_bits", "tile", "reverse-table address width", _der("rev_addr_bits")),
    RtlParam("REV_LEN_BITS", "derived.rev_len_bits", "tile", "reverse-table count field of a neuron entry",
             _der("rev_len_bits")),
)
RTL_PARAM_BY_NAME = {p.name: p for p in RTL_PARAMS}


@dataclass(frozen=True)
class SystemRtlParam:
    """A parameter of ``nc_system`` beyond the chip set (whose MESH_W/MESH_H, X_BITS/Y_BITS and
    BARRIER_CYCLES are the system mesh's): ``value(system)`` gives it for a SystemConfig."""
    name: str
    source: str
    doc: str
    value: Callable = field(repr=False, compare=False)


def _links_uniform(attr: str):
    def get(system):
        vals = getattr(system.derived.links, attr)
        return int(vals[0]) if vals.size else 0
    return get


SYSTEM_RTL_PARAMS: tuple[SystemRtlParam, ...] = (
    SystemRtlParam("GRID_W", "grid.width", "chips along x", lambda s: int(s.grid.width)),
    SystemRtlParam("GRID_H", "grid.height", "chips along y", lambda s: int(s.grid.height)),
    SystemRtlParam("LINK_LATENCY", "link_latency_cycles", "pipeline registers of every link", _links_uniform("latency")),
    SystemRtlParam("LINK_CREDIT_LATENCY", "link_credit_latency_cycles", "credit return registers of every link",
                   _links_uniform("credit_latency")),
    SystemRtlParam("LINK_CYCLES_PER_FLIT", "link_cycles_per_flit", "serialiser cycles per flit of every link",
                   _links_uniform("cycles_per_flit")),
    SystemRtlParam("LINK_BUFFER", "link_buffer_flits", "receive buffer (credits) of every link",
                   lambda s: int(s.link_buffer_flits)),
)


# ============================================================================ host-bus map
# address = {tile, select, index, field}; writes 32-bit, reads 64-bit (signed fields sign-extended)
BUS = {"TILE_BITS": 16, "SEL_BITS": 4, "INDEX_BITS": 32, "FIELD_BITS": 8, "WDATA_BITS": 32, "RDATA_BITS": 64}

SELECTS = (
    ("CHIP", 0, "chip control/status (CHIP_REGS), tile ignored"),
    ("HOSTQ", 1, "host-link queue: index = slot, field 0 = flit; index 0 field 1 = count"),
    ("PROFILE", 2, "index = profile, field = profile field (PROFILE order)"),
    ("NEURON", 3, "index = neuron, field = neuron field (NEURON_FIELDS order)"),
    ("AXON", 4, "index = axon, field 0 = base word, 1 = synapse count"),
    ("SYN", 5, "index = word, field = 2*lane + (0: weight, 1: {valid@31, target})"),
    ("FANOUT", 6, "index = entry, field 0 = flit"),
    ("CORE", 7, "index = CORE_REGS (registers, core counter bank)"),
    ("TRACE", 8, "read: index = trace slot, field 0 = neuron, 1 = cycle, 2 = {neuron@63:48, cycle[47:0]}, "
                 "3 = payload"),
    ("ROUTER", 9, "read: index = ROUTER_REGS (router counter bank, per-port detail); tile = router index"),
    ("MCTABLE", 10, "router multicast table: index = entry, field 0 = key, 1 = {valid@31, output ports}; "
                    "tile = router index"),
    ("BANK", 11, "index = neuron, field = bank b: acc[b]; field 64 + b: pend[b] (the whole accumulator ring)"),
    ("REV", 12, "index = reverse-table entry, field = REV_FIELDS order (learning)"),
)

# NC_SEL_CHIP indices
CHIP_REGS = (
    ("CTRL", 0, "write: start the next timestep (only while paused)"),
    ("STATUS", 1, "read: bit 0 paused, bits 2:1 controller state"),
    ("CNT", 8, "read: CNT + k = chip counter k (CHIP_COUNTERS order)"),
    ("PARAM", 16, "read: PARAM + k = elaborated parameter k (RTL_PARAMS order)"),
    ("SYS_PARAM", 64, "read: SYS_PARAM + k = system parameter k (SYSTEM_RTL_PARAMS order; nc_system, 0 on nc_chip)"),
)
# NC_SEL_CORE indices
CORE_REGS = (
    ("N_USED", 0, "rw: neurons placed on the core (the NU walks 0..n_used-1)"),
    ("CUR_BANK", 1, "r: accumulator bank the NU reads this timestep"),
    ("TRACE_COUNT", 2, "r: spikes recorded in the trace this timestep"),
    ("FIFO_MAX", 3, "r: max occupancy of the core input FIFO"),
    ("STATE", 4, "r: bits 1:0 NU state (0 DONE, 1 UPDATE, 2 PUSH, 3 SCAN), bit 2 SI busy, bits 15:8 core FIFO count"),
    ("AX_USED", 5, "rw: axons placed on the core (the trace walk's length; learning)"),
    ("STDP_ENABLE", 6, "rw: STDP rule registers, STDP_FIELDS order (learning)"),
    ("STDP_A_PLUS", 7, "rw"),
    ("STDP_A_MINUS", 8, "rw"),
    ("STDP_D_PLUS", 9, "rw"),
    ("STDP_D_MINUS", 10, "rw"),
    ("STDP_W_MIN", 11, "rw (signed)"),
    ("STDP_W_MAX", 12, "rw (signed)"),
    ("STDP_SHIFT", 13, "rw"),
    ("CNT", 16, "r: CNT + k = core counter k (CORE_COUNTERS order)"),
)
# NC_SEL_ROUTER indices (each per-port group has one entry per port, PORTS order)
ROUTER_REGS = (
    ("CNT", 0, "CNT + k = router counter k (ROUTER_COUNTERS order)"),
    ("PORT_FLITS", 16, "+ port: flits granted on that output (link_flits_port)"),
    ("PORT_BLOCKED", 24, "+ port: blocked cycles of that input (blocked_cycles_port)"),
    ("FIFO_MAX", 32, "+ port: max occupancy of that input FIFO (fifo_max_occupancy)"),
    ("FIFO_COUNT", 40, "+ port: current occupancy of that input FIFO"),
    ("MC_LOOKUPS", 48, "+ port: multicast table lookups of that input (mc_lookups_port)"),
    ("MC_DEFAULT", 56, "+ port: multicast default routes of that input (mc_default_port)"),
    ("MC_PARTIAL", 64, "+ port: multicast partial-forward cycles of that input (mc_partial_port)"),
)


def _check() -> None:
    """Import-time consistency of the declarations (a broken declaration fails every test)."""
    assert len(set(COUNTER_NAMES)) == len(COUNTERS)
    for c in COUNTERS:
        assert c.scope in ("core", "router", "chip"), c
        assert c.name.isidentifier() and c.unit and c.description, c
        assert isinstance(c.price, (Energy, Free)) and (not isinstance(c.price, Free) or c.price.reason), c
    assert len(set(p.name for p in RTL_PARAMS + SYSTEM_RTL_PARAMS)) == len(RTL_PARAMS) + len(SYSTEM_RTL_PARAMS)
    chip_regs = {n: i for n, i, _ in CHIP_REGS}
    assert chip_regs["PARAM"] + len(RTL_PARAMS) <= chip_regs["SYS_PARAM"], "RTL parameters overlap SYS_PARAM"
    for lay in KERNEL_LAYOUTS:
        assert lay.total_bits() <= 64, lay.name
    assert SYNAPSE_META.total_bits() == 8 * np.dtype(SYNAPSE_SLOT_DL.dtype["meta"]).itemsize
    regs = {"CHIP": CHIP_REGS, "ROUTER": ROUTER_REGS, "CORE": CORE_REGS}
    for bank, scope in (("CHIP", "chip"), ("ROUTER", "router"), ("CORE", "core")):
        idx = {n: i for n, i, _ in regs[bank]}
        after = [i for i in idx.values() if i > idx["CNT"]]
        room = (min(after) - idx["CNT"]) if after else 1 << 16
        assert sum(c.scope == scope for c in COUNTERS) <= room, f"{bank} counter bank overlaps the next register"
    rr = sorted(i for _, i, _ in ROUTER_REGS)
    assert all(b - a >= MAX_PORTS for a, b in zip(rr[1:], rr[2:])), "a per-port router register group is too small"
    for table in (CHIP_REGS, CORE_REGS, ROUTER_REGS, SELECTS):
        idx = [i for _, i, _ in table]
        assert idx == sorted(set(idx)), table
    core_regs = {n: i for n, i, _ in CORE_REGS}
    assert [core_regs[f"STDP_{n.upper()}"] for n, _ in STDP_FIELDS] == list(
        range(core_regs["STDP_ENABLE"], core_regs["STDP_ENABLE"] + len(STDP_FIELDS)))


_check()
