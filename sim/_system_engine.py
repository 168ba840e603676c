"""The cycle model of a system of chips (docs/microarchitecture.md §12, docs/engine.md "Systems").

A system program is a chip program of the system mesh; the kernel simulates it on its general
router path with the chip-to-chip links (``neurocycle.core._engine.SysKernel``). The run can be
**partitioned**: each partition owns a group of chips and simulates only their cores, routers
and links; the partitions exchange the flits and credits that cross between them in windows no
longer than the links' latency (the lookahead of conservative synchronisation: nothing sent in a
window can reach another partition within it), and a coordinator decides each timestep's
quiescence and barrier. The same coordinator drives one partition (the single-process run: one
window per timestep), several in this process, or Dask actors in other processes
(:mod:`neurocycle.sim._partition`); the result is bit-identical in every case, since every
partition applies the contract's rules to its part and receives exactly what the single-process
run would have delivered, at the same cycles.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

from neurocycle.hw import ConfigError, EngineError

from ._cycle import host_flits
from ._engine import _kernel_inputs, _pad1, general_path, result_from_kernel, watchdog_error
from ._network import Stimulus
from ._program import ChipProgram
from ._result import SimResult
from ._routes import link_outputs

__all__ = ["run_system", "system_kernel_inputs", "partition_chips", "window_cycles", "Coordinator"]

NEVER = np.iinfo(np.int64).max // 4      # "no window": a single partition runs each timestep in one call


def partition_chips(program: ChipProgram, n_parts: int) -> list[np.ndarray]:
    """The chips of each of ``n_parts`` partitions: contiguous runs of chip indices (row-major over
    the grid, so a partition is a band of chip rows or part of one), as even as possible."""
    s = program.system
    n = s.derived.n_chips
    if not 1 <= n_parts <= n:
        raise ConfigError("workers", f"must be 1..{n} (one partition holds at least one chip of the {n})", n_parts,
                          f"use --workers {min(max(1, n_parts), n)}")
    bounds = np.linspace(0, n, n_parts + 1).round().astype(np.int64)
    return [np.arange(bounds[i], bounds[i + 1]) for i in range(n_parts)]


def window_cycles(program: ChipProgram, parts: Sequence[np.ndarray]) -> int:
    """The window of a partitioned run: the smallest latency (flit or credit) of a link between
    two partitions. ConfigError if it is 0: such a link delivers in the cycle it is granted, so
    no window exists in which partitions can run apart."""
    s = program.system
    if len(parts) == 1:
        return NEVER
    lk = s.derived.links
    part_of_chip = np.zeros(s.derived.n_chips, np.int64)
    for i, chips in enumerate(parts):
        part_of_chip[chips] = i
    cut = part_of_chip[lk.src_chip] != part_of_chip[lk.dst_chip]
    if not cut.any():
        return NEVER
    lat = np.minimum(lk.latency[cut], lk.credit_latency[cut])
    w = int(lat.min())
    if w < 1:
        l = int(np.flatnonzero(cut)[np.argmin(lat)])   # noqa: E741
        field = "link_latency_cycles" if int(lk.latency[l]) == 0 else "link_credit_latency_cycles"
        raise ConfigError(field, f"is 0 on {lk.name(l, s.derived.mesh_width)}, which joins two partitions: a "
                          "partitioned run exchanges flits in windows no longer than the latency of the links "
                          "between partitions, and a latency of 0 leaves no window", 0,
                          f"give the links a latency of at least 1 cycle ({field}: 1, or a link_overrides entry), "
                          "or simulate without --workers")
    return w


def system_kernel_inputs(p: ChipProgram, stim: Stimulus, chips: np.ndarray | None = None) -> dict:
    """The kernel tables of a system program for a partition owning ``chips`` (all: None)."""
    s = p.system
    a = _kernel_inputs(p, stim)
    d, C = s.derived, s.chip.mesh.cores_per_router
    MW, nr, nc = d.mesh_width, d.n_routers, d.n_cores
    lk = d.links
    r = np.arange(nr)
    k = np.arange(nc)
    owned_chip = np.ones(d.n_chips, bool) if chips is None else np.isin(np.arange(d.n_chips), chips)
    own_r = owned_chip[s.chip_of_router(r)]
    lki = np.full(nr * 8, -1, np.int32)
    lki[lk.dst * 8 + lk.in_port] = np.arange(lk.n, dtype=np.int32)
    rx, tx = own_r[lk.dst], own_r[lk.src]
    host_r = int(a["host_r"])
    a.update({
        "sys": 1, "own": np.flatnonzero(own_r[k // C]).astype(np.int32),
        "rX": (r % MW).astype(np.int32), "rY": (r // MW).astype(np.int32),
        "kcx": ((k // C) % MW * C + k % C).astype(np.int32), "kcy": ((k // C) // MW).astype(np.int32),
        "LKO": link_outputs(p), "LKI": lki, "lk_dstf": (lk.dst * 8 + lk.in_port).astype(np.int32),
        "lk_L": lk.latency.astype(np.int64), "lk_Lc": lk.credit_latency.astype(np.int64),
        "lk_k": lk.cycles_per_flit.astype(np.int64), "lk_rx": rx.astype(np.uint8), "lk_tx": tx.astype(np.uint8),
        "NL": lk.n, "lkB": s.link_buffer_flits, "ex_cap": 1, "host_owned": int(own_r[host_r]),
        "n_remote_links": int(((rx & ~tx) | (tx & ~rx)).sum()), "n_slots": int(p.synapses.size),
    })
    for key, v in a.items():
        if isinstance(v, np.ndarray) and not key.startswith("_"):
            a[key] = _pad1(v)   # the kernel takes data pointers: never hand it a 0-size buffer
    return a


class LocalPartition:
    """A partition simulated in this process (the SysKernel itself); the same interface as the
    Dask actor of :mod:`neurocycle.sim._partition`, with results returned at once."""

    def __init__(self, program: ChipProgram, stim: Stimulus, chips):
        from neurocycle.core._engine import SysKernel

        self.kernel = SysKernel(system_kernel_inputs(program, stim, chips))

    def call(self, name: str, *args):
        return getattr(self.kernel, name)(*args)


def _resolve(x):
    return x.result() if hasattr(x, "result") and callable(x.result) else x


@dataclass
class Coordinator:
    """Runs the timesteps of a (possibly partitioned) system: windows, exchange, quiescence,
    barrier. ``parts`` are partition handles with ``call(name, *args)`` returning the value or a
    future of it; ``chips`` the chips each owns."""
    program: ChipProgram
    stim: Stimulus
    parts: list
    chips: list
    window: int
    windows: int = 0                  # windows run (a measure of the synchronisation cost)
    exchanged: int = 0                # flits and credits passed between partitions

    def _all(self, name: str, args_per_part: Sequence[tuple]):
        futs = [p.call(name, *a) for p, a in zip(self.parts, args_per_part)]
        return [_resolve(f) for f in futs]

    def run(self, progress: Callable[[int], None] | None = None) -> dict:
        p, stim = self.program, self.stim
        s = p.system
        d = s.derived
        lk = d.links
        part_of_chip = np.zeros(d.n_chips, np.int64)
        for i, ch in enumerate(self.chips):
            part_of_chip[ch] = i
        rx_part = part_of_chip[lk.dst_chip]      # partition of a link's receiver (flits go there)
        tx_part = part_of_chip[lk.src_chip]      # ... of its sender (credits go there)
        n = len(self.parts)
        barrier = d.barrier_cycles
        bounds = system_bounds(p, stim)
        general = general_path(p)          # graded, event-driven, delays or STDP: integrated at the barrier
        T = 0
        step_cycles = np.zeros(stim.steps, np.int64)
        sp_rows, sp_cycles, sp_pay, sp_counts = [], [], [], np.zeros(stim.steps, np.int64)
        empty = np.zeros((0, 3), np.int64)
        for t in range(stim.steps):
            self._all("begin_step", [(t, T)] * n)
            imports = [empty] * n
            c0 = T
            while True:
                c_end = c0 + self.window if self.window < NEVER else NEVER
                res = self._all("advance", [(c_end, imports[i]) for i in range(n)])
                self.windows += 1
                if any(r[0] < 0 for r in res):
                    raise watchdog_error(t, int(bounds[t]))
                exports = [r[3] for r in res]
                buckets = [[] for _ in range(n)]
                for ex in exports:
                    if ex.shape[0]:
                        link = ex[:, 0] & 0xFFFFFFFF
                        dest = np.where((ex[:, 0] >> 32) == 0, rx_part[link], tx_part[link])
                        for i in np.unique(dest).tolist():
                            buckets[i].append(ex[dest == i])
                imports = [np.ascontiguousarray(np.concatenate(b)) if b else empty for b in buckets]
                n_ex = sum(int(x.shape[0]) for x in imports)
                self.exchanged += n_ex
                if n_ex == 0 and all(r[0] == 1 for r in res):
                    Q = max(int(r[1]) for r in res)
                    break
                if c_end >= NEVER:
                    raise EngineError("system engine: a partition stopped without quiescence in an unbounded "
                                      "window (a bug in neurocycle's system coordinator)")
                # idle windows are skipped: no partition has anything to do before `nxt`
                nxt = [int(r[2]) for r in res if r[0] == 0 and r[2] >= 0]
                nxt += [int(x[:, 1].min()) for x in imports if x.shape[0]]
                c0 = max(c_end, min(nxt)) if nxt else c_end
                if c0 - T > bounds[t]:
                    raise watchdog_error(t, int(bounds[t]))
            spikes = self._all("spikes", [()] * n)
            rows = np.concatenate([x[0] for x in spikes]).astype(np.int64)
            order = np.argsort(rows, kind="stable")
            rows = rows[order]
            cyc = np.concatenate([x[1] for x in spikes])[order]
            pay = np.concatenate([x[2] for x in spikes])[order] if p.chip.bits.payload else np.zeros(0, np.int64)
            if general and n > 1:
                pay_all = pay if p.chip.bits.payload else np.ones(rows.size, np.int64)
                args = (rows.astype(np.int32), pay_all.astype(np.int64))
            else:
                args = (None, None)
            # the learning phase follows the SYSTEM's quiescence (§11.2, §12.4): L = Q + Λ
            lam = max(int(x) for x in self._all("end_step", [args] * n))
            T_next = Q + lam + barrier
            step_cycles[t] = T_next - T
            if rows.size:             # one piece per timestep, cycles from its first (as run_fast)
                sp_rows.append(rows.astype(np.int32))
                sp_cycles.append(cyc - T)
                if p.chip.bits.payload:
                    sp_pay.append(pay)
                sp_counts[t] = rows.size
            T = T_next
            if progress is not None:
                progress(t)
        outs = self._all("results", [()] * n)
        out = {"weights": self._weights()}
        for key in outs[0]:
            if key in ("mo", "mo_core"):
                out[key] = np.max([o[key] for o in outs], axis=0)
            elif key in ("lk_cr", "weights"):
                continue
            else:
                out[key] = sum(o[key] for o in outs) if not isinstance(outs[0][key], np.ndarray) \
                    else np.sum([o[key] for o in outs], axis=0)
        out.update(step_cycles=step_cycles, watchdog_step=-1, spike_counts=sp_counts,
                   spike_rows=sp_rows, spike_cycles=sp_cycles, spike_payloads=sp_pay)
        return out


    def _weights(self) -> np.ndarray | None:
        """The learned weights (None unless some core learns): each plastic slot as the partition
        owning its core holds it (every partition learns for the whole system; they agree)."""
        p = self.program
        if not p.learning:
            return None
        ws = self._all("weights", [()] * len(self.parts))
        weights = np.empty(p.synapses.size, np.int64)
        lanes = p.chip.core.synapse_lanes
        words = p.core_word_offset.astype(np.int64)
        chip_of_core = p.system.chip_of_core(np.arange(p.n_cores))
        for w, chips in zip(ws, self.chips):      # each core's slots are one contiguous range
            for k in np.flatnonzero(np.isin(chip_of_core, chips)):
                weights[words[k] * lanes:words[k + 1] * lanes] = w[words[k] * lanes:words[k + 1] * lanes]
        return weights.reshape(p.synapses.shape)


def system_bounds(p: ChipProgram, stim: Stimulus) -> np.ndarray:
    from ._bounds import step_cycle_bounds

    return step_cycle_bounds(p, *host_flits(p, stim))


def run_system(p: ChipProgram, stim: Stimulus, progress: Callable[[int], None] | None = None, *,
               partitions: int = 1, parts: list | None = None, chips: list | None = None) -> SimResult:
    """Simulate a system program cycle by cycle (the fast kernel), in this process: one partition
    (the default), or ``partitions`` of them (each stepped in turn: the partitioned algorithm
    without the processes, for testing it). ``parts`` and ``chips``: ready partition handles
    (Dask actors, neurocycle.sim._partition) and the chips each owns."""
    if p.system is None:
        raise ConfigError("program", "is not a system program", None, "compile the network onto a SystemConfig")
    t0 = time.perf_counter()
    if chips is None:
        chips = partition_chips(p, partitions if parts is None else len(parts))
    window = window_cycles(p, chips)
    if parts is None:
        parts = [LocalPartition(p, stim, ch) for ch in chips]
    coord = Coordinator(p, stim, parts, chips, window)
    out = coord.run(progress)
    res = result_from_kernel(p, stim, out, out.pop("weights"))
    res.wall_s = time.perf_counter() - t0
    res.partition = {"partitions": len(parts), "window_cycles": None if window >= NEVER else window,  # type: ignore[attr-defined]
                     "windows": coord.windows, "exchanged": coord.exchanged}
    return res
