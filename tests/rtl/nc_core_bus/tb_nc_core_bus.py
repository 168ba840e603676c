"""cocotb: nc_core_bus, the host-bus slave of a core (docs/rtl.md "Host bus", nc_defs.svh).

The module is combinational. Writes: for every select, field, index (inside, at and beyond
each memory's end) and bus_we, exactly the expected write enable is high, with the entry
address taken from the index. Reads: the testbench is the core's memories, answering the
module's addresses; bus_rdata must be the addressed field — computed here from the bus address
itself, not from the module's addresses — sign-extended where signed, 0 for unknown or
out-of-range addresses, and 0 for everything while bus_rd is low."""
import json
import os
import random

import cocotb
from cocotb.triggers import Timer

from neurocycle.rtl import defs

D = defs()
P = json.loads(os.environ["NC_TB_PARAMS"])
NEURONS, AXONS, SYN_WORDS, LANES = P["NEURONS"], P["AXONS"], P["SYN_WORDS"], P["LANES"]
FANOUT, PROFILES = P["FANOUT_ENTRIES"], P["PROFILES"]
WB, S, A, R = P["WEIGHT_BITS"], P["STATE_BITS"], P["ACC_BITS"], P["REF_BITS"]
AXB, FB, NB, PB, WAB = P["AXON_BITS"], P["FLIT_BITS"], P["NEURON_BITS"], P["PROFILE_BITS"], P["WORD_ADDR_BITS"]
LENB, FAB, FLB, CNT, OCC = P["LEN_BITS"], P["FANOUT_ADDR_BITS"], P["FANOUT_LEN_BITS"], P["CNT_BITS"], P["OCC_BITS"]
PAYB = max(1, P.get("PAYLOAD_BITS", 0))       # trace payload read port (1 bit on a binary chip)
LB = max(1, (LANES - 1).bit_length())          # $clog2(LANES), at least 1
M64 = (1 << 64) - 1
DS, LEARN = P.get("DELAY_SLOTS", 1), P.get("LEARN", 0)                  # delays and STDP (§10, §11)
TRB, REVN = P.get("TRACE_BITS", 8), P.get("REV_ENTRIES", 64)
RAB, RLB = P.get("REV_ADDR_BITS", 6), P.get("REV_LEN_BITS", 7)
KB = max(1, DS.bit_length()) if DS > 1 else 1   # $clog2(DELAY_SLOTS + 1)

# write enables by (select, field); SYN and CORE are decoded differently (below)
PF_WE = {D["PF_DU"]: "we_pf_du", D["PF_DV"]: "we_pf_dv", D["PF_BIAS"]: "we_pf_bias", D["PF_VTH"]: "we_pf_vth",
         D["PF_V_RESET"]: "we_pf_vreset", D["PF_REFRACTORY"]: "we_pf_ref", D["PF_W_EXP"]: "we_pf_wexp",
         D["PF_GRADED"]: "we_pf_graded"}
NF_WE = {D["NF_PROFILE"]: "we_nm_prof", D["NF_FO_BASE"]: "we_nm_fo_base", D["NF_FO_LEN"]: "we_nm_fo_len",
         D["NF_U"]: "we_nm_u", D["NF_V"]: "we_nm_v", D["NF_REF"]: "we_nm_ref", D["NF_ACC0"]: "we_acc0",
         D["NF_ACC1"]: "we_acc1", D["NF_PEND0"]: "we_nm_pend0", D["NF_PEND1"]: "we_nm_pend1"}
NF_LEARN_WE = {D["NF_REV_BASE"]: "we_nm_rev_base", D["NF_REV_LEN"]: "we_nm_rev_len", D["NF_TRACE"]: "we_nm_trace",
               D["NF_SPK"]: "we_nm_spk"}
AF_WE = {D["AF_BASE"]: "we_ax_base", D["AF_LEN"]: "we_ax_len"}
AF_LEARN_WE = {D["AF_TRACE"]: "we_ax_trace", D["AF_ARR"]: "we_ax_arr"}
RF_WE = {D["RF_AXON"]: "we_rev_axon", D["RF_WORD"]: "we_rev_word", D["RF_LANE"]: "we_rev_lane"}
STDP_WE = [f"we_stdp[{k}]" for k in range(8)]
ALL_WE = [*PF_WE.values(), *NF_WE.values(), *AF_WE.values(), "we_syn_weight", "we_syn_target", "we_fo_flit",
          "we_n_used", "we_bank_acc", "we_bank_pend"]
if LEARN:
    ALL_WE += [*NF_LEARN_WE.values(), *AF_LEARN_WE.values(), *RF_WE.values(), "we_ax_used", *STDP_WE]
WE_PORTS = [n for n in ALL_WE if "[" not in n] + (["we_stdp"] if LEARN else [])

# memory fields: read port -> (address kind, bits, signed)
PF_RD = {D["PF_DU"]: ("rd_pf_du", 12, False), D["PF_DV"]: ("rd_pf_dv", 12, False),
         D["PF_BIAS"]: ("rd_pf_bias", S, True), D["PF_VTH"]: ("rd_pf_vth", S, True),
         D["PF_V_RESET"]: ("rd_pf_vreset", S, True), D["PF_REFRACTORY"]: ("rd_pf_ref", R, False),
         D["PF_W_EXP"]: ("rd_pf_wexp", 3, False), D["PF_GRADED"]: ("rd_pf_graded", 1, False)}
NF_RD = {D["NF_PROFILE"]: ("rd_nm_prof", PB, False), D["NF_FO_BASE"]: ("rd_nm_fo_base", FAB, False),
         D["NF_FO_LEN"]: ("rd_nm_fo_len", FLB, False), D["NF_U"]: ("rd_nm_u", S, True),
         D["NF_V"]: ("rd_nm_v", S, True), D["NF_REF"]: ("rd_nm_ref", R, False),
         D["NF_ACC0"]: ("rd_acc0", A, True), D["NF_ACC1"]: ("rd_acc1", A, True),
         D["NF_PEND0"]: ("rd_nm_pend0", 1, False), D["NF_PEND1"]: ("rd_nm_pend1", 1, False)}
PORTS = {  # read port: (address kind, bits, signed)
    **{port: ("p", bits, sg) for port, bits, sg in PF_RD.values()},
    **{port: ("n", bits, sg) for port, bits, sg in NF_RD.values()},
    "rd_ax_base": ("a", WAB, False), "rd_ax_len": ("a", LENB, False),
    "rd_syn_weight": ("wl", WB, True), "rd_syn_valid": ("wl", 1, False), "rd_syn_target": ("wl", NB, False),
    "rd_fo_flit": ("f", FB, False), "rd_tr_neuron": ("n", NB, False), "rd_tr_cycle": ("n", CNT, False),
    "rd_tr_payload": ("n", PAYB, False),
    # delays and STDP: slot delay / plastic bit; the accumulator ring (BANK select); traces, flags,
    # reverse table and pointers
    "rd_syn_delay": ("wl", 6, False), "rd_syn_plastic": ("wl", 1, False),
    "rd_bank_acc": ("nk", A, True), "rd_bank_pend": ("nk", 1, False),
    "rd_nm_rev_base": ("n", RAB, False), "rd_nm_rev_len": ("n", RLB, False), "rd_nm_trace": ("n", TRB, False),
    "rd_nm_spk": ("n", 1, False), "rd_ax_trace": ("a", TRB, False), "rd_ax_arr": ("a", 1, False),
    "rd_rev_axon": ("r", AXB, False), "rd_rev_word": ("r", WAB, False), "rd_rev_lane": ("r", 4, False),
}
REGS = {"n_used": NB + 1, "cur": 7, "tr_count": NB + 1, "fifo_max": OCC, "fifo_count": OCC, "si_busy": 1,
        "nu_state": 2, "ax_used": AXB + 1}
ADDR_BITS = {"n": NB, "p": PB, "a": AXB, "w": WAB, "f": FAB, "r": RAB}
NF_LEARN_RD = {D["NF_REV_BASE"]: "rd_nm_rev_base", D["NF_REV_LEN"]: "rd_nm_rev_len", D["NF_TRACE"]: "rd_nm_trace",
               D["NF_SPK"]: "rd_nm_spk"}


def check_widths(dut):
    """The parameters are not visible through VPI: the port widths must be the ones asked for."""
    want = {"n_addr": NB, "p_addr": PB, "a_addr": AXB, "w_addr": WAB, "w_lane": LB, "f_addr": FAB, "r_addr": RAB,
            "k_bank": KB, "cnt": D["CC_COUNT"] * CNT, "stdp_regs": 8 * 32,
            **{p: b for p, (_, b, _) in PORTS.items()}, **REGS}
    assert {k: len(getattr(dut, k)) for k in want} == want


def rand_value(rng, bits, sg):
    lo, hi = (-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if sg else (0, (1 << bits) - 1)
    return rng.choice([lo, hi, rng.randint(lo, hi), rng.randint(lo, hi)])


class Mem:
    """The core's memories and registers, with an entry for every address the ports can name."""

    def __init__(self, rng):
        size = {"n": 1 << NB, "p": 1 << PB, "a": 1 << AXB, "f": 1 << FAB, "wl": (1 << WAB) * (1 << LB),
                "r": 1 << RAB, "nk": (1 << NB) * (1 << KB)}
        self.m = {port: [rand_value(rng, b, sg) for _ in range(size[kind])] for port, (kind, b, sg) in PORTS.items()}
        self.regs = {k: rng.randrange(1 << b) for k, b in REGS.items()}
        self.cnt = [rng.randrange(1 << CNT) for _ in range(D["CC_COUNT"])]
        self.stdp = [rng.randrange(1 << 32) for _ in range(8)]

    def drive(self, dut):
        addr = {k: int(getattr(dut, f"{k}_addr").value) for k in ADDR_BITS}
        addr["wl"] = addr["w"] * (1 << LB) + int(dut.w_lane.value)
        addr["nk"] = addr["n"] * (1 << KB) + int(dut.k_bank.value)
        for port, (kind, bits, _) in PORTS.items():
            getattr(dut, port).value = self.m[port][addr[kind]] & ((1 << bits) - 1)
        for k, v in self.regs.items():
            getattr(dut, k).value = v
        dut.cnt.value = sum(c << (k * CNT) for k, c in enumerate(self.cnt))
        dut.stdp_regs.value = sum(c << (k * 32) for k, c in enumerate(self.stdp))

    def expected(self, rd, sel, index, field):
        """bus_rdata for this address, from the address map (nc_defs.svh / docs/rtl.md)."""
        if not rd:
            return 0

        def val(port, i):
            _, bits, sg = PORTS[port]
            v = self.m[port][i]
            return v & M64 if sg else v

        lane = (field >> 1) & 0xF                    # bus_field[4:1]
        if sel == D["SEL_PROFILE"] and index < PROFILES and field in PF_RD:
            return val(PF_RD[field][0], index)
        if sel == D["SEL_NEURON"] and index < NEURONS and field in NF_RD:
            return val(NF_RD[field][0], index)
        if sel == D["SEL_NEURON"] and index < NEURONS and LEARN and field in NF_LEARN_RD:
            return val(NF_LEARN_RD[field], index)
        if sel == D["SEL_AXON"] and index < AXONS and field in (0, 1):
            return val(("rd_ax_base", "rd_ax_len")[field], index)
        if sel == D["SEL_AXON"] and index < AXONS and LEARN and field in (D["AF_TRACE"], D["AF_ARR"]):
            return val("rd_ax_trace" if field == D["AF_TRACE"] else "rd_ax_arr", index)
        if sel == D["SEL_SYN"] and index < SYN_WORDS and lane < LANES:
            i = index * (1 << LB) + lane
            if field & 1 == 0:
                return val("rd_syn_weight", i)
            return (val("rd_syn_valid", i) << 31 | val("rd_syn_plastic", i) << 30 | val("rd_syn_delay", i) << 24
                    | val("rd_syn_target", i))
        if sel == D["SEL_BANK"] and index < NEURONS:
            pend = field >= D["BANK_PEND"]
            b = field - D["BANK_PEND"] if pend else field
            if b < DS + 1:
                i = index * (1 << KB) + (b & ((1 << KB) - 1))
                return val("rd_bank_pend" if pend else "rd_bank_acc", i)
            return 0
        if sel == D["SEL_REV"] and LEARN and index < REVN and field in RF_WE:
            port = {D["RF_AXON"]: "rd_rev_axon", D["RF_WORD"]: "rd_rev_word", D["RF_LANE"]: "rd_rev_lane"}[field]
            return val(port, index & ((1 << RAB) - 1))
        if sel == D["SEL_FANOUT"] and index < FANOUT and field == 0:
            return val("rd_fo_flit", index)
        if sel == D["SEL_CORE"]:
            r = self.regs
            regs = {D["CORE_N_USED"]: r["n_used"], D["CORE_CUR_BANK"]: r["cur"], D["CORE_TRACE_COUNT"]: r["tr_count"],
                    D["CORE_FIFO_MAX"]: r["fifo_max"],
                    D["CORE_STATE"]: r["fifo_count"] << 8 | r["si_busy"] << 2 | r["nu_state"],
                    **{D["CORE_CNT"] + k: c for k, c in enumerate(self.cnt)}}
            if LEARN:
                regs[D["CORE_AX_USED"]] = r["ax_used"]
                for k, v in enumerate(self.stdp):     # read back sign-extended from 32 bits
                    regs[D["CORE_STDP_ENABLE"] + k] = (v - (1 << 32) if v >> 31 else v) & M64
            return regs.get(index, 0)
        if sel == D["SEL_TRACE"] and index < NEURONS:
            neuron, cyc = val("rd_tr_neuron", index), val("rd_tr_cycle", index)
            return {0: neuron, 1: cyc, 2: neuron << 48 | cyc & ((1 << 48) - 1),
                    3: val("rd_tr_payload", index)}.get(field, 0)
        return 0


def expected_we(we, sel, index, field):
    """The one write enable that is high for this access, or None."""
    if not we:
        return None
    if sel == D["SEL_PROFILE"] and index < PROFILES:
        return PF_WE.get(field)
    if sel == D["SEL_NEURON"] and index < NEURONS:
        return NF_WE.get(field) or (NF_LEARN_WE.get(field) if LEARN else None)
    if sel == D["SEL_AXON"] and index < AXONS:
        return AF_WE.get(field) or (AF_LEARN_WE.get(field) if LEARN else None)
    if sel == D["SEL_BANK"] and index < NEURONS:
        pend = field >= D["BANK_PEND"]
        b = field - D["BANK_PEND"] if pend else field
        return ("we_bank_pend" if pend else "we_bank_acc") if b < DS + 1 else None
    if sel == D["SEL_REV"] and LEARN and index < REVN:
        return RF_WE.get(field)
    if sel == D["SEL_CORE"] and LEARN and index == D["CORE_AX_USED"]:
        return "we_ax_used"
    if sel == D["SEL_CORE"] and LEARN and D["CORE_STDP_ENABLE"] <= index < D["CORE_STDP_ENABLE"] + 8:
        return f"we_stdp[{index - D['CORE_STDP_ENABLE']}]"
    # a synapse field is 2*lane + (0 weight, 1 {valid, target}); the lane is bus_field[4:1]
    # (bits 7:5 of the field are not decoded)
    if sel == D["SEL_SYN"] and index < SYN_WORDS and ((field >> 1) & 0xF) < LANES:
        return "we_syn_target" if field & 1 else "we_syn_weight"
    if sel == D["SEL_FANOUT"] and index < FANOUT and field == 0:
        return "we_fo_flit"
    if sel == D["SEL_CORE"] and index == D["CORE_N_USED"]:
        return "we_n_used"          # the field is not decoded
    return None


def indices():
    edges = {0, 1, (1 << 31) + 1, (1 << 32) - 1, D["CORE_CUR_BANK"], D["CORE_STATE"], D["CORE_CNT"],
             D["CORE_CNT"] + D["CC_COUNT"] - 1, D["CORE_CNT"] + D["CC_COUNT"], D["CORE_AX_USED"],
             *range(D["CORE_STDP_ENABLE"], D["CORE_STDP_ENABLE"] + 8)}
    for n in (NEURONS, AXONS, SYN_WORDS, FANOUT, PROFILES, REVN):
        edges |= {n - 1, n}
    return sorted(edges)


FIELDS = sorted(set(range(14)) | {2 * LANES - 2, 2 * LANES - 1, 2 * LANES, 2 * LANES + 1, 31, 32, 33, 255}
                | {DS, DS + 1, D["BANK_PEND"], D["BANK_PEND"] + DS, D["BANK_PEND"] + DS + 1})


def high_enables(dut) -> list[str]:
    out = [n for n in WE_PORTS if n != "we_stdp" and int(getattr(dut, n).value)]
    if LEARN:
        v = int(dut.we_stdp.value)
        out += [f"we_stdp[{k}]" for k in range(8) if v >> k & 1]
    return out


def drive_bus(dut, we, sel, index, field, rd=1):
    dut.bus_we.value, dut.bus_sel.value, dut.bus_index.value, dut.bus_field.value = we, sel, index, field
    dut.bus_rd.value = rd


@cocotb.test()
async def bus_write_decode(dut):
    """Every select x field x index (in range, at and beyond the end of every memory) x bus_we:
    exactly the right write enable, and entry addresses = the index's low bits."""
    check_widths(dut)
    hits = {}
    for we in (1, 0):
        for sel in range(16):
            for field in FIELDS:
                for index in indices():
                    drive_bus(dut, we, sel, index, field)
                    await Timer(1, unit="ns")
                    high = high_enables(dut)
                    want = expected_we(we, sel, index, field)
                    assert high == ([want] if want else []), (we, sel, index, field, high, want)
                    if want:
                        hits[want] = hits.get(want, 0) + 1
                    if we and sel == 0 and field == 0:
                        for k, bits in ADDR_BITS.items():
                            assert int(getattr(dut, f"{k}_addr").value) == index & ((1 << bits) - 1), (k, index)
                        assert int(dut.w_lane.value) == 0
    assert set(hits) == set(ALL_WE), set(ALL_WE) - set(hits)
    for lane in range(min(LANES, 16)):       # the lane of a synapse field
        drive_bus(dut, 1, D["SEL_SYN"], 0, 2 * lane + 1)
        await Timer(1, unit="ns")
        assert int(dut.w_lane.value) == lane and int(dut.we_syn_target.value) == 1


@cocotb.test()
async def bus_readback(dut):
    """Every select x field x index, with read-back enabled and disabled, against memories
    with random contents (signed fields at their rails too)."""
    check_widths(dut)
    rng = random.Random(17)
    nonzero = 0
    for rd in (1, 1, 0):                 # two memory contents read, one with read-back disabled
        mem = Mem(rng)
        for sel in range(16):
            for field in FIELDS:
                for index in indices():
                    drive_bus(dut, rng.randrange(2), sel, index, field, rd)   # bus_we does not matter
                    await Timer(1, unit="ns")
                    mem.drive(dut)
                    await Timer(1, unit="ns")
                    got, want = int(dut.bus_rdata.value), mem.expected(rd, sel, index, field)
                    assert got == want, f"rd={rd} sel={sel} index={index} field={field}: {got:#x} != {want:#x}"
                    nonzero += got != 0
    assert nonzero > 300, nonzero


@cocotb.test()
async def bus_sign_extension(dut):
    """Signed fields are sign-extended from their own width, unsigned ones are not."""
    check_widths(dut)
    mem = Mem(random.Random(1))
    mem.m = {p: [0] * len(v) for p, v in mem.m.items()}
    smin, amin, wmin = -(1 << (S - 1)), -(1 << (A - 1)), -(1 << (WB - 1))
    mem.m["rd_pf_bias"][0], mem.m["rd_pf_vth"][0], mem.m["rd_pf_vreset"][0] = smin, -1, (1 << (S - 1)) - 1
    mem.m["rd_nm_u"][1], mem.m["rd_nm_v"][1] = smin, -1
    mem.m["rd_acc0"][1], mem.m["rd_acc1"][1] = amin, (1 << (A - 1)) - 1
    mem.m["rd_syn_weight"][0] = wmin
    mem.m["rd_pf_du"][0] = 4095                       # unsigned, top bit set
    mem.m["rd_nm_fo_len"][1] = (1 << FLB) - 1
    cases = [(D["SEL_PROFILE"], 0, D["PF_BIAS"], smin), (D["SEL_PROFILE"], 0, D["PF_VTH"], -1),
             (D["SEL_PROFILE"], 0, D["PF_V_RESET"], (1 << (S - 1)) - 1), (D["SEL_PROFILE"], 0, D["PF_DU"], 4095),
             (D["SEL_NEURON"], 1, D["NF_U"], smin), (D["SEL_NEURON"], 1, D["NF_V"], -1),
             (D["SEL_NEURON"], 1, D["NF_ACC0"], amin), (D["SEL_NEURON"], 1, D["NF_ACC1"], (1 << (A - 1)) - 1),
             (D["SEL_NEURON"], 1, D["NF_FO_LEN"], (1 << FLB) - 1), (D["SEL_SYN"], 0, 0, wmin)]
    for sel, index, field, v in cases:
        drive_bus(dut, 0, sel, index, field)
        await Timer(1, unit="ns")
        mem.drive(dut)
        await Timer(1, unit="ns")
        assert int(dut.bus_rdata.value) == v & M64, (sel, index, field, hex(int(dut.bus_rdata.value)), v)
