"""Sparse linear maps over flattened tensors: how chains of NIR linear nodes become synapses.

A :class:`Map` is a COO matrix ``out[rows] += vals * in[cols]``; an :class:`Expr` is a node's
output written as a sum of maps applied to the spikes of source nodes (inputs and neurons)
plus a constant bias. Composing maps multiplies a chain of ``Affine``/``Linear``/``Scale``/
``Conv``/pooling nodes out into one matrix per (source, target) pair. Convolutions and pooling
are expanded into explicit, weight-sharing maps (PyTorch semantics) by :func:`conv_op` and
:func:`pool_op`.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class Map:
    """Sparse linear map, COO: out[rows] += vals * in[cols]."""
    rows: np.ndarray
    cols: np.ndarray
    vals: np.ndarray
    n_out: int
    n_in: int


MAX_EXPANDED_SYNAPSES = 1 << 28    # a convolution expanded into more synapses than this is refused


def coalesce(rows, cols, vals, n_out, n_in) -> Map:
    if rows.size == 0:
        z = np.zeros(0, np.int64)
        return Map(z, z, np.zeros(0), n_out, n_in)
    key = rows.astype(np.int64) * n_in + cols
    uk, inv = np.unique(key, return_inverse=True)
    v = np.bincount(inv.ravel(), weights=vals, minlength=uk.size)
    keep = v != 0
    uk, v = uk[keep], v[keep]
    return Map(uk // n_in, uk % n_in, v, n_out, n_in)


def identity(n: int) -> Map:
    a = np.arange(n, dtype=np.int64)
    return Map(a, a, np.ones(n), n, n)


def compose(op: Map, m: Map) -> Map:
    """op @ m (apply m first)."""
    order = np.argsort(op.cols, kind="stable")
    oc, orow, ov = op.cols[order], op.rows[order], op.vals[order]
    start = np.searchsorted(oc, m.rows, "left")
    cnt = np.searchsorted(oc, m.rows, "right") - start
    rep = np.repeat(np.arange(m.rows.size), cnt)
    idx = np.repeat(start, cnt) + (np.arange(rep.size) - np.repeat(np.cumsum(cnt) - cnt, cnt))
    return coalesce(orow[idx], m.cols[rep], ov[idx] * m.vals[rep], op.n_out, m.n_in)


def apply_map(op: Map, x: np.ndarray) -> np.ndarray:
    return np.bincount(op.rows, weights=op.vals * x[op.cols], minlength=op.n_out)


@dataclass
class Expr:
    """A node's output as Σ_src map_src(spikes of src) + bias; ``delay`` counts Delay nodes."""
    n: int
    terms: dict[tuple[str, int], Map] = field(default_factory=dict)   # (source node, delays) -> map
    bias: np.ndarray | None = None

    def add(self, other: "Expr") -> None:
        for k, m in other.terms.items():
            if k in self.terms:
                a = self.terms[k]
                self.terms[k] = coalesce(np.concatenate([a.rows, m.rows]), np.concatenate([a.cols, m.cols]),
                                         np.concatenate([a.vals, m.vals]), a.n_out, a.n_in)
            else:
                self.terms[k] = m
        if other.bias is not None:
            self.bias = other.bias.copy() if self.bias is None else self.bias + other.bias

    def through(self, op: Map, bias: np.ndarray | None = None, delay: int = 0) -> "Expr":
        out = Expr(op.n_out)
        for (src, d), m in self.terms.items():
            out.terms[(src, d + delay)] = compose(op, m)
        if self.bias is not None:
            out.bias = apply_map(op, self.bias)
        if bias is not None:
            out.bias = bias.astype(np.float64) if out.bias is None else out.bias + bias
        return out


# ----------------------------------------------------------------------------- convolution and pooling
def int_tuple(x, nd: int, what: str) -> tuple[int, ...]:
    a = np.atleast_1d(np.asarray(x)).astype(np.int64).ravel()
    if a.size == 1:
        a = np.repeat(a, nd)
    if a.size != nd:
        raise ValueError(f"{what} has {a.size} entries for {nd} spatial dimension(s)")
    return tuple(int(v) for v in a)


def conv_op(weight: np.ndarray, in_shape: tuple[int, ...], stride, padding, dilation, groups: int):
    """Expand an N-d convolution (PyTorch semantics, cross-correlation) into a sparse map."""
    nd = weight.ndim - 2
    if len(in_shape) != nd + 1:
        raise ValueError(f"input shape {in_shape} is not (channels, {nd} spatial dims)")
    c_in, sp_in = in_shape[0], in_shape[1:]
    c_out, cin_g, ks = weight.shape[0], weight.shape[1], weight.shape[2:]
    groups = int(groups)
    if groups < 1 or c_in != cin_g * groups or c_out % groups:
        raise ValueError(f"channels do not match: input has {c_in}, weight expects {cin_g} x groups={groups}, "
                         f"output {c_out}")
    stride, dilation = int_tuple(stride, nd, "stride"), int_tuple(dilation, nd, "dilation")
    if isinstance(padding, bytes):
        padding = padding.decode()
    if isinstance(padding, np.ndarray) and padding.dtype.kind in "SUO":
        padding = str(padding.item() if padding.ndim == 0 else padding[0])
        padding = padding.decode() if isinstance(padding, bytes) else padding
    same = isinstance(padding, str) and padding == "same"
    if isinstance(padding, str):
        if padding == "valid":
            lo = hi = (0,) * nd
        elif padding == "same":
            tot = [dilation[d] * (ks[d] - 1) for d in range(nd)]
            lo = tuple(t // 2 for t in tot)
            hi = tuple(t - t // 2 for t in tot)
        else:
            raise ValueError(f"padding {padding!r} is not 'same', 'valid' or a number")
    else:
        lo = hi = int_tuple(padding, nd, "padding")
    sp_out = tuple((sp_in[d] + lo[d] + hi[d] - dilation[d] * (ks[d] - 1) - 1) // stride[d] + 1 for d in range(nd))
    if min(sp_out) < 1:
        raise ValueError(f"the kernel {ks} does not fit the input {sp_in} (output would be {sp_out})")
    if same:
        sp_out = tuple(sp_in)
    n_sp_in, n_sp_out = int(np.prod(sp_in)), int(np.prod(sp_out))
    taps = c_out * cin_g * int(np.prod(ks)) * n_sp_out        # synapses of the expansion, bounded before building it
    if taps > MAX_EXPANDED_SYNAPSES:
        raise ValueError(f"it would expand to {taps:,} synapses (a layer is limited to {MAX_EXPANDED_SYNAPSES:,}); "
                         "use a smaller input or kernel")
    cout_g = c_out // groups
    co, cil = np.meshgrid(np.arange(c_out), np.arange(cin_g), indexing="ij")
    co, cil = co.ravel(), cil.ravel()
    ci = (co // cout_g) * cin_g + cil
    ocoords = [g.ravel() for g in np.meshgrid(*[np.arange(n) for n in sp_out], indexing="ij")]
    o_flat = np.arange(n_sp_out)
    rows, cols, vals = [], [], []
    for kidx in np.ndindex(*ks):
        w = weight[(co, cil) + tuple(np.full(co.size, k) for k in kidx)].astype(np.float64)
        nzw = w != 0
        if not nzw.any():
            continue
        icoords = [ocoords[d] * stride[d] - lo[d] + kidx[d] * dilation[d] for d in range(nd)]
        valid = np.ones(n_sp_out, bool)
        for d in range(nd):
            valid &= (icoords[d] >= 0) & (icoords[d] < sp_in[d])
        if not valid.any():
            continue
        i_sp = np.ravel_multi_index(tuple(c[valid] for c in icoords), sp_in)
        o_sp = o_flat[valid]
        a_co, a_ci, a_w = co[nzw], ci[nzw], w[nzw]
        rows.append((a_co[:, None] * n_sp_out + o_sp[None, :]).ravel())
        cols.append((a_ci[:, None] * n_sp_in + i_sp[None, :]).ravel())
        vals.append(np.repeat(a_w, o_sp.size))
    cat = (lambda xs, dt: np.concatenate(xs) if xs else np.zeros(0, dt))
    op = coalesce(cat(rows, np.int64), cat(cols, np.int64), cat(vals, np.float64), c_out * n_sp_out,
                  c_in * n_sp_in)
    return op, (c_out,) + tuple(sp_out)


def pool_op(kernel, stride, padding, in_shape: tuple[int, ...], average: bool):
    if len(in_shape) != 3:
        raise ValueError(f"2d pooling needs a (channels, height, width) input, got shape {in_shape}")
    ks = int_tuple(kernel, 2, "kernel_size")
    st = int_tuple(stride, 2, "stride") if stride is not None and np.asarray(stride).size else ks
    c = in_shape[0]
    w = np.full((c, 1) + ks, 1.0 / (ks[0] * ks[1]) if average else 1.0)
    # count_include_pad semantics (PyTorch default): always divide by the kernel area
    return conv_op(w, in_shape, st, padding, 1, c)
