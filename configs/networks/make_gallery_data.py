"""Generate the data files of the network gallery (deterministic; re-run to rebuild them).

    python configs/networks/make_gallery_data.py [OUT_DIR]

- ``dvs-bar-events.npz``: 100 ms of event-camera-like data from a 2 x 32 x 32 sensor (ON/OFF
  polarity, 32 x 32 pixels): a bright bar sweeping left to right and a dark bar sweeping top to
  bottom, plus background noise events. Arrays in the usual DVS layout — ``t_us``, ``x``,
  ``y``, ``p`` — and, binned at 1 ms, the ``steps`` / ``channels`` arrays an ``array`` input
  reads (``channel = p * 32 * 32 + y * 32 + x``: C order of a (2, 32, 32) tensor).
- ``conv-snn-conv1.npz``: a 3x3, stride-2, padding-1 convolution (2 -> 4 channels, 32x32 ->
  16x16) expanded to explicit ``source`` / ``target`` / ``weight`` synapses with shared
  kernels: four oriented ON-minus-OFF edge detectors (vertical and horizontal, both signs).
- ``conv-snn-pool1.npz``: 2x2 sum pooling (4 x 16 x 16 -> 4 x 8 x 8) as ``source`` /
  ``target`` pairs only: the projection's ``weight`` in the YAML applies to all of them.
- ``stdp-pattern.npz``: 16 s (1 ms timesteps) of 100 afferents firing as Poisson noise at 20 Hz,
  into which a frozen 50-timestep spike pattern of 50 of them (drawn at the same 20 Hz) is
  pasted at random 50-timestep windows (a quarter of them, never two in a row): ``steps`` /
  ``channels`` for an ``array`` input, and ``pattern_starts``, ``pattern_channels``,
  ``pattern_len`` for the evaluation (Masquelier, Guyonneau & Thorpe, PLoS ONE 3(1):e1377, 2008).
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

H = W = 32
SENSOR = (2, H, W)
DURATION_MS = 100


def dvs_events(seed: int = 7) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    t_list, x_list, y_list, p_list = [], [], [], []
    for ms in range(DURATION_MS):
        # bright vertical bar moving right (1 px / 3 ms): ON events at its leading edge, OFF at the trailing
        xb = (ms // 3) % W
        for x, pol in ((xb, 1), ((xb - 3) % W, 0)):
            ys = np.flatnonzero(rng.random(H) < 0.35)
            t_list.append(ms * 1000 + rng.integers(0, 1000, ys.size))
            x_list.append(np.full(ys.size, x))
            y_list.append(ys)
            p_list.append(np.full(ys.size, pol))
        # dark horizontal bar moving down (1 px / 5 ms): OFF leading edge, ON trailing
        yb = (ms // 5) % H
        for y, pol in ((yb, 0), ((yb - 2) % H, 1)):
            xs = np.flatnonzero(rng.random(W) < 0.25)
            t_list.append(ms * 1000 + rng.integers(0, 1000, xs.size))
            x_list.append(xs)
            y_list.append(np.full(xs.size, y))
            p_list.append(np.full(xs.size, pol))
        # background activity: ~0.2 % of pixels per ms
        k = rng.poisson(0.002 * H * W * 2)
        t_list.append(ms * 1000 + rng.integers(0, 1000, k))
        x_list.append(rng.integers(0, W, k))
        y_list.append(rng.integers(0, H, k))
        p_list.append(rng.integers(0, 2, k))
    t = np.concatenate(t_list).astype(np.int64)
    x = np.concatenate(x_list).astype(np.int16)
    y = np.concatenate(y_list).astype(np.int16)
    p = np.concatenate(p_list).astype(np.int8)
    order = np.argsort(t, kind="stable")
    t, x, y, p = t[order], x[order], y[order], p[order]
    steps = (t // 1000).astype(np.int32)
    channels = (p.astype(np.int32) * H * W + y.astype(np.int32) * W + x).astype(np.int32)
    return {"t_us": t, "x": x, "y": y, "p": p, "steps": steps, "channels": channels,
            "sensor_shape": np.array(SENSOR, np.int32)}


def conv_synapses(kernels: np.ndarray, in_shape, stride: int, pad: int):
    """Expand a cross-correlation (PyTorch semantics) into explicit synapses (C-order indices)."""
    c_out, c_in, kh, kw = kernels.shape
    _, h, w = in_shape
    ho, wo = (h + 2 * pad - kh) // stride + 1, (w + 2 * pad - kw) // stride + 1
    src, tgt, wt = [], [], []
    for co in range(c_out):
        for oy in range(ho):
            for ox in range(wo):
                for ci in range(c_in):
                    for ky in range(kh):
                        for kx in range(kw):
                            iy, ix = oy * stride - pad + ky, ox * stride - pad + kx
                            if 0 <= iy < h and 0 <= ix < w and kernels[co, ci, ky, kx] != 0:
                                src.append((ci * h + iy) * w + ix)
                                tgt.append((co * ho + oy) * wo + ox)
                                wt.append(kernels[co, ci, ky, kx])
    return (np.asarray(src, np.int32), np.asarray(tgt, np.int32), np.asarray(wt, np.int32)), (c_out, ho, wo)


def edge_kernels() -> np.ndarray:
    """(4, 2, 3, 3): ON-minus-OFF detectors for vertical and horizontal edges of both signs."""
    grad = np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]])
    k = np.zeros((4, 2, 3, 3), np.int32)
    for i, g in enumerate((grad, -grad, grad.T, -grad.T)):
        k[i, 1] = np.clip(g, 0, None) * 8       # ON events where the detector is positive
        k[i, 0] = np.clip(-g, 0, None) * 8      # OFF events where it is negative
    return k


def stdp_pattern(seed: int = 4, n_in: int = 100, steps: int = 16000, rate: float = 0.02, plen: int = 50,
                 p_pattern: float = 0.25, frac: float = 0.5) -> dict[str, np.ndarray]:
    """A spike pattern hidden in noise (see the module docstring)."""
    rng = np.random.default_rng(seed)
    noise = rng.random((steps, n_in)) < rate
    pat_ch = np.sort(rng.choice(n_in, int(frac * n_in), replace=False))
    pattern = rng.random((plen, pat_ch.size)) < rate
    for j in range(pat_ch.size):               # every pattern afferent fires at least once in it
        if not pattern[:, j].any():
            pattern[rng.integers(plen), j] = True
    starts = []
    for w in range(steps // plen):
        if w > 0 and rng.random() < p_pattern and (not starts or starts[-1] < (w - 1) * plen):
            s = w * plen
            starts.append(s)
            noise[s:s + plen][:, pat_ch] = pattern
    st, ch = np.nonzero(noise)
    return {"steps": st.astype(np.uint16), "channels": ch.astype(np.uint8),
            "pattern_starts": np.asarray(starts, np.uint16), "pattern_channels": pat_ch.astype(np.uint8),
            "pattern_len": np.array(plen, np.int32)}


def build(out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    files = []
    ev = dvs_events()
    np.savez_compressed(out / "dvs-bar-events.npz", **ev)
    files.append(out / "dvs-bar-events.npz")
    (s, t, w), shape1 = conv_synapses(edge_kernels(), SENSOR, stride=2, pad=1)
    assert shape1 == (4, 16, 16)
    np.savez_compressed(out / "conv-snn-conv1.npz", source=s, target=t, weight=w)
    files.append(out / "conv-snn-conv1.npz")
    (s, t, w), shape2 = conv_synapses(np.eye(4, dtype=np.int32)[:, :, None, None] * np.ones((1, 1, 2, 2), np.int32),
                                      shape1, stride=2, pad=0)
    assert shape2 == (4, 8, 8)
    np.savez_compressed(out / "conv-snn-pool1.npz", source=s, target=t)
    files.append(out / "conv-snn-pool1.npz")
    np.savez_compressed(out / "stdp-pattern.npz", **stdp_pattern())
    files.append(out / "stdp-pattern.npz")
    return files


if __name__ == "__main__":
    here = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent
    for f in build(here):
        print(f"wrote {f} ({f.stat().st_size:,} bytes)")
