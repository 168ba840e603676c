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

__all__ = ["link_flits_per_step", "flit_pairs_per_step", "plot_noc_load", "plot_noc_steps", "plot_hops"]

_DIRS = ((1, "N"), (2, "E"), (3, "S"), (4, "W"))


def flit_pairs_per_step(run) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Every flit of the run as unique (timestep, source router, destination router) with a
    count: the fan-out entries of every spike (pushed by its core's NU) and the host flits of
    every input spike (entering at input W of the host row's router 0). Returns
    (steps, src, dst, counts), src = -1 for the host."""
    p, r = run.program, run.result
    W = run.chip.mesh.width
    rows = p.gid_row[r.spike_neurons]
    start = p.core_fanout_offset[p.core_of_row[rows]].astype(np.int64) + p.row_fanout_base[rows]
    n = p.row_fanout_len[rows].astype(np.int64)
    idx = ranges(start, n)
    dst = p.fanout_dst_y[idx].astype(np.int64) * W + p.fanout_dst_x[idx]
    src = np.repeat(p.core_of_row[rows].astype(np.int64), n)
    stp = np.repeat(r.spike_steps.astype(np.int64), n)
    stim = run.stimulus
    ch = np.asarray(stim.channels, np.int64)
    io = p.input_fanout_offset.astype(np.int64)
    hn = io[ch + 1] - io[ch]
    hidx = ranges(io[ch], hn)
    hdst = p.input_dst_y[hidx].astype(np.int64) * W + p.input_dst_x[hidx]
    hstep = np.repeat(np.repeat(np.arange(stim.steps), np.diff(np.asarray(stim.offsets))), hn)
    src = np.concatenate([src, np.full(hdst.size, -1, np.int64)])
    dst = np.concatenate([dst, hdst])
    stp = np.concatenate([stp, hstep])
    nr = p.n_cores
    key = (stp * (nr + 1) + (src + 1)) * nr + dst
    u, cnt = np.unique(key, return_counts=True)
    return u // nr // (nr + 1), u // nr % (nr + 1) - 1, u % nr, cnt


def link_flits_per_step(run, bins: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Flits granted by every router output, per group of timesteps: ``(edges, flits)`` with
    ``flits[b, router, port]`` for timesteps ``edges[b] .. edges[b+1]-1`` (``bins`` groups of
    equal length; default one per timestep). Summed over the groups it is the run's
    ``link_flits_port`` (tests/test_noc_views.py)."""
    chip = run.chip
    W, H = chip.mesh.width, chip.mesh.height
    nr = W * H
    steps = run.result.steps
    nb = steps if bins is None else max(1, min(int(bins), steps))
    edges = np.linspace(0, steps, nb + 1).round().astype(np.int64)
    t, src, dst, cnt = flit_pairs_per_step(run)
    b = np.searchsorted(edges, t, side="right") - 1
    host = src < 0
    sx = np.where(host, 0, src % W)
    sy = np.where(host, chip.host.row, src // W)
    dx, dy = dst % W, dst // W
    out = np.zeros((nb, nr, 5), np.int64)
    # X first: the routers from the source column to the one before the destination column
    nx = np.abs(dx - sx)
    step_x = np.sign(dx - sx)
    j = ranges(np.zeros_like(nx), nx)
    rep = np.repeat(np.arange(nx.size), nx)
    x = sx[rep] + step_x[rep] * j
    port = np.where(step_x[rep] > 0, 2, 4)
    np.add.at(out, (b[rep], sy[rep] * W + x, port), cnt[rep])
    # then Y, in the destination column
    ny = np.abs(dy - sy)
    step_y = np.sign(dy - sy)
    j = ranges(np.zeros_like(ny), ny)
    rep = np.repeat(np.arange(ny.size), ny)
    y = sy[rep] + step_y[rep] * j
    port = np.where(step_y[rep] > 0, 3, 1)
    np.add.at(out, (b[rep], y * W + dx[rep], port), cnt[rep])
    np.add.at(out, (b, dst, 0), cnt)                 # ejection: output L of the destination
    return edges, out


def _mesh(ax, values, W, H, title, vmax=None, cmap="viridis", label="", sqrt=False):
    """One mesh panel. ``sqrt``: a square-root colour scale, so that a few hot links (the host
    row) do not turn the rest of a large mesh black."""
    from matplotlib.colors import PowerNorm

    v = np.asarray(values, float).reshape(H, W)
    top = vmax if vmax is not None else max(float(v.max()), 1e-9)
    norm = PowerNorm(0.5, vmin=0, vmax=top) if sqrt else None
    im = ax.imshow(v, cmap=cmap, origin="upper", interpolation="nearest", aspect="equal", norm=norm,
                   **({} if sqrt else {"vmin": 0, "vmax": vmax}))
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
    pf = np.asarray(res.detail["link_flits_port"], float)
    c = run.counters
    fig, axes = plt.subplots(2, 4, figsize=(15, 7.2))
    vmax = max(1e-9, float(pf[:, 1:].max()) / cyc)
    for ax, (o, name) in zip(axes[0], _DIRS):
        _mesh(ax, pf[:, o] / cyc, W, H, f"output {name}: flits per cycle", vmax=vmax, cmap="magma",
              label="flits / cycle (sqrt scale)", sqrt=True)
    core = (("NU busy", np.asarray(c["nu_busy_cycles"])), ("NU stalled (L input full)", np.asarray(c["nu_stall_cycles"])),
            ("SI busy", np.asarray(c["si_busy_cycles"])),
            ("router inputs blocked (sum of 5)", np.asarray(c["router_blocked_cycles"])))
    for ax, (name, v) in zip(axes[1], core):
        _mesh(ax, v / cyc, W, H, f"{name}: fraction of cycles", label="cycles / cycle")
    fig.suptitle(f"NoC and core load — {run.spec.name} on {chip.name} ({W}x{H}), {res.steps} timesteps, "
                 f"{cyc:,} cycles (x east, y south)", fontsize=11)
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
    W = run.chip.mesh.width
    _, src, dst, cnt = flit_pairs_per_step(run)
    sx = np.where(src < 0, 0, src % W)
    sy = np.where(src < 0, run.chip.host.row, src // W)
    hops = np.abs(dst % W - sx) + np.abs(dst // W - sy)
    hist = np.bincount(hops, weights=cnt).astype(np.int64) if hops.size else np.zeros(1, np.int64)
    fig, axes = plt.subplots(1, 2, figsize=(12, 4))
    ax = axes[0]
    ax.bar(np.arange(hist.size), hist, color="tab:blue")
    mean = float((np.arange(hist.size) * hist).sum() / max(1, hist.sum()))
    ax.set_title(f"hops per flit, whole run: {int(hist.sum()):,} flits, mean {mean:.2f}", fontsize=10)
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
