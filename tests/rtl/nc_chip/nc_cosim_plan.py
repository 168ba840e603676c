"""The chips the default test run co-simulates (model vs RTL), declared in one place:
test_nc_chip.py runs them, test_rtl_coverage.py checks that together they take every RTL
parameter away from its default, and docs/rtl-coverage.md is the table they make
(``python tests/rtl/nc_chip/nc_cosim_plan.py`` rewrites it; a test checks it is current)."""
from __future__ import annotations

import sys
from pathlib import Path

from nc_random_cases import random_cases
from neurocycle.hw import ChipConfig, layout, load_chip
from neurocycle.rtl import chip_parameters
from neurocycle.sim import CompileOptions, NetworkSpec

# seeded random chips of the default run (mesh up to 3 x 2): seed 4 is a binary event-driven
# 2x2 chip (2-bit scan words) with delays of 1..8 timesteps and STDP (12-bit traces), seed 6 a
# graded (1-bit payload) dense 1x2 chip with delays of 1..5 timesteps and STDP (4-bit traces)
RANDOM_SEEDS = (4, 6)
RANDOM_MAX_MESH = (3, 2)
NOC_SEEDS = (17,)   # seeded random chips with a drawn NoC (seed 17: 1x2 routers x 3 cores, multicast, 2-bit payloads, event-driven)
COVERAGE_SEED = 11
# build options of the coverage chip: a host queue and a counter width other than the defaults
COVERAGE_BUILD = {"host_queue_depth": 256, "cnt_bits": 40}


def coverage_case():
    """A 2-D, non-square chip with the host link above row 0 and every parameter away from its
    default (deep FIFOs, 5 lanes, 3 cycles per synapse word, odd widths, 5-bit graded payloads,
    event-driven update with 4-bit scan words, delays of 1..4 timesteps, STDP with 10-bit traces),
    with two random networks fitted to it (random delays, some projections plastic):
    (chip, [network specs], compile options, build options)."""
    from nc_random_cases import fit, random_network

    base = load_chip({
        "name": "coverage-3x2", "barrier_cycles": 5, "mesh": {"width": 3, "height": 2},
        "core": {"neurons": 11, "axons": 256, "synapse_words": 4096, "synapse_lanes": 5, "synapse_word_cycles": 3,
                 "fanout_entries": 1024, "profiles": 8, "fifo_depth": 6},
        "router": {"fifo_depth": 5},
        "bits": {"weight": 7, "state": 13, "accumulator": 24, "refractory": 2, "payload": 5},
        "host": {"row": 1}})
    base = base.with_overrides({"core.neuron_update": "event", "core.scan_word_bits": 4, "core.delay_slots": 4,
                                "core.learning": "stdp", "bits.trace": 10})
    specs = [random_network(base, COVERAGE_SEED * 16 + j, congested=j == 1) for j in range(2)]
    options = CompileOptions(placement="snake")
    return fit(base, specs, COVERAGE_SEED, options), specs, options, dict(COVERAGE_BUILD)


# the directed graded / event-driven cases (test_nc_chip.py): tiny-2x2 with 3-bit payloads and
# an event-driven update scanning 4-bit words
DIRECTED_GRADED_EVENT = {"bits.payload": 3, "core.neuron_update": "event", "core.scan_word_bits": 4}


def directed_graded_event_chip() -> ChipConfig:
    return load_chip("tiny-2x2").with_overrides(DIRECTED_GRADED_EVENT)


# the directed delay / STDP cases (test_nc_chip.py, the timelines of tests/test_delays_learning.py):
# tiny-2x2's core on a 1x1 mesh, barrier 3, delays up to 3 timesteps, STDP
DIRECTED_DELAY_STDP = {"mesh.width": 1, "mesh.height": 1, "barrier_cycles": 3, "core.delay_slots": 3,
                       "core.learning": "stdp", "bits.weight": 8, "bits.accumulator": 16}


def directed_delay_stdp_chip() -> ChipConfig:
    return load_chip("tiny-2x2").with_overrides(DIRECTED_DELAY_STDP)


NOC_SEED = 12


def noc_directed_networks() -> list[dict]:
    """Directed programs of the NoC chip (3x1 routers x 2 cores = cores 0..5, one neuron per core,
    placement sequential): hand-derived timelines in test_nc_chip.py."""
    lif = lambda vth, bias=0, ref=0: {"model": "lif_fixed", "vth": vth, "bias": bias, "refractory": ref}  # noqa: E731
    fan = {"name": "noc-fan", "populations": [{"name": "src", "size": 1, "neuron": lif(5, 10, 7)},
                                              {"name": "rest", "size": 5, "neuron": lif(1000)}],
           "projections": [{"source": "src", "target": "rest", "weight": 5,
                            "connect": {"kind": "explicit", "pairs": [[0, 0], [0, 1], [0, 4]]}}]}
    contend = {"name": "noc-contend", "populations": [{"name": "a", "size": 2, "neuron": lif(5, 10, 7)},
                                                      {"name": "rest", "size": 4, "neuron": lif(1000)}],
               "projections": [{"source": "a", "target": "rest", "weight": 5,
                                "connect": {"kind": "explicit", "pairs": [[0, 0], [1, 0]]}}]}
    return [fan, contend]


def noc_case():
    """A multicast chip with two cores per router (3x1 routers, 6 cores, host row 0, a core FIFO
    of depth 1 so that partial forwards happen) with the directed programs and two random
    networks (one congested), capacities and the multicast table fitted to all four:
    (chip, [networks], [compile options], build options)."""
    from nc_random_cases import fit, random_network

    base = load_chip({
        "name": "noc-3x1x2", "barrier_cycles": 3,
        "mesh": {"width": 3, "height": 1, "cores_per_router": 2},
        "core": {"neurons": 5, "axons": 256, "synapse_words": 4096, "synapse_lanes": 2, "fanout_entries": 1024,
                 "profiles": 8, "fifo_depth": 1},
        "router": {"fifo_depth": 2, "routing": "multicast", "table_entries": 4096},
        "bits": {"weight": 6, "state": 12, "accumulator": 24, "refractory": 3}})
    directed = noc_directed_networks()
    randoms = [random_network(base, NOC_SEED * 16 + j, congested=j == 1) for j in range(2)]
    one = CompileOptions(placement="sequential", neurons_per_core=1)
    rand_opts = CompileOptions(placement="traffic")
    specs = [NetworkSpec.model_validate(n) for n in directed] + randoms
    options = [one, one, rand_opts, rand_opts]
    return fit(base, specs, NOC_SEED, options), specs, options, {}


def default_run_builds() -> list[tuple[str, ChipConfig, dict]]:
    """(label, chip, build options) of every chip the default run co-simulates."""
    out = [("tiny-2x2 preset", load_chip("tiny-2x2"), {}),
           ("tiny-2x2, graded, event-driven", directed_graded_event_chip(), {}),
           ("tiny-2x2 core, delays, STDP", directed_delay_stdp_chip(), {})]
    for seed in RANDOM_SEEDS:
        chip, _, _ = random_cases(seed, 2, max_w=RANDOM_MAX_MESH[0], max_h=RANDOM_MAX_MESH[1])
        out.append((f"random chip, seed {seed}", chip, {}))
    chip, _, _, build = coverage_case()
    out.append(("coverage chip", chip, build))
    chip, _, _, build = noc_case()
    out.append(("NoC chip (multicast, 2 cores per router)", chip, build))
    for seed in NOC_SEEDS:
        chip, _, _ = random_cases(seed, 2, max_w=RANDOM_MAX_MESH[0], max_h=RANDOM_MAX_MESH[1], noc=True)
        out.append((f"random NoC chip, seed {seed}", chip, {}))
    return out


def coverage_table() -> tuple[dict[str, int], dict[str, list[int]]]:
    """(default value of every RTL parameter, the values the default run co-simulates)."""
    default = chip_parameters(ChipConfig())
    seen: dict[str, list[int]] = {p.name: [] for p in layout.RTL_PARAMS}
    for _, chip, build in default_run_builds():
        for k, v in chip_parameters(chip, **build).items():
            if v not in seen[k]:
                seen[k].append(v)
    return default, seen


def coverage_markdown() -> str:
    default, seen = coverage_table()
    lines = ["# RTL parameter coverage of the default test run", "",
             "Generated by `python tests/rtl/nc_chip/nc_cosim_plan.py` from the chips the default run co-simulates",
             "(model ≡ RTL on spikes, cycles and every counter; `tests/rtl/nc_chip/nc_cosim_plan.py`).",
             "`tests/rtl/test_rtl_coverage.py` checks that this page is current, that every parameter is",
             "co-simulated with at least one value other than its default (the schema-default chip), and",
             "that a 2-D, non-square mesh with the host link above row 0 is among them.", "",
             "Chips: " + "; ".join(f"{label} ({c.mesh.width}x{c.mesh.height}"
                                   + (f" x {c.mesh.cores_per_router} cores" if c.mesh.cores_per_router > 1 else "")
                                   + f", {c.router.routing}, host row {c.host.row})"
                                   for label, c, _ in default_run_builds()) + ".", "",
             "| parameter | from | default | co-simulated values |", "|---|---|---|---|"]
    for p in layout.RTL_PARAMS:
        vals = ", ".join(f"**{v}**" if v != default[p.name] else str(v) for v in sorted(seen[p.name]))
        lines.append(f"| `{p.name}` | `{p.source}` | {default[p.name]} | {vals} |")
    lines += ["", "Bold: a value other than the default.", ""]
    return "\n".join(lines)


DOC = Path(__file__).resolve().parents[3] / "docs" / "rtl-coverage.md"

if __name__ == "__main__":
    DOC.write_text(coverage_markdown(), encoding="utf-8")
    print(f"wrote {DOC}", file=sys.stderr)
