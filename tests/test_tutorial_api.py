"""The Python result API the tutorial uses: everything the CLI writes is reachable from a Run."""
import dataclasses
import json

import numpy as np
import pytest

from neurocycle.hw import ConfigError, energy_params, load_chip
from neurocycle.sim import Spikes, simulate


@pytest.fixture(scope="module")
def run():
    return simulate("tiny-2x2", "synfire-chain", steps=40, seed=2, backend="cycle")


def test_spikes_and_populations(run):
    steps, neurons = run.spikes
    assert isinstance(run.spikes, Spikes) and steps.size == neurons.size == run.result.n_spikes
    assert (np.diff(steps) >= 0).all()
    total = 0
    for p in run.spec.populations:
        s = run.spikes_of(p.name)
        assert s.neurons.min(initial=0) >= 0 and s.neurons.max(initial=0) < p.size
        assert run.spike_counts(p.name).sum() == s.steps.size
        total += s.steps.size
    assert total == run.result.n_spikes
    assert run.spike_counts().size == run.net.n_neurons
    with pytest.raises(ConfigError, match="is not a population"):
        run.spikes_of("nope")


def test_cycles_counters_energy(run):
    assert run.step_cycles.shape == (40,) and run.total_cycles == int(run.step_cycles.sum())
    assert run.counter_totals()["spikes"] == run.result.n_spikes
    assert set(run.counters) >= {"synaptic_ops", "router_flits", "host_flits", "cycles"}
    e = run.energy()
    assert e.total_pj > 0 and e.synaptic_ops == run.counter_totals()["synaptic_ops"]
    # re-pricing the same events: doubling every per-event energy doubles the dynamic energy
    params = energy_params(load_chip("tiny-2x2"))
    doubled = dataclasses.replace(params, events_pj={k: 2 * v for k, v in params.events_pj.items()})
    assert run.energy(doubled).dynamic_pj == pytest.approx(2 * e.dynamic_pj)
    ref = simulate("tiny-2x2", "synfire-chain", steps=5, backend="reference")
    assert ref.step_cycles is None and ref.counters == {}
    with pytest.raises(ConfigError, match="cycle"):
        ref.energy()
    with pytest.raises(ConfigError, match="no cycle information"):
        ref.plot_step_cycles()


def test_plots(run, tmp_path):
    for q in ("spikes", "synaptic_ops", "router_flits", "neurons", "synapse_words"):
        fig = run.plot_core_heatmap(q, tmp_path / f"{q}.png")
        assert fig is not None and (tmp_path / f"{q}.png").stat().st_size > 0
    with pytest.raises(ConfigError, match="use one of: spikes, neuron_updates_active"):
        run.plot_core_heatmap("temperature")
    run.plot_raster(tmp_path / "r.png")
    run.plot_step_cycles(tmp_path / "c.png")
    run.plot_energy_breakdown(tmp_path / "e.png")
    assert all((tmp_path / f).stat().st_size > 0 for f in ("r.png", "c.png", "e.png"))


def test_save_writes_what_the_cli_writes(run, tmp_path, cli):
    files = run.save(tmp_path / "py")
    assert sorted(f.name for f in files) == ["cycles.png", "hops.png", "noc.png", "noc_steps.png", "raster.png",
                                             "report.json", "spikes.csv"]
    cli("run", "tiny-2x2", "synfire-chain", "--steps", "40", "--seed", "2", "--backend", "cycle",
        "--out", tmp_path / "cli", "--quiet")
    for name in ("raster.png", "cycles.png", "spikes.csv", "report.json", "noc.png", "noc_steps.png", "hops.png"):
        assert (tmp_path / "cli" / name).exists()
    assert (tmp_path / "py" / "spikes.csv").read_text() == (tmp_path / "cli" / "spikes.csv").read_text()
    py = json.loads((tmp_path / "py" / "report.json").read_text())
    cl = json.loads((tmp_path / "cli" / "report.json").read_text())
    for key in ("chip", "network", "seed", "steps", "mapping", "network_summary"):
        assert py[key] == cl[key], key
    for key in ("spikes", "spikes_per_step", "spikes_per_core", "step_cycles", "counters"):
        assert py["results"][key] == cl["results"][key], key
