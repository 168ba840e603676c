"""Issue #17: a window of timesteps replayed cycle by cycle (sim/_activity.py) from the fast
kernel's barrier state, and the timeline trace written from it (sim/_trace.py): the replay
equals the kernel on the window's spikes, cycles and every counter, and every count the trace
shows equals the run's own counters of that window."""
import json

import numpy as np
import pytest

from neurocycle.hw import COUNTER_NAMES, ConfigError, layout
from neurocycle.sim import compile_network, run_cycle
from neurocycle.sim._activity import estimate_window, parse_window, record_activity
from neurocycle.sim._stepped import _window
from neurocycle.sim._trace import trace_events, write_trace

from test_delays_learning import delay_net, plastic_net
from test_engine import chip_of, random_net
from test_graded_event import graded_net

STDP_NOC = {"core.learning": "stdp", "core.delay_slots": 3, "bits.weight": 8, "bits.accumulator": 24,
            "mesh.cores_per_router": 2, "router.routing": "multicast", "router.table_entries": 4096,
            "core.neuron_update": "event", "bits.payload": 2}

CASES = [
    ("dense 3x2", lambda: chip_of(3, 2), lambda: random_net(3, 40, rate_hz=400.0), 8, (2, 6)),
    ("graded event 2x2", lambda: chip_of(2, 2, **{"bits.payload": 3, "core.neuron_update": "event",
                                                  "core.scan_word_bits": 4}),
     lambda: graded_net(5, 24, 3), 7, (3, 7)),
    ("saturated 2x3 depth 1", lambda: chip_of(2, 3, **{"router.fifo_depth": 1, "core.fifo_depth": 1}),
     lambda: random_net(9, 48, rate_hz=800.0, p_rec=0.5), 6, (0, 4)),
    ("multicast 2 cores per router 3x2", lambda: chip_of(3, 2, **{"mesh.cores_per_router": 2,
                                                                  "router.routing": "multicast",
                                                                  "router.table_entries": 256}),
     lambda: random_net(11, 80, rate_hz=500.0, p_rec=0.4), 7, (2, 6)),
    # issue #11: a ring of accumulator/pending banks crosses the barrier (delays up to 4 timesteps)
    ("delays 4 event 2x2", lambda: chip_of(2, 2, **{"core.delay_slots": 4, "core.neuron_update": "event"}),
     lambda: delay_net(3, 20, 4), 12, (5, 10)),
    # ... and the learned weights and STDP traces (a learning phase after every quiescence)
    ("stdp delays multicast 2 cores per router 2x2", lambda: chip_of(2, 2, **STDP_NOC),
     lambda: plastic_net(1, 30, D=3, graded=True), 12, (6, 10)),
]


def window_counters(prog, stim, t0, t1):
    """The fast kernel's counters of timesteps t0..t1-1: counters are cumulative."""
    hi = run_cycle(prog, _window(stim, 0, t1))
    if t0 == 0:
        return hi, {k: np.asarray(v) for k, v in hi.counters.items()}, dict(hi.detail)
    lo = run_cycle(prog, _window(stim, 0, t0))
    return (hi, {k: np.asarray(hi.counters[k]) - np.asarray(lo.counters[k]) for k in COUNTER_NAMES},
            {k: np.asarray(hi.detail[k]) - np.asarray(lo.detail[k]) for k in ("link_flits_port", "blocked_cycles_port")})


@pytest.fixture(scope="module", params=CASES, ids=[c[0] for c in CASES])
def case(request):
    _, chip, spec, steps, (t0, t1) = request.param
    net = spec().instantiate()
    prog = compile_network(net, chip())
    stim = net.stimulus(steps)
    act = record_activity(prog, stim, (t0, t1))
    hi, cnt, det = window_counters(prog, stim, t0, t1)
    return prog, stim, act, hi, cnt, det


def test_replay_equals_the_kernel_on_the_window(case):
    prog, stim, act, hi, cnt, det = case
    r = act.result
    t0, t1 = act.t0, act.t1
    sel = (hi.spike_steps >= t0) & (hi.spike_steps < t1)
    assert np.array_equal(r.spike_steps + t0, hi.spike_steps[sel])
    assert np.array_equal(r.spike_neurons, hi.spike_neurons[sel])
    assert np.array_equal(r.spike_cycles, hi.spike_cycles[sel])
    assert np.array_equal(r.step_cycles, hi.step_cycles[t0:t1])
    for name in COUNTER_NAMES:
        if name in ("barriers", "cycles"):
            continue
        assert np.array_equal(r.counters[name], cnt[name]), name
    for name in ("link_flits_port", "blocked_cycles_port"):
        assert np.array_equal(r.detail[name], det[name]), name
    # the recorded tables agree with the window's counters too
    nc, nr, P = prog.n_cores, prog.chip.derived.n_routers, prog.chip.derived.n_ports
    g = act.grants
    assert np.array_equal(np.bincount(g[:, 1] * P + g[:, 2], minlength=nr * P).reshape(nr, P), det["link_flits_port"])
    b = act.blocked
    assert np.array_equal(np.bincount(b[:, 1] * P + b[:, 2], minlength=nr * P).reshape(nr, P),
                          det["blocked_cycles_port"])
    # every head that left its FIFO: the flits that went in (pushes of the NUs, the host, the links)
    pushed_in = len(act.nu_pushes) + len(act.host) + int(det["link_flits_port"][:, 1:5].sum())
    assert len(act.pops) == pushed_in
    assert np.array_equal(np.bincount(act.stalls[:, 1], minlength=nc), cnt["nu_stall_cycles"])
    assert np.array_equal(np.bincount(act.si_pops[:, 1], minlength=nc), cnt["axon_lookups"])
    assert np.array_equal(np.bincount(act.nu_pushes[:, 1], minlength=nc), cnt["fanout_flits"])
    assert np.array_equal(np.bincount(act.spikes[:, 1], minlength=nc), cnt["spikes"])
    assert len(act.host) == int(cnt["host_flits"])
    assert act.steps[:, 0].tolist() == list(range(t0, t1))
    assert np.array_equal(act.steps[:, 3] - act.steps[:, 1], hi.step_cycles[t0:t1])
    # every spike's cycle is the kernel's
    assert sorted(act.spikes[:, 0].tolist()) == sorted(hi.spike_cycles[sel].tolist())
    # STDP: the weights learned by the end of the window, and every learning-phase cycle
    if prog.learning:
        assert np.array_equal(r.weights, hi.weights)
        assert np.array_equal(np.bincount(act.le[:, 1], minlength=nc), cnt["learning_cycles"])
        for code, name in ((2, "post_lookups"), (3, "reverse_reads")):
            assert np.array_equal(np.bincount(act.le[act.le[:, 2] == code, 1], minlength=nc), cnt[name]), name
        tr = np.bincount(act.le[:, 1], weights=act.le[:, 3] + act.le[:, 4], minlength=nc)
        assert np.array_equal(tr, cnt["trace_updates"])
        B = prog.chip.barrier_cycles
        assert np.array_equal(act.steps[:, 3] - B - act.steps[:, 2],
                              [len(set(act.le[(act.le[:, 0] >= Q) & (act.le[:, 0] < Tn), 0].tolist()))
                               for _, _, Q, Tn in act.steps.tolist()])     # L_t - Q_t: the longest LE
    else:
        assert act.le.shape == (0, 5)


def durations(events, pid=None, tid=None, name=None):
    return sum(e["dur"] for e in events if e["ph"] == "X" and (pid is None or e["pid"] == pid)
               and (tid is None or e["tid"] == tid) and (name is None or e["name"] == name))


def test_trace_counts_are_the_runs_counters(case, tmp_path):
    prog, stim, act, hi, cnt, det = case
    n = write_trace(act, tmp_path / "trace.json", title="t")
    obj = json.loads((tmp_path / "trace.json").read_text())          # what ui.perfetto.dev loads
    ev = obj["traceEvents"]
    assert len(ev) == n and obj["metadata"]["timesteps"] == [act.t0, act.t1]
    assert all(e["ph"] in ("X", "M") for e in ev)
    assert all(isinstance(e["ts"], int) and e["dur"] >= 1 for e in ev if e["ph"] == "X")
    names = {(e["pid"], e["tid"]): e["args"]["name"] for e in ev if e["name"] == "thread_name"}
    for (pid, tid) in {(e["pid"], e["tid"]) for e in ev if e["ph"] == "X"}:
        assert (pid, tid) in names, "every track with slices is named"
    C, P = prog.chip.mesh.cores_per_router, prog.chip.derived.n_ports
    ports = layout.port_names(C)
    for k in range(prog.n_cores):
        pid, j = 1 + k // C, k % C
        busy = sum(durations(ev, pid, 2 * j, s) for s in ("UPDATE", "PUSH", "SCAN"))
        assert busy == cnt["nu_busy_cycles"][k]
        assert durations(ev, pid, 2 * j, "STALL") == cnt["nu_stall_cycles"][k]
        assert durations(ev, pid, 2 * j + 1) == cnt["si_busy_cycles"][k]
    for r in range(prog.chip.derived.n_routers):
        pid = 1 + r
        for o in range(P):
            tid = 2 * C + o
            flits = sum(e["args"]["flits"] for e in ev if e["ph"] == "X" and e["pid"] == pid and e["tid"] == tid)
            assert flits == det["link_flits_port"][r, o]
            assert names.get((pid, tid), f"out {ports[o]}") == f"out {ports[o]}"
            assert durations(ev, pid, 2 * C + P + o) == det["blocked_cycles_port"][r, o]
    assert durations(ev, 0, 1) == int(cnt["host_flits"])
    steps = [e for e in ev if e["ph"] == "X" and e["pid"] == 0 and e["tid"] == 0]
    assert sum(e["dur"] for e in steps) == int(hi.step_cycles[act.t0:act.t1].sum())
    assert sum(e["dur"] for e in steps if e["name"] == "barrier") == (act.t1 - act.t0) * prog.chip.barrier_cycles
    for k in range(prog.n_cores):                     # STDP: the LE's slices are its learning cycles
        assert durations(ev, 1 + k // C, 2 * C + 2 * P + k % C) == cnt["learning_cycles"][k]


def test_latencies_follow_every_delivered_flit(case):
    prog, stim, act, hi, cnt, det = case
    lat, hops = act.flit_latencies()
    local = list(act.local_ports)
    assert lat.size == det["link_flits_port"][:, local].sum()      # one per ejection (a local output)
    if prog.chip.router.routing == "multicast":                     # deliveries of one flit share links
        assert 0 < hops.sum() and hops.max() < prog.chip.mesh.width + prog.chip.mesh.height
    else:
        assert hops.sum() == det["link_flits_port"][:, 1:5].sum()   # unicast: every link hop leads to one
    assert (lat >= 1 + hops).all()                                  # at least a cycle per router


def test_estimate_is_known_before_the_replay_and_close_to_it(case):
    prog, stim, act, hi, cnt, det = case
    est = estimate_window(hi, prog.chip, (act.t0, act.t1))
    assert est.cycles == int(hi.step_cycles[act.t0:act.t1].sum())
    n = len(trace_events(act)["traceEvents"])
    assert n / 4 <= est.events <= 4 * n


def test_bad_windows_are_refused():
    assert parse_window("2:5", 10) == (2, 5)
    assert parse_window("3", 10) == (3, 4)
    for bad in ("5:2", "0:11", "-1:3", "a:b", "", "10"):
        with pytest.raises(ConfigError) as e:
            parse_window(bad, 10)
        assert "--trace-steps" in str(e.value) and "e.g." in str(e.value)


def read_model_vcd(path):
    """{(scope, name): [(time, value)]} of a VCD file (pyvcd's reader)."""
    from vcd.reader import TokenKind, tokenize

    scope, ids, out = [], {}, {}
    t = 0
    with open(path, "rb") as f:
        for tok in tokenize(f):
            if tok.kind is TokenKind.SCOPE:
                scope.append(tok.scope.ident)
            elif tok.kind is TokenKind.UPSCOPE:
                scope.pop()
            elif tok.kind is TokenKind.VAR:
                ids[tok.var.id_code] = (".".join(scope), tok.var.reference)
                out[ids[tok.var.id_code]] = []
            elif tok.kind is TokenKind.CHANGE_TIME:
                t = tok.data
            elif tok.kind in (TokenKind.CHANGE_SCALAR, TokenKind.CHANGE_VECTOR):
                v = tok.data.value
                out[ids[tok.data.id_code]].append((t, int(v) if isinstance(v, int) or v in "01" else v))
    return out


def cycles_high(changes, end, bit=0):
    """Cycles in which bit ``bit`` of a signal is 1, from its changes (time in ns, 10 per cycle)."""
    n = 0
    for (t, v), nxt in zip(changes, changes[1:] + [(end, None)]):
        if isinstance(v, int) and (v >> bit) & 1:
            n += (nxt[0] - t) // 10
    return n


def test_model_vcd_counts_are_the_runs_counters(case, tmp_path):
    from neurocycle.sim._vcd import write_vcd

    prog, stim, act, hi, cnt, det = case
    n = write_vcd(act, tmp_path / "model.vcd")
    sig = read_model_vcd(tmp_path / "model.vcd")
    assert len(sig) == n
    end = act.end_cycle * 10
    W, C, P = prog.chip.mesh.width, prog.chip.mesh.cores_per_router, prog.chip.derived.n_ports
    for r in range(prog.chip.derived.n_routers):
        tile = f"nc_chip.g_row[{r // W}].g_col[{r % W}].u_tile"
        for o in range(P):
            assert cycles_high(sig[(tile + ".u_router", "gnt_valid")], end, o) == det["link_flits_port"][r, o]
            assert cycles_high(sig[(tile + ".u_router", "blocked")], end, o) == det["blocked_cycles_port"][r, o]
        for j in range(C):
            k, core = r * C + j, f"{tile}.g_core[{j}].u_core"
            assert cycles_high(sig[(core, "nu_stall")], end) == cnt["nu_stall_cycles"][k]
            assert cycles_high(sig[(core, "out_push")], end) == cnt["fanout_flits"][k]
            assert cycles_high(sig[(core, "si_pop")], end) == cnt["axon_lookups"][k]
            assert cycles_high(sig[(core, "nu_spike")], end) == cnt["spikes"][k]
            if prog.learning:
                le = core + ".g_learn.u_le"
                assert cycles_high(sig[(le, "post")], end) == cnt["post_lookups"][k]
                assert cycles_high(sig[(le, "rd")], end) == cnt["reverse_reads"][k]
                assert cycles_high(sig[(le, "wr")], end) == cnt["reverse_reads"][k]      # one WR per RD
                assert (cycles_high(sig[(le, "y_we")], end) + cycles_high(sig[(le, "x_we")], end)
                        == cnt["trace_updates"][k])
    assert cycles_high(sig[("nc_chip", "host_push")], end) == int(cnt["host_flits"])
    cyc = sig[("nc_chip.u_ctrl", "cycle")]
    assert all(ch[1] != "x" for ch in cyc)            # the dump starts at the window
    assert cyc[0] == (act.first_cycle * 10, act.first_cycle) and cyc[-1][1] == act.end_cycle - 1
