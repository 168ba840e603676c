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
from ._result import SimResult

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
    r << LNC | d (LNC covers the n_cores = W*H*C cores; the port of local core j for d at r)."""
    nr, nc = W * H, W * H * C
    r = np.arange(nr, dtype=np.int32)
    d = np.arange(nc, dtype=np.int32)
    xr, yr = (r % W)[:, None], (r // W)[:, None]
    xd, yd = ((d // C) % W)[None, :], ((d // C) // W)[None, :]
    lp = np.asarray(local_port(d % C), np.int32)[None, :]
    rt = np.where(xd > xr, P_E, np.where(xd < xr, P_W, np.where(yd > yr, P_S, np.where(yd < yr, P_N, lp))))
    stride = 1 << max(0, (nc - 1).bit_length())     # rows padded to a power of two: index r << LNC | d
    out = np.zeros((nr, stride), np.uint8)
    out[:, :nc] = rt
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
    learning; docs/engine.md); the default binary dense chip without them runs the fast path."""
    c = p.chip
    return bool(c.bits.payload or c.core.neuron_update == "event" or c.core.delay_slots > 1 or p.learning)


def _synapse_csr(p: ChipProgram):
    """Per global axon: words read, a CSR (offsets, target row, weight) of its valid slots, the
    global slot (``word * lanes + lane``) of each, and per axon the words holding a valid plastic
    slot (the SI's write-backs, §11.2)."""
    lanes = p.chip.core.synapse_lanes
    n_ax = int(p.axon_len.size)
    ax_core = np.repeat(np.arange(p.n_cores), np.diff(p.core_axon_offset))
    words = (p.axon_len.astype(np.int64) + lanes - 1) // lanes
    wbase = p.core_word_offset[ax_core].astype(np.int64) + p.axon_base
    rep = np.repeat(np.arange(n_ax), words)
    word = ranges(wbase, words)
    valid = p.syn_valid[word].astype(bool)                     # [n_read_words, lanes]
    slot_ax = np.repeat(rep, lanes)[valid.ravel()]
    tgt = (p.syn_target[word].astype(np.int64)
           + p.core_neuron_offset[ax_core[rep]][:, None])[valid]
    wt = p.syn_weight[word][valid]
    slot = (word[:, None] * lanes + np.arange(lanes)[None, :])[valid]
    off = np.zeros(n_ax + 1, np.int64)
    np.cumsum(np.bincount(slot_ax, minlength=n_ax), out=off[1:])
    plastic_word = (p.syn_plastic[word].astype(bool) & valid).any(axis=1)
    writes = np.bincount(rep, weights=plastic_word, minlength=n_ax).astype(np.int64)
    return words, off, tgt, wt, slot, writes


GENERAL_HEADER = 5    # general record: [n_syn, busy, si_writes, plastic_slots, axon, (row, weight, meta)...]


def _synapse_blob(p: ChipProgram):
    """One record per global axon (valid slots only) and the record offsets: an ejected flit then
    needs a single random access for all its synapses.

    Default path: ``[n_syn, busy, row_0, w_0, ...]``. General path (graded, event-driven, delays,
    learning): ``[n_syn, busy, si_writes, plastic_slots, axon, row_0, w_0, meta_0, ...]`` with
    ``meta = delay | plastic << 8``; the kernel updates plastic weights in place.

    ``busy`` is the SI's BUSY cycles for the axon: its words x ``core.synapse_word_cycles``
    (docs/microarchitecture.md §5), plus one WRITE cycle per word with a plastic slot (§11.2). The
    kernel only ever needs that (for the SI's next free cycle) and sums it into its word counter,
    which the driver turns back into words: a slower synapse memory costs the kernel nothing.
    Also returns, per valid slot (in record order), its blob index of the weight and its global slot."""
    words, off, tgt, wt, slot, writes = _synapse_csr(p)
    busy = words * p.chip.core.synapse_word_cycles + writes
    n_syn = np.diff(off)
    j = np.arange(tgt.size) - np.repeat(off[:-1], n_syn)
    if not general_path(p):
        rec_len = 2 + 2 * n_syn
        rec_off = np.cumsum(rec_len) - rec_len
        blob = np.zeros(int(rec_len.sum()), np.int32)
        blob[rec_off] = n_syn
        blob[rec_off + 1] = busy
        slot_rec = np.repeat(rec_off, n_syn) + 2 + 2 * j
        blob[slot_rec] = tgt
        blob[slot_rec + 1] = wt
        return blob, rec_off, busy, slot_rec + 1, slot
    H = GENERAL_HEADER
    rec_len = H + 3 * n_syn
    rec_off = np.cumsum(rec_len) - rec_len
    blob = np.zeros(int(rec_len.sum()), np.int32)
    plastic = p.syn_plastic.ravel()[slot].astype(np.int64)
    blob[rec_off] = n_syn
    blob[rec_off + 1] = busy
    blob[rec_off + 2] = writes
    blob[rec_off + 3] = np.bincount(np.repeat(np.arange(n_syn.size), n_syn), weights=plastic,
                                    minlength=n_syn.size).astype(np.int64)
    blob[rec_off + 4] = np.arange(n_syn.size)
    slot_rec = np.repeat(rec_off, n_syn) + H + 3 * j
    blob[slot_rec] = tgt
    blob[slot_rec + 1] = wt
    blob[slot_rec + 2] = p.syn_delay.ravel()[slot].astype(np.int64) | (plastic << 8)
    return blob, rec_off, busy, slot_rec + 1, slot


def _kernel_flits(dst_core, axon_local, p: ChipProgram, rec_off, words) -> np.ndarray:
    """Kernel flits (neurocycle.hw.layout KERNEL_FLIT): destination core, the destination axon's
    SI busy cycles (``words`` from :func:`_synapse_blob`, saturated; the record holds the real
    count) and its synapse-record offset."""
    g = p.core_axon_offset[dst_core].astype(np.int64) + axon_local
    kf = layout.KERNEL_FLIT
    return kf.pack(dst=dst_core, words=np.minimum(words[g], kf.max("words")), record=rec_off[g])


def _multicast_nodes(p: ChipProgram, rec_off, words) -> dict:
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
    ej_kfl = _kernel_flits(w.ej_core, f.axon[w.ej_flit], p, rec_off, words)
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
    blob, rec_off, words, wpos, slot = _synapse_blob(p)
    if blob.size > layout.KERNEL_FLIT.max("record"):
        raise ConfigError("network", "has too many synapses for the cycle engine's flit encoding "
                          f"({blob.size} blob entries, limit {layout.KERNEL_FLIT.max('record')})", blob.size,
                          "simulate a smaller network or use the reference backend")
    f = program_flits(p)
    uni = ~f.mc
    kfl = np.zeros(f.mc.size, np.int64)
    kfl[uni] = _kernel_flits(f.dst_core[uni], f.axon[uni], p, rec_off, words)
    extra = {"gen": int(gen), "C": C, "NR": nr}
    if gen:
        extra.update({"NMASK": np.zeros(1, np.uint16), "NCHILD": np.zeros(1, np.int32), "NEJ": np.zeros(1, np.int32),
                      "EJK": np.zeros(1, np.int64)})
        if f.mc.any():
            nodes = _multicast_nodes(p, rec_off, words)
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
        "fo_start": i32(p.core_fanout_offset[p.core_of_row].astype(np.int64) + p.row_fanout_base),
        "fo_len": i32(p.row_fanout_len),
        "fo_flit": i64(kfl[:f.n_neuron]),
        "blob": i32(blob),
        "RT": _route_table(W, H, C) if not sys_ else np.zeros(1, np.uint8),
        "DN": i64(_downstream(W, H) if not sys_ else _downstream_fifo(W, H)),
        "host_off": i64(h_off), "host_fl": i64(kfl[f.n_neuron + h_idx]),
        "host_pay": i64(host_payloads(p, stim)),
        "step_bound": i64(step_cycle_bounds(p, h_off, h_idx)),
        "payload_bits": chip.bits.payload, "event": int(chip.core.neuron_update == "event"),
        "scan_bits": chip.core.scan_word_bits,
        "nbank": chip.core.delay_slots + 1, **_learning_inputs(p, wpos, slot),
        "_wpos": wpos, "_slot": slot,
    }


def _learning_inputs(p: ChipProgram, wpos: np.ndarray, slot: np.ndarray) -> dict:
    """The kernel's STDP tables (docs/microarchitecture.md §11): rule registers per core, global axon
    offsets, and per placed row its reverse entries as blob positions of their weights and global
    axons (their pre-synaptic traces)."""
    i32 = lambda a: np.ascontiguousarray(a, dtype=np.int32)  # noqa: E731
    lanes = p.chip.core.synapse_lanes
    rev_core = np.repeat(np.arange(p.n_cores), np.diff(p.core_rev_offset))
    rev_slot = (p.core_word_offset[rev_core].astype(np.int64) + p.rev_word) * lanes + p.rev_lane
    pos_of_slot = np.full(p.syn_valid.size, -1, np.int64)
    pos_of_slot[slot] = wpos
    return {"learn": int(p.learning), "trace_max": (1 << p.chip.bits.trace) - 1,
            "core_learn": np.ascontiguousarray(p.core_stdp[:, 0] > 0, dtype=np.uint8),
            "stdp": np.ascontiguousarray(p.core_stdp, dtype=np.int64),
            "aoff": i32(p.core_axon_offset), "n_axons": int(p.axon_len.size),
            "rev_start": i32(p.core_rev_offset[p.core_of_row].astype(np.int64) + p.row_rev_base),
            "rev_len": i32(p.row_rev_len), "rev_pos": i32(pos_of_slot[rev_slot]),
            "rev_gax": i32(p.core_axon_offset[rev_core].astype(np.int64) + p.rev_axon)}


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
    wpos, slot = a.pop("_wpos"), a.pop("_slot")
    for k, v in a.items():
        if isinstance(v, np.ndarray):
            a[k] = _pad1(v)   # the kernel takes data pointers: never hand it a 0-size buffer
    out = run_fast(a, int(stim.steps), progress, want_state)
    weights = None
    if p.learning:            # the kernel updated the weights in its synapse records
        weights = p.syn_weight.astype(np.int64).copy()
        weights.ravel()[slot] = a["blob"][wpos]
    if out["watchdog_step"] >= 0:
        raise watchdog_error(int(out["watchdog_step"]), int(a["step_bound"][int(out["watchdog_step"])]))
    res = result_from_kernel(p, stim, out, weights)
    return (res, out) if want_state else res


def watchdog_error(t: int, bound: int) -> EngineError:
    return EngineError(f"cycle engine: timestep {t} ran past its proven bound of {bound:,} "
                       "cycles without reaching quiescence. This is a bug in neurocycle's fast engine, not a "
                       "problem with the input: please report it with the chip and network; meanwhile "
                       "backend='reference' gives the spikes and run_cycle(..., mode='stepped') the cycles")


def result_from_kernel(p: ChipProgram, stim: Stimulus, out: dict, weights: np.ndarray | None = None) -> SimResult:
    """The SimResult of a kernel run (raw counters, per-FIFO records and spikes in ``out``;
    ``weights``: the learned weights when some core learns)."""
    chip = p.chip
    W, H, C = chip.mesh.width, chip.mesh.height, chip.mesh.cores_per_router
    nr, P = W * H, chip.derived.n_ports
    core = dict(zip(CORE_COUNTERS, out["core_counters"]))
    # the kernel sums SI busy cycles (words x synapse_word_cycles, see _synapse_blob) into its word
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
    counts = out["spike_counts"]
    return assemble(p, stim, "cycle", spike_steps=np.repeat(np.arange(stim.steps), counts),
                     spike_rows=out["spike_rows"], spike_cycles=out["spike_cycles"], step_cycles=out["step_cycles"],
                     core=core, port_flits=pf, blocked_port=blocked, fifo_max=fifo_max,
                     host_flits=int(out["host_flits"]), mc_lookups=out.get("mcl"), mc_default=out.get("mcd"),
                     mc_partial=out.get("mcp"), local_flits=_local_flits(p, out["spike_rows"]),
                     spike_payloads=out["spike_payloads"], weights=weights)


def _local_flits(p: ChipProgram, spike_rows: np.ndarray) -> np.ndarray:
    """Per router, the flits it granted from a local input to a local output: deliveries of the
    spikes of its own cores' neurons to its own cores (a multicast tree's ejections at its root
    router). Every flit pushed in a timestep is delivered before the barrier, and flits on a
    local input come only from that core's NU, so the count follows from the spikes and the
    fan-out table (the kernel keeps no per-input grant count)."""
    C = p.chip.mesh.cores_per_router
    f, d_flit, d_core = destinations(p)
    own = (d_flit < f.n_neuron) & (d_core // C == f.router[d_flit])
    per_entry = np.bincount(d_flit[own], minlength=f.n_neuron)[:f.n_neuron]
    rows = np.arange(p.n_rows)
    start = p.core_fanout_offset[p.core_of_row].astype(np.int64) + p.row_fanout_base
    length = p.row_fanout_len.astype(np.int64)
    n_self = np.bincount(np.repeat(rows, length), weights=per_entry[ranges(start, length)], minlength=p.n_rows)
    sr = np.asarray(spike_rows, np.int64)
    return np.bincount(p.core_of_row[sr] // C, weights=n_self[sr], minlength=p.n_routers).astype(np.int64)
