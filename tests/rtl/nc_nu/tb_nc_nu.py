"""cocotb: nc_nu, the neuron-update engine (docs/microarchitecture.md §5, §7), cycle by cycle.

The testbench is the core around the engine: neuron memories (incl. the accumulator bank cur),
profiles and the fan-out table answer the engine's read addresses combinationally within the
cycle; its write requests (state write-back, accumulator clear, spike trace) are applied at the
clock edge; `out_full` plays the router's L input FIFO."""
import json
import os
import random

import numpy as np

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import FallingEdge, Timer

from neurocycle.hw import lif_step, neuron_update

P = json.loads(os.environ["NC_TB_PARAMS"])
S, A, R, FB = P["STATE_BITS"], P["ACC_BITS"], P["REF_BITS"], P["FLIT_BITS"]
NB, PB, FAB, FLB, CNT = (P["NEURON_BITS"], P["PROFILE_BITS"], P["FANOUT_ADDR_BITS"], P["FANOUT_LEN_BITS"],
                         P["CNT_BITS"])
PAY, EVENT, SB = P.get("PAYLOAD_BITS", 0), P.get("EVENT", 0), P.get("SCAN_BITS", 32)
RB = FB - PAY                      # fan-out entry (route) bits
DONE, UPDATE, PUSH, SCAN = 0, 1, 2, 3       # NC_CORE_STATE bits 1:0
PF = ("du", "dv", "bias", "vth", "v_reset", "refractory", "w_exp")


def signed(v, bits):
    v = int(v) & ((1 << bits) - 1)
    return v - (1 << bits) if v >> (bits - 1) else v


def check_widths(dut):
    """The parameters are not visible through VPI: the port widths must be the ones asked for."""
    want = {"n_used": NB + 1, "cycle": CNT, "n_addr": NB, "n_prof": PB, "n_fo_base": FAB, "n_fo_len": FLB,
            "n_u": S, "n_v": S, "n_ref": R, "n_acc": A, "p_addr": PB, "p_du": 12, "p_bias": S, "p_ref": R,
            "p_wexp": 3, "fo_addr": FAB, "fo_flit": RB, "u_next": S, "ref_next": R, "tr_addr": NB,
            "tr_neuron": NB, "tr_cycle": CNT, "out_flit": FB, "state": 2, "tr_count": NB + 1}
    assert {k: len(getattr(dut, k)) for k in want} == want


def spec(n, prof):
    """(u', v', ref', spike, active) of one update, from neurocycle.hw.lif_step (§7)."""
    one = lambda x: np.array([x], np.int64)  # noqa: E731
    u2, v2, r2, sp = lif_step(one(n["u"]), one(n["v"]), one(n["ref"]), one(n["acc"]),
                              *(one(prof[f]) for f in PF), S)
    nxt = (int(u2[0]), int(v2[0]), int(r2[0]))
    return (*nxt, bool(sp[0]), nxt != (n["u"], n["v"], n["ref"]))


class Core:
    """neurons: dicts prof, fo_base, fo_len, u, v, ref, acc (acc = acc[cur][i]);
    profiles: dicts of PF; fo: fan-out table (flits)."""

    def __init__(self, dut, neurons, profiles, fo):
        self.dut, self.neurons, self.profiles, self.fo = dut, neurons, profiles, fo
        self.trace = {}
        self.cycle = 0
        self.pend_cur = [0] * (1 << NB)       # event-driven: pend[cur] read (and cleared) by the NU
        self.pend_nxt = [0] * (1 << NB)       # set by the NU

    async def reset(self):
        dut = self.dut
        Clock(dut.clk, 10, unit="ns").start()
        for s in ("start", "n_used", "cycle", "out_full", "n_prof", "n_fo_base", "n_fo_len", "n_u", "n_v", "n_ref",
                  "n_acc", "p_du", "p_dv", "p_bias", "p_vth", "p_vreset", "p_ref", "p_wexp", "fo_flit", "p_graded",
                  "scan_word"):
            getattr(dut, s).value = 0
        dut.rst.value = 1
        await FallingEdge(dut.clk)
        await FallingEdge(dut.clk)
        dut.rst.value = 0

    async def tick(self, n_used, out_full=0, start=0):
        """One cycle; returns what the engine did. With start = 1 the edge ending this cycle
        begins a timestep (the next cycle is T_t)."""
        dut = self.dut
        dut.start.value, dut.n_used.value, dut.out_full.value = start, n_used, out_full
        dut.cycle.value = self.cycle
        await Timer(1, unit="ns")
        i = int(dut.n_addr.value)
        n = self.neurons[i] if i < len(self.neurons) else dict(prof=0, fo_base=0, fo_len=0, u=0, v=0, ref=0, acc=0)
        for f in ("prof", "fo_base", "fo_len", "u", "v", "ref", "acc"):
            getattr(dut, "n_" + f).value = n[f]
        await Timer(1, unit="ns")
        p = int(dut.p_addr.value)
        assert p == n["prof"], f"cycle {self.cycle}: profile read at {p}, neuron {i} has profile {n['prof']}"
        pr = self.profiles[p] if p < len(self.profiles) else dict.fromkeys(PF, 0)
        for f, port in zip(PF, ("p_du", "p_dv", "p_bias", "p_vth", "p_vreset", "p_ref", "p_wexp")):
            getattr(dut, port).value = pr[f]
        dut.p_graded.value = pr.get("graded", 0)
        f = int(dut.fo_addr.value)
        dut.fo_flit.value = self.fo[f] if f < len(self.fo) else 0
        w = int(dut.scan_addr.value)
        dut.scan_word.value = sum(b << j for j, b in enumerate(self.pend_cur[w * SB:(w + 1) * SB]))
        await Timer(1, unit="ns")
        r = {k: int(getattr(dut, k).value) for k in ("state", "done", "upd", "upd_active", "spike", "stall",
                                                     "out_push", "tr_count", "scan", "pend_set", "scan_clear")}
        r["word"] = w
        r["i"] = i if r["state"] != DONE else None
        r["flit"] = int(dut.out_flit.value) if r["out_push"] else None
        if r["upd"]:
            r["next"] = (signed(dut.u_next.value, S), signed(dut.v_next.value, S), int(dut.ref_next.value))
        if r["spike"]:
            r["trace"] = (int(dut.tr_addr.value), int(dut.tr_neuron.value), int(dut.tr_cycle.value))
            r["payload"] = int(dut.tr_payload.value)
        await FallingEdge(dut.clk)                     # the edge in between: writes land
        if r["scan_clear"]:
            for j in range(w * SB, min((w + 1) * SB, 1 << NB)):
                self.pend_cur[j] = 0
        if r["pend_set"]:
            self.pend_nxt[i] = 1
        if r["upd"]:
            n["u"], n["v"], n["ref"] = r["next"]
            n["acc"] = 0
        if r["spike"]:
            slot, neuron, cyc = r["trace"]
            self.trace[slot] = (neuron, cyc)
        self.cycle += 1
        return r


def neuron(prof, fo_base=0, fo_len=0, u=0, v=0, ref=0, acc=0):
    return dict(prof=prof, fo_base=fo_base, fo_len=fo_len, u=u, v=v, ref=ref, acc=acc)


FIRES = dict(du=0, dv=0, bias=100, vth=50, v_reset=-7, refractory=0, w_exp=0)       # fires every update
QUIET = dict(du=4095, dv=1, bias=-3, vth=2047, v_reset=0, refractory=2, w_exp=3)    # never fires here


@cocotb.test(skip=EVENT == 1)
async def nu_timeline(dut):
    """UPDATE walk, fan-out pushes with a full L FIFO stalling, a spike without fan-out, the
    last neuron spiking with a push (-> DONE after it), the trace, and the write-backs."""
    check_widths(dut)
    assert NB >= 2 and FAB >= 3 and S >= 12, f"the directed timeline is derived for 4 neurons: {P}"
    fo = [0x11, 0x22, 0, 0, 0, 0x35, 0, 0]
    neurons = [neuron(0, 0, 2), neuron(1, acc=-9), neuron(0, 3, 0), neuron(0, 5, 1)]
    c = Core(dut, neurons, [FIRES, QUIET], fo)
    await c.reset()
    want_next = [spec(n, c.profiles[n["prof"]]) for n in neurons]
    assert [w[3] for w in want_next] == [True, False, True, True]
    r = await c.tick(4)
    assert (r["state"], r["done"]) == (DONE, 1)       # out of reset: DONE until a start
    await c.tick(4, start=1)
    T0 = c.cycle
    full = {T0 + 2, T0 + 3, T0 + 5, T0 + 9}            # L FIFO full at the start of these cycles
    log = [await c.tick(4, out_full=int(c.cycle in full)) for _ in range(11)]
    # T0 U(0) fires | +1 push 0x11 | +2, +3 stalled | +4 push 0x22 | +5 U(1) (a full L FIFO does
    # not stop an update) | +6 U(2) fires, no fan-out | +7 U(3) fires | +8 push 0x35 | +9 DONE
    U, Pu = UPDATE, PUSH
    assert [(r["state"], r["i"]) for r in log] == [(U, 0), (Pu, 0), (Pu, 0), (Pu, 0), (Pu, 0), (U, 1), (U, 2),
                                                   (U, 3), (Pu, 3), (DONE, None), (DONE, None)], log
    assert [r["flit"] for r in log] == [None, 0x11, None, None, 0x22, None, None, None, 0x35, None, None]
    assert [r["stall"] for r in log] == [0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0]
    assert [r["upd"] for r in log] == [1, 0, 0, 0, 0, 1, 1, 1, 0, 0, 0]
    assert [r["spike"] for r in log] == [1, 0, 0, 0, 0, 0, 1, 1, 0, 0, 0]
    assert [r["done"] for r in log] == [0] * 9 + [1, 1]
    assert [r["tr_count"] for r in log] == [0, 1, 1, 1, 1, 1, 1, 2, 3, 3, 3]
    # write-backs exactly as the specification computes them; every update here changes state
    assert [r["next"] for r in log if r["upd"]] == [w[:3] for w in want_next]
    assert [r["upd_active"] for r in log if r["upd"]] == [1, 1, 1, 1]
    assert [r["trace"] for r in log if r["spike"]] == [(0, 0, T0), (1, 2, T0 + 6), (2, 3, T0 + 7)]
    assert [n["acc"] for n in neurons] == [0, 0, 0, 0]

    # next timestep with one neuron placed: U(0) is the last neuron; the trace restarts at slot 0
    await c.tick(1, start=1)
    T1 = c.cycle
    log = [await c.tick(1, out_full=int(c.cycle == T1 + 1)) for _ in range(5)]
    assert [(r["state"], r["i"], r["flit"]) for r in log] == [
        (U, 0, None), (Pu, 0, None), (Pu, 0, 0x11), (Pu, 0, 0x22), (DONE, None, None)], log
    assert [r["trace"] for r in log if r["spike"]] == [(0, 0, T1)] and log[-1]["tr_count"] == 1

    # no neuron placed: start leaves the NU in DONE, nothing is read or written
    before = [dict(n) for n in neurons]
    await c.tick(0, start=1)
    log = [await c.tick(0) for _ in range(3)]
    assert all((r["state"], r["upd"], r["out_push"], r["tr_count"]) == (DONE, 0, 0, 0) for r in log), log
    assert neurons == before


@cocotb.test(skip=EVENT == 1)
async def nu_inactive_and_refractory(dut):
    """An update that changes nothing is inactive; a refractory neuron counts down and cannot
    fire; a spike whose neuron has fan-out entries but a full L FIFO for several cycles stalls
    exactly that long."""
    check_widths(dut)
    assert NB >= 2 and FAB >= 3 and S >= 12, f"the directed case is derived for 4 neurons: {P}"
    still = dict(du=0, dv=0, bias=0, vth=100, v_reset=0, refractory=0, w_exp=0)
    neurons = [neuron(1), neuron(0, ref=2, v=5), neuron(1, fo_base=6, fo_len=1, acc=100)]
    c = Core(dut, neurons, [dict(FIRES, refractory=3), still], [0, 0, 0, 0, 0, 0, 0x2A, 0])
    await c.reset()
    await c.tick(3, start=1)
    T0 = c.cycle
    log = [await c.tick(3, out_full=int(T0 + 3 <= c.cycle <= T0 + 6)) for _ in range(9)]
    # U(0) nothing changes | U(1) refractory 2 -> 1, no spike | U(2): u = 100, v = 100 >= 100
    # fires | push blocked T0+3..T0+6 | pushed T0+7 | DONE
    assert [(r["state"], r["i"]) for r in log] == [(UPDATE, 0), (UPDATE, 1), (UPDATE, 2)] + [(PUSH, 2)] * 5 + [
        (DONE, None)], log
    assert [r["upd_active"] for r in log if r["upd"]] == [0, 1, 1]
    assert [r["next"] for r in log if r["upd"]] == [(0, 0, 0), (0, 5, 1), (100, 0, 0)]
    assert [r["spike"] for r in log] == [0, 0, 1, 0, 0, 0, 0, 0, 0]
    assert [r["stall"] for r in log] == [0, 0, 0, 1, 1, 1, 1, 0, 0]
    assert [r["flit"] for r in log] == [None] * 7 + [0x2A, None]


class Model:
    """§5 NU, from the contract: DONE, UPDATE(i), PUSH(i, j)."""

    def __init__(self, core):
        self.core = core
        self.state, self.i, self.j = DONE, 0, 0

    def start(self, n_used):
        self.n_used = n_used
        self.state, self.i = (UPDATE if n_used else DONE), 0

    def cycle(self, out_full):
        """(state, neuron, pushed flit, stalled, update result or None) of this cycle."""
        st, i = self.state, self.i
        if st == DONE:
            return DONE, None, None, 0, None
        n = self.core.neurons[i]
        last = i == self.n_used - 1
        if st == UPDATE:
            res = spec(n, self.core.profiles[n["prof"]])
            if res[3] and n["fo_len"] > 0:
                self.state, self.j = PUSH, 0
            elif last:
                self.state = DONE
            else:
                self.i += 1
            return UPDATE, i, None, 0, res
        if out_full:
            return PUSH, i, None, 1, None
        flit = self.core.fo[n["fo_base"] + self.j]
        self.j += 1
        if self.j == n["fo_len"]:
            self.state = DONE if last else UPDATE
            self.i += 0 if last else 1
        return PUSH, i, flit, 0, None


@cocotb.test(skip=EVENT == 1)
async def nu_random(dut):
    """Random neurons, profiles, fan-out lists, placements and L-FIFO backpressure over many
    timesteps vs the contract model and lif_step."""
    check_widths(dut)
    rng = random.Random(3 + S)
    n_neurons, n_fo = 1 << NB, 1 << FAB
    smax, amax, rmax = (1 << (S - 1)) - 1, (1 << (A - 1)) - 1, (1 << R) - 1
    max_len = min((1 << FLB) - 1, n_fo, 3)
    fo = [rng.randrange(1 << FB) for _ in range(n_fo)]

    def rand_profile():
        return dict(du=rng.choice([0, 4095, rng.randrange(4096)]), dv=rng.choice([0, 4095, rng.randrange(4096)]),
                    bias=rng.randint(-smax // 8, smax // 2), vth=rng.randint(-smax // 2, smax // 4),
                    v_reset=rng.randint(-smax - 1, smax), refractory=rng.choice([0, 0, 1, rmax]),
                    w_exp=rng.randrange(8))

    profiles = [rand_profile() for _ in range(1 << PB)]
    neurons = [neuron(0, u=rng.randint(-smax - 1, smax), v=rng.randint(-smax - 1, smax), ref=rng.randint(0, rmax))
               for _ in range(n_neurons)]
    c = Core(dut, neurons, profiles, fo)
    await c.reset()
    m = Model(c)
    pushes = stalls = spikes = 0
    for t in range(200):
        n_used = rng.choice([0, 1, n_neurons, rng.randint(0, n_neurons)])
        for n in neurons:          # the host reloads inputs and tables between timesteps
            k = rng.randint(0, max_len)
            n.update(acc=rng.randint(-amax - 1, amax), prof=rng.randrange(1 << PB), fo_len=k,
                     fo_base=rng.randrange(n_fo - max(k, 1) + 1))
        await c.tick(n_used, start=1)
        m.start(n_used)
        spikes_t = 0
        p_full = rng.choice([0.0, 0.3, 0.8])
        for k in range(200):
            out_full = int(rng.random() < p_full)
            want = m.cycle(out_full)
            r = await c.tick(n_used, out_full=out_full)
            got = (r["state"], r["i"], r["flit"], r["stall"])
            assert got == want[:4], f"timestep {t} cycle {k}: {got} != model {want[:4]}"
            if want[4] is not None:
                assert r["next"] == want[4][:3] and r["spike"] == want[4][3] and r["upd_active"] == want[4][4], (
                    f"timestep {t} cycle {k}: {r} != {want[4]}")
            if r["spike"]:   # trace slots 0, 1, ... in spike order, stamped with the cycle
                assert r["trace"] == (spikes_t, r["i"], c.cycle - 1), (t, k, r["trace"])
                spikes_t += 1
            pushes += r["flit"] is not None
            stalls += r["stall"]
            spikes += r["spike"]
            if want[0] == DONE:
                break
        else:
            raise AssertionError(f"timestep {t}: the NU did not finish")
        assert r["tr_count"] == spikes_t
    assert pushes > 30 and stalls > 15 and spikes > 60, (pushes, stalls, spikes)


# ----------------------------------------------------------------------------- graded + event
def spec_g(n, prof):
    """(u', v', ref', payload, active, quiet) of one update (§7, §5.1), graded profiles included."""
    one = lambda x: np.array([x], np.int64)  # noqa: E731
    u2, v2, r2, q = neuron_update(one(n["u"]), one(n["v"]), one(n["ref"]), one(n["acc"]),
                                  *(one(prof[f]) for f in PF), S, graded=one(prof.get("graded", 0)),
                                  payload_bits=PAY)
    nxt = (int(u2[0]), int(v2[0]), int(r2[0]))
    active = nxt != (n["u"], n["v"], n["ref"])
    return (*nxt, int(q[0]), active, n["acc"] == 0 and not active and q[0] == 0)


class EventModel:
    """§5.1 NU, from the contract: SCAN(w), UPDATE(i), PUSH(i, j), DONE over pend[cur]."""

    def __init__(self, core):
        self.core = core
        self.state = DONE

    def start(self, n_used):
        self.n_used = n_used
        self.nw = -(-n_used // SB)
        self.state, self.w, self.m = (SCAN if n_used else DONE), 0, []

    def _next(self):
        if self.m:
            self.state, self.i = UPDATE, self.m.pop(0)
        elif self.w + 1 < self.nw:
            self.state, self.w = SCAN, self.w + 1
        else:
            self.state = DONE

    def cycle(self, out_full):
        """(state, neuron, flit, stalled, update result or None, word scanned or None)."""
        st = self.state
        if st == DONE:
            return DONE, None, None, 0, None, None
        if st == SCAN:
            lo = self.w * SB
            self.m = [j for j in range(lo, min(lo + SB, self.n_used)) if self.core.pend_cur[j]]
            w = self.w
            self._next()
            return SCAN, None, None, 0, None, w
        i = self.i
        n = self.core.neurons[i]
        if st == UPDATE:
            res = spec_g(n, self.core.profiles[n["prof"]])
            if res[3] and n["fo_len"] > 0:
                self.state, self.j, self.q = PUSH, 0, res[3]
            else:
                self._next()
            return UPDATE, i, None, 0, res, None
        if out_full:
            return PUSH, i, None, 1, None, None
        flit = self.core.fo[n["fo_base"] + self.j] | (self.q << RB if PAY else 0)
        self.j += 1
        if self.j == n["fo_len"]:
            self._next()
        return PUSH, i, flit, 0, None, None


@cocotb.test(skip=EVENT != 1)
async def nu_event_random(dut):
    """EVENT = 1 (and graded profiles when PAYLOAD_BITS > 0): random pending bitmaps, neurons,
    profiles, fan-out lists, placements and L-FIFO backpressure over many timesteps vs the
    contract model of §5.1 and neuron_update: every cycle's state, neuron, pushed flit (with its
    payload), stall, SCAN word, pending-bit clear and set, update result and trace payload."""
    check_widths(dut)
    rng = random.Random(11 + S + SB)
    n_neurons, n_fo = 1 << NB, 1 << FAB
    smax, amax, rmax = (1 << (S - 1)) - 1, (1 << (A - 1)) - 1, (1 << R) - 1
    max_len = min((1 << FLB) - 1, n_fo, 3)
    fo = [rng.randrange(1 << RB) for _ in range(n_fo)]

    def rand_profile():
        graded = int(PAY > 0 and rng.random() < 0.5)
        return dict(du=rng.choice([0, 4095, rng.randrange(4096)]), dv=rng.choice([0, 4095, rng.randrange(4096)]),
                    bias=rng.choice([0, 0, rng.randint(-smax // 8, smax // 2)]),
                    vth=rng.randint(1, smax // 4) if graded else rng.randint(-smax // 2, smax // 4),
                    v_reset=rng.randint(-smax - 1, smax), refractory=rng.choice([0, 0, 1, rmax]),
                    w_exp=rng.randrange(8), graded=graded)

    profiles = [rand_profile() for _ in range(1 << PB)]
    profiles[0].update(bias=0, vth=max(1, abs(profiles[0]["vth"])))    # a neuron at rest stays there: quiet
    if PAY:                                                              # a graded profile with big payloads
        profiles[-1].update(graded=1, vth=rng.randint(1, max(1, smax >> (PAY + 2))))
    neurons = [neuron(0, u=rng.randint(-smax - 1, smax), v=rng.randint(-smax - 1, smax), ref=rng.randint(0, rmax))
               for _ in range(n_neurons)]
    c = Core(dut, neurons, profiles, fo)
    await c.reset()
    m = EventModel(c)
    seen = dict(pushes=0, stalls=0, spikes=0, scans=0, skipped=0, sets=0, quiet=0, graded=0)
    for t in range(200):
        n_used = rng.choice([0, 1, n_neurons, rng.randint(0, n_neurons)])
        dens = rng.choice([0.0, 0.2, 0.6, 1.0])
        c.pend_cur = [int(rng.random() < dens) for _ in range(n_neurons)]   # the barrier swapped banks
        c.pend_nxt = [0] * n_neurons
        pend0 = list(c.pend_cur)
        for n in neurons:
            k = rng.randint(0, max_len)
            n.update(acc=rng.choice([0, 0, rng.randint(-amax - 1, amax)]), prof=rng.randrange(1 << PB), fo_len=k,
                     fo_base=rng.randrange(n_fo - max(k, 1) + 1))
            if rng.random() < 0.3:
                n.update(u=0, v=0, ref=0)
        await c.tick(n_used, start=1)
        m.start(n_used)
        spikes_t, visited = 0, set()
        p_full = rng.choice([0.0, 0.3, 0.8])
        for k in range(400):
            out_full = int(rng.random() < p_full)
            want = m.cycle(out_full)
            r = await c.tick(n_used, out_full=out_full)
            got = (r["state"], r["i"] if r["state"] != SCAN else None, r["flit"], r["stall"])
            assert got == want[:4], f"timestep {t} cycle {k}: {got} != model {want[:4]}"
            if want[5] is not None:
                assert r["scan_clear"] and r["word"] == want[5], (t, k, r)
                seen["scans"] += 1
            else:
                assert not r["scan_clear"]
            if want[4] is not None:
                u2, v2, r2, q, act, quiet = want[4]
                assert r["next"] == (u2, v2, r2) and r["spike"] == (q > 0) and r["upd_active"] == act, (t, k, r, want)
                assert r["pend_set"] == (not quiet), (t, k, r, want)
                visited.add(r["i"])
                seen["sets"] += r["pend_set"]
                seen["quiet"] += quiet
                if r["spike"]:
                    assert r["payload"] == q, (t, k, r["payload"], q)
                    assert r["trace"] == (spikes_t, r["i"], c.cycle - 1)
                    spikes_t += 1
                    seen["graded"] += q > 1
            else:
                assert not r["pend_set"]
            seen["pushes"] += r["flit"] is not None
            seen["stalls"] += r["stall"]
            seen["spikes"] += r["spike"]
            if want[0] == DONE:
                break
        else:
            raise AssertionError(f"timestep {t}: the NU did not finish")
        # exactly the pending placed neurons were visited, and pend[cur] is left clear
        assert visited == {j for j in range(n_used) if pend0[j]}, (t, visited)
        assert not any(c.pend_cur[:n_used])
        seen["skipped"] += n_used - len(visited)
    assert seen["pushes"] > 20 and seen["stalls"] > 5 and seen["spikes"] > 20 and seen["scans"] > 100, seen
    assert seen["skipped"] > 50 and seen["sets"] > 50 and seen["quiet"] > 5, seen
    assert PAY == 0 or seen["graded"] > 5, seen
