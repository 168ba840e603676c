"""Compiler/mapper: network instance + chip config -> chip program.

The only place where a network meets a chip. Every capacity is checked here, with an error
saying what overflowed, where, by how much, and what to change.
"""
from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Literal

import numpy as np

from neurocycle.hw import PROFILE_FIELDS, CapacityError, ChipConfig, ConfigError, SystemConfig, layout

from . import _noc
from ._network import NetworkInstance
from ._program import ChipProgram, synapse_dtype


PLACEMENTS = ("balanced", "sequential", "snake", "traffic")
_CHUNK = 1 << 21        # synapses handled per vectorised step (temporaries of ~50 MB at most)


@dataclass(frozen=True)
class CompileOptions:
    """How neurons are placed (neuron-id order is kept within and across cores).

    ``placement``: 'balanced' (default) spreads neurons evenly over all cores in core order
    (ceil(N / cores) per core); 'sequential' fills each core to capacity before the next;
    'snake' is 'balanced' with rows filled boustrophedon, so consecutive cores are neighbours;
    'traffic' cuts the neurons into the same groups as 'balanced' and places the groups on the
    cores so that the hop-weighted traffic (flits x router hops, if every source fires once) is
    small: steepest pairwise swaps from the balanced order (docs/experiments.md). With several
    cores per router, the cores of one router are consecutive in every order.
    ``neurons_per_core`` overrides the per-core count of any strategy. Checked on construction."""
    placement: Literal["balanced", "sequential", "snake", "traffic"] = "balanced"
    neurons_per_core: int | None = None

    def __post_init__(self):
        if self.placement not in PLACEMENTS:
            near = difflib.get_close_matches(str(self.placement), PLACEMENTS, n=1)
            raise ConfigError("placement", f"must be one of {', '.join(PLACEMENTS)}", self.placement,
                              f"did you mean '{near[0]}'?" if near else f"use one of {', '.join(PLACEMENTS)}")
        npc = self.neurons_per_core
        if npc is not None and (isinstance(npc, bool) or not isinstance(npc, (int, np.integer)) or npc < 1):
            raise ConfigError("neurons_per_core", "must be a whole number >= 1 (or None: the placement decides)",
                              npc, "give e.g. 64, at most core.neurons")


_INT32_MAX = (1 << 31) - 1     # the program's row and axon offsets are int32 (docs/engine.md "Hard limits")


def _ro(a, dtype) -> np.ndarray:
    a = np.ascontiguousarray(a, dtype=dtype)
    a.setflags(write=False)
    return a


def _offsets(counts: np.ndarray) -> np.ndarray:
    out = np.zeros(counts.size + 1, dtype=np.int64)
    np.cumsum(counts, out=out[1:])
    return out


def _core_name(chip: ChipConfig, k: int, system: SystemConfig | None = None) -> str:
    w, c = chip.mesh.width, chip.mesh.cores_per_router
    if system is not None:
        r = k // c
        X, Y = r % w, r // w
        cw, ch = system.chip.mesh.width, system.chip.mesh.height
        q = int(system.chip_of_router(r))
        local = (Y % ch) * cw + X % cw
        return (f"core {k} of the system (tile X={X}, Y={Y}; {system.chip_name(q)}, its core {local * c + k % c} "
                f"at x={X % cw}, y={Y % ch}" + (f", local core {k % c})" if c > 1 else ")"))
    if c == 1:
        return f"core {k} (x={k % w}, y={k // w})"
    r = k // c
    return f"core {k} (router x={r % w}, y={r // w}, local core {k % c})"


def _check_capacity(chip: ChipConfig, used: np.ndarray, cap: int, field: str, what: str, fix: str,
                    system: SystemConfig | None = None):
    if used.size and used.max() > cap:
        k = int(np.argmax(used))
        n_over = int((used > cap).sum())
        raise CapacityError(
            f"core.{field}" if system is None else f"chip.core.{field}",
            f"{_core_name(chip, k, system)} needs {int(used[k])} {what} but core.{field} is {cap} "
            f"(over by {int(used[k]) - cap}; {n_over} core(s) overflow)",
            int(used[k]), fix)


def _core_order(chip: ChipConfig, placement: str, system: SystemConfig | None = None) -> np.ndarray:
    """Core of every placement slot: routers in row-major (snake: boustrophedon) order, the cores
    of a router consecutively. On a system, chip by chip (chip index order), each chip's cores in
    that order, so neighbouring neuron groups share a chip."""
    w, h, c = chip.mesh.width, chip.mesh.height, chip.mesh.cores_per_router
    if system is not None:
        cw, ch = system.chip.mesh.width, system.chip.mesh.height
        local = _core_order(system.chip, placement)                  # the chip's own order
        lr, lj = local // c, local % c
        lx, ly = lr % cw, lr // cw
        q = np.arange(system.derived.n_chips)
        X = (q % system.grid.width)[:, None] * cw + lx[None, :]
        Y = (q // system.grid.width)[:, None] * ch + ly[None, :]
        return ((Y * w + X) * c + lj[None, :]).ravel()
    if placement != "snake":
        return np.arange(w * h * c)
    order = []
    for y in range(h):
        xs = range(w) if y % 2 == 0 else range(w - 1, -1, -1)
        order.extend((y * w + x) * c + j for x in xs for j in range(c))
    return np.asarray(order)


def _traffic_core_order(net: NetworkInstance, chip: ChipConfig, npc: int) -> np.ndarray:
    n_cores = chip.derived.n_cores
    if n_cores > _noc.TRAFFIC_MAX_CORES:
        raise ConfigError("placement", f"'traffic' places at most {_noc.TRAFFIC_MAX_CORES} cores (the chip has "
                          f"{n_cores})", "traffic", "use placement 'snake' (neighbouring neuron groups on "
                          "neighbouring cores) on chips this large")
    N = net.n_neurons
    n_groups = max(1, -(-N // npc))
    group = np.arange(N) // npc
    t, hs = _noc.group_traffic(n_groups, group, net.n_inputs, net.syn_source, net.syn_target)
    slot = _noc.traffic_order(chip, t, hs)
    order = np.arange(n_cores)
    rest = np.setdiff1d(order, slot, assume_unique=True)
    return np.concatenate([slot, rest])


def compile_network(net: NetworkInstance, chip: "ChipConfig | SystemConfig",
                    options: CompileOptions | None = None) -> ChipProgram:
    """Place ``net`` on ``chip`` (or on a system of chips: its system mesh, docs/microarchitecture.md
    §12) and build every table; raise CapacityError if it does not fit."""
    opt = options or CompileOptions()
    system = None
    if isinstance(chip, SystemConfig):
        system, chip = chip, chip.mesh_chip

    def _cap(*args):
        _check_capacity(*args, system=system)
    dv = chip.derived
    n_cores, lanes = dv.n_cores, chip.core.synapse_lanes
    WC = chip.mesh.width * chip.mesh.cores_per_router      # core columns: flit dst_x = core % WC
    multicast = chip.router.routing == "multicast"
    N = net.n_neurons

    # ---- placement ------------------------------------------------------------
    if opt.neurons_per_core is not None:
        npc = opt.neurons_per_core
    elif opt.placement == "sequential":
        npc = chip.core.neurons
    else:
        npc = min(chip.core.neurons, max(1, -(-N // n_cores)))
    if npc < 1 or npc > chip.core.neurons:
        raise ConfigError("neurons_per_core", f"must be in 1..core.neurons ({chip.core.neurons})", npc,
                          "give a smaller value or raise core.neurons")
    if N > _INT32_MAX:             # only a system of chips holds this many (a chip at most 2^28)
        raise CapacityError("network", f"has {N:,} neurons, more than the {_INT32_MAX:,} the program's int32 rows "
                            "index (docs/engine.md \"Hard limits\")", N, "simulate a smaller network")
    if N > n_cores * npc and system is not None:
        per_chip = system.chip.derived.n_cores * npc
        need = -(-N // per_chip)
        raise CapacityError(
            "grid", f"the network has {N} neurons but the system's {system.derived.n_chips} chips hold "
            f"{system.derived.n_chips} x {system.chip.derived.n_cores} cores x {npc} = {n_cores * npc} (over by "
            f"{N - n_cores * npc})", N,
            f"use a grid of at least {need} chips, chips with more cores or core.neurons, or a smaller network")
    if N > n_cores * npc:
        need_cores = -(-N // npc)
        raise CapacityError(
            "mesh", f"the network has {N} neurons but the chip holds {n_cores} cores x {npc} = {n_cores * npc} "
            f"(over by {N - n_cores * npc})", N,
            f"use a mesh of at least {need_cores} cores, raise core.neurons, or shrink the network")
    if opt.placement == "traffic":
        core_of_slot = _traffic_core_order(net, chip, npc)
    else:
        core_of_slot = _core_order(chip, opt.placement, system)
    gid = np.arange(N)
    neuron_core = core_of_slot[gid // npc]
    # rows are core-major; within a core, gid order
    row_gid = np.lexsort((gid, neuron_core)).astype(np.int64)
    counts = np.bincount(neuron_core, minlength=n_cores)
    core_neuron_offset = _offsets(counts)
    gid_row = np.empty(N, dtype=np.int64)
    gid_row[row_gid] = np.arange(N)
    row_core = neuron_core[row_gid]
    local_of_gid = (gid_row - core_neuron_offset[neuron_core]).astype(np.uint16)    # < core.neurons <= 2^16
    neuron_core = neuron_core.astype(np.int32)

    # ---- graded spikes -----------------------------------------------------------------
    graded_src = net.graded_sources                                       # per source index
    if graded_src.any() and chip.bits.payload == 0:
        where = _first_graded(net)
        raise ConfigError("bits.payload", f"is 0 (a binary chip) but {where} sends graded spikes", 0,
                          "set bits.payload (e.g. 4) on the chip, or make the population/input binary "
                          "(spikes: binary)")

    # ---- neuron parameters and profiles -----------------------------------------
    params = np.stack([net.params[f] for f in PROFILE_FIELDS], axis=1)  # [N, len(PROFILE_FIELDS)] by gid
    _check_params(chip, params)
    # distinct parameter sets: over the runs of equal consecutive rows (a population is one run),
    # not over every neuron
    run = np.flatnonzero(np.concatenate([[True], np.any(params[1:] != params[:-1], axis=1)])) if N else \
        np.zeros(0, np.int64)
    uniq, rinv = np.unique(params[run], axis=0, return_inverse=True)
    ginv = np.repeat(rinv.ravel(), np.diff(np.append(run, N)))
    del params
    row_gp = ginv[row_gid]
    key = row_core * len(uniq) + row_gp
    ukey, kinv = np.unique(key, return_inverse=True)
    prof_core = ukey // len(uniq)
    prof_counts = np.bincount(prof_core, minlength=n_cores)
    core_profile_offset = _offsets(prof_counts)
    _cap(chip, prof_counts, chip.core.profiles, "profiles", "distinct neuron parameter sets",
                    "raise core.profiles, use fewer distinct neuron parameter sets per population, "
                    "or spread populations over more cores")
    profile_table = uniq[ukey % len(uniq)]
    row_profile = kinv.ravel() - core_profile_offset[row_core]

    # ---- delays and plasticity (docs/microarchitecture.md §10, §11) --------------
    # compact per-synapse arrays, None when the network has no delays / no plastic synapse
    delay_all, rule_all = net.syn_delay, net.syn_rule
    _check_delays(chip, net, delay_all)
    rule_fixed = _check_plasticity(chip, net, rule_all)
    if rule_fixed:
        bound = np.array([max(abs(r[4]), abs(r[5])) for r in rule_fixed] + [0], np.float64)

    # ---- weights and accumulator range -------------------------------------------
    # Synapses are read straight from the instance (source-major CSR), in chunks of _CHUNK: no
    # per-synapse array of the whole network is made here (issue #18).
    s_off, t_all, w_all = net.source_offsets, net.syn_target, net.syn_weight
    n_syn = int(t_all.size)
    if n_syn:
        w_lo, w_hi = int(w_all.min()), int(w_all.max())
        if w_lo < dv.weight_min or w_hi > dv.weight_max:
            bad = next(int(c[np.argmax(m)]) for c in (w_all[i:i + _CHUNK] for i in range(0, n_syn, _CHUNK))
                       for m in [(c < dv.weight_min) | (c > dv.weight_max)] if m.any())   # the first one
            raise CapacityError("bits.weight", f"weight {bad} does not fit {chip.bits.weight}-bit signed weights "
                                f"({dv.weight_min}..{dv.weight_max})", bad,
                                f"raise bits.weight to {max(abs(w_lo), abs(w_hi)).bit_length() + 1} or scale the "
                                "weights down (and use w_exp to scale the input back up)")
    graded_any = bool(graded_src.any())
    fan_in_abs = np.zeros(N, np.float64)
    # axons (one per (destination core, source)) in instance order: a source's synapses are sorted
    # by target, and the neurons of a core are consecutive ids, so an axon is a run of equal
    # (source, destination core)
    ax_first_l, ax_src_l, ax_core_l = [], [], []
    prev_src, prev_core = -1, -1
    for a, b, src in _synapse_chunks(s_off, n_syn):
        t = t_all[a:b]
        # the largest value one synapse adds: |weight| x the largest payload of its source (2^P - 1
        # for a graded source, 1 for a binary one): exact in float64 below 2^53
        aw = np.abs(w_all[a:b].astype(np.float64))
        if rule_fixed:   # a plastic weight can reach either bound of its rule
            aw = np.maximum(aw, bound[rule_all[a:b]])      # rule -1 (static) picks the trailing 0
        if graded_any:
            aw *= np.where(graded_src[src], (1 << chip.bits.payload) - 1, 1)
        fan_in_abs += np.bincount(t, weights=aw, minlength=N)
        core = neuron_core[t]
        new = np.empty(b - a, bool)
        new[0] = src[0] != prev_src or core[0] != prev_core
        np.not_equal(src[1:], src[:-1], out=new[1:])
        new[1:] |= core[1:] != core[:-1]
        pos = np.flatnonzero(new)
        ax_first_l.append(pos + a)
        ax_src_l.append(src[pos])
        ax_core_l.append(core[pos])
        prev_src, prev_core = int(src[-1]), int(core[-1])
    if n_syn:
        worst = int(np.argmax(fan_in_abs))
        if fan_in_abs[worst] > dv.acc_max:
            need = int(fan_in_abs[worst]).bit_length() + 1
            what = ("fan-in x |weight| x the largest payload (2^bits.payload - 1 for a graded source)"
                    if graded_any else "fan-in x |weight|")
            fix = (f"raise bits.accumulator to {need}" if need <= 32 else "raise bits.accumulator to 32")
            fix += ", or lower the fan-in or the weights"
            if graded_any:
                fix += " (or bits.payload)"
            raise CapacityError("bits.accumulator",
                                f"neuron {worst} has {what} = {int(fan_in_abs[worst])}, which could "
                                f"overflow the {chip.bits.accumulator}-bit accumulator (max {dv.acc_max})",
                                int(fan_in_abs[worst]), fix)
    del fan_in_abs
    cat = (lambda xs, dt: np.concatenate(xs).astype(dt, copy=False) if xs else np.zeros(0, dt))  # noqa: E731
    inst_first = cat(ax_first_l, np.int64)         # per axon, instance order: first synapse
    inst_src = cat(ax_src_l, np.int64)
    inst_core = cat(ax_core_l, np.int64)
    del ax_first_l, ax_src_l, ax_core_l
    inst_len = np.diff(np.append(inst_first, n_syn))

    # ---- axons: one per (destination core, source), in (core, source) order ------------------
    n_src = net.n_inputs + N
    by_core = np.argsort(inst_core, kind="stable")    # sources ascend within a core
    ax_core, ax_src, plen = inst_core[by_core], inst_src[by_core], inst_len[by_core]
    n_pairs = int(ax_core.size)
    if multicast:
        # a source reaching >= 2 cores sends one multicast flit: the same axon index in all of them
        src_ncores = np.bincount(ax_src, minlength=n_src)
        src_mc = src_ncores >= 2
        key_core = np.concatenate([np.full(net.n_inputs, chip.host.row * WC, np.int64), neuron_core])
        by_src = np.lexsort((ax_core, ax_src))
        local = np.empty(n_pairs, np.int64)
        local[by_src] = _noc.align_axons(ax_core[by_src], ax_src[by_src], src_mc, key_core, n_cores, n_cores)
        table_len = np.zeros(n_cores, np.int64)
        np.maximum.at(table_len, ax_core, local + 1)
        core_axon_offset = _offsets(table_len)
        _cap(chip, table_len, chip.core.axons, "axons",
                        "axon table entries (multicast: a source has the same axon index in every core it reaches, "
                        "so indices are shared out chip-wide)",
                        "raise core.axons, use router.routing: unicast, or place connected neurons on fewer cores")
        ax_local = local
        g_of_pair = core_axon_offset[ax_core] + ax_local    # global axon entry of each pair
        n_ax = int(core_axon_offset[-1])
    else:
        src_mc = np.zeros(n_src, bool)
        ax_counts = np.bincount(ax_core, minlength=n_cores)
        core_axon_offset = _offsets(ax_counts)
        _cap(chip, ax_counts, chip.core.axons, "axons", "axons (one per source neuron/input that "
                        "reaches the core)", "raise core.axons, or place fewer distinct sources' targets per core "
                        "(smaller neurons_per_core spreads targets)")
        ax_local = np.arange(n_pairs) - core_axon_offset[ax_core]
        g_of_pair = np.arange(n_pairs)
        n_ax = n_pairs
    if n_ax > _INT32_MAX:          # only a system of chips reaches this (a chip holds at most 2^28)
        raise CapacityError("network", f"needs {n_ax:,} axon-table entries over the whole "
                            f"{'system' if system is not None else 'chip'}, more than the {_INT32_MAX:,} the program's "
                            "int32 axon offsets index (docs/engine.md \"Hard limits\")", n_ax,
                            "simulate a smaller network, or place connected neurons on fewer cores")
    # axon table entries (holes of a multicast chip's table: no synapses)
    axon_len = np.zeros(n_ax, np.int64)
    axon_len[g_of_pair] = plen
    ax_core_g = np.repeat(np.arange(n_cores), np.diff(core_axon_offset))
    ax_words_g = -(-axon_len // lanes)
    word_cum_g = np.cumsum(ax_words_g) - ax_words_g
    core_word_offset = _offsets(np.bincount(ax_core_g, weights=ax_words_g, minlength=n_cores).astype(np.int64))
    axon_base = word_cum_g - core_word_offset[ax_core_g]
    words_used = np.diff(core_word_offset)
    _cap(chip, words_used, chip.core.synapse_words, "synapse_words",
                    f"synapse words ({lanes} synapse(s) per word)",
                    "raise core.synapse_words or core.synapse_lanes, or spread the network over more cores")
    n_words = int(core_word_offset[-1])
    # the synapse memory: filled chunk by chunk, each synapse at its axon's first slot + its rank;
    # on a chip with delays or learning each slot has its meta byte (delay | plastic << 6)
    slot_dt = synapse_dtype(chip)
    dl = "meta" in slot_dt.names
    synapses = np.zeros((n_words, lanes), dtype=slot_dt)
    flat = synapses.reshape(-1)
    slot_start = np.empty(n_pairs, np.int64)          # per pair (axon of a core), instance order
    slot_start[by_core] = word_cum_g[g_of_pair] * lanes
    shift = slot_start - inst_first                    # slot of synapse i = shift[its pair] + i
    del slot_start
    learns = bool(rule_fixed)
    if learns:
        # the network synapses' slots (Run.weights) and, per plastic synapse, what the reverse
        # table needs: the global axon of its pair
        syn_slot = np.empty(n_syn, np.int32 if n_words * lanes < (1 << 31) else np.int64)
        inst_g = np.empty(n_pairs, np.int64)
        inst_g[by_core] = g_of_pair
        rv = {k: [] for k in ("rule", "core", "tgt", "axon", "word", "lane")}
    del by_core
    meta = layout.SYNAPSE_META
    for a, b, _ in _synapse_chunks(s_off, n_syn, sources=False):
        i0 = int(np.searchsorted(inst_first, a, side="right")) - 1
        i1 = int(np.searchsorted(inst_first, b, side="left"))
        lo = np.maximum(inst_first[i0:i1], a)
        hi = np.minimum(inst_first[i0:i1] + inst_len[i0:i1], b)
        dest = np.repeat(shift[i0:i1], hi - lo) + np.arange(a, b)
        rec = np.empty(b - a, slot_dt)
        rec["target"] = local_of_gid[t_all[a:b]]
        rec["weight"] = w_all[a:b]
        if not dl:
            flat.view(np.uint32)[dest] = rec.view(np.uint32)        # one 4-byte word per slot
            continue
        d = np.zeros(b - a, np.int64) if delay_all is None else delay_all[a:b].astype(np.int64) - 1
        pl = np.zeros(b - a, bool) if rule_all is None else rule_all[a:b] >= 0
        rec["meta"] = meta.pack(delay=d, plastic=pl)
        flat[dest] = rec
        if learns:
            syn_slot[a:b] = dest
            if pl.any():
                g = np.repeat(inst_g[i0:i1], hi - lo)[pl]
                core = ax_core_g[g]
                ps = dest[pl]
                rv["rule"].append(rule_all[a:b][pl].astype(np.int64))
                rv["core"].append(core)
                rv["tgt"].append(rec["target"][pl].astype(np.int64))
                rv["axon"].append(g - core_axon_offset[core])
                rv["word"].append(ps // lanes - core_word_offset[core])
                rv["lane"].append(ps % lanes)
    del shift, inst_first, inst_src, inst_core, inst_len, flat
    if learns:
        rv = {k: cat(v, np.int64) for k, v in rv.items()}
        del inst_g
    else:
        syn_slot = None
        rv = {k: np.zeros(0, np.int64) for k in ("rule", "core", "tgt", "axon", "word", "lane")}
    core_stdp, core_rev_offset, row_rev_base, row_rev_len, rev_axon, rev_word, rev_lane = _reverse_table(
        chip, rv["rule"], rule_fixed, rv["core"], rv["tgt"], rv["axon"], rv["word"], rv["lane"], core_neuron_offset)
    del rv

    # ---- fan-out: per source, one flit per destination core (core order), or one multicast flit
    fo = np.lexsort((ax_core, ax_src))
    fo_src, fo_core, fo_axon = ax_src[fo], ax_core[fo], ax_local[fo]
    fo_mc = src_mc[fo_src]
    if multicast:
        # one entry per multicast source (its first pair): the key is the source core and the axon
        keep = ~fo_mc | np.concatenate([[True], fo_src[1:] != fo_src[:-1]])
        fo_src, fo_core, fo_axon, fo_mc = fo_src[keep], fo_core[keep], fo_axon[keep], fo_mc[keep]
    key_col = np.where(fo_src < net.n_inputs, 0, neuron_core[np.maximum(fo_src - net.n_inputs, 0)] % WC)
    key_row = np.where(fo_src < net.n_inputs, chip.host.row,
                       neuron_core[np.maximum(fo_src - net.n_inputs, 0)] // WC)
    fo_x = np.where(fo_mc, key_col, fo_core % WC)
    fo_y = np.where(fo_mc, key_row, fo_core // WC)
    is_in = fo_src < net.n_inputs
    # host
    in_src = fo_src[is_in]
    input_fanout_offset = _offsets(np.bincount(in_src, minlength=net.n_inputs)) if net.n_inputs else np.zeros(1, np.int64)
    # neurons: group by row of the source
    nr_src_row = gid_row[fo_src[~is_in] - net.n_inputs]
    nr_core, nr_x, nr_y, nr_axon, nr_mc = fo_core[~is_in], fo_x[~is_in], fo_y[~is_in], fo_axon[~is_in], fo_mc[~is_in]
    o2 = np.lexsort((nr_core, nr_src_row))
    nr_src_row, nr_x, nr_y, nr_axon, nr_mc = nr_src_row[o2], nr_x[o2], nr_y[o2], nr_axon[o2], nr_mc[o2]
    row_fanout_len = np.bincount(nr_src_row, minlength=N)
    src_core_counts = np.bincount(row_core, weights=row_fanout_len, minlength=n_cores).astype(np.int64)
    core_fanout_offset = _offsets(src_core_counts)
    _cap(chip, src_core_counts, chip.core.fanout_entries, "fanout_entries",
                    "fan-out entries (one per spiking neuron x destination core"
                    + (", or one per multicast source)" if multicast else ")"),
                    "raise core.fanout_entries, or place connected neurons on fewer cores"
                    + ("" if multicast else " (or use router.routing: multicast)"))
    row_fanout_start = _offsets(row_fanout_len)[:-1]
    row_fanout_base = row_fanout_start - core_fanout_offset[row_core]

    # ---- multicast routing tables: the XY tree of every multicast flit ----------------------
    tables = _multicast_tables(chip, net, neuron_core, ax_src, ax_core, ax_local, src_mc) if multicast else None
    if tables is None:
        router_table_offset = np.zeros(dv.n_routers + 1, np.int64)
        table_key = table_outputs = np.zeros(0, np.int64)
    else:
        router_table_offset, table_key, table_outputs = tables

    program = ChipProgram(
        chip=chip, n_neurons=N, n_inputs=net.n_inputs,
        row_gid=_ro(row_gid, np.int32), gid_row=_ro(gid_row, np.int32),
        core_neuron_offset=_ro(core_neuron_offset, np.int32),
        core_profile_offset=_ro(core_profile_offset, np.int32), profile_table=_ro(profile_table, np.int64),
        row_profile=_ro(row_profile, np.int32),
        core_axon_offset=_ro(core_axon_offset, np.int32), axon_base=_ro(axon_base, np.int32),
        axon_len=_ro(axon_len, np.int32),
        core_word_offset=_ro(core_word_offset, np.int64), synapses=_ro(synapses, slot_dt),
        core_fanout_offset=_ro(core_fanout_offset, np.int64), row_fanout_base=_ro(row_fanout_base, np.int32),
        row_fanout_len=_ro(row_fanout_len, np.int32),
        fanout_dst_x=_ro(nr_x, np.int32), fanout_dst_y=_ro(nr_y, np.int32),
        fanout_axon=_ro(nr_axon, np.int32), fanout_mc=_ro(nr_mc, np.uint8),
        input_fanout_offset=_ro(input_fanout_offset, np.int64),
        input_dst_x=_ro(fo_x[is_in], np.int32), input_dst_y=_ro(fo_y[is_in], np.int32),
        input_axon=_ro(fo_axon[is_in], np.int32), input_mc=_ro(fo_mc[is_in], np.uint8),
        router_table_offset=_ro(router_table_offset, np.int32), table_key=_ro(table_key, np.int64),
        table_outputs=_ro(table_outputs, np.int32), system=system,
        core_stdp=_ro(core_stdp, np.int64), core_rev_offset=_ro(core_rev_offset, np.int32),
        row_rev_base=_ro(row_rev_base, np.int32), row_rev_len=_ro(row_rev_len, np.int32),
        rev_axon=_ro(rev_axon, np.int32), rev_word=_ro(rev_word, np.int32), rev_lane=_ro(rev_lane, np.int32),
        syn_slot=None if syn_slot is None else _ro(syn_slot, syn_slot.dtype),
    )
    return program


def _synapse_chunks(s_off: np.ndarray, n_syn: int, sources: bool = True):
    """(a, b, source of each synapse a..b-1) for consecutive chunks of about _CHUNK synapses of
    a source-major CSR (``sources=False``: None instead of the sources)."""
    for a in range(0, n_syn, _CHUNK):
        b = min(n_syn, a + _CHUNK)
        if not sources:
            yield a, b, None
            continue
        s0 = int(np.searchsorted(s_off, a, side="right")) - 1
        s1 = int(np.searchsorted(s_off, b, side="left"))
        lo = np.maximum(s_off[s0:s1], a)
        hi = np.minimum(s_off[s0 + 1:s1 + 1], b)
        yield a, b, np.repeat(np.arange(s0, s1, dtype=np.int64 if s1 >= (1 << 31) else np.int32), hi - lo)


def _proj_label(net: NetworkInstance, syn: int) -> str:
    """'projection NAME' of network synapse ``syn`` (for errors)."""
    if not net.spec.projections:
        return "a projection"
    i = int(net.syn_proj[syn])
    return f"projection '{net.spec.projections[i].label(i)}' (projections[{i}])"


def _check_delays(chip: ChipConfig, net: NetworkInstance, delay: np.ndarray | None) -> None:
    D = chip.core.delay_slots
    if delay is not None and delay.size and int(delay.max()) > D:
        k = int(np.argmax(delay))
        d_max = int(delay[k])
        raise CapacityError("core.delay_slots", f"{_proj_label(net, k)} has a synapse with a delay of "
                            f"{d_max} timesteps, but the chip holds delays of 1..{D} timesteps "
                            f"(core.delay_slots = {D})", d_max,
                            f"raise core.delay_slots to {d_max} (max 64), or shorten the delays"
                            if d_max <= 64 else "shorten the delays to at most 64 timesteps")


def _check_plasticity(chip: ChipConfig, net: NetworkInstance, rule: np.ndarray | None) -> list[tuple]:
    """The fixed-point rules (a_plus, a_minus, d_plus, d_minus, w_min, w_max, shift), checked
    against the chip; [] when no synapse is plastic. ``rule`` is the network's compact rule index
    per synapse (None: none is plastic); projections are named only for an error."""
    if rule is None or not (rule >= 0).any():
        return []
    if chip.core.learning != "stdp":
        where = _proj_label(net, int(np.argmax(rule >= 0)))
        raise ConfigError("core.learning", f"is off, but {where} is plastic (STDP): the chip has no learning "
                          "engine", chip.core.learning, "set core.learning: stdp on the chip, or drop the "
                          "projection's plasticity (or set learning: false on the network to freeze it)")
    dv = chip.derived
    tmax = (1 << chip.bits.trace) - 1
    fixed = [r.fixed() for r in net.rules]
    for ri, (ap, am, _, _, wmin, wmax, _) in enumerate(fixed):
        syn = int(np.argmax(rule == ri))
        for name, val in (("a_plus", ap), ("a_minus", am)):
            if val > tmax:
                raise CapacityError("bits.trace", f"{_proj_label(net, syn)}: plasticity.{name} = {val} does not fit "
                                    f"the {chip.bits.trace}-bit traces (max {tmax})", val,
                                    f"raise bits.trace to {int(val).bit_length()} (max 16) or lower {name} "
                                    "(and lr_shift with it)")
        for name, val in (("w_min", wmin), ("w_max", wmax)):
            if not dv.weight_min <= val <= dv.weight_max:
                raise CapacityError("bits.weight", f"{_proj_label(net, syn)}: plasticity.{name} = {val} does not "
                                    f"fit {chip.bits.weight}-bit signed weights ({dv.weight_min}..{dv.weight_max})",
                                    val, f"raise bits.weight to {abs(int(val)).bit_length() + 1} or narrow the "
                                    "rule's weight bounds")
        sel = np.flatnonzero(rule == ri)
        w = net.syn_weight[sel]
        bad = (w < wmin) | (w > wmax)
        if bad.any():
            first = int(np.argmax(bad))
            wb, syn = int(w[first]), int(sel[first])
            raise ConfigError(f"projections[{int(net.syn_proj[syn])}].weight",
                              f"{_proj_label(net, syn)} starts with a weight of {wb}, outside its rule's bounds "
                              f"[w_min, w_max] = [{wmin}, {wmax}]", wb,
                              "draw the initial weights inside [w_min, w_max], or widen the bounds")
    return fixed


def _reverse_table(chip: ChipConfig, rule, rule_fixed, dst_core, tgt_local, ax_local, word_local, lane,
                   core_neuron_offset):
    """The STDP rule registers of every core and the reverse table: per placed row, its incoming
    plastic synapses as (axon, word, lane), in (axon, word, lane) order (microarchitecture.md §11)."""
    n_cores = chip.derived.n_cores
    nf = len(layout.STDP_FIELDS)
    core_stdp = np.zeros((n_cores, nf), np.int64)
    n_rows = int(core_neuron_offset[-1])
    pl = rule >= 0
    if not pl.any():
        z = np.zeros(0, np.int64)
        return (core_stdp, np.zeros(n_cores + 1, np.int64), np.zeros(n_rows, np.int64), np.zeros(n_rows, np.int64),
                z, z, z)
    # one rule per core: the core's rule registers
    pc, pr = dst_core[pl], rule[pl]
    pair = np.unique(pc * len(rule_fixed) + pr)
    cores, rules = pair // len(rule_fixed), pair % len(rule_fixed)
    dup = np.flatnonzero(np.diff(cores) == 0)
    if dup.size:
        k = int(cores[dup[0]])
        a, b = int(rules[dup[0]]), int(rules[dup[0] + 1])
        raise CapacityError("core.learning", f"{_core_name(chip, k)} holds plastic synapses of two different STDP "
                            f"rules ({_rule_text(rule_fixed[a])} and {_rule_text(rule_fixed[b])}); a core has one "
                            "rule register set", k,
                            "give the plastic projections into these neurons the same rule, or place their "
                            "target populations on different cores (placement / neurons_per_core)")
    core_stdp[cores, 0] = 1
    core_stdp[cores, 1:] = np.asarray(rule_fixed, np.int64)[rules]
    # reverse entries, grouped by target row (rows are core-major, so cores stay contiguous)
    row = core_neuron_offset[pc] + tgt_local[pl]
    ax, wd, ln = ax_local[pl], word_local[pl], lane[pl]
    o = np.lexsort((ln, wd, ax, row))
    row, ax, wd, ln = row[o], ax[o], wd[o], ln[o]
    row_rev_len = np.bincount(row, minlength=n_rows)
    row_core = np.repeat(np.arange(n_cores), np.diff(core_neuron_offset))
    per_core = np.bincount(row_core, weights=row_rev_len, minlength=n_cores).astype(np.int64)
    _check_capacity(chip, per_core, chip.core.learning_entries, "learning_entries",
                    "reverse-table entries (one per incoming plastic synapse)",
                    "raise core.learning_entries, or spread the plastic projections' targets over more cores")
    core_rev_offset = _offsets(per_core)
    row_rev_base = _offsets(row_rev_len)[:-1] - core_rev_offset[row_core]
    return core_stdp, core_rev_offset, row_rev_base, row_rev_len, ax, wd, ln


def _rule_text(r) -> str:
    ap, am, dp, dm, wmin, wmax, sh = r
    return f"a_plus {ap}, a_minus {am}, decays {dp}/{dm}, w [{wmin}, {wmax}], lr_shift {sh}"


def _multicast_tables(chip: ChipConfig, net: NetworkInstance, neuron_core, ax_src, ax_core, ax_local, src_mc):
    """(router_table_offset, table_key, table_outputs): per router, sorted by key, the entries of
    the XY trees of all multicast sources where a tree's outputs differ from the default route
    (docs/microarchitecture.md §4.2). Checks router.table_entries."""
    dv = chip.derived
    W, C = chip.mesh.width, chip.mesh.cores_per_router
    WC = W * C
    mc_pair = src_mc[ax_src]
    p_src, p_core, p_axon = ax_src[mc_pair], ax_core[mc_pair], ax_local[mc_pair]
    srcs, pm = np.unique(p_src, return_inverse=True)
    pm = pm.ravel()
    axon = np.zeros(srcs.size, np.int64)
    axon[pm] = p_axon                              # one axon index per multicast source
    is_in = srcs < net.n_inputs
    score = neuron_core[np.maximum(srcs - net.n_inputs, 0)]
    host_r = chip.host.row * W
    src_router = np.where(is_in, host_r, score // C)
    src_inport = np.where(is_in, _noc.P_W, _noc.local_port(score % C))
    key_x = np.where(is_in, 0, score % WC)
    key_y = np.where(is_in, chip.host.row, score // WC)
    key = layout.CHIP_FLIT.pack(vars(dv), axon=axon, dst_y=key_y, dst_x=key_x)
    m, router, inport, out = _noc.xy_tree_nodes(chip, src_router, src_inport, pm, p_core)
    need = out != _noc.DEFAULT_OUT[inport]
    e_router, e_key, e_out = router[need], key[m[need]], out[need]
    o = np.lexsort((e_key, e_router))
    e_router, e_key, e_out = e_router[o], e_key[o], e_out[o]
    counts = np.bincount(e_router, minlength=dv.n_routers)
    cap = chip.router.table_entries
    if counts.size and counts.max() > cap:
        r = int(np.argmax(counts))
        raise CapacityError(
            "router.table_entries",
            f"router {r} (x={r % W}, y={r // W}) needs {int(counts[r])} multicast routing-table entries but "
            f"router.table_entries is {cap} (over by {int(counts[r]) - cap}; {int((counts > cap).sum())} router(s) "
            f"overflow; a multicast tree needs an entry where it starts, turns, forks or delivers)", int(counts[r]),
            f"raise router.table_entries to {int(counts.max())}, place connected neurons closer together "
            "(placement: traffic), or use router.routing: unicast")
    return _offsets(counts), e_key.astype(np.int64), e_out.astype(np.int64)


def _check_params(chip: ChipConfig, params: np.ndarray) -> None:
    dv = chip.derived
    limits = {
        "bias": (dv.state_min, dv.state_max, "bits.state"),
        "vth": (dv.state_min, dv.state_max, "bits.state"),
        "v_reset": (dv.state_min, dv.state_max, "bits.state"),
        "refractory": (0, dv.refractory_max, "bits.refractory"),
    }
    g = params[:, PROFILE_FIELDS.index("graded")].astype(bool)
    vth = params[:, PROFILE_FIELDS.index("vth")]
    if (g & (vth < 1)).any():
        gid = int(np.argmax(g & (vth < 1)))
        raise CapacityError("neuron.vth", f"neuron {gid} is graded but its vth = {int(vth[gid])}: a graded neuron "
                            "counts thresholds, so vth must be at least 1", int(vth[gid]),
                            "give graded populations a positive threshold (vth >= 1)")
    for name, (lo, hi, knob) in limits.items():
        col = params[:, PROFILE_FIELDS.index(name)]
        bad = (col < lo) | (col > hi)
        if bad.any():
            gid = int(np.argmax(bad))
            raise CapacityError(f"neuron.{name}", f"neuron {gid}'s {name} = {int(col[gid])} does not fit the "
                                f"chip's range {lo}..{hi} ({knob} = {getattr(chip.bits, knob.split('.')[1])})",
                                int(col[gid]), f"raise {knob} or rescale the neuron parameters")


def _first_graded(net: NetworkInstance) -> str:
    """'population X' / 'input group X': the first graded source of a network (for errors)."""
    for p in net.spec.populations:
        if p.spikes == "graded":
            return f"population '{p.name}'"
    for g in net.spec.inputs:
        if g.spikes == "graded":
            return f"input group '{g.name}'"
    return "the network"
