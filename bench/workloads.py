"""Named benchmark workloads: each builds (chip, network instance, steps) reproducibly.

Add a workload by decorating a function with ``@workload("NAME", "description")``; it returns a
:class:`Workload`. Everything is seeded: the same name gives the same network every time.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from neurocycle.hw import ChipConfig, load_chip
from neurocycle.sim import NetworkInstance, load_network


@dataclass
class Workload:
    name: str
    description: str
    chip: ChipConfig
    net: NetworkInstance
    steps: int


WORKLOADS: dict[str, tuple[str, Callable[[], Workload]]] = {}


def workload(name: str, description: str):
    def deco(fn):
        WORKLOADS[name] = (description, fn)
        return fn
    return deco


def build(name: str, steps: int | None = None) -> Workload:
    if name not in WORKLOADS:
        raise SystemExit(f"unknown workload {name!r}; known: {', '.join(WORKLOADS)}")
    wl = WORKLOADS[name][1]()
    if steps is not None:
        wl.steps = steps
    return wl


# the W1 family lives in the package, so `neurocycle experiment noc` runs the same W1
from neurocycle.sim.experiments import fixed_out_degree_pairs, lif_network  # noqa: E402,F401


@workload("W1", "16,384 CUBA LIF neurons, 100 random outgoing synapses each (fixed out-degree, uniform "
                "targets), bias-driven at ~6% firing per timestep, 128 neurons/core on a 16x8 mesh, 1000 steps")
def w1() -> Workload:
    chip, net = lif_network(16384, 100, (16, 8), 128, seed=1, name="W1")
    return Workload("W1", WORKLOADS["W1"][0], chip, net, 1000)


@workload("W1-quarter", "W1 scaled by 1/4: 4,096 neurons, 100 synapses each, 128/core on an 8x4 mesh, 1000 steps")
def w1_quarter() -> Workload:
    chip, net = lif_network(4096, 100, (8, 4), 128, seed=1, name="W1-quarter")
    return Workload("W1-quarter", WORKLOADS["W1-quarter"][0], chip, net, 1000)


@workload("W1-multicast", "W1 on the same cores with multicast routing (router.routing: multicast, routing "
                          "tables fitted to the fullest router)")
def w1_multicast() -> Workload:
    from neurocycle.sim.experiments import noc_variant
    chip, net = lif_network(16384, 100, (16, 8), 128, seed=1, name="W1")
    chip, _ = noc_variant(chip, net, "multicast", 1)
    return Workload("W1-multicast", WORKLOADS["W1-multicast"][0], chip, net, 1000)


@workload("W1-c4", "W1 on the same 128 cores behind 8x4 routers with 4 cores each (unicast)")
def w1_c4() -> Workload:
    from neurocycle.sim.experiments import noc_variant
    chip, net = lif_network(16384, 100, (16, 8), 128, seed=1, name="W1")
    chip, _ = noc_variant(chip, net, "unicast", 4)
    return Workload("W1-c4", WORKLOADS["W1-c4"][0], chip, net, 1000)


@workload("default", "the embedded default chip (4x4) and network (1024 LIF + 64 Poisson inputs), 1000 steps")
def default() -> Workload:
    spec, base = load_network(None)
    net = spec.instantiate(spec.seed, base_dir=base)
    return Workload("default", WORKLOADS["default"][0], load_chip(None), net, 1000)
