"""Seeded random chips and networks for differential testing (model vs RTL).

``random_chip(seed)`` draws a mesh (1x1..4x4 by default), FIFO depths 1..4, lanes 1..4,
barrier length, host row and fixed-point widths, and (from a stream of its own, so the draws
above are those of the binary chips of earlier versions) a spike payload width (0 = binary
half the time) and a dense or event-driven neuron update with a scan word of 1..64 bits, and
with ``noc`` (from a third stream) 1..4 cores per router and unicast or multicast routing, and
(from a fourth stream) synaptic delays of 1..8 timesteps and STDP learning with random trace
widths; on such a chip the networks draw delays and make some projections plastic (one rule);
``random_network(chip, seed, congested)`` draws populations with random LIF parameters, an
input group and random projections (dense and high-rate when ``congested``); on a graded chip
some populations are graded and the input group may be a graded array input. ``fit(chip, net)`` sets the capacities to what the
network needs plus a small random slack (sometimes none: a full core), so the capacity
parameters, including non-powers of two, vary too.
"""
from __future__ import annotations

import numpy as np

from neurocycle.hw import ChipConfig, load_chip
from neurocycle.sim import CompileOptions, NetworkSpec, compile_network


def random_chip(seed: int, max_w: int = 4, max_h: int = 4, noc: bool = False) -> ChipConfig:
    """``noc``: also draw the NoC: cores per router 1..4 (unicast and multicast for 2+, multicast
    for 1) and a multicast table (fitted to the networks by ``fit``)."""
    r = np.random.default_rng([seed, 1])
    w, h = int(r.integers(1, max_w + 1)), int(r.integers(1, max_h + 1))
    weight = int(r.integers(4, 9))
    mesh = {"width": w, "height": h}
    router = {"fifo_depth": int(r.integers(1, 5))}
    if noc:
        rn = np.random.default_rng([seed, 6])
        mesh["cores_per_router"] = int(rn.integers(1, 5))
        multicast = mesh["cores_per_router"] == 1 or bool(rn.random() < 0.5)
        router.update({"routing": "multicast" if multicast else "unicast", "table_entries": 4096})
    return load_chip(_merge({
        "name": f"random{'-noc' if noc else ''}-{seed}", "barrier_cycles": int(r.integers(1, 6)),
        "mesh": mesh,
        "core": {"neurons": int(r.integers(3, 17)), "axons": 256, "synapse_words": 4096,
                 "synapse_lanes": int(r.integers(1, 5)), "fanout_entries": 1024, "profiles": 8,
                 "fifo_depth": int(r.integers(1, 5))},
        "router": router,
        "bits": {"weight": weight, "state": int(r.integers(10, 17)), "accumulator": 24,
                 "refractory": int(r.integers(1, 4))},
        "host": {"row": int(r.integers(0, h))},
    }, _merge(_graded_event(seed), _delay_learn(seed))))


def _merge(base: dict, extra: dict) -> dict:
    for k, v in extra.items():
        base[k] = {**base.get(k, {}), **v} if isinstance(v, dict) else v
    return base


def _graded_event(seed: int) -> dict:
    """Payload width and neuron-update mode of a random chip (their own random stream)."""
    r = np.random.default_rng([seed, 5])
    payload = int(r.choice([0, 0, 1, 2, 3, 5]))
    event = bool(r.random() < 0.5)
    scan = int(r.choice([1, 2, 4, 8, 16, 32, 64]))
    out: dict = {}
    if payload:
        out["bits"] = {"payload": payload}
    if event:
        out["core"] = {"neuron_update": "event", "scan_word_bits": scan}
    return out


def _delay_learn(seed: int) -> dict:
    """Synaptic delays and STDP of a random chip (their own random stream)."""
    r = np.random.default_rng([seed, 7])
    out: dict = {}
    d = int(r.choice([1, 1, 2, 3, 5, 8]))
    if d > 1:
        out["core"] = {"delay_slots": d}
    if r.random() < 0.5:
        out.setdefault("core", {})["learning"] = "stdp"
        out["bits"] = {"trace": int(r.integers(3, 13))}
    return out


def _plasticity(chip: ChipConfig, seed: int, projs: list, wmax: int) -> None:
    """On a chip with delays, random delays on every projection; on a learning chip, one random
    STDP rule on some of the projections (own stream)."""
    g = np.random.default_rng([seed, 8])
    D = chip.core.delay_slots
    for pr in projs:
        if D > 1 and g.random() < 0.8:
            lo = int(g.integers(1, D + 1))
            pr["delay_steps"] = {"kind": "uniform", "low": lo, "high": int(g.integers(lo, D + 1))}
    if chip.core.learning != "stdp":
        return
    tmax = (1 << chip.bits.trace) - 1
    rule = {"rule": "stdp", "a_plus": int(g.integers(1, tmax + 1)), "a_minus": int(g.integers(1, tmax + 1)),
            "tau_plus_steps": float(g.uniform(1.5, 20)), "tau_minus_steps": float(g.uniform(1.5, 20)),
            "w_min": int(-wmax // 2), "w_max": wmax, "lr_shift": int(g.integers(0, max(1, chip.bits.trace - 2)))}
    plastic = [pr for pr in projs if g.random() < 0.6] or projs[:1]
    for pr in plastic:
        pr["plasticity"] = rule


def random_network(chip: ChipConfig, seed: int, congested: bool = False) -> NetworkSpec:
    r = np.random.default_rng([seed, 2])
    cap = chip.derived.n_cores * chip.core.neurons
    n_total = int(r.integers(max(1, cap // 2), cap + 1))
    n_pops = int(r.integers(1, 4))
    sizes = np.diff(np.sort(np.concatenate([[0, n_total], r.choice(np.arange(1, n_total), size=min(n_pops - 1, n_total - 1), replace=False)]))) if n_total > 1 else np.array([1])
    sizes = [int(s) for s in sizes if s > 0]
    wmax = (1 << (chip.bits.weight - 1)) - 1
    smax = (1 << (chip.bits.state - 1)) - 1
    pops = []
    for i, s in enumerate(sizes):
        vth = int(r.integers(max(2, wmax // 2), min(smax, 6 * wmax) + 1))
        pops.append({"name": f"p{i}", "size": s, "neuron": {
            "model": "lif_fixed", "du": int(r.choice([0, int(r.integers(0, 4096)), 4095])),
            "dv": int(r.integers(0, 4096)), "bias": int(r.integers(-2, max(3, vth // 4))), "vth": vth,
            "v_reset": int(r.integers(-vth // 2, 1)), "refractory": int(r.integers(0, (1 << chip.bits.refractory))),
            "w_exp": int(r.integers(0, 3))}})
    n_in = int(r.integers(1, 9))
    rate = float(r.uniform(300, 1000) if congested else r.uniform(20, 400))
    inputs = [{"name": "in", "size": n_in, "source": {"kind": "poisson", "rate_hz": rate}}]
    P = chip.bits.payload
    if P:     # graded chip: some graded populations, maybe a graded array input (own stream)
        g = np.random.default_rng([seed, 6])
        for pop in pops:
            if g.random() < 0.5:
                pop["spikes"] = "graded"
        if g.random() < 0.6:
            fire = g.random((16, n_in)) < rate / 1000.0
            steps, chans = np.nonzero(fire)
            inputs = [{"name": "in", "size": n_in, "spikes": "graded", "source": {
                "kind": "array", "steps": steps.tolist(), "channels": chans.tolist(),
                "payloads": g.integers(1, 1 << P, steps.size).tolist()}}]
    projs = []
    for p in pops:
        prob = float(r.uniform(0.5, 1.0) if congested else r.uniform(0.1, 0.6))
        projs.append({"source": "in", "target": p["name"], "connect": {"kind": "fixed_probability", "p": prob},
                      "weight": {"kind": "uniform", "low": 1, "high": wmax}})
    for a in pops:
        for b in pops:
            if r.random() < (0.9 if congested else 0.5):
                prob = float(r.uniform(0.3, 0.9) if congested else r.uniform(0.05, 0.4))
                projs.append({"source": a["name"], "target": b["name"],
                              "connect": {"kind": "fixed_probability", "p": prob},
                              "weight": {"kind": "uniform", "low": int(-wmax // 2), "high": wmax}})
    _plasticity(chip, seed, projs, wmax)
    return NetworkSpec.model_validate({"name": f"random-net-{seed}{'-congested' if congested else ''}",
                                       "seed": seed, "populations": pops, "inputs": inputs,
                                       "projections": projs})


def fit(chip: ChipConfig, specs: list[NetworkSpec], seed: int, options) -> ChipConfig:
    """The chip with capacities fitted to what the networks need (placed with ``options``: one
    CompileOptions, or one per network), plus a small random slack (sometimes none: a core exactly
    full)."""
    r = np.random.default_rng([seed, 3])
    need = {"axons": 1, "synapse_words": 1, "fanout_entries": 1, "profiles": 1}
    table = 1
    acc = chip.bits.weight
    opts = options if isinstance(options, (list, tuple)) else [options] * len(specs)
    for spec, opt in zip(specs, opts):
        net = spec.instantiate()
        prog = compile_network(net, chip.with_overrides({"bits.accumulator": 32}), opt)
        u = prog.core_usage()
        for k in ("axons", "synapse_words", "fanout_entries", "profiles"):
            need[k] = max(need[k], int(u[k].max()))
        table = max(table, int(prog.router_usage()["table_entries"].max(initial=0)))
        if chip.core.learning == "stdp":
            need["learning_entries"] = max(need.get("learning_entries", 1),
                                           int(np.diff(prog.core_rev_offset).max(initial=1)))
        qmax = np.where(net.graded_sources[net.syn_source], (1 << chip.bits.payload) - 1, 1)
        w_abs = np.abs(net.syn_weight).astype(float)
        for i, rule in enumerate(net.rules):            # a plastic weight can reach its bounds
            w_abs[net.plastic_rule == i] = np.maximum(w_abs[net.plastic_rule == i], max(abs(rule.w_min),
                                                                                       abs(rule.w_max)))
        fan_in = np.bincount(net.syn_target, weights=w_abs * qmax, minlength=net.n_neurons)
        acc = max(acc, int(fan_in.max(initial=0)).bit_length() + 1)
    slack = lambda: int(r.choice([0, 0, 1, 2, 3]))  # noqa: E731
    acc = max(acc + int(r.integers(0, 3)), chip.bits.weight + chip.bits.payload)   # a synapse's weight x payload fits
    over = {**{f"core.{k}": v + slack() for k, v in need.items()}, "bits.accumulator": min(32, acc)}
    if chip.router.routing == "multicast":
        over["router.table_entries"] = table + slack()
    return chip.with_overrides(over)


def random_cases(seed: int, n_nets: int = 2, *, max_w: int = 4, max_h: int = 4, noc: bool = False):
    """One seeded random chip and ``n_nets`` random networks for it (every second one congested):
    (chip, [network spec], compile options). ``noc``: the NoC is drawn too (see random_chip)."""
    r = np.random.default_rng([seed, 4])
    chip = random_chip(seed, max_w, max_h, noc)
    options = CompileOptions(placement=str(r.choice(["sequential", "balanced", "snake"]
                                                    + (["traffic"] if noc else []))))
    first_congested = bool(r.random() < 0.5)
    specs = [random_network(chip, seed * 16 + j, congested=(j % 2 == 1) ^ first_congested) for j in range(n_nets)]
    return fit(chip, specs, seed, options), specs, options
