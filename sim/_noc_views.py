"""NoC and core views of a run: where the cycles went on the mesh.

- :func:`plot_noc_load` — link utilisation per direction (flits per cycle of each router
  output N/E/S/W) and per-core load (NU busy, NU stalled, SI busy, router inputs blocked, as
  fractions of the run's cycles), from the run's counters;
- :func:`plot_noc_steps` — small multiples of the link traffic through every router over groups
  of timesteps, from :func:`link_flits_per_step` (exact: every flit pushed in a timestep is
  delivered in it, along its XY route);
- :func:`plot_hops` — the hop count of every flit of the run and, for a replayed window
  (sim/_activity.py), the latency of every flit from entering the mesh to its ejection, by hops.

Every panel is an image of the mesh (x east, y south) with a colour bar: no per-router text,
so a 64 x 64 mesh reads as well as a 2 x 2 one. docs/trace.md shows them.
"""
from __future__ import annotations

import os

import numpy as np

from ._csr import ranges
from ._plots import _save, plt

__all__ = ["link_flits_per_step", "hops_per_delivery", "plot_noc_load", "plot_noc_steps", "plot_hops"]

_DIRS = ((1, "N"), (2, "E"), (3, "S"), (4, "W"))


def _flit_counts(run, edges: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """How often each flit of the program (``_routes.program_flits`` order: neuron fan-out
    entries, then host entries) was sent in each group of timesteps ``edges``: the fan-out entries
    of every spike and the entries of every input spike's channel, as unique (group, flit, count)."""
    p, r = run.program, run.result
    rows = p.gid_row[r.spike_neurons]
    start = p.core_fanout_offset[p.core_of_row[rows]].astype(np.int64) + p.row_fanout_base[rows]
    n = p.row_fanout_len[rows].astype(np.int64)
    f = ranges(start, n)
    stp = np.repeat(r.spike_steps.astype(np.int64), n)
    stim = run.stimulus
    ch = np.asarray(stim.channels, np.int64)
    io = p.input_fanout_offset.astype(np.int64)
    hn = io[ch + 1] - io[ch]
    hf = ranges(io[ch], hn) + int(p.fanout_axon.size)
    hstep = np.repeat(np.repeat(np.arange(stim.steps), np.diff(np.asarray(stim.offsets))), hn)
    f = np.concatenate([f, hf])
    b = np.searchsorted(edges, np.concatenate([stp, hstep]), side="right") - 1
    nf = int(p.fanout_axon.size + p.input_axon.size)
    u, cnt = np.unique(b * max(nf, 1) + f, return_counts=True)
    return u // max(nf, 1), u % max(nf, 1), cnt


def _edges(steps: int, bins: int | None) -> np.ndarray:
    nb = steps if bins is None else max(1, min(int(bins), steps))
    return np.linspace(0, steps, nb + 1).round().astype(np.int64)


def _tree(p):
    """The multicast forest of the program (``_routes.walk``) with every node's link depth and the
    nodes of each flit as a CSR (offsets over flits, node indices)."""
    from ._routes import walk

    w = walk(p)
    depth = np.zeros(w.flit.size, np.int64)
    up = np.asarray(w.parent, np.int64).copy()
    while (up >= 0).any():                            # one step up the tree per iteration
        depth += up >= 0
        up = np.where(up >= 0, np.asarray(w.parent)[np.maximum(up, 0)], -1)
    order = np.argsort(w.flit, kind="stable")
    nf = int(p.fanout_axon.size + p.input_axon.size)
    off = np.zeros(nf + 1, np.int64)
    np.cumsum(np.bincount(w.flit, minlength=nf), out=off[1:])
    return w, depth, off, order


def link_flits_per_step(run, bins: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Flits granted by every router output, per group of timesteps: ``(edges, flits)`` with
    ``flits[b, router, port]`` for timesteps ``edges[b] .. edges[b+1]-1`` (``bins`` groups of
    equal length; default one per timestep). Exact: every flit pushed in a timestep is delivered
    in it, a unicast flit along its XY route, a multicast flit along its tree
    (``_routes.walk``, the tables the routers read); summed over the groups it is the run's
    ``link_flits_port`` (tests/test_noc_views.py)."""
    from neurocycle.hw import layout

    from ._routes import program_flits

    p, chip = run.program, run.chip
    W, C, P = chip.mesh.width, chip.mesh.cores_per_router, chip.derived.n_ports
    nr = chip.derived.n_routers
    edges = _edges(run.result.steps, bins)
    nb = edges.size - 1
    b, f, cnt = _flit_counts(run, edges)
    pf = program_flits(p)
    out = np.zeros((nb, nr, P), np.int64)
    uni = ~pf.mc[f]
    ub, uf, uc = b[uni], f[uni], cnt[uni]
    sx, sy = pf.router[uf] % W, pf.router[uf] // W
    dr = pf.dst_core[uf] // C
    dx, dy = dr % W, dr // W
    # X first: the routers from the source column to the one before the destination column
    nx = np.abs(dx - sx)
    step_x = np.sign(dx - sx)
    rep = np.repeat(np.arange(nx.size), nx)
    x = sx[rep] + step_x[rep] * ranges(np.zeros_like(nx), nx)
    np.add.at(out, (ub[rep], sy[rep] * W + x, np.where(step_x[rep] > 0, 2, 4)), uc[rep])
    # then Y, in the destination column
    ny = np.abs(dy - sy)
    step_y = np.sign(dy - sy)
    rep = np.repeat(np.arange(ny.size), ny)
    y = sy[rep] + step_y[rep] * ranges(np.zeros_like(ny), ny)
    np.add.at(out, (ub[rep], y * W + dx[rep], np.where(step_y[rep] > 0, 3, 1)), uc[rep])
    lp = np.array([layout.local_port(j) for j in range(C)], np.int64)
    np.add.at(out, (ub, dr, lp[pf.dst_core[uf] % C]), uc)          # ejection into the destination core
    if (~uni).any():
        w, _, off, order = _tree(p)
        mb, mf, mc = b[~uni], f[~uni], cnt[~uni]
        k = off[mf + 1] - off[mf]
        rep = np.repeat(np.arange(mf.size), k)
        node = order[ranges(off[mf], k)]
        for o in range(P):
            hit = (w.outputs[node] >> o) & 1 == 1
            np.add.at(out, (mb[rep][hit], w.router[node][hit], o), mc[rep][hit])
    return edges, out


def hops_per_delivery(run) -> np.ndarray:
    """Histogram of the link hops of every flit delivered in the run (index = hops): a unicast
    flit's XY distance, each ejection of a multicast flit its depth in the tree."""
    from ._routes import program_flits

    p = run.program
    W, C = run.chip.mesh.width, run.chip.mesh.cores_per_router
    b, f, cnt = _flit_counts(run, _edges(run.result.steps, 1))
    pf = program_flits(p)
    uni = ~pf.mc[f]
    uf = f[uni]
    dr = pf.dst_core[uf] // C
    hops = [np.abs(dr % W - pf.router[uf] % W) + np.abs(dr // W - pf.router[uf] // W)]
    weights = [cnt[uni]]
    if (~uni).any():
        w, depth, _, _ = _tree(p)
        per_flit = np.zeros(pf.mc.size, np.int64)
        per_flit[f[~uni]] = cnt[~uni]
        hops.append(depth[w.ej_node])
        weights.append(per_flit[w.ej_flit])
    h = np.concatenate(hops)
    return np.bincount(h, weights=np.concatenate(weights)).astype(np.int64) if h.size else np.zeros(1, np.int64)


def _mesh(ax, values, W, H, title, vmax=None, cmap="viridis", label="", sqrt=False):
    """One mesh panel. ``sqrt``: a square-root colour scale, so that a few hot links (the host
    row) do not turn the rest of a large mesh black."""
    from matplotlib.colors import PowerNorm

    v = np.asarray(values, float).reshape(H, W)
    top = vmax if vmax is not None else float(v.max())
    if not top > 0:                          # nothing happened: a plain 0..1 scale, said in the title
        top, title = 1.0, f"{title} (none)"
    norm = PowerNorm(0.5, vmin=0, vmax=top) if sqrt else None
    im = ax.imshow(v, cmap=cmap, origin="upper", interpolation="nearest", aspect="equal", norm=norm,
                   **({} if sqrt else {"vmin": 0, "vmax": top}))
    ax.set_title(title, fontsize=9)
    ax.set_xticks([0, W - 1] if W > 1 else [0])
    ax.set_yticks([0, H - 1] if H > 1 else [0])
    ax.tick_params(labelsize=7)
    cb = plt.colorbar(im, ax=ax, fraction=0.046, pad=0.03)
    cb.ax.tick_params(labelsize=7)
    if label:
        cb.set_label(label, fontsize=7)
    return im


def plot_noc_load(run, path: str | os.PathLike | None = None):
    """Link utilisation per direction and per-core load over the whole run (see module doc)."""
    chip, res = run.chip, run.result
    W, H = chip.mesh.width, chip.mesh.height
    cyc = max(1, int(res.total_cycles))
    pf = np.asarray(res.detail["link_flits_port"], float)          # [router, port]
    c = run.counters
    fig, axes = plt.subplots(2, 4, figsize=(15, 7.2))
    vmax = max(1e-9, float(pf[:, 1:].max()) / cyc)
    for ax, (o, name) in zip(axes[0], _DIRS):
        _mesh(ax, pf[:, o] / cyc, W, H, f"output {name}: flits per cycle", vmax=vmax, cmap="magma",
              label="flits / cycle (sqrt scale)", sqrt=True)
    C = chip.mesh.cores_per_router

    def per_router(v):                 # a per-core counter: the mean of a router's cores
        return np.asarray(v, float).reshape(-1, C).mean(axis=1)
    core = (("NU busy", per_router(c["nu_busy_cycles"])),
            ("NU stalled (local input full)", per_router(c["nu_stall_cycles"])),
            ("SI busy", per_router(c["si_busy_cycles"])),
            (f"router inputs blocked (sum of {chip.derived.n_ports})", np.asarray(c["router_blocked_cycles"], float)))
    for ax, (name, v) in zip(axes[1], core):
        _mesh(ax, v / cyc, W, H, name, label="fraction of cycles")
    per = "" if C == 1 else f"; NU and SI panels: the mean of each router's {C} cores"
    fig.suptitle(f"NoC and core load — {run.spec.name} on {chip.name} ({W}x{H}), {res.steps} timesteps, "
                 f"{cyc:,} cycles (x east, y south{per})", fontsize=11)
    fig.tight_layout()
    return _save(fig, path)


def plot_noc_steps(run, path: str | os.PathLike | None = None, *, bins: int = 12):
    """Small multiples: link flits through every router (its four mesh outputs) per group of
    timesteps, one shared colour scale."""
    chip = run.chip
    W, H = chip.mesh.width, chip.mesh.height
    edges, fl = link_flits_per_step(run, bins)
    nb = fl.shape[0]
    link = fl[:, :, 1:].sum(axis=2)
    cols = min(nb, 4)
    rws = -(-nb // cols)
    fig, axes = plt.subplots(rws, cols, figsize=(3.6 * cols + 0.6, 3.2 * rws + 0.6), squeeze=False)
    vmax = max(1, int(link.max()))
    for b in range(rws * cols):
        ax = axes[b // cols][b % cols]
        if b >= nb:
            ax.axis("off")
            continue
        _mesh(ax, link[b], W, H, f"timesteps {edges[b]}..{edges[b + 1] - 1}: {int(link[b].sum()):,} hops",
              vmax=vmax, cmap="magma", label="link flits (sqrt scale)", sqrt=True)
    fig.suptitle(f"link flits per router over time — {run.spec.name} on {chip.name} ({W}x{H})", fontsize=11)
    fig.tight_layout()
    return _save(fig, path)


def plot_hops(run, path: str | os.PathLike | None = None, activity=None):
    """Hops per flit over the run (exact) and, given a replayed window, flit latency by hops."""
    hist = hops_per_delivery(run)
    fig, axes = plt.subplots(1, 2, figsize=(12, 4))
    ax = axes[0]
    ax.bar(np.arange(hist.size), hist, color="tab:blue")
    mean = float((np.arange(hist.size) * hist).sum() / max(1, hist.sum()))
    ax.set_title(f"hops per delivered flit, whole run: {int(hist.sum()):,} deliveries, mean {mean:.2f}",
                 fontsize=10)
    ax.set_xlabel("link hops (0: delivered by its own router)")
    ax.set_ylabel("flits")
    ax = axes[1]
    if activity is None:
        ax.axis("off")
        ax.text(0.5, 0.5, "latency: replay a window\n(neurocycle run --trace/--vcd, or Run.plot_hops(activity=...))",
                ha="center", va="center", fontsize=10)
    else:
        lat, h = activity.flit_latencies()
        if lat.size:
            top = int(lat.max()) + 1
            bottom = np.zeros(top)
            hmax = int(h.max())
            edges = np.unique(np.linspace(0, hmax + 1, min(8, hmax + 1) + 1).round().astype(int))   # <= 8 bands
            cmap = plt.get_cmap("viridis", len(edges) - 1)
            for j, (lo, hi) in enumerate(zip(edges[:-1], edges[1:])):
                v = np.bincount(lat[(h >= lo) & (h < hi)], minlength=top)[:top]
                if v.any():
                    name = f"{lo} hops" if hi == lo + 1 else f"{lo}-{hi - 1} hops"
                    ax.bar(np.arange(top), v, bottom=bottom, color=cmap(j), width=1.0, label=name)
                    bottom += v
            ax.legend(fontsize=7, ncol=2)
        span = (f"timesteps {activity.t0}..{activity.t1 - 1}" if activity.t1 - activity.t0 > 1
                else f"timestep {activity.t0}")
        ax.set_title(f"flit latency, {span}: {lat.size:,} flits, "
                     f"mean {lat.mean() if lat.size else 0:.1f} cycles", fontsize=10)
        ax.set_xlabel("cycles from entering the mesh to ejection (output L)")
        ax.set_ylabel("flits")
    fig.tight_layout()
    return _save(fig, path)
