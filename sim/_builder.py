"""A small Python builder for networks: the same schema as the YAML files, validated once.

    net = NetworkBuilder("demo", seed=1)
    net.population("exc", 100, LIF(tau_m=20, tau_syn=5, v_rest=-65, v_reset=-65, v_thresh=-45, tau_refrac=2))
    net.poisson_input("stim", 10, rate_hz=50)
    net.connect("stim", "exc", "fixed_probability", p=0.1, weight=30)
    spec = net.build()
"""
from __future__ import annotations

from typing import Any

from neurocycle.hw import validate_data

from ._network import LIF, LIFFixed, NetworkSpec


class NetworkBuilder:
    def __init__(self, name: str = "network", *, seed: int = 0, dt_ms: float = 1.0, mv_per_lsb: float = 0.01,
                 description: str = ""):
        self._data: dict[str, Any] = {"name": name, "description": description, "seed": seed,
                                      "fixed_point": {"dt_ms": dt_ms, "mv_per_lsb": mv_per_lsb},
                                      "populations": [], "inputs": [], "projections": []}

    def population(self, name: str, size: int, neuron: "LIF | LIFFixed | dict", *, spikes: str = "binary") -> str:
        """Add a population; ``neuron`` is a LIF/LIFFixed model or the equivalent dict; ``spikes``
        'binary' (default) or 'graded' (multi-threshold output, needs a chip with bits.payload > 0)."""
        if not isinstance(neuron, dict):
            neuron = neuron.model_dump()
        pop = {"name": name, "size": size, "neuron": neuron}
        if spikes != "binary":
            pop["spikes"] = spikes
        self._data["populations"].append(pop)
        return name

    def input(self, name: str, size: int, source: dict, *, spikes: str = "binary") -> str:
        group = {"name": name, "size": size, "source": source}
        if spikes != "binary":
            group["spikes"] = spikes
        self._data["inputs"].append(group)
        return name

    def poisson_input(self, name: str, size: int, rate_hz: float) -> str:
        return self.input(name, size, {"kind": "poisson", "rate_hz": rate_hz})

    def regular_input(self, name: str, size: int, period_steps: int, phase_steps: int = 0,
                      stagger: bool = False) -> str:
        return self.input(name, size, {"kind": "regular", "period_steps": period_steps,
                                       "phase_steps": phase_steps, "stagger": stagger})

    def array_input(self, name: str, size: int, steps=None, channels=None, file: str | None = None,
                    payloads=None, *, spikes: str | None = None) -> str:
        """Explicit input spikes; with ``payloads`` (one value 1..65535 per spike) the group is graded."""
        src: dict[str, Any] = {"kind": "array"}
        if file is not None:
            src["file"] = file
        else:
            src["steps"], src["channels"] = [int(s) for s in steps], [int(c) for c in channels]
            if payloads is not None:
                src["payloads"] = [int(q) for q in payloads]
        return self.input(name, size, src, spikes=spikes or ("graded" if payloads is not None else "binary"))

    def connect(self, source: str, target: str, kind: str = "all_to_all", *, weight: "int | dict" = 1,
                name: str | None = None, delay_steps: "int | dict | None" = None, delay_ms: float | None = None,
                plasticity: dict | None = None, **params) -> None:
        """Add a projection: ``kind`` is a connectivity kind, ``params`` its fields (p, k, pairs,
        allow_self, file); ``weight`` an int or a distribution dict ({'kind': 'uniform', ...});
        ``delay_steps`` (total delay in timesteps, an int or a distribution dict) or ``delay_ms``;
        ``plasticity`` an STDP rule dict ({'rule': 'stdp', 'a_plus': ..., ...})."""
        proj: dict[str, Any] = {"source": source, "target": target, "connect": {"kind": kind, **params},
                                "weight": weight}
        if name is not None:
            proj["name"] = name
        if delay_steps is not None:
            proj["delay_steps"] = delay_steps
        if delay_ms is not None:
            proj["delay_ms"] = delay_ms
        if plasticity is not None:
            proj["plasticity"] = plasticity
        self._data["projections"].append(proj)

    def build(self) -> NetworkSpec:
        """Validate and return the network spec (raises ConfigError naming the bad field)."""
        return validate_data(NetworkSpec, self._data, what="network")
