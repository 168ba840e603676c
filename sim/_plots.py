"""Plots people would rather look at than read. Each returns the matplotlib Figure and, with
``path``, writes a PNG atomically."""
from __future__ import annotations

import os

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from ._io import atomic_write  # noqa: E402


def _save(fig, path):
    if path is not None:
        atomic_write(path, lambda tmp: fig.savefig(tmp, dpi=120, format="png"))
        plt.close(fig)
    return fig


RASTER_MAX_POINTS = 200_000     # more spikes are drawn as a density image
RASTER_MAX_LABELS = 64          # more populations are not marked one by one


def plot_raster(result, n_neurons: int, path: str | os.PathLike | None = None, title: str = "",
                pop_offsets: dict | None = None):
    """Spike raster (timestep vs neuron id) with the population firing rate underneath."""
    fig, (ax, ax2) = plt.subplots(2, 1, figsize=(9, 6), sharex=True, gridspec_kw={"height_ratios": [3, 1]})
    if result.n_spikes <= RASTER_MAX_POINTS:
        ax.scatter(result.spike_steps, result.spike_neurons, s=1.5, c="k", marker="|", linewidths=0.6)
        density = ""
    else:   # too many spikes to draw one by one: spikes per (timestep bin, neuron bin) as an image
        tb, nb = min(result.steps, 1000), min(max(n_neurons, 1), 1000)
        h, _, _ = np.histogram2d(result.spike_steps, result.spike_neurons, bins=(tb, nb),
                                 range=((-0.5, result.steps - 0.5), (-0.5, max(n_neurons, 1) - 0.5)))
        ax.imshow(h.T, origin="lower", aspect="auto", cmap="gray_r", interpolation="nearest",
                  extent=(-0.5, result.steps - 0.5, -0.5, max(n_neurons, 1) - 0.5))
        density = f" (density: {tb} x {nb} bins)"
    ax.set_ylabel("neuron id")
    ax.set_ylim(-0.5, max(n_neurons, 1) - 0.5)
    if pop_offsets and len(pop_offsets) <= RASTER_MAX_LABELS:
        for name, off in pop_offsets.items():
            ax.axhline(off - 0.5, color="tab:blue", lw=0.5, alpha=0.5)
            ax.text(0, off, f" {name}", color="tab:blue", va="bottom", fontsize=8)
    ax.set_title((title or f"{result.n_spikes} spikes, backend {result.backend}") + density)
    rate = result.spikes_per_step() / max(n_neurons, 1)
    ax2.plot(np.arange(result.steps), 100 * rate, lw=0.8)
    ax2.set_ylabel("% firing")
    ax2.set_xlabel("timestep")
    fig.tight_layout()
    return _save(fig, path)


def plot_step_cycles(result, path: str | os.PathLike | None = None, clock_mhz: float | None = None):
    """Cycles per timestep (cycle-level backends only)."""
    if result.step_cycles is None:
        raise ValueError("this result has no cycle information (use the cycle backend)")
    fig, ax = plt.subplots(figsize=(9, 3.2))
    ax.plot(np.arange(result.steps), result.step_cycles, lw=0.8)
    ax.set_xlabel("timestep")
    ax.set_ylabel("cycles")
    sc = result.step_cycles
    extra = f", {sc.mean() / clock_mhz:.2f} µs/timestep at {clock_mhz:g} MHz" if clock_mhz else ""
    ax.set_title(f"cycles per timestep: mean {sc.mean():.1f}, max {sc.max()}{extra}")
    fig.tight_layout()
    return _save(fig, path)


def plot_core_heatmap(values: np.ndarray, width: int, height: int, path: str | os.PathLike | None = None,
                      title: str = "", label: str = ""):
    """A per-core quantity drawn on the mesh (x east, y south)."""
    fig, ax = plt.subplots(figsize=(1.2 + 0.5 * width, 0.9 + 0.5 * height))
    im = ax.imshow(np.asarray(values).reshape(height, width), cmap="viridis", origin="upper")
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    ax.set_title(title)
    fig.colorbar(im, ax=ax, label=label)
    fig.tight_layout()
    return _save(fig, path)
