"""What the compiler knows about the network-on-chip: routers and ports under concentration,
multicast axon alignment, XY multicast trees and their key tables, and placement that knows
the NoC (docs/microarchitecture.md §1, §2, §4).

Everything here is vectorised numpy over whole programs (W1: 16,384 multicast trees of ~100
routers each); the only Python loops are over multicast sources in the greedy axon alignment and
over accepted swaps in the traffic placement.
"""
from __future__ import annotations

import numpy as np

from neurocycle.hw import ChipConfig, layout

from ._csr import ranges

P_L, P_N, P_E, P_S, P_W = (layout.PORTS.index(n) for n in "LNESW")
# straight-through default route of a multicast flit, by input port (local ports: none)
DEFAULT_OUT = np.zeros(layout.MAX_PORTS, np.int64)
DEFAULT_OUT[[P_N, P_S, P_E, P_W]] = [1 << P_S, 1 << P_N, 1 << P_W, 1 << P_E]
# neighbour of an output port: (dx, dy, input port at the neighbour)
STEP = {P_N: (0, -1, P_S), P_E: (1, 0, P_W), P_S: (0, 1, P_N), P_W: (-1, 0, P_E)}

__all__ = ["local_port", "core_router", "align_axons", "xy_tree_nodes", "traffic_order", "DEFAULT_OUT", "STEP"]


def local_port(j):
    """Port of local core ``j`` (vectorised): 0 for j = 0, else 4 + j."""
    j = np.asarray(j, np.int64)
    return np.where(j == 0, 0, layout.N_PORTS - 1 + j)


def core_router(chip: ChipConfig, core):
    """(router, x, y, local index) of core(s) ``core``."""
    c = chip.mesh.cores_per_router
    core = np.asarray(core, np.int64)
    r = core // c
    return r, r % chip.mesh.width, r // chip.mesh.width, core % c


# ----------------------------------------------------------------------------- axon alignment
def align_axons(pair_core: np.ndarray, pair_src: np.ndarray, src_mc: np.ndarray, src_group: np.ndarray,
                n_cores: int, n_groups: int) -> np.ndarray:
    """Local axon index of every (destination core, source) pair on a multicast chip.

    A multicast source (``src_mc``) gets one index, the same in all its destination cores, and no
    two sources with a common destination core or the same key group (source core) share one, so
    a key names one source and a core indexes its axon table with the key's axon field. Greedy
    first fit, sources with the most destination cores first (ties: lower source id). Then every
    unicast pair takes the lowest index still free in its core (in source order). ``pair_*`` must
    be sorted by (source, core)."""
    n_pairs = pair_core.size
    out = np.full(n_pairs, -1, np.int64)
    if n_pairs == 0:
        return out
    n_src = src_mc.size
    first = np.searchsorted(pair_src, np.arange(n_src + 1))
    deg = np.diff(first)
    mc_src = np.flatnonzero(src_mc & (deg > 0))
    mc_src = mc_src[np.lexsort((mc_src, -deg[mc_src]))]
    # first fit gives a multicast source at most (multicast sources) indices; a core's unicast
    # pairs then take at most (its unicast pairs) more
    uni_per_core = np.bincount(pair_core[~src_mc[pair_src]], minlength=n_cores)
    n_ids = int(mc_src.size) + int(uni_per_core.max(initial=0)) + 1
    nw = (n_ids + 63) // 64
    used = np.zeros((n_cores, nw), np.uint64)
    gused = np.zeros((n_groups, nw), np.uint64)
    for s in mc_src.tolist():
        cores = pair_core[first[s]:first[s + 1]]
        busy = np.bitwise_or.reduce(used[cores], axis=0) | gused[src_group[s]]
        free = np.flatnonzero(~busy)
        w = int(free[0])
        word = int(~busy[w]) & 0xFFFFFFFFFFFFFFFF
        bit = (word & -word).bit_length() - 1
        a = 64 * w + bit
        m = np.uint64(1 << bit)
        used[cores, w] |= m
        gused[src_group[s], w] |= m
        out[first[s]:first[s + 1]] = a
    # unicast pairs: lowest free index of their core, in source order
    uni = np.flatnonzero(out < 0)
    if uni.size:
        order = uni[np.lexsort((pair_src[uni], pair_core[uni]))]
        cores_u, starts = np.unique(pair_core[order], return_index=True)
        bounds = np.append(starts, order.size)
        bits = np.unpackbits(used.view(np.uint8), axis=1, bitorder="little").astype(bool)
        for k, a0, a1 in zip(cores_u.tolist(), bounds[:-1].tolist(), bounds[1:].tolist()):
            free = np.flatnonzero(~bits[k])
            out[order[a0:a1]] = free[: a1 - a0]
    return out


# ----------------------------------------------------------------------------- XY trees
def _group_min_max(keys: np.ndarray, vals: np.ndarray):
    u, inv = np.unique(keys, return_inverse=True)
    lo = np.full(u.size, np.iinfo(np.int64).max, np.int64)
    hi = np.full(u.size, np.iinfo(np.int64).min, np.int64)
    np.minimum.at(lo, inv, vals)
    np.maximum.at(hi, inv, vals)
    return u, lo, hi


def _lookup(sorted_keys: np.ndarray, values: np.ndarray, q: np.ndarray, missing=0) -> np.ndarray:
    if sorted_keys.size == 0:
        return np.full(q.size, missing, values.dtype if values.size else np.int64)
    i = np.minimum(np.searchsorted(sorted_keys, q), sorted_keys.size - 1)
    return np.where(sorted_keys[i] == q, values[i], missing)


def xy_tree_nodes(chip: ChipConfig, src_router: np.ndarray, src_inport: np.ndarray, pair_m: np.ndarray,
                  pair_core: np.ndarray):
    """Nodes of the XY multicast tree of every multicast source ``m``: the union of the XY paths
    from its source router (entered through ``src_inport``) to the routers of its destination
    cores (pairs ``(pair_m, pair_core)``), with the local ports of the destination cores.

    Returns ``(m, router, inport, outputs)`` per node (int64 arrays; ``outputs`` a bit set over
    ports). A router's table needs an entry for a node whose outputs differ from the default
    route of its input port (docs/microarchitecture.md §4.2)."""
    W = chip.mesh.width
    M = int(src_router.size)
    nr = chip.derived.n_routers
    src_router = np.asarray(src_router, np.int64)
    xs, ys = src_router % W, src_router // W
    pr, px, py, pj = core_router(chip, pair_core)
    pm = np.asarray(pair_m, np.int64)
    # local ports per (m, router)
    u_mr, inv = np.unique(pm * nr + pr, return_inverse=True)
    lmask = np.zeros(u_mr.size, np.int64)
    np.bitwise_or.at(lmask, inv, np.left_shift(1, local_port(pj)))
    # rows reached per (m, column) and columns reached per m
    u_mx, minr, maxr = _group_min_max(pm * W + px, py)
    minc = np.full(M, np.iinfo(np.int64).max, np.int64)
    maxc = np.full(M, np.iinfo(np.int64).min, np.int64)
    np.minimum.at(minc, pm, px)
    np.maximum.at(maxc, pm, px)
    has = maxc >= 0                              # sources with at least one destination
    minc = np.where(has, minc, xs)
    maxc = np.where(has, maxc, xs)
    # trunk: the source row, from the westmost to the eastmost column reached
    lo, hi = np.minimum(xs, minc), np.maximum(xs, maxc)
    tm = np.repeat(np.arange(M), hi - lo + 1)
    tx = ranges(lo, hi - lo + 1)
    ty = ys[tm]
    t_in = np.where(tx == xs[tm], np.asarray(src_inport, np.int64)[tm], np.where(tx > xs[tm], P_W, P_E))
    t_out = (np.where((tx >= xs[tm]) & (maxc[tm] > tx), 1 << P_E, 0)
             | np.where((tx <= xs[tm]) & (minc[tm] < tx), 1 << P_W, 0))
    q = tm * W + tx
    col_lo = _lookup(u_mx, minr, q, missing=np.iinfo(np.int64).max)
    col_hi = _lookup(u_mx, maxr, q, missing=np.iinfo(np.int64).min)
    t_out |= np.where(col_lo < ty, 1 << P_N, 0) | np.where(col_hi > ty, 1 << P_S, 0)
    # branches: in each column reached, south and north of the source row
    bm, bx = u_mx // W, u_mx % W
    s_lo, s_n = ys[bm] + 1, np.maximum(maxr - ys[bm], 0)
    n_lo, n_n = minr, np.maximum(ys[bm] - minr, 0)
    sm, sx = np.repeat(bm, s_n), np.repeat(bx, s_n)
    sy = ranges(s_lo, s_n)
    s_out = np.where(np.repeat(maxr, s_n) > sy, 1 << P_S, 0)
    nm, nx = np.repeat(bm, n_n), np.repeat(bx, n_n)
    ny = ranges(n_lo, n_n)
    n_out = np.where(np.repeat(minr, n_n) < ny, 1 << P_N, 0)
    m = np.concatenate([tm, sm, nm])
    x = np.concatenate([tx, sx, nx])
    y = np.concatenate([ty, sy, ny])
    inport = np.concatenate([t_in, np.full(sm.size, P_N, np.int64), np.full(nm.size, P_S, np.int64)])
    out = np.concatenate([t_out, s_out, n_out]).astype(np.int64)
    router = y * W + x
    out |= _lookup(u_mr, lmask, m * nr + router)
    return m, router, inport, out


# ----------------------------------------------------------------------------- placement
def _slot_distances(chip: ChipConfig) -> tuple[np.ndarray, np.ndarray]:
    """Router hops between core slots ([n, n]) and from the host link to each slot ([n])."""
    _, x, y, _ = core_router(chip, np.arange(chip.derived.n_cores))
    d = np.abs(x[:, None] - x[None, :]) + np.abs(y[:, None] - y[None, :])
    dh = x + np.abs(y - chip.host.row)
    return d.astype(np.float64), dh.astype(np.float64)


def group_traffic(n_groups: int, group_of_neuron: np.ndarray, n_inputs: int, syn_source: np.ndarray,
                  syn_target: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Flits between neuron groups if every source fires once: ``T[a, b]`` = sources in group a
    with a target in group b (one unicast flit each), ``Hs[b]`` = input channels with a target
    in group b."""
    src = np.asarray(syn_source, np.int64)
    tgt_g = group_of_neuron[np.asarray(syn_target, np.int64)]
    pairs = np.unique(src * n_groups + tgt_g)
    s, g = pairs // n_groups, pairs % n_groups
    is_in = s < n_inputs
    hs = np.bincount(g[is_in], minlength=n_groups).astype(np.float64)
    sg = group_of_neuron[s[~is_in] - n_inputs]
    t = np.zeros((n_groups, n_groups))
    np.add.at(t, (sg, g[~is_in]), 1.0)
    return t, hs


TRAFFIC_MAX_CORES = 1024    # the swap search keeps dense [cores x cores] matrices


def traffic_order(chip: ChipConfig, t: np.ndarray, hs: np.ndarray, work: float = 4e9) -> np.ndarray:
    """Core slot of every neuron group that reduces the hop-weighted traffic
    ``sum T[a,b] hops(a,b) + sum Hs[b] hops(host, b)`` by steepest pairwise swaps of slots (an
    empty slot is a group without traffic), starting from the balanced order (group g on core g).
    Deterministic; the number of swaps is bounded so the search costs about ``work`` flops."""
    n = chip.derived.n_cores
    g = t.shape[0]
    s = np.zeros((n, n))
    s[:g, :g] = t + t.T
    np.fill_diagonal(s, 0.0)                   # traffic within a group never leaves its core
    h = np.zeros(n)
    h[:g] = hs
    d, dh = _slot_distances(chip)
    pos = np.arange(n)                         # slot of each item (items >= g are empty slots)
    dd = d.copy()                              # dd[i, k] = hops between the slots of items i and k
    m = s @ dd                                 # m[i, j] = sum_k s[i, k] dd[k, j]
    hp = dh.copy()                             # hops from the host to the slot of item i
    max_swaps = max(16, int(work / (10.0 * n * n)))      # one step costs ~10 n^2 operations
    for _ in range(max_swaps):
        diag = np.diag(m)
        # delta of swapping items a and b, for all pairs (symmetric)
        delta = m + m.T - diag[:, None] - diag[None, :] + 2 * s * dd
        delta += (h[:, None] - h[None, :]) * (hp[None, :] - hp[:, None])
        a, b = np.unravel_index(int(np.argmin(delta)), delta.shape)
        if delta[a, b] > -1e-9:
            break
        # swap the slots of items a and b; update dd, m, hp
        col = (s[:, b] - s[:, a])
        m += np.outer(col, dd[a] - dd[b])
        m[:, [a, b]] = m[:, [b, a]]
        dd[[a, b]] = dd[[b, a]]
        dd[:, [a, b]] = dd[:, [b, a]]
        hp[[a, b]] = hp[[b, a]]
        pos[[a, b]] = pos[[b, a]]
    return pos[:g]
