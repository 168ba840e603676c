"""A reusable cocotb scoreboard for neurocycle's golden vectors (docs/vectors.md): a monitor that
samples a DUT's router outputs, core outputs and spikes in every clock, and an in-order checker
per stream (every router output port, every core's pushes, every core's spikes) that compares
what it saw with the vectors, item by item and cycle by cycle.

The only part a user writes is the :class:`Interface`: how to read *their* DUT — its chip
cycle, whether it is running, and for each tile the valid/data of each router output, of the
core's push into its router, and of a spike. :class:`NeurocycleInterface` is the mapping for
neurocycle's own ``nc_chip`` (tests/rtl/test_rtl_vectors.py); ``vectors_job`` drives
``nc_chip`` through its host bus (neurocycle.rtl._host) while the scoreboard watches.
This module runs inside the simulator; it imports cocotb only (and the host for the job).
"""
from __future__ import annotations

import json
import os
from collections import deque
from pathlib import Path

import cocotb
from cocotb.triggers import FallingEdge


# ----------------------------------------------------------------------------- the vectors
def load_vectors(folder) -> dict:
    """``{stream: deque([(cycle, value), ...])}`` from a vectors folder. Streams:
    ``("port", x, y, port)`` (value: flit), ``("push", x, y)`` (flit), ``("spike", x, y)`` (neuron)."""
    d = Path(folder)
    streams: dict = {}
    with open(d / "ports.tsv") as f:
        next(f)
        for line in f:
            c, x, y, p, fl = line.split("\t")
            streams.setdefault(("port", int(x), int(y), p), deque()).append((int(c), int(fl, 16)))
    with open(d / "cores.tsv") as f:
        next(f)
        for line in f:
            c, x, y, kind, v, _ = line.rstrip("\n").split("\t")
            val = int(v, 16) if kind == "push" else int(v)
            streams.setdefault((kind, int(x), int(y)), deque()).append((int(c), val))
    return streams


# ----------------------------------------------------------------------------- what a user writes
class Interface:
    """How to read a DUT. Override every method. ``ports`` names the router outputs the DUT has,
    in the vectors' port names (vectors.json ``ports``: L, N, E, S, W, then L1 .. with several
    cores per router); by default all of them. A core is (x, y) with x the core column (router
    x times the cores per router plus the local core)."""
    ports: tuple[str, ...] | None = None

    def __init__(self, dut, meta: dict):
        self.dut, self.meta = dut, meta
        if self.ports is None:
            self.ports = tuple(meta["ports"])

    def cycle(self) -> int:
        """The chip cycle of the current clock (the vectors' ``cycle`` column)."""
        raise NotImplementedError

    def running(self) -> bool:
        """True in the clocks that are chip cycles (a timestep or its barrier)."""
        raise NotImplementedError

    def router_outputs(self, x: int, y: int) -> dict:
        """``{port: flit}`` of the outputs of router (x, y) that push a flit in this clock."""
        raise NotImplementedError

    def core_push(self, x: int, y: int):
        """The flit core (x, y) pushes into its router in this clock, or None."""
        raise NotImplementedError

    def spike(self, x: int, y: int):
        """The neuron of core (x, y) whose update spikes in this clock, or None."""
        raise NotImplementedError


class NeurocycleInterface(Interface):
    """The mapping for neurocycle's ``nc_chip`` (a build whose internal signals are visible:
    ``waves=True`` makes every signal public)."""

    def __init__(self, dut, meta):
        super().__init__(dut, meta)
        self.fb = int(meta["flit_bits"])
        self.C = int(meta.get("cores_per_router", 1))
        self.tiles = {(x, y): dut.g_row[y].g_col[x].u_tile for y in range(meta["mesh"][1])
                      for x in range(meta["mesh"][0])}

    def _core(self, x, y):
        return self.tiles[(x // self.C, y)].g_core[x % self.C].u_core

    def cycle(self):
        return int(self.dut.cycle.value)

    def running(self):
        return not int(self.dut.paused.value)

    def router_outputs(self, x, y):
        r = self.tiles[(x, y)].u_router
        push = int(r.out_push.value)
        if not push:
            return {}
        flits = int(r.out_flit.value)
        m = (1 << self.fb) - 1
        return {p: (flits >> (self.fb * i)) & m for i, p in enumerate(self.ports) if push >> i & 1}

    def core_push(self, x, y):
        c = self._core(x, y)
        return int(c.out_flit.value) if int(c.out_push.value) else None

    def spike(self, x, y):
        c = self._core(x, y)
        return int(c.nu_n.value) if int(c.nu_spike.value) else None


# ----------------------------------------------------------------------------- monitor + checker
class InOrderChecker:
    """One stream: the expected items in order; every observed item must be the next one, at the
    same cycle (``check_cycles``) — a missing, extra, reordered, changed or late item is a
    mismatch. Keeps the first mismatch and counts."""

    def __init__(self, name, expected, check_cycles: bool = True):
        self.name, self.expected, self.check_cycles = name, expected, check_cycles
        self.matched = 0
        self.first_mismatch = None

    def observe(self, cycle: int, value: int) -> None:
        if self.first_mismatch is not None:
            return
        if not self.expected:
            self.first_mismatch = {"stream": self.name, "cycle": cycle, "expected": None, "got": [cycle, value]}
            return
        ec, ev = self.expected[0]
        if ev != value or (self.check_cycles and ec != cycle):
            self.first_mismatch = {"stream": self.name, "cycle": cycle, "expected": [ec, ev], "got": [cycle, value]}
            return
        self.expected.popleft()
        self.matched += 1

    def finish(self) -> None:
        if self.first_mismatch is None and self.expected:
            ec, ev = self.expected[0]
            self.first_mismatch = {"stream": self.name, "cycle": ec, "expected": [ec, ev], "got": None,
                                   "missing": len(self.expected)}


class Scoreboard:
    """Monitor + in-order checkers over every stream of the vectors. ``start()`` forks the monitor
    (it samples in every falling clock edge: the values of the cycle that the next rising edge
    ends); ``report()`` after the run: ``{"ok", "matched", "streams", "mismatches"}``."""

    def __init__(self, dut, folder, interface_cls=NeurocycleInterface, *, check_cycles: bool = True,
                 clock=None):
        self.dut = dut
        self.meta = json.loads((Path(folder) / "vectors.json").read_text())
        self.iface = interface_cls(dut, self.meta)
        exp = load_vectors(folder)
        W, H = self.meta["mesh"]
        C = int(self.meta.get("cores_per_router", 1))
        self.cores = [(x, y) for y in range(H) for x in range(W * C)]
        names = [("port", x, y, p) for y in range(H) for x in range(W) for p in self.iface.ports]
        names += [(k, x, y) for x, y in self.cores for k in ("push", "spike")]
        self.check = {n: InOrderChecker(n, exp.pop(n, deque()), check_cycles) for n in names}
        self.unchecked = sorted(map(str, exp))        # streams of the vectors the interface does not read
        self.clock = clock if clock is not None else dut.clk
        self._task = None

    def start(self) -> None:
        self._task = cocotb.start_soon(self._monitor())

    async def _monitor(self) -> None:
        W, H = self.meta["mesh"]
        ifc, chk = self.iface, self.check
        while True:
            await FallingEdge(self.clock)
            if not ifc.running():
                continue
            c = ifc.cycle()
            for y in range(H):
                for x in range(W):
                    for p, fl in ifc.router_outputs(x, y).items():
                        chk[("port", x, y, p)].observe(c, fl)
            for x, y in self.cores:
                v = ifc.core_push(x, y)
                if v is not None:
                    chk[("push", x, y)].observe(c, v)
                v = ifc.spike(x, y)
                if v is not None:
                    chk[("spike", x, y)].observe(c, v)

    def report(self) -> dict:
        if self._task is not None:
            self._task.cancel()
        for ch in self.check.values():
            ch.finish()
        bad = sorted((ch.first_mismatch for ch in self.check.values() if ch.first_mismatch),
                     key=lambda m: m["cycle"])
        return {"ok": not bad and not self.unchecked, "matched": sum(ch.matched for ch in self.check.values()),
                "streams": len(self.check), "mismatches": bad, "unchecked": self.unchecked}


@cocotb.test()
async def vectors_job(dut):
    """neurocycle's own chip under the scoreboard: the host (neurocycle.rtl._host) loads and runs
    the one case of NC_COSIM_JOB while a :class:`Scoreboard` checks the vectors in NC_VECTORS_DIR;
    the report goes to NC_VECTORS_OUT (JSON)."""
    import pickle

    from ._host import Host, run_case

    with open(os.environ["NC_COSIM_JOB"], "rb") as fh:
        job = pickle.load(fh)
    host = Host(dut)
    await host.start()
    sb = Scoreboard(dut, os.environ["NC_VECTORS_DIR"])
    sb.start()
    await run_case(host, job["cases"][0])
    rep = sb.report()
    Path(os.environ["NC_VECTORS_OUT"]).write_text(json.dumps(rep, indent=1))
