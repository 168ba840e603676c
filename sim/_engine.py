"""Cycle-level backend: the reference microarchitecture (docs/microarchitecture.md), cycle-exact.

``run_cycle(program, stim, mode="fast")`` drives the event-skipping Cython engine
(neurocycle.core._engine): this module builds every table the kernel reads, in the exact
layout it expects (bit layouts from neurocycle.hw.layout), and turns its raw output into a
:class:`SimResult` with every counter of ``neurocycle.hw.COUNTERS``. ``mode="stepped"`` runs
the slow, literal model of the same document (sim/_stepped.py), kept only to check this one.
"""
from __future__ import annotations

import time
from typing import Callable

import numpy as np

from neurocycle.hw import CORE_COUNTERS, ConfigError, EngineError, layout

from ._bounds import step_cycle_bounds
from ._csr import ranges
from ._cycle import P_E, P_N, P_S, P_W, assemble, host_flits, host_payloads, row_params
from ._noc import local_port
from ._routes import destinations, program_flits, walk
from ._network import Stimulus
from ._program import ChipProgram
from ._result import SimResult, spikes_from_pieces

__all__ = ["run_cycle", "ENGINE_MODES", "state_after"]

ENGINE_MODES = ("fast", "stepped")


def run_cycle(program: ChipProgram, stim: Stimulus, *, progress: Callable[[int], None] | None = None,
              mode: str = "fast") -> SimResult:
    """Simulate ``stim.steps`` timesteps of ``program`` cycle by cycle.

    ``mode="fast"`` (default): event-skipping Cython engine, backend ``"cycle"``.
    ``mode="stepped"``: literal cycle-by-cycle Python model, backend ``"cycle-stepped"``.
    ``progress(t)`` is called after each timestep.
    """
    if mode not in ENGINE_MODES:
        raise ConfigError("mode", f"must be one of {', '.join(ENGINE_MODES)}", mode,
                          "use 'fast' (default) or 'stepped' (slow, for checking)")
    t0 = time.perf_counter()
    if mode == "fast":
        res = _run_fast(program, stim, progress)
    else:
        from ._stepped import run_stepped
        res = run_stepped(program, stim, progress)
    res.wall_s = time.perf_counter() - t0
    return res


# ----------------------------------------------------------------------------- kernel tables
def _route_table(W: int, H: int, C: int = 1) -> np.ndarray:
    """uint8 [n_routers * 2**LNC]: XY output port at router r for a unicast flit to core d, at
    r << LNC | d (LNC covers the n_cores = W*H*C cores; the port of local core j for d at r).
    Built in place in uint8 (a 64x64 mesh's table is 16 MiB; int64 temporaries would be 8x that)."""
    nr, nc = W * H, W * H * C
    r = np.arange(nr, dtype=np.int32)
    d = np.arange(nc, dtype=np.int32)
    xr, yr = (r % W)[:, None], (r // W)[:, None]
    xd, yd = ((d // C) % W)[None, :], ((d // C) // W)[None, :]
    stride = 1 << max(0, (nc - 1).bit_length())     # rows padded to a power of two: index r << LNC | d
    out = np.zeros((nr, stride), np.uint8)
    rt = out[:, :nc]
    rt[...] = np.asarray(local_port(d % C), np.uint8)[None, :]
    # lowest priority first: X before Y (E/W override N/S), as np.where(xd > xr, E, xd < xr, W, ...)
    for cond, port in ((yd < yr, P_N), (yd > yr, P_S), (xd < xr, P_W), (xd > xr, P_E)):
        np.copyto(rt, np.uint8(port), where=cond)
    return out.ravel()


def _downstream(W: int, H: int) -> np.ndarray:
    """int64 [n_cores*8]: for (router r, output o) at r*8+o, the input FIFO (r2, p2) at (x2, y2)
    that output feeds, packed as a ``kdown`` word for the kernel's push loop (neurocycle.hw.layout
    KERNEL_DOWNSTREAM; 0 where there is none: XY routing never uses it)."""
    nc = W * H
    lnc = max(0, (nc - 1).bit_length())
    dn = np.zeros((nc, 8), np.int64)
    k = np.arange(nc, dtype=np.int64)
    x, y = k % W, k // W
    for o, p2, dx, dy in ((P_N, P_S, 0, -1), (P_E, P_W, 1, 0), (P_S, P_N, 0, 1), (P_W, P_E, -1, 0)):
        x2, y2 = x + dx, y + dy
        ok = (x2 >= 0) & (x2 < W) & (y2 >= 0) & (y2 < H)
        r2 = (y2 * W + x2)[ok]
        dn[ok, o] = layout.KERNEL_DOWNSTREAM.pack(req_base=((p2 * 6) << 6) + y2[ok], x=x2[ok], fifo=(r2 << 3) | p2,
                                                  route_row=r2 << lnc)
    return dn.ravel()


def general_path(p: ChipProgram) -> bool:
    """Whether the kernel runs its general path (graded spikes, event-driven cores, delays or
    learning; docs/engine.md); the default binary dense chip without them runs the fast path. A
    chip with delays or learning always does: its synapse slots carry the meta byte
    (``SynSlotDL``), which only the general path reads."""
    c = p.chip
    return bool(c.bits.payload or c.core.neuron_update == "event" or c.core.delay_slots > 1 or p.learning
                or "meta" in p.synapses.dtype.names)


def _axon_records(p: ChipProgram) -> tuple[np.ndarray, np.ndarray]:
    """The kernel's axon table and the SI busy cycles of every axon (global axon index).

    Record g is two int64 words, ``[first slot, kaxon]``: the byte offset of the axon's first
    synapse slot in the program's synapse memory (``program.synapses``: 4-byte ``SynSlot``
    records, or 5-byte ``SynSlotDL`` ones with the delay/plastic byte on a chip with delays or
    learning) flattened over cores, words and lanes (64 bits: no size limit), and
    ``n_syn | row_base << 30`` (neurocycle.hw.layout KERNEL_AXON), so an ejected flit needs one
    record to integrate all its synapses, which the kernel reads in place. ``busy`` is the SI's
    BUSY cycles for the axon: its words x ``core.synapse_word_cycles`` (docs/microarchitecture.md
    §5), plus one WRITE cycle per word with a plastic slot (§11.2): the kernel only ever needs that
    (for the SI's next free cycle) and sums it into its word counter, which the driver turns back
    into words: a slower synapse memory costs the kernel nothing."""
    lanes = p.chip.core.synapse_lanes
    ax_core = np.repeat(np.arange(p.n_cores), np.diff(p.core_axon_offset))
    n = p.axon_len.astype(np.int64)
    rec = np.empty((n.size, 2), np.int64)
    rec[:, 0] = (p.core_word_offset[ax_core] + p.axon_base) * (lanes * p.synapses.dtype.itemsize)   # bytes
    rec[:, 1] = layout.KERNEL_AXON.pack(n_syn=n, row_base=p.core_neuron_offset[ax_core])
    busy = (n + lanes - 1) // lanes * p.chip.core.synapse_word_cycles
    if p.learning:
        busy = busy + _plastic_words(p)[0]
    return rec.reshape(-1), busy


def _plastic_words(p: ChipProgram) -> tuple[np.ndarray, np.ndarray]:
    """Per global axon (learning programs): the words holding a plastic slot (the SI's WRITE
    cycles, §11.2) and the plastic slots (weights the SI depresses)."""
    lanes = p.chip.core.synapse_lanes
    ax_core = np.repeat(np.arange(p.n_cores), np.diff(p.core_axon_offset))
    w0 = p.core_word_offset[ax_core].astype(np.int64) + p.axon_base
    n = p.axon_len.astype(np.int64)
    plastic = p.syn_plastic                                   # [n_words, lanes]; invalid slots 0
    cum_w = np.concatenate([[0], np.cumsum(plastic.any(axis=1))])
    cum_s = np.concatenate([[0], np.cumsum(plastic.reshape(-1), dtype=np.int64)])
    words = (n + lanes - 1) // lanes
    return cum_w[w0 + words] - cum_w[w0], cum_s[w0 * lanes + n] - cum_s[w0 * lanes]


def _kernel_flits(dst_core, axon_local, p: ChipProgram, busy) -> np.ndarray:
    """Kernel flits (neurocycle.hw.layout KERNEL_FLIT): destination core, the destination axon's
    SI busy cycles (``busy`` from :func:`_axon_records`, saturated; the kernel then computes them
    from the record) and its global axon index (its two-word record is at twice that in the axon
    table)."""
    g = p.core_axon_offset[dst_core].astype(np.int64) + axon_local
    kf = layout.KERNEL_FLIT
    return kf.pack(dst=dst_core, words=np.minimum(busy[g], kf.max("words")), record=g)


def _multicast_nodes(p: ChipProgram, busy) -> dict:
    """The kernel's multicast trees, from the program's tables (neurocycle.sim._routes.walk):
    per node its outputs (| default-route flag << 8), the child node of each of N, E, S, W, and
    the kernel flits of its ejections (C per ejecting node, slot j = local core j)."""
    C = p.chip.mesh.cores_per_router
    w = walk(p)
    nn = int(w.flit.size)
    nmask = (w.outputs | (w.default.astype(np.int64) << 8)).astype(np.uint16)
    child = np.full((max(nn, 1), 4), -1, np.int32)
    nonroot = w.parent >= 0
    child[w.parent[nonroot], w.parent_out[nonroot] - 1] = np.flatnonzero(nonroot)
    ej_nodes = np.sort(w.ej_node)
    ej_nodes = ej_nodes[np.concatenate([[True], np.diff(ej_nodes) != 0])] if ej_nodes.size else ej_nodes
    nej = np.full(max(nn, 1), -1, np.int32)
    nej[ej_nodes] = np.arange(ej_nodes.size, dtype=np.int32) * C
    ejk = np.zeros(max(ej_nodes.size * C, 1), np.int64)
    f = program_flits(p)
    ej_kfl = _kernel_flits(w.ej_core, f.axon[w.ej_flit], p, busy)
    ejk[nej[w.ej_node] + w.ej_core % C] = ej_kfl
    if nn >= (1 << 31):
        raise ConfigError("network", f"has {nn} multicast tree nodes, more than the cycle engine's 2**31", nn,
                          "simulate a smaller network")
    return {"NMASK": nmask, "NCHILD": child.ravel(), "NEJ": nej, "EJK": ejk, "root": w.root,
            "ej_flit": w.ej_flit, "ej_kfl": ej_kfl}


def _downstream_fifo(W: int, H: int) -> np.ndarray:
    """int64 [n_routers*8]: for (router r, output o), the input FIFO r2*8 + p2 it feeds, in the
    ``fifo`` field of a ``kdown`` word (the general router path reads nothing else; a system mesh
    may be wider than the bit-parallel fields)."""
    nr = W * H
    dn = np.zeros((nr, 8), np.int64)
    k = np.arange(nr, dtype=np.int64)
    x, y = k % W, k // W
    for o, p2, dx, dy in ((P_N, P_S, 0, -1), (P_E, P_W, 1, 0), (P_S, P_N, 0, 1), (P_W, P_E, -1, 0)):
        x2, y2 = x + dx, y + dy
        ok = (x2 >= 0) & (x2 < W) & (y2 >= 0) & (y2 < H)
        dn[ok, o] = layout.KERNEL_DOWNSTREAM.pack(fifo=((y2 * W + x2)[ok] << 3) | p2)
    return dn.ravel()


def _kernel_inputs(p: ChipProgram, stim: Stimulus) -> dict:
    """Every table the kernel reads, in the exact dtype and layout it expects."""
    chip = p.chip
    W, H, C = chip.mesh.width, chip.mesh.height, chip.mesh.cores_per_router
    nr, nc = W * H, W * H * C
    sys_ = p.system is not None        # a system: the general path with links (sim/_system_engine.py)
    gen = C > 1 or chip.router.routing == "multicast" or sys_
    depth = max(chip.router.fifo_depth, p.system.link_buffer_flits) if sys_ else chip.router.fifo_depth
    i32 = lambda a: np.ascontiguousarray(a, dtype=np.int32)  # noqa: E731
    i64 = lambda a: np.ascontiguousarray(a, dtype=np.int64)  # noqa: E731
    axr, busy = _axon_records(p)
    f = program_flits(p)
    uni = ~f.mc
    kfl = np.zeros(f.mc.size, np.int64)
    kfl[uni] = _kernel_flits(f.dst_core[uni], f.axon[uni], p, busy)
    extra = {"gen": int(gen), "C": C, "NR": nr}
    if gen:
        extra.update({"NMASK": np.zeros(1, np.uint16), "NCHILD": np.zeros(1, np.int32), "NEJ": np.zeros(1, np.int32),
                      "EJK": np.zeros(1, np.int64)})
        if f.mc.any():
            nodes = _multicast_nodes(p, busy)
            root, ej_flit, ej_kfl = nodes.pop("root"), nodes.pop("ej_flit"), nodes.pop("ej_kfl")
            kfl[f.mc] = root[f.mc] | np.iinfo(np.int64).min      # kmcflit: tag bit 63 | root node
            extra.update(nodes)
    h_off, h_idx = host_flits(p, stim)
    if f.mc.any() and general_path(p):
        # the general path (graded, event-driven, delays, learning) integrates whole timesteps from
        # the spikes (_integrate_spikes): it needs every program flit's ejections, a multicast
        # flit's being those of its tree
        uni_idx = np.flatnonzero(uni)
        d_flit = np.concatenate([uni_idx, ej_flit])
        order = np.argsort(d_flit, kind="stable")
        extra.update({"ig_fl": i64(np.concatenate([kfl[uni_idx], ej_kfl])[order]),
                      "ig_off": i64(np.concatenate([[0], np.cumsum(np.bincount(d_flit, minlength=f.mc.size))])),
                      "host_ig": i64(f.n_neuron + np.asarray(h_idx, np.int64))})
    return {
        **extra,
        "NC": nc, "W": W, "H": H, "n_rows": p.n_rows,
        "D": chip.router.fifo_depth, "LD": max(0, (depth - 1).bit_length()),
        "DC": chip.core.fifo_depth, "LNC": max(0, (nc - 1).bit_length()),
        "barrier": chip.barrier_cycles, "state_bits": chip.bits.state,
        "host_r": chip.host.row * W,       # the host link's router (the unicast path: also its core)
        "nlo": i32(p.core_neuron_offset), "prm": i64(row_params(p)),
        "fo_start": i64(p.core_fanout_offset[p.core_of_row] + p.row_fanout_base),
        "fo_len": i32(p.row_fanout_len),
        "fo_flit": i64(kfl[:f.n_neuron]),
        # the synapse memory, read in place (a learning program's kernel gets a copy it updates)
        "axr": axr, "syn": p.synapses.reshape(-1).copy() if p.learning else p.synapses.reshape(-1),
        "syn_dl": int("meta" in p.synapses.dtype.names),
        "lanes": chip.core.synapse_lanes, "word_cycles": chip.core.synapse_word_cycles,
        "RT": _route_table(W, H, C) if not sys_ else np.zeros(1, np.uint8),
        "DN": i64(_downstream(W, H) if not sys_ else _downstream_fifo(W, H)),
        "host_off": i64(h_off), "host_fl": i64(kfl[f.n_neuron + h_idx]),
        "host_pay": i64(host_payloads(p, stim)),
        "step_bound": i64(step_cycle_bounds(p, h_off, h_idx)),
        "payload_bits": chip.bits.payload, "event": int(chip.core.neuron_update == "event"),
        "scan_bits": chip.core.scan_word_bits,
        "nbank": chip.core.delay_slots + 1, **_learning_inputs(p),
    }


def _learning_inputs(p: ChipProgram) -> dict:
    """The kernel's STDP tables (docs/microarchitecture.md §11): rule registers per core, global axon
    offsets, per global axon its SI write cycles and plastic slots, and per placed row its reverse
    entries as global slots of their weights and global axons (their pre-synaptic traces). Empty
    (one element) unless the program learns: the default path allocates nothing for learning."""
    i32 = lambda a: np.ascontiguousarray(a, dtype=np.int32)  # noqa: E731
    i64 = lambda a: np.ascontiguousarray(a, dtype=np.int64)  # noqa: E731
    base = {"learn": int(p.learning), "trace_max": (1 << p.chip.bits.trace) - 1,
            "core_learn": np.ascontiguousarray(p.core_stdp[:, 0] > 0, dtype=np.uint8),
            "stdp": np.ascontiguousarray(p.core_stdp, dtype=np.int64),
            "aoff": i32(p.core_axon_offset), "n_axons": int(p.axon_len.size)}
    if not p.learning:
        z32, z64 = np.zeros(1, np.int32), np.zeros(1, np.int64)
        return {**base, "rev_start": z32, "rev_len": z32, "rev_slot": z64, "rev_gax": z32, "ax_wr": z32, "ax_pl": z32}
    lanes = p.chip.core.synapse_lanes
    rev_core = np.repeat(np.arange(p.n_cores), np.diff(p.core_rev_offset))
    rev_slot = (p.core_word_offset[rev_core].astype(np.int64) + p.rev_word) * lanes + p.rev_lane
    writes, plastic = _plastic_words(p)
    return {**base,
            "rev_start": i32(p.core_rev_offset[p.core_of_row].astype(np.int64) + p.row_rev_base),
            "rev_len": i32(p.row_rev_len), "rev_slot": i64(rev_slot),
            "rev_gax": i32(p.core_axon_offset[rev_core].astype(np.int64) + p.rev_axon),
            "ax_wr": i32(writes), "ax_pl": i32(plastic)}


def _pad1(a: np.ndarray) -> np.ndarray:
    return a if a.size else np.zeros(1, a.dtype)


def state_after(program: ChipProgram, stim: Stimulus, steps: int):
    """The chip's state at the start of timestep ``steps`` (a ``StepState``: what crosses a
    barrier), from the fast kernel run for ``steps`` timesteps; the stepped model resumes from
    it (docs/engine.md, "Replay a window")."""
    from ._stepped import StepState, _window

    if program.system is not None:
        raise ConfigError("program", "is a system of chips: replaying a window of a system is not supported",
                          program.system.name, "replay the windows of a single chip")
    if steps == 0:
        n = program.n_rows
        d = program.chip.derived
        R = program.chip.core.delay_slots + 1
        z = np.zeros(n, np.int64)
        pend = np.zeros((R, n), bool)
        pend[0] = True                         # every neuron pending before T_0 (§5.1)
        return StepState(0, 0, z, z.copy(), z.copy(), np.zeros((R, n), np.int64), pend,
                         np.full((d.n_routers, d.n_ports), d.n_ports - 1, np.int64))   # reset: P-1 (§4)
    res, out = _run_fast(program, _window(stim, 0, steps), None, want_state=True)
    s = out["state"]
    return StepState(steps, int(res.step_cycles.sum()), s["u"], s["v"], s["ref"], s["acc"], s["pend"], s["last"],
                     res.weights, s.get("x_trace"), s.get("y_trace"))


def _run_fast(p: ChipProgram, stim: Stimulus, progress, want_state: bool = False):
    if p.system is not None:         # state_after refuses systems: want_state is for chips
        from ._system_engine import run_system
        return run_system(p, stim, progress)
    from neurocycle.core._engine import run_fast

    a = _kernel_inputs(p, stim)
    for k, v in a.items():
        if isinstance(v, np.ndarray):
            a[k] = _pad1(v)   # the kernel takes data pointers: never hand it a 0-size buffer
    out = run_fast(a, int(stim.steps), progress, want_state)
    weights = None
    if p.learning:            # the kernel updated the weights in its copy of the synapse memory
        weights = a["syn"]["weight"][:p.synapses.size].astype(np.int64).reshape(p.synapses.shape)
    if out["watchdog_step"] >= 0:
        raise watchdog_error(int(out["watchdog_step"]), int(a["step_bound"][int(out["watchdog_step"])]))
    del a                     # the kernel's tables: freed before the spikes are assembled
    res = result_from_kernel(p, stim, out, weights)
    return (res, out) if want_state else res


def watchdog_error(t: int, bound: int) -> EngineError:
    return EngineError(f"cycle engine: timestep {t} ran past its proven bound of {bound:,} "
                       "cycles without reaching quiescence. This is a bug in neurocycle's fast engine, not a "
                       "problem with the input: please report it with the chip and network; meanwhile "
                       "backend='reference' gives the spikes and run_cycle(..., mode='stepped') the cycles")


def result_from_kernel(p: ChipProgram, stim: Stimulus, out: dict, weights: np.ndarray | None = None) -> SimResult:
    """The SimResult of a kernel run (raw counters, per-FIFO records and per-timestep spike pieces
    in ``out``, which gives the pieces up; ``weights``: the learned weights when some core learns)."""
    chip = p.chip
    W, H, C = chip.mesh.width, chip.mesh.height, chip.mesh.cores_per_router
    nr, P = W * H, chip.derived.n_ports
    core = dict(zip(CORE_COUNTERS, out["core_counters"]))
    # the kernel sums SI busy cycles (words x synapse_word_cycles, see _axon_records) into its word
    # counter; busy cycles follow from the events (docs/microarchitecture.md §8.1)
    # (plus one WRITE cycle per plastic word, which the kernel also counts apart: si_writes)
    si_word_cycles = core["synapse_word_reads"]
    si_writes = out["si_writes"]
    updates = core["neuron_updates_active"] + core["neuron_updates_inactive"]
    core.update(synapse_word_reads=(si_word_cycles - si_writes) // p.chip.core.synapse_word_cycles,
                si_busy_cycles=core["axon_lookups"] + si_word_cycles,
                synapse_word_writes=core["synapse_word_writes"] + si_writes,
                nu_busy_cycles=updates + core["nu_scan_cycles"] + core["fanout_flits"])
    if p.chip.core.neuron_update == "event":
        # the SI sets one pending bit per synapse it integrates; the kernel counts the NU's sets
        core["pending_sets"] = core["pending_sets"] + core["synaptic_ops"]
    # Every FIFO is empty at quiescence, so the flits popped from an input FIFO are the flits
    # pushed into it: the grants of the output feeding it (the kernel counts no grant per flit);
    # a local output's grants are its core's ejections (one axon look-up each).
    pops = out["pops"]
    pf = np.zeros((nr, P), np.int64)
    r = np.arange(nr)
    x, y = r % W, r // W
    lookups = np.asarray(core["axon_lookups"]).reshape(nr, C)
    for j in range(C):
        pf[:, local_port(j)] = lookups[:, j]
    pf[y > 0, P_N] = pops[r[y > 0] - W, P_S]
    pf[y < H - 1, P_S] = pops[r[y < H - 1] + W, P_N]
    pf[x < W - 1, P_E] = pops[r[x < W - 1] + 1, P_W]
    pf[x > 0, P_W] = pops[r[x > 0] - 1, P_E]
    # blocked = cycles holding a head - flits through the FIFO
    blocked = out["necyc"] - pops
    fifo_max = np.concatenate([out["mo"], out["mo_core"].reshape(nr, C)], axis=1)
    steps, gids, cycles, pay = _spikes_from_pieces(p, out)
    per_row = np.bincount(gids, minlength=p.n_neurons)[p.row_gid]        # spikes of every placed row
    return assemble(p, stim, "cycle", spike_steps=steps, spike_neurons=gids, spike_cycles=cycles,
                    step_cycles=out["step_cycles"], core=core, port_flits=pf, blocked_port=blocked, fifo_max=fifo_max,
                    host_flits=int(out["host_flits"]), mc_lookups=out.get("mcl"), mc_default=out.get("mcd"),
                    mc_partial=out.get("mcp"), local_flits=_local_flits(p, per_row), spike_payloads=pay, weights=weights)


def _spikes_from_pieces(p: ChipProgram, out: dict):
    """The kernel's per-timestep spike pieces (rows in NU order, cycles from the timestep's first
    cycle, payloads) as the result's arrays (timestep and neuron id int32, cycle int64, payload
    int64 or None), sorted by (timestep, neuron id), each piece freed once copied (issue #18)."""
    start = np.concatenate([[0], np.cumsum(out["step_cycles"])[:-1]]).astype(np.int64)  # first cycles
    extra = [(out.pop("spike_cycles"), np.int64, start)]
    pays = out.pop("spike_payloads")
    if p.chip.bits.payload:
        extra.append((pays, np.int64, None))
    res = spikes_from_pieces(p.row_gid, out["spike_counts"], out.pop("spike_rows"), tuple(extra))
    return res[0], res[1], res[2], (res[3] if p.chip.bits.payload else None)


def _local_flits(p: ChipProgram, spikes_of_row: np.ndarray) -> np.ndarray:
    """Per router, the flits it granted from a local input to a local output: deliveries of the
    spikes of its own cores' neurons to its own cores (a multicast tree's ejections at its root
    router). Every flit pushed in a timestep is delivered before the barrier, and flits on a
    local input come only from that core's NU, so the count follows from the spikes of every row
    (``spikes_of_row``) and the fan-out table (the kernel keeps no per-input grant count)."""
    C = p.chip.mesh.cores_per_router
    f, d_flit, d_core = destinations(p)
    own = (d_flit < f.n_neuron) & (d_core // C == f.router[d_flit])
    per_entry = np.bincount(d_flit[own], minlength=f.n_neuron)[:f.n_neuron]
    rows = np.arange(p.n_rows)
    start = p.core_fanout_offset[p.core_of_row].astype(np.int64) + p.row_fanout_base
    length = p.row_fanout_len.astype(np.int64)
    n_self = np.bincount(np.repeat(rows, length), weights=per_entry[ranges(start, length)], minlength=p.n_rows)
    return np.bincount(p.core_of_row // C, weights=n_self * spikes_of_row, minlength=p.n_routers).astype(np.int64)
