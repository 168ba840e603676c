"""Generate the Potjans-Diesmann cortical microcircuit for neurocycle at a given scale
(deterministic; tests/test_gallery.py checks that the committed gallery file is what this writes).

    python configs/networks/make_potjans_diesmann.py                 # the gallery file (scale 0.05)
    python configs/networks/make_potjans_diesmann.py --scale 0.25 --out pd-0.25.yaml

The model is Potjans & Diesmann, Cereb. Cortex 24(3):785-806, 2014 (docs/references.md): four
layers (L2/3, L4, L5, L6), an excitatory and an inhibitory population each (77,169 neurons at full
scale), random connectivity with the published connection probabilities (their Table 5; a
source-target pair is connected with probability p), current-based LIF neurons (tau_m 10 ms,
C_m 250 pF, tau_syn 0.5 ms, threshold 15 mV above rest, reset to rest, 2 ms refractory), a mean
PSP of 0.15 mV (the PSC amplitude that gives it, 87.8 pA), inhibition g = -4 times excitation and
the L4E -> L2/3E weight doubled. The background input is their DC variant: each neuron receives
the mean current of its K_ext Poisson inputs at 8 Hz as a constant current (K_ext x 8 Hz x J x
tau_syn), not the Poisson events themselves (a host link could not carry ~1 G events per second).

``scale`` scales the neuron numbers and, since the connection probabilities are kept, the
in-degrees. As in NEST's reference implementation of the model, the weights grow by
1/sqrt(scale) (the input's variance is kept) and each population receives, as more constant
current, the mean recurrent input that the missing synapses would have carried at the
full-scale model's published rates ((1 - sqrt(scale)) x sum_s K_full x J x rate_s x tau_syn).

On the chip: dt = 1 ms (the chip's one-timestep synaptic delay is 1 ms; the model's delays are
1.5 ms excitatory and 0.75 ms inhibitory), 0.02 mV per LSB, 9-bit weights (loihi-like). A weight
of 1 LSB gives a 0.028 mV PSP in the chip's fixed-point LIF, so 0.15 mV is 5.4 LSB at full scale
(5 after rounding) and 24 LSB at scale 0.05. docs/experiments.md compares the rates it fires at
with the published ones.
"""
from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

POPS = ("L23E", "L23I", "L4E", "L4I", "L5E", "L5I", "L6E", "L6I")
# Potjans & Diesmann 2014, Table 5 / Fig. 1: population sizes at full scale
N_FULL = (20683, 5834, 21915, 5479, 4850, 1065, 14395, 2948)
# connection probabilities, [target][source] (Potjans & Diesmann 2014, Table 5)
CONN_P = (
    (0.1009, 0.1689, 0.0437, 0.0818, 0.0323, 0.0, 0.0076, 0.0),
    (0.1346, 0.1371, 0.0316, 0.0515, 0.0755, 0.0, 0.0042, 0.0),
    (0.0077, 0.0059, 0.0497, 0.1350, 0.0067, 0.0003, 0.0453, 0.0),
    (0.0691, 0.0029, 0.0794, 0.1597, 0.0033, 0.0, 0.1057, 0.0),
    (0.1004, 0.0622, 0.0505, 0.0057, 0.0831, 0.3726, 0.0204, 0.0),
    (0.0548, 0.0269, 0.0257, 0.0022, 0.0600, 0.3158, 0.0086, 0.0),
    (0.0156, 0.0066, 0.0211, 0.0166, 0.0572, 0.0197, 0.0396, 0.2252),
    (0.0364, 0.0010, 0.0034, 0.0005, 0.0277, 0.0080, 0.0658, 0.1443),
)
K_EXT = (1600, 1500, 2100, 1900, 2000, 1900, 2900, 2100)       # external in-degrees (Table 5)
RATES_FULL = (0.971, 2.868, 4.746, 5.396, 8.142, 9.078, 0.991, 7.523)   # full-scale rates (Hz), for the compensation
BG_RATE_HZ = 8.0
PSP_MV = 0.15                 # mean excitatory PSP
G = -4.0                      # relative inhibitory strength
TAU_M, C_M_NF, TAU_SYN = 10.0, 0.25, 0.5     # ms, nF, ms
V_REST, V_TH, T_REF = -65.0, -50.0, 2.0      # mV, mV, ms
DT_MS, MV_PER_LSB = 1.0, 0.02
WEIGHT_BITS = 9


def psc_amplitude_pa() -> float:
    """The PSC amplitude (pA) whose PSP peaks at PSP_MV (the iaf_psc_exp kernel's maximum)."""
    t_peak = TAU_M * TAU_SYN * math.log(TAU_M / TAU_SYN) / (TAU_M - TAU_SYN)
    per_pa = TAU_SYN * TAU_M / (C_M_NF * 1000.0 * (TAU_M - TAU_SYN)) * (math.exp(-t_peak / TAU_M)
                                                                        - math.exp(-t_peak / TAU_SYN))
    return PSP_MV / per_pa


def lsb_psp_mv() -> float:
    """Peak PSP (mV) of a weight of 1 LSB in the chip's fixed-point LIF at DT_MS (the update of
    microarchitecture.md §7: u' = decay(u) + I, v' = decay(v) + u'; no truncation here)."""
    a_s, a_m = math.exp(-DT_MS / TAU_SYN), math.exp(-DT_MS / TAU_M)
    u = v = peak = 0.0
    for step in range(200):
        u = u * a_s + (1.0 if step == 0 else 0.0)
        v = v * a_m + u
        peak = max(peak, v)
    return peak * MV_PER_LSB


def network(scale: float, seed: int = 14) -> dict:
    if not 0.0 < scale <= 1.0:
        raise SystemExit(f"--scale {scale}: must be in (0, 1]")
    j_pa = psc_amplitude_pa()
    w_lsb = PSP_MV / lsb_psp_mv() / math.sqrt(scale)           # one excitatory synapse, in LSB
    sizes = [max(1, round(n * scale)) for n in N_FULL]
    wmax = (1 << (WEIGHT_BITS - 1)) - 1
    if round(-G * w_lsb) > wmax + 1:
        raise SystemExit(f"--scale {scale}: the inhibitory weight {round(G * w_lsb)} LSB does not fit {WEIGHT_BITS}-bit "
                         f"weights; use a scale of at least {(-G * PSP_MV / lsb_psp_mv() / (wmax + 1)) ** 2:.4f}")
    pops = []
    for t, name in enumerate(POPS):
        # DC background (the mean current of K_ext Poisson inputs) + the mean input of the synapses
        # that the scaled-down in-degrees leave out, at the full-scale rates (nA)
        dc = K_EXT[t] * BG_RATE_HZ * j_pa * TAU_SYN * 1e-6
        comp = 0.0
        for s in range(len(POPS)):
            rel = (G if s % 2 else (2.0 if (t, s) == (0, 2) else 1.0))
            comp += CONN_P[t][s] * N_FULL[s] * rel * j_pa * RATES_FULL[s] * TAU_SYN * 1e-6
        i_offset = dc + (1.0 - math.sqrt(scale)) * comp
        pops.append({"name": name, "size": sizes[t], "neuron": {
            "model": "lif", "tau_m": TAU_M, "cm": C_M_NF, "v_rest": V_REST, "v_reset": V_REST, "v_thresh": V_TH,
            "tau_syn": TAU_SYN, "tau_refrac": T_REF, "i_offset": round(i_offset, 6)}})
    projs = []
    for t in range(len(POPS)):
        for s in range(len(POPS)):
            p = CONN_P[t][s]
            if p == 0.0:
                continue
            rel = (G if s % 2 else (2.0 if (t, s) == (0, 2) else 1.0))
            conn = {"kind": "fixed_probability", "p": p}
            if s == t:
                conn["allow_self"] = False
            projs.append({"source": POPS[s], "target": POPS[t], "connect": conn, "weight": int(round(rel * w_lsb))})
    return {"name": "potjans-diesmann", "seed": seed, "fixed_point": {"dt_ms": DT_MS, "mv_per_lsb": MV_PER_LSB},
            "populations": pops, "projections": projs, "scale": scale}


def to_yaml(net: dict, preset: str = "loihi-2x2") -> str:
    scale = net.pop("scale")
    n = sum(p["size"] for p in net["populations"])
    syn = sum(pr["connect"]["p"] * next(p["size"] for p in net["populations"] if p["name"] == pr["source"])
              * next(p["size"] for p in net["populations"] if p["name"] == pr["target"]) for pr in net["projections"])
    lines = [f"# Intended system preset: {preset}",
             f"#   neurocycle run {preset} potjans-diesmann --steps 200",
             "# The Potjans-Diesmann cortical microcircuit (Cereb. Cortex 24(3):785, 2014) at scale "
             f"{scale:g}: {n:,} neurons, ~{syn:,.0f} synapses.",
             "# Generated by configs/networks/make_potjans_diesmann.py (its docstring gives the model, the DC",
             "# background, the scaling of weights and in-degrees, and the fixed point); do not edit, re-run it.",
             f"name: {net['name']}",
             "description: >-",
             f"  Potjans-Diesmann cortical microcircuit at scale {scale:g} ({n:,} neurons in 8 populations of 4 "
             "layers, the published connection probabilities, DC background); irregular low-rate firing. For "
             f"the {preset} system.",
             f"seed: {net['seed']}",
             f"fixed_point: {{dt_ms: {DT_MS}, mv_per_lsb: {MV_PER_LSB}}}",
             "populations:"]
    for p in net["populations"]:
        nn = p["neuron"]
        lines.append(f"  - name: {p['name']}")
        lines.append(f"    size: {p['size']}")
        lines.append("    neuron: {" + ", ".join(f"{k}: {v}" for k, v in nn.items()) + "}")
    lines.append("projections:")
    for pr in net["projections"]:
        c = pr["connect"]
        conn = f"{{kind: fixed_probability, p: {c['p']}" + (", allow_self: false}" if "allow_self" in c else "}")
        lines.append(f"  - {{source: {pr['source']}, target: {pr['target']}, connect: {conn}, weight: {pr['weight']}}}")
    return "\n".join(lines) + "\n"


GALLERY_SCALE = 0.05


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scale", type=float, default=GALLERY_SCALE, help=f"neurons and in-degrees (default {GALLERY_SCALE})")
    ap.add_argument("--preset", default="loihi-2x2", help="the system preset named in the header")
    ap.add_argument("--out", default=None, help="output YAML (default: the gallery file next to this script)")
    args = ap.parse_args(argv)
    out = Path(args.out) if args.out else Path(__file__).with_name("potjans-diesmann.yaml")
    out.write_text(to_yaml(network(args.scale), args.preset))
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
