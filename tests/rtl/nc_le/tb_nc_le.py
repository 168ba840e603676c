"""cocotb: nc_le, the learning engine (docs/microarchitecture.md §11.2), cycle by cycle.

The testbench is the core around the LE: the spike trace, the neurons' reverse pointers, the
reverse table, the synapse weights and the traces and flags answer the LE's read addresses
within the cycle; its writes land at the clock edge. A model written from §11.2 gives every
cycle's state, weight write and trace writes."""
import json
import os
import random

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import FallingEdge, Timer

P = json.loads(os.environ["NC_TB_PARAMS"])
NB, AB, WAB, LANES, WB, TB = (P["NEURON_BITS"], P["AXON_BITS"], P["WORD_ADDR_BITS"], P["LANES"], P["WEIGHT_BITS"],
                              P["TRACE_BITS"])
RAB, RLB = P["REV_ADDR_BITS"], P["REV_LEN_BITS"]
LB = max(1, (LANES - 1).bit_length())
TWB = max(NB, AB)
TMAX = (1 << TB) - 1


def signed(v, bits):
    v = int(v) & ((1 << bits) - 1)
    return v - (1 << bits) if v >> (bits - 1) else v


def decay(x, d):
    return x * (4096 - d) >> 12          # traces are >= 0


class Core:
    """Memories around the LE (a timestep's spike trace, reverse pointers and entries, weights,
    traces and flags) and the rule registers."""

    def __init__(self, rng, n_used, ax_used, spikes, rule):
        self.n_used, self.ax_used, self.spikes, self.rule = n_used, ax_used, list(spikes), rule
        n_words = 1 << WAB
        wmin, wmax = rule["w_min"], rule["w_max"]
        self.w = [[rng.randint(wmin, wmax) for _ in range(LANES)] for _ in range(n_words)]
        self.rev = []
        self.ptr = {}
        for i in range(1 << NB):
            k = rng.choice([0, 0, 1, 2, 3])
            if len(self.rev) + k >= (1 << RAB):
                k = 0
            self.ptr[i] = (len(self.rev), k)
            self.rev += [(rng.randrange(1 << AB), rng.randrange(n_words), rng.randrange(LANES)) for _ in range(k)]
        self.y = [rng.randrange(TMAX + 1) for _ in range(1 << NB)]
        self.x = [rng.randrange(TMAX + 1) for _ in range(1 << AB)]
        self.spk = [int(i in self.spikes) for i in range(1 << NB)]
        self.arr = [rng.randrange(2) for _ in range(1 << AB)]

    def drive_static(self, dut):
        r = self.rule
        dut.n_used.value, dut.ax_used.value, dut.tr_count.value = self.n_used, self.ax_used, len(self.spikes)
        dut.a_plus.value, dut.a_minus.value = r["a_plus"], r["a_minus"]
        dut.d_plus.value, dut.d_minus.value, dut.shift.value = r["d_plus"], r["d_minus"], r["shift"]
        dut.w_min.value, dut.w_max.value = r["w_min"] & ((1 << WB) - 1), r["w_max"] & ((1 << WB) - 1)
        dut.en.value = r["en"]

    async def tick(self, dut, go=0, start=0):
        dut.go.value, dut.start.value = go, start
        await Timer(1, unit="ns")
        j = int(dut.tr_addr.value)
        neuron = self.spikes[j] if j < len(self.spikes) else 0
        base, n = self.ptr[neuron]
        dut.rev_base.value, dut.rev_len.value = base, n
        e = int(dut.e_addr.value)
        ax, word, lane = self.rev[e] if e < len(self.rev) else (0, 0, 0)
        dut.e_axon.value, dut.e_word.value, dut.e_lane.value = ax, word, lane
        dut.e_weight.value = self.w[word][lane] & ((1 << WB) - 1)
        dut.e_xtrace.value = self.x[ax]
        tw = int(dut.tw_addr.value)
        yi, xi = tw & ((1 << NB) - 1), tw & ((1 << AB) - 1)
        dut.y_rdata.value, dut.spk_rdata.value = self.y[yi], self.spk[yi]
        dut.x_rdata.value, dut.arr_rdata.value = self.x[xi], self.arr[xi]
        await Timer(1, unit="ns")
        rec = {"done": int(dut.done.value), "post": int(dut.post.value), "rd": int(dut.rd.value),
               "wr": int(dut.wr.value), "trace_n": int(dut.trace_n.value), "write": None, "y": None, "x": None}
        if int(dut.syn_we.value):
            rec["write"] = (int(dut.syn_waddr.value), int(dut.syn_wlane.value), signed(dut.syn_wdata.value, WB))
        if int(dut.y_we.value):
            rec["y"] = (yi, int(dut.y_wdata.value))
        if int(dut.x_we.value):
            rec["x"] = (xi, int(dut.x_wdata.value))
        await FallingEdge(dut.clk)
        if rec["write"]:
            wd, ln, v = rec["write"]
            self.w[wd][ln] = v
        if rec["y"]:
            self.y[rec["y"][0]], self.spk[rec["y"][0]] = rec["y"][1], 0
        if rec["x"]:
            self.x[rec["x"][0]], self.arr[rec["x"][0]] = rec["x"][1], 0
        return rec


def model(core: Core) -> list[dict]:
    """The LE's cycles from Q_t (§11.2), on a copy of the memories: one record per cycle."""
    r = core.rule
    w = [list(v) for v in core.w]
    y, x, spk, arr = list(core.y), list(core.x), list(core.spk), list(core.arr)
    out = []
    for i in core.spikes:                                      # POST(j), then RD/WR per entry
        out.append({"post": 1, "rd": 0, "wr": 0, "trace_n": 0, "write": None, "y": None, "x": None})
        base, n = core.ptr[i]
        for e in range(base, base + n):
            a, word, lane = core.rev[e]
            nw = min(max(w[word][lane] + (x[a] >> r["shift"]), r["w_min"]), r["w_max"])
            out.append({"post": 0, "rd": 1, "wr": 0, "trace_n": 0, "write": None, "y": None, "x": None})
            out.append({"post": 0, "rd": 0, "wr": 1, "trace_n": 0, "write": (word, lane, nw), "y": None, "x": None})
            w[word][lane] = nw
    for j in range(max(core.n_used, core.ax_used)):            # TRACE(j)
        rec = {"post": 0, "rd": 0, "wr": 0, "trace_n": 0, "write": None, "y": None, "x": None}
        if j < core.n_used:
            rec["y"] = (j, min(decay(y[j], r["d_minus"]) + (r["a_minus"] if spk[j] else 0), TMAX))
            rec["trace_n"] += 1
        if j < core.ax_used:
            rec["x"] = (j, min(decay(x[j], r["d_plus"]) + (r["a_plus"] if arr[j] else 0), TMAX))
            rec["trace_n"] += 1
        out.append(rec)
    for rec in out:
        rec["done"] = 0
    return out


async def reset(dut):
    Clock(dut.clk, 10, unit="ns").start()
    dut.rst.value = 1
    for s in ("start", "en", "go", "n_used", "ax_used", "tr_count", "rev_base", "rev_len", "e_axon", "e_word",
              "e_lane", "e_weight", "e_xtrace", "a_plus", "a_minus", "d_plus", "d_minus", "w_min", "w_max", "shift",
              "y_rdata", "spk_rdata", "x_rdata", "arr_rdata"):
        getattr(dut, s).value = 0
    await FallingEdge(dut.clk)
    await FallingEdge(dut.clk)
    dut.rst.value = 0


async def timestep(dut, core: Core, wait: int):
    """start, `wait` cycles of the timestep (the LE idle in WAIT), go in Q, then until DONE."""
    core.drive_static(dut)
    await core.tick(dut, start=1)
    for _ in range(wait):
        rec = await core.tick(dut)
        assert (rec["done"], rec["post"], rec["rd"], rec["wr"], rec["trace_n"]) == (not core.rule["en"], 0, 0, 0, 0)
        assert rec["write"] is None and rec["y"] is None and rec["x"] is None
    want = model(core) if core.rule["en"] else []
    got = [await core.tick(dut, go=1)]
    while len(got) < len(want) + 2 and not got[-1]["done"]:
        got.append(await core.tick(dut))
    assert got[-1]["done"] == 1, "the LE did not finish"
    assert got[:-1] == want, f"LE cycles differ from the model:\n{got[:-1]}\n{want}"
    return got[:-1]


def rand_rule(rng):
    wmax = (1 << (WB - 1)) - 1
    lo = rng.randint(-wmax - 1, 0)
    return {"en": 1, "a_plus": rng.randrange(TMAX + 1), "a_minus": rng.randrange(TMAX + 1),
            "d_plus": rng.choice([0, 4095, rng.randrange(4096)]), "d_minus": rng.randrange(4096),
            "w_min": lo, "w_max": rng.randint(lo, wmax), "shift": rng.randrange(min(TB, 16))}


@cocotb.test()
async def le_timeline(dut):
    """2 spikes (neurons 1 and 3; neuron 1 has 2 reverse entries, neuron 3 none), 4 neurons,
    2 axons: POST, RD, WR, RD, WR, POST, TRACE x 4 = 10 cycles from Q; a core that does not learn
    is DONE from the start and ignores go."""
    assert NB >= 3 and AB >= 2 and LANES >= 2, P
    rng = random.Random(3)
    rule = {"en": 1, "a_plus": 20, "a_minus": 10, "d_plus": 1024, "d_minus": 2048, "w_min": -5, "w_max": 9, "shift": 1}
    core = Core(rng, n_used=4, ax_used=2, spikes=[1, 3], rule=rule)
    core.rev = [(0, 2, 1), (1, 3, 0)]
    core.ptr = {i: (0, 0) for i in range(1 << NB)}
    core.ptr[1] = (0, 2)
    core.w[2][1], core.w[3][0] = 4, 8
    core.x[0], core.x[1] = 7, 6
    core.y[:4] = [0, 9, 4, 100 & TMAX]
    core.arr[:2] = [0, 1]                              # a flit reached axon 1 this timestep
    await reset(dut)
    got = await timestep(dut, core, wait=3)
    kinds = [("P" if g["post"] else "R" if g["rd"] else "W" if g["wr"] else "T") for g in got]
    assert "".join(kinds) == "PRWRWPTTTT", kinds
    assert [g["write"] for g in got if g["write"]] == [(2, 1, 4 + 3), (3, 0, 9)]      # 8 + 3 clipped to 9
    assert got[6]["y"] == (0, 0) and got[6]["x"] == (0, 7 * 3072 // 4096)               # x: decay(7, 1024) = 5
    assert got[7]["y"] == (1, 9 * 2048 // 4096 + 10) and got[7]["x"] == (1, 6 * 3072 // 4096 + 20)   # + a_minus, a_plus
    assert got[8]["x"] is None and got[8]["y"] == (2, 2) and got[9]["trace_n"] == 1       # beyond ax_used: neurons only
    # not learning: DONE at once, go changes nothing
    core2 = Core(rng, n_used=4, ax_used=2, spikes=[1], rule={**rule, "en": 0})
    assert await timestep(dut, core2, wait=1) == []


@cocotb.test()
async def le_random(dut):
    """200 random timesteps (spikes, reverse tables, weights, traces, flags, rules) vs the model."""
    rng = random.Random(7 + TB)
    await reset(dut)
    writes = traces = 0
    for _ in range(200):
        n_used = rng.randint(1, 1 << NB)
        ax_used = rng.randint(1, 1 << AB)
        spikes = sorted(rng.sample(range(n_used), rng.randint(0, min(n_used, 5))))
        core = Core(rng, n_used, ax_used, spikes, rand_rule(rng))
        got = await timestep(dut, core, wait=rng.randint(0, 3))
        writes += sum(g["write"] is not None for g in got)
        traces += sum(g["trace_n"] for g in got)
    assert writes > 100 and traces > 1000, (writes, traces)
