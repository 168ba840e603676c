"""The host, in cocotb: drives ``nc_chip`` (or ``nc_system``, whose bus is the same on system
indices) only through its host bus, as a host computer would.

:class:`Host` writes the compiler's tables into the chip memories, initialises neuron state,
queues each timestep's input flits for the host link, starts timesteps and reads back the
spike trace, the cycle counter and the event counters. :func:`cosim_job` is the cocotb test
that :mod:`neurocycle.sim._cosim` runs: it reads a job file (``NC_COSIM_JOB``), simulates
every case in it and writes the results next to it. This module runs inside the simulator
process; it imports numpy and cocotb only.
"""
from __future__ import annotations

import os
import pickle
import time

import numpy as np

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import FallingEdge, First, RisingEdge, Timer

from ._build import defs

CLOCK_NS = 10


class Host:
    """Bus master for ``nc_chip``. All bus operations start and end on a falling clock edge:
    signals are driven there, the rising edge in between commits a write, and a combinational
    read is sampled at the next falling edge."""

    def __init__(self, dut):
        self.dut = dut
        self.d = defs()
        self.ops = 0
        self.chip_s = 0.0

    async def start(self) -> None:
        dut = self.dut
        Clock(dut.clk, CLOCK_NS, unit="ns").start()
        dut.bus_we.value = 0
        dut.bus_tile.value = 0
        dut.bus_sel.value = 0
        dut.bus_index.value = 0
        dut.bus_field.value = 0
        dut.bus_wdata.value = 0
        await self.reset()

    async def reset(self) -> None:
        self.dut.rst.value = 1
        for _ in range(3):
            await FallingEdge(self.dut.clk)
        self.dut.rst.value = 0
        await FallingEdge(self.dut.clk)

    # -- bus ------------------------------------------------------------------------------
    def _addr(self, tile: int, sel: int, index: int, field: int) -> None:
        dut = self.dut
        dut.bus_tile.value = tile
        dut.bus_sel.value = sel
        dut.bus_index.value = index
        dut.bus_field.value = field

    async def write(self, tile: int, sel: int, index: int, field: int, data: int) -> None:
        self._addr(tile, sel, index, field)
        self.dut.bus_wdata.value = int(data) & 0xFFFFFFFF
        self.dut.bus_we.value = 1
        await FallingEdge(self.dut.clk)
        self.dut.bus_we.value = 0
        self.ops += 1

    async def write_many(self, ops) -> None:
        """``ops``: iterable of (tile, sel, index, field, data); one clock each."""
        dut = self.dut
        dut.bus_we.value = 1
        n = 0
        for tile, sel, index, field, data in ops:
            self._addr(tile, sel, index, field)
            dut.bus_wdata.value = int(data) & 0xFFFFFFFF
            await FallingEdge(dut.clk)
            n += 1
        dut.bus_we.value = 0
        self.ops += n

    async def read(self, tile: int, sel: int, index: int, field: int = 0, signed: bool = False) -> int:
        self._addr(tile, sel, index, field)
        await FallingEdge(self.dut.clk)
        self.ops += 1
        v = int(self.dut.bus_rdata.value)
        return v - (1 << 64) if signed and v >> 63 else v

    async def read_many(self, addrs) -> list[int]:
        """Unsigned reads of (tile, sel, index, field) addresses, one clock each."""
        out = []
        for tile, sel, index, field in addrs:
            self._addr(tile, sel, index, field)
            await FallingEdge(self.dut.clk)
            out.append(int(self.dut.bus_rdata.value))
        self.ops += len(out)
        return out

    # -- chip-level helpers -------------------------------------------------------------------
    async def chip_reg(self, index: int) -> int:
        return await self.read(0, self.d["SEL_CHIP"], index)

    async def cycle(self) -> int:
        """The chip cycle counter (T of the next timestep while paused)."""
        return await self.chip_reg(self.d["CHIP_CNT"] + self.d["CHC_CYCLES"])

    async def params(self) -> dict[str, int]:
        """The elaborated parameters: the chip set, and a system's own (0 on a chip of its own)."""
        d = self.d
        names = [k[len("PARAM_"):] for k in d if k.startswith("PARAM_") and k != "PARAM_COUNT"]
        sys_names = [k[len("SYS_PARAM_"):] for k in d if k.startswith("SYS_PARAM_") and k != "SYS_PARAM_COUNT"]
        vals = await self.read_many([(0, d["SEL_CHIP"], d["CHIP_PARAM"] + d[f"PARAM_{n}"], 0) for n in names]
                                    + [(0, d["SEL_CHIP"], d["CHIP_SYS_PARAM"] + d[f"SYS_PARAM_{n}"], 0)
                                       for n in sys_names])
        return dict(zip(names + sys_names, vals))

    async def run_step(self, flits, max_cycles: int) -> bool:
        """Queue ``flits`` on the host link, START, wait until paused. False on timeout."""
        d = self.d
        await self.write_many([(0, d["SEL_HOSTQ"], i, 0, int(f)) for i, f in enumerate(flits)]
                              + [(0, d["SEL_HOSTQ"], 0, 1, len(flits)), (0, d["SEL_CHIP"], d["CHIP_CTRL"], 0, 0)])
        # the START edge has passed: paused is low until the barrier ends
        t0 = time.perf_counter()
        done = RisingEdge(self.dut.paused)
        got = await First(done, Timer(max(1, max_cycles) * CLOCK_NS, unit="ns"))
        self.chip_s += time.perf_counter() - t0       # the chip running on its own
        if got is not done:
            return False
        await FallingEdge(self.dut.clk)
        return True

    # -- program loading -----------------------------------------------------------------------
    def program_writes(self, prog: dict, event: bool = False, banks: int = 2, learn: bool = False):
        """Every bus write that loads chip program ``prog`` (see :func:`case_from_program`) and
        sets the initial state (u = v = ref = 0, every accumulator bank 0) of the placed neurons;
        on an event-driven chip also the pending bits (every placed neuron pending in bank 0, the
        `cur` bank after reset; the other banks clear). ``banks``: accumulator banks
        (core.delay_slots + 1; banks from 2 on are written through the BANK select). ``learn``:
        a learning chip (STDP): the rule registers, ax_used, the reverse table and pointers, and
        every trace and flag 0; each slot's plastic bit and delay go with its target."""
        d = self.d
        n_cores = len(prog["core_neuron_offset"]) - 1
        lanes = prog["syn_valid"].shape[1]
        for k in range(n_cores):
            p0, p1 = prog["core_profile_offset"][k], prog["core_profile_offset"][k + 1]
            for p in range(p1 - p0):
                for f, val in enumerate(prog["profile_table"][p0 + p]):
                    yield (k, d["SEL_PROFILE"], p, f, int(val))
            r0, r1 = prog["core_neuron_offset"][k], prog["core_neuron_offset"][k + 1]
            for i in range(r1 - r0):
                r = r0 + i
                yield (k, d["SEL_NEURON"], i, d["NF_PROFILE"], int(prog["row_profile"][r]))
                yield (k, d["SEL_NEURON"], i, d["NF_FO_BASE"], int(prog["row_fanout_base"][r]))
                yield (k, d["SEL_NEURON"], i, d["NF_FO_LEN"], int(prog["row_fanout_len"][r]))
                for f in ("NF_U", "NF_V", "NF_REF", "NF_ACC0", "NF_ACC1"):
                    yield (k, d["SEL_NEURON"], i, d[f], 0)
                for b in range(2, banks):
                    yield (k, d["SEL_BANK"], i, b, 0)
                if event:
                    yield (k, d["SEL_NEURON"], i, d["NF_PEND0"], 1)
                    yield (k, d["SEL_NEURON"], i, d["NF_PEND1"], 0)
                    for b in range(2, banks):
                        yield (k, d["SEL_BANK"], i, d["BANK_PEND"] + b, 0)
                if learn:
                    yield (k, d["SEL_NEURON"], i, d["NF_REV_BASE"], int(prog["row_rev_base"][r]))
                    yield (k, d["SEL_NEURON"], i, d["NF_REV_LEN"], int(prog["row_rev_len"][r]))
                    yield (k, d["SEL_NEURON"], i, d["NF_TRACE"], 0)
                    yield (k, d["SEL_NEURON"], i, d["NF_SPK"], 0)
            yield (k, d["SEL_CORE"], d["CORE_N_USED"], 0, int(r1 - r0))
            a0, a1 = prog["core_axon_offset"][k], prog["core_axon_offset"][k + 1]
            for a in range(a1 - a0):
                yield (k, d["SEL_AXON"], a, d["AF_BASE"], int(prog["axon_base"][a0 + a]))
                yield (k, d["SEL_AXON"], a, d["AF_LEN"], int(prog["axon_len"][a0 + a]))
                if learn:
                    yield (k, d["SEL_AXON"], a, d["AF_TRACE"], 0)
                    yield (k, d["SEL_AXON"], a, d["AF_ARR"], 0)
            if learn:
                yield (k, d["SEL_CORE"], d["CORE_AX_USED"], 0, int(a1 - a0))
                for f, val in enumerate(prog["core_stdp"][k]):
                    yield (k, d["SEL_CORE"], d["CORE_STDP_ENABLE"] + f, 0, int(val))
                e0, e1 = prog["core_rev_offset"][k], prog["core_rev_offset"][k + 1]
                for e in range(e1 - e0):
                    yield (k, d["SEL_REV"], e, d["RF_AXON"], int(prog["rev_axon"][e0 + e]))
                    yield (k, d["SEL_REV"], e, d["RF_WORD"], int(prog["rev_word"][e0 + e]))
                    yield (k, d["SEL_REV"], e, d["RF_LANE"], int(prog["rev_lane"][e0 + e]))
            w0, w1 = prog["core_word_offset"][k], prog["core_word_offset"][k + 1]
            for w in range(w1 - w0):
                for lane in range(lanes):
                    valid = int(prog["syn_valid"][w0 + w, lane])
                    tgt = (valid << 31) | (int(prog["syn_plastic"][w0 + w, lane]) << 30) \
                        | (int(prog["syn_delay"][w0 + w, lane]) << 24) | int(prog["syn_target"][w0 + w, lane])
                    yield (k, d["SEL_SYN"], w, 2 * lane, int(prog["syn_weight"][w0 + w, lane]))
                    yield (k, d["SEL_SYN"], w, 2 * lane + 1, tgt)
            f0, f1 = prog["core_fanout_offset"][k], prog["core_fanout_offset"][k + 1]
            for e in range(f1 - f0):
                yield (k, d["SEL_FANOUT"], e, 0, int(prog["fanout_flit"][f0 + e]))
        # multicast routing tables: every entry of every router (valid or not; nothing is reset)
        entries = int(prog.get("table_entries", 0))
        if entries:
            off = prog["router_table_offset"]
            for r in range(len(off) - 1):
                keys = prog["table_key"][off[r]:off[r + 1]]
                outs = prog["table_outputs"][off[r]:off[r + 1]]
                for e in range(entries):
                    valid = e < len(keys)
                    yield (r, d["SEL_MCTABLE"], e, 0, int(keys[e]) if valid else 0)
                    yield (r, d["SEL_MCTABLE"], e, 1, ((1 << 31) | int(outs[e])) if valid else 0)

    async def read_trace(self, n_cores: int, graded: bool = False) -> list[tuple[int, int, int, int]]:
        """(core, local neuron, cycle, payload) of every spike of the timestep just finished
        (payload 1 on a binary chip, whose trace has none)."""
        d = self.d
        counts = await self.read_many([(k, d["SEL_CORE"], d["CORE_TRACE_COUNT"], 0) for k in range(n_cores)])
        # one read per spike: neuron in bits 63:48, cycle in bits 47:0 (cycles fit 48 bits)
        addrs = [(k, d["SEL_TRACE"], j, 2) for k, c in enumerate(counts) for j in range(c)]
        vals = await self.read_many(addrs)
        pays = await self.read_many([(k, s, j, 3) for k, s, j, _ in addrs]) if graded else [1] * len(vals)
        cores = [k for k, c in enumerate(counts) for _ in range(c)]
        return [(k, v >> 48, v & ((1 << 48) - 1), q) for k, v, q in zip(cores, vals, pays)]

    async def read_weights(self, prog: dict) -> np.ndarray:
        """Every synapse weight (signed), [n_words, lanes] in the program's layout: the final
        weights after learning, read through the synapse select (tile = core)."""
        d = self.d
        lanes = prog["syn_valid"].shape[1]
        wo = prog["core_word_offset"]
        addrs = [(k, d["SEL_SYN"], w, 2 * lane) for k in range(len(wo) - 1) for w in range(wo[k + 1] - wo[k])
                 for lane in range(lanes)]
        vals = await self.read_many(addrs)
        out = np.asarray([v - (1 << 64) if v >> 63 else v for v in vals], np.int64)
        return out.reshape(-1, lanes)

    async def read_counters(self, n_cores: int, core_counters, router_counters, chip_counters,
                            n_routers: int | None = None) -> dict:
        """Every event counter (the three counter banks, in the declared order of each scope) and
        every detail array, as plain lists. Core counters per core, router counters and per-port
        detail per router (``n_routers``; P = cores per router + 4 ports)."""
        d = self.d
        n_routers = n_cores if n_routers is None else n_routers
        cpr = n_cores // n_routers
        P = cpr + 4
        cc = await self.read_many([(k, d["SEL_CORE"], d["CORE_CNT"] + j, 0)
                                   for k in range(n_cores) for j in range(len(core_counters))])
        rc = await self.read_many([(r, d["SEL_ROUTER"], d["RT_CNT"] + j, 0)
                                   for r in range(n_routers) for j in range(len(router_counters))])
        groups = ("RT_PORT_FLITS", "RT_PORT_BLOCKED", "RT_FIFO_MAX", "RT_MC_LOOKUPS", "RT_MC_DEFAULT", "RT_MC_PARTIAL")
        det = await self.read_many([(r, d["SEL_ROUTER"], d[g] + p, 0) for r in range(n_routers)
                                    for g in groups for p in range(P)])
        cfmax = await self.read_many([(k, d["SEL_CORE"], d["CORE_FIFO_MAX"], 0) for k in range(n_cores)])
        xc = await self.read_many([(0, d["SEL_CHIP"], d["CHIP_CNT"] + j, 0) for j in range(len(chip_counters))])
        chip = dict(zip(chip_counters, xc))
        nc, nr = len(core_counters), len(router_counters)
        counters = {name: [cc[k * nc + j] for k in range(n_cores)] for j, name in enumerate(core_counters)}
        counters.update({name: [rc[r * nr + j] for r in range(n_routers)] for j, name in enumerate(router_counters)})
        counters.update(chip)
        det = np.asarray(det, dtype=np.int64).reshape(n_routers, len(groups), P)
        cf = np.asarray(cfmax, np.int64).reshape(n_routers, cpr)
        detail = {"link_flits_port": det[:, 0, :], "blocked_cycles_port": det[:, 1, :],
                  "fifo_max_occupancy": np.concatenate([det[:, 2, :], cf], axis=1),
                  "mc_lookups_port": det[:, 3, :], "mc_default_port": det[:, 4, :], "mc_partial_port": det[:, 5, :]}
        return {"counters": counters, "detail": detail}


async def run_case(host: Host, case: dict) -> dict:
    """Reset, load, run every timestep of one case; returns raw results (see sim/_cosim.py)."""
    await host.reset()
    params = await host.params()
    want = case["parameters"]
    bad = {k: (want[k], params.get(k)) for k in want if params.get(k) != want[k]}
    if bad:
        raise AssertionError(f"elaborated parameters differ from the chip config: {bad}")
    t0 = time.perf_counter()
    learn = bool(case.get("learning"))
    await host.write_many(host.program_writes(case["program"], event=bool(want.get("EVENT", 0)),
                                              banks=int(want.get("DELAY_SLOTS", 1)) + 1, learn=learn))
    load_s = time.perf_counter() - t0
    n_cores = len(case["program"]["core_neuron_offset"]) - 1
    n_routers = len(case["program"]["router_table_offset"]) - 1
    T = [await host.cycle()]
    spikes: list[tuple[int, int, int, int, int]] = []   # (step, core, local neuron, cycle, payload)
    timeout_step = None
    t1 = time.perf_counter()
    host.chip_s = 0.0
    for t, flits in enumerate(case["step_flits"]):
        if not await host.run_step(flits, case["max_cycles"]):
            timeout_step = t
            break
        for k, n, c, q in await host.read_trace(n_cores, graded=bool(want.get("PAYLOAD_BITS", 0))):
            spikes.append((t, k, n, c, q))
        T.append(await host.cycle())
        if case.get("progress"):
            cocotb.log.info("timestep %d done at cycle %d", t, T[-1])
    run_s = time.perf_counter() - t1
    out = {"T": T, "spikes": spikes, "timeout_step": timeout_step, "load_s": load_s, "run_s": run_s,
           "chip_s": host.chip_s}
    if timeout_step is None:
        out.update(await host.read_counters(n_cores, case["core_counters"], case["router_counters"],
                                            case["chip_counters"], n_routers))
        if learn:
            out["weights"] = await host.read_weights(case["program"])
    return out


@cocotb.test()
async def cosim_job(dut):
    """Run every case of the job file named by NC_COSIM_JOB; results go to NC_COSIM_OUT."""
    with open(os.environ["NC_COSIM_JOB"], "rb") as fh:
        job = pickle.load(fh)
    host = Host(dut)
    await host.start()
    results = []
    for case in job["cases"]:
        results.append(await run_case(host, case))
    tmp = os.environ["NC_COSIM_OUT"] + ".tmp"
    with open(tmp, "wb") as fh:
        pickle.dump({"results": results, "bus_ops": host.ops}, fh)
    os.replace(tmp, os.environ["NC_COSIM_OUT"])
