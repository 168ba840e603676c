"""Waveforms of the model: a VCD of a replayed window (sim/_activity.py) under the RTL's own
signal names, so that a model run and a ``cosim --waves`` run of the same case open side by
side in GTKWave or Surfer and read the same.

The scopes are the RTL hierarchy below the top (``nc_chip``, ``g_row[y].g_col[x].u_tile``,
``u_router``, ``g_core[j].u_core``, ``u_ctrl``) and every signal has the RTL's name, width and packing
(``[P-1:0][W-1:0]`` vectors packed port-major, as Verilator dumps them). Time: one clock is
10 ns, the cosim host's clock, and the model's time 0 is chip cycle 0; ``nc_chip.u_ctrl.cycle``
holds the chip cycle in both dumps (the RTL's dump also has the loading and pause clocks, in
which the counter stands still). A value is the signal's value *during* that cycle: registers
after the edge that starts it, combinational signals as they settle in it. Where the RTL's value
is not fixed by the contract (a flit bus while nothing is pushed) the model writes ``x``.
docs/trace.md lists the signals; tests/rtl/test_rtl_vcd.py compares them with the RTL's dump.
"""
from __future__ import annotations

import os

import numpy as np

from ._activity import Activity

__all__ = ["write_vcd", "vcd_signals", "rtl_samples", "compare_vcd", "CLOCK_NS"]

CLOCK_NS = 10                         # the cosim host's clock (neurocycle.rtl._host.CLOCK_NS)
_RUN, _BARRIER, _LEARN = 1, 2, 3      # nc_ctrl state encoding (S_RUN, S_BARRIER, S_LEARN)


def _rtl_widths(chip) -> dict:
    """Widths the RTL derives from the chip: FLIT_BITS, OCC_BITS, CNT_BITS (the cosim build's)."""
    from neurocycle.rtl import defs

    return {"FLIT_BITS": chip.derived.flit_bits, "OCC_BITS": int(defs()["OCC_BITS"]), "CNT_BITS": 48}


def vcd_signals(act: Activity) -> dict:
    """Every signal of the model's VCD: ``{(scope, name): (width, [(cycle, value), ...])}``,
    values as ints or ``"x"``, changes in cycle order (the first at the window's first cycle)."""
    chip = act.chip
    Wm = chip.mesh.width
    nr, C, P = act.n_routers, act.cores_per_router, act.n_ports
    nc = nr * C
    lp = act.local_ports
    wd = _rtl_widths(chip)
    FB, OB, CB = wd["FLIT_BITS"], wd["OCC_BITS"], wd["CNT_BITS"]
    c0, c1 = act.first_cycle, act.end_cycle
    cycles = np.arange(c0, c1)
    n = cycles.size

    def dense(events, key_cols, val_col, shape, init):
        """Per-cycle values [n, *shape] from change events (value holds until the next change)."""
        out = np.empty((n,) + shape, np.int64)
        out[...] = init
        if len(events):
            ev = events[np.argsort(events[:, 0], kind="stable")]
            for row in ev.tolist():
                idx = tuple(row[k] for k in key_cols)
                out[(slice(row[0] - c0, None),) + idx] = row[val_col]
        return out

    def pulses(events, key_cols, shape, val_col=None):
        out = np.zeros((n,) + shape, np.int64)
        for row in events.tolist():
            out[(row[0] - c0,) + tuple(row[k] for k in key_cols)] = 1 if val_col is None else row[val_col]
        return out

    occ = dense(act.occupancy, (1, 2), 3, (nr, P), 0)
    cocc = dense(act.core_fifo, (1,), 2, (nc,), 0)
    nu = dense(act.nu, (1,), 2, (nc,), 0)
    si = dense(act.si, (1,), 2, (nc,), 0)
    stall = pulses(act.stalls, (1,), (nc,))
    pop_si = pulses(act.si_pops, (1,), (nc,))
    spike = pulses(act.spikes, (1,), (nc,))
    pop = pulses(act.pops, (1, 2), (nr, P))
    grant = np.full((n, nr, P), -1, np.int64)
    gflit = np.zeros((n, nr, P), np.int64)
    for c, r, o, i, f in act.grants.tolist():
        grant[c - c0, r, o] = i
        gflit[c - c0, r, o] = f
    blocked = pulses(act.blocked, (1, 2), (nr, P))
    nu_push = np.zeros((n, nc), np.int64)
    nu_flit = np.full((n, nc), -1, np.int64)
    for c, k, f in act.nu_pushes.tolist():
        nu_push[c - c0, k] = 1
        nu_flit[c - c0, k] = f
    host_push = np.zeros(n, np.int64)
    host_flit = np.full(n, -1, np.int64)
    for c, f in act.host.tolist():
        host_push[c - c0] = 1
        host_flit[c - c0] = f
    # round-robin pointers: a grant in cycle c is the pointer from c+1 on
    last = np.empty((n, nr, P), np.int64)
    last[:] = act.last[None, :, :]
    for c, r, o, i, _ in sorted(act.grants.tolist()):
        if c + 1 - c0 < n:
            last[c + 1 - c0:, r, o] = i
    # in_push of every router input: upstream grants, the NUs (local ports), the host (W of the host row)
    in_push = np.zeros((n, nr, P), np.int64)
    for j in range(C):
        in_push[:, :, lp[j]] = nu_push[:, j::C]
    in_push[:, chip.host.row * Wm, 4] |= host_push
    k = np.arange(nr)
    x, y = k % Wm, k // Wm
    for o, q, dx, dy in ((1, 3, 0, -1), (2, 4, 1, 0), (3, 1, 0, 1), (4, 2, -1, 0)):
        ok = (x + dx >= 0) & (x + dx < Wm) & (y + dy >= 0) & (y + dy < chip.mesh.height)
        in_push[:, (k + dx + dy * Wm)[ok], q] = grant[:, ok, o] >= 0
    state = np.zeros(n, np.int64)
    B = chip.barrier_cycles
    for t, T, Q, Tn in act.steps.tolist():
        L = Tn - B                       # learning phase (STDP): the LEs act in cycles Q .. L-1
        state[T - c0:Q - c0 + 1] = _RUN
        state[Q - c0 + 1:L - c0 + 1] = _LEARN
        state[max(Q, L) - c0 + 1:Tn - c0] = _BARRIER
    learning = chip.core.learning != "off"
    if learning:                         # the LE's per-cycle actions: POST, RD, WR, TRACE's two writes
        le_act = np.zeros((5, n, nc), np.int64)
        for c, k, st, yw, xw in act.le.tolist():
            if 2 <= st <= 4:
                le_act[st - 2, c - c0, k] = 1
            le_act[3, c - c0, k] = yw
            le_act[4, c - c0, k] = xw

    def _bits(vals, w):                  # [P] ints or None (x) -> a packed bit string, port P-1 first
        if all(v is None for v in vals):
            return "x"
        if all(v is not None for v in vals):
            return sum(int(v) << (w * p) for p, v in enumerate(vals))
        return "".join("x" * w if v is None else format(int(v), f"0{w}b") for v in reversed(vals))

    def pack(a, w):                      # [..., P] -> packed [P-1:0][w-1:0] ints
        return (a.astype(object) * np.array([1 << (w * p) for p in range(P)], object)).sum(axis=-1)

    sig: dict = {}

    def add(scope, name, width, values):
        vals = list(values)
        ch, prev = [], None
        for j, v in enumerate(vals):
            v = v if isinstance(v, str) else ("x" if v < 0 else int(v))
            if v != prev:
                ch.append((int(c0 + j), v))
                prev = v
        sig[(scope, name)] = (width, ch)

    add("nc_chip.u_ctrl", "cycle", CB, cycles)
    add("nc_chip.u_ctrl", "state", 2, state)
    add("nc_chip", "host_push", 1, host_push)
    add("nc_chip", "host_flit", FB, host_flit)
    for r in range(nr):
        tile = f"nc_chip.g_row[{r // Wm}].g_col[{r % Wm}].u_tile"
        rt = tile + ".u_router"
        g = grant[:, r, :]
        add(rt, "fifo_count", P * OB, pack(occ[:, r, :], OB))
        add(rt, "in_push", P, pack(in_push[:, r, :], 1))
        add(rt, "gnt_valid", P, pack((g >= 0).astype(np.int64), 1))
        add(rt, "gnt_in", P * 3, pack(np.maximum(g, 0), 3))
        add(rt, "pop", P, pack(pop[:, r, :], 1))
        add(rt, "blocked", P, pack(blocked[:, r, :], 1))
        add(rt, "last", P * 3, pack(last[:, r, :], 3))
        add(rt, "out_flit", P * FB, [_bits([gflit[j, r, o] if g[j, o] >= 0 else None for o in range(P)], FB)
                                     for j in range(n)])
        for j in range(C):
            co, kk = f"{tile}.g_core[{j}].u_core", r * C + j
            add(co, "cf_count", OB, cocc[:, kk])
            add(co, "si_pop", 1, pop_si[:, kk])
            add(co, "si_busy", 1, si[:, kk])
            add(co, "nu_state", 2, nu[:, kk])
            add(co, "nu_stall", 1, stall[:, kk])
            add(co, "nu_spike", 1, spike[:, kk])
            add(co, "out_push", 1, nu_push[:, kk])
            add(co, "out_flit", FB, nu_flit[:, kk])
            if learning:
                for i, name in enumerate(("post", "rd", "wr", "y_we", "x_we")):
                    add(co + ".g_learn.u_le", name, 1, le_act[i, :, kk])
    return sig


def write_vcd(act: Activity, path: str | os.PathLike) -> int:
    """Write the model's VCD of ``act`` (atomically); returns the number of signals."""
    from vcd import VCDWriter

    from ._io import atomic_write

    sig = vcd_signals(act)

    t0 = act.first_cycle

    def write(tmp):
        # the dump starts at the window's first cycle, every signal with its value there
        with open(tmp, "w") as f, VCDWriter(f, timescale="1 ns", date="", comment="neurocycle model",
                                            version="neurocycle", init_timestamp=t0 * CLOCK_NS) as w:
            vars_ = {}
            for (scope, name), (width, ch) in sig.items():
                vars_[(scope, name)] = w.register_var(scope, name, "wire", size=width, init=ch[0][1])
            events = sorted((c, key, v) for key, (_, ch) in sig.items() for c, v in ch[1:])
            for c, key, v in events:
                w.change(vars_[key], c * CLOCK_NS, v)
    atomic_write(path, write)
    return len(sig)


def compare_vcd(model: dict, rtl: dict, first: int, end: int) -> list[tuple]:
    """Every disagreement of the model's signals (:func:`vcd_signals`) with the RTL's samples
    (:func:`rtl_samples`) over cycles ``first .. end-1``: ``(cycle, scope, name, model, rtl)``.
    Bits the model leaves ``x`` are not compared; a cycle missing from the RTL's dump is one
    disagreement."""
    bad = []
    for key, (w, ch) in model.items():
        j = 0
        for c in range(first, end):
            while j + 1 < len(ch) and ch[j + 1][0] <= c:
                j += 1
            mv = ch[j][1]
            if c not in rtl:
                bad.append((c, *key, mv, "missing"))
                continue
            rv = rtl[c].get(key, "missing")
            if isinstance(mv, str):
                if mv == "x":
                    continue
                rb = format(rv, f"0{w}b") if isinstance(rv, int) else str(rv).rjust(w, "0")
                ok = all(a == "x" or a == b for a, b in zip(mv.rjust(w, "x"), rb))
            else:
                ok = mv == rv
            if not ok:
                bad.append((c, *key, mv, rv))
    return bad


def _value(tok) -> "int | str":
    v = tok.data.value if hasattr(tok.data, "value") else tok.data
    return v if isinstance(v, int) else str(v).lower()


def rtl_samples(path: str | os.PathLike, signals) -> dict:
    """Read a ``cosim --waves`` dump and return ``{chip cycle: {(scope, name): value}}`` for the
    ``signals`` (keys as in :func:`vcd_signals`): each signal's value just before the rising
    clock edge that ends the cycle, for every clock in which the chip runs (``u_ctrl.state`` is
    RUN, LEARN or BARRIER; ``u_ctrl.cycle`` is the chip cycle). Values are ints, or strings with x/z."""
    from vcd.reader import TokenKind, tokenize

    want = set(signals) | {("nc_chip", "clk"), ("nc_chip.u_ctrl", "cycle"), ("nc_chip.u_ctrl", "state")}
    ids: dict = {}
    scope: list = []
    cur: dict = {}
    out: dict = {}
    snap = None
    with open(path, "rb") as f:
        for tok in tokenize(f):
            k = tok.kind
            if k is TokenKind.SCOPE:
                scope.append(tok.scope.ident)
            elif k is TokenKind.UPSCOPE:
                scope.pop()
            elif k is TokenKind.VAR:
                key = (".".join(scope), tok.var.reference)
                if key in want:
                    ids.setdefault(tok.var.id_code, []).append(key)
            elif k is TokenKind.CHANGE_TIME:
                snap = None if cur.get(("nc_chip", "clk")) == 1 else dict(cur)
            elif k in (TokenKind.CHANGE_SCALAR, TokenKind.CHANGE_VECTOR):
                keys = ids.get(tok.data.id_code)
                if not keys:
                    continue
                v = _value(tok)
                if isinstance(v, str) and v in "01":
                    v = int(v)
                for key in keys:
                    if key == ("nc_chip", "clk") and v == 1 and snap is not None:
                        if snap.get(("nc_chip.u_ctrl", "state")) in (_RUN, _BARRIER, _LEARN):
                            out[int(snap[("nc_chip.u_ctrl", "cycle")])] = snap
                        snap = None
                    cur[key] = v
    return out
