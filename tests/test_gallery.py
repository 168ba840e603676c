"""The workload gallery (configs/networks): every network compiles and runs on the chip preset
its header names, and does what its description says."""
import importlib.util
import re
from pathlib import Path

import numpy as np
import pytest

from neurocycle.hw import list_presets, load_chip
from neurocycle.sim import load_network, simulate

NETWORKS = Path(__file__).resolve().parents[1] / "configs" / "networks"
GALLERY = ["brunel-ei", "ff-classifier", "conv-snn", "synfire-chain", "winner-take-all", "textbook-lif-2mv",
           "textbook-lif-20mv", "potjans-diesmann", "stdp-pattern"]
SILENT = {"textbook-lif-2mv"}       # its description says it never fires (tests/test_neurons.py)


def intended_preset(name: str) -> str:
    head = (NETWORKS / f"{name}.yaml").read_text().splitlines()[0]
    m = re.fullmatch(r"# Intended (chip|system) preset: ([\w\-]+)", head)
    assert m, f"{name}.yaml must start with '# Intended chip preset: NAME' (or system), got {head!r}"
    assert m.group(2) in list_presets(m.group(1) + "s"), f"{name}: no {m.group(1)} preset {m.group(2)}"
    return m.group(2)


@pytest.mark.parametrize("name", GALLERY)
def test_workload_compiles_and_runs_on_its_preset(name):
    chip = intended_preset(name)
    spec, _ = load_network(name)                 # by preset name, as `neurocycle run CHIP NAME`
    assert spec.name == name and len(spec.description) > 40
    ref = simulate(chip, name, steps=30, backend="reference")
    cyc = simulate(chip, name, steps=30, backend="cycle")
    if name in SILENT:
        assert ref.result.n_spikes == 0, "the workload's neurons must stay silent"
    else:
        assert ref.result.n_spikes > 0, "the workload must be active within 30 timesteps"
    assert np.array_equal(ref.result.spike_steps, cyc.result.spike_steps)
    assert np.array_equal(ref.result.spike_neurons, cyc.result.spike_neurons)
    assert cyc.total_cycles > 30 * cyc.chip.barrier_cycles


def test_gallery_covers_every_input_generator():
    kinds = set()
    for name in GALLERY:
        spec, _ = load_network(name)
        kinds |= {g.source.kind for g in spec.inputs}
    assert kinds == {"poisson", "regular", "array"}
    assert [name for name in GALLERY if "array" in {g.source.kind for g in load_network(name)[0].inputs}] == [
        "conv-snn", "stdp-pattern"]


def test_every_gallery_yaml_is_listed():
    """Every network YAML that names an intended preset is in the gallery (and so tested here)."""
    headed = {p.stem for p in NETWORKS.glob("*.yaml")
              if p.read_text().startswith(("# Intended chip preset:", "# Intended system preset:"))}
    assert headed == set(GALLERY)


def _load_script():
    spec = importlib.util.spec_from_file_location("make_gallery_data", NETWORKS / "make_gallery_data.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_data_files_are_reproduced_by_the_script(tmp_path):
    files = _load_script().build(tmp_path)
    assert {f.name for f in files} == {"dvs-bar-events.npz", "conv-snn-conv1.npz", "conv-snn-pool1.npz",
                                       "stdp-pattern.npz"}
    for f in files:
        with np.load(f) as new, np.load(NETWORKS / f.name) as old:
            assert sorted(new.files) == sorted(old.files)
            for k in new.files:
                assert np.array_equal(new[k], old[k]), f"{f.name}:{k} differs: re-run make_gallery_data.py"
        assert (NETWORKS / f.name).stat().st_size < 64 * 1024, "keep the gallery data small"


def test_event_file_is_shaped_like_event_camera_data():
    with np.load(NETWORKS / "dvs-bar-events.npz") as z:
        t, x, y, p = z["t_us"], z["x"], z["y"], z["p"]
        steps, ch = z["steps"], z["channels"]
        c, h, w = z["sensor_shape"]
    assert (c, h, w) == (2, 32, 32)
    assert (np.diff(t) >= 0).all() and t.min() >= 0 and t.max() < 100_000
    assert x.min() >= 0 and x.max() < w and y.min() >= 0 and y.max() < h and set(np.unique(p)) == {0, 1}
    assert np.array_equal(steps, t // 1000)
    assert np.array_equal(ch, p.astype(np.int64) * h * w + y.astype(np.int64) * w + x)
    # the ON edge of the bright bar moves right: mean x of ON events grows over the first 60 ms
    on_early = x[(p == 1) & (t < 20_000)].mean()
    on_late = x[(p == 1) & (t > 40_000) & (t < 60_000)].mean()
    assert on_late > on_early + 5


def test_conv_layer_matches_the_edge_kernels():
    mod = _load_script()
    k = mod.edge_kernels()
    with np.load(NETWORKS / "conv-snn-conv1.npz") as z:
        s, t, w = z["source"], z["target"], z["weight"]
    # output (channel 0, y=5, x=7) sees input rows 9..11, columns 13..15 (stride 2, padding 1)
    o = (0 * 16 + 5) * 16 + 7
    got = {int(si): int(wi) for si, wi in zip(s[t == o], w[t == o])}
    want = {}
    for ci in range(2):
        for ky in range(3):
            for kx in range(3):
                if k[0, ci, ky, kx]:
                    want[(ci * 32 + 9 + ky) * 32 + 13 + kx] = int(k[0, ci, ky, kx])
    assert got == want


def test_synfire_volley_travels_one_group_per_step():
    run = simulate("tiny-2x2", "synfire-chain", steps=18, backend="reference")
    st, ids = run.spikes
    for g in range(8):      # trigger at step 2 -> group g fires, all 8 neurons together, at 3 + g
        assert st[ids // 8 == g].tolist() == [3 + g] * 8, f"group {g}"


def test_winner_take_all_picks_the_strongest_input():
    run = simulate("odin-like", "winner-take-all", steps=400, backend="reference")
    rates = [run.spike_counts(f"e{i}").mean() for i in range(4)]
    assert np.argmax(rates) == 3
    assert rates[3] > 4 * max(rates[:3])


def test_brunel_network_is_balanced():
    """Irregular firing at a moderate rate; without inhibition the same drive runs away."""
    run = simulate("default-4x4", "brunel-ei", steps=300, backend="reference")
    rate_hz = run.spike_counts("exc").mean() / 0.3
    assert 5 < rate_hz < 40
    st, ids = run.spikes_of("exc")
    cvs = []
    for i in range(0, 1200, 12):
        d = np.diff(st[ids == i])
        if d.size > 3:
            cvs.append(d.std() / d.mean())
    assert np.mean(cvs) > 0.3, "single neurons must fire irregularly"
    spec, _ = load_network("brunel-ei")
    data = spec.model_dump()
    for pr in data["projections"]:
        if pr["source"] == "inh":
            pr["weight"] = 0
    from neurocycle.sim import NetworkSpec
    free = simulate("default-4x4", NetworkSpec.model_validate(data), steps=100, backend="reference")
    assert free.spike_counts("exc").mean() / 0.1 > 5 * rate_hz


def test_potjans_diesmann_file_is_reproduced_by_the_script(tmp_path):
    spec = importlib.util.spec_from_file_location("make_potjans_diesmann", NETWORKS / "make_potjans_diesmann.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    out = tmp_path / "pd.yaml"
    mod.main(["--out", str(out)])
    assert out.read_text() == (NETWORKS / "potjans-diesmann.yaml").read_text(), "re-run make_potjans_diesmann.py"
    # the published model: 8 populations, 77,169 neurons at full scale, the connection probabilities
    assert sum(mod.N_FULL) == 77169 and len(mod.CONN_P) == 8 and all(len(r) == 8 for r in mod.CONN_P)
    assert abs(mod.psc_amplitude_pa() - 87.81) < 0.01          # the 0.15 mV PSP of Potjans & Diesmann
    net = mod.network(0.02)
    assert [p["size"] for p in net["populations"]] == [round(n * 0.02) for n in mod.N_FULL]


def test_potjans_diesmann_runs_on_a_system_with_traffic_between_chips():
    """The gallery's microcircuit on its 2 x 2 Loihi-like system: every chip holds neurons and
    spikes cross the chip-to-chip links (per-chip and per-link traffic in the report)."""
    run = simulate("loihi-2x2", "potjans-diesmann", steps=40, backend="cycle")
    rep = run.report()
    chips = rep["system"]["chips"]
    assert len(chips) == 4 and all(c["neurons"] > 0 and c["spikes"] > 0 for c in chips)
    assert rep["system"]["link_flits"] > 1000 and rep["results"]["energy"]["links_dynamic_pj"] > 0


def test_stdp_pattern_data_hides_the_pattern_in_noise():
    """The pattern afferents fire at the noise rate inside the pattern too (the rate gives nothing
    away); the pattern repeats exactly at every recorded start."""
    with np.load(NETWORKS / "stdp-pattern.npz") as z:
        st, ch = z["steps"].astype(int), z["channels"].astype(int)
        starts, pch, plen = z["pattern_starts"].astype(int), z["pattern_channels"].astype(int), int(z["pattern_len"])
    steps = 16000
    inside = np.zeros(steps, bool)
    for s in starts:
        inside[s:s + plen] = True
    rate_in = np.isin(ch[inside[st]], pch).sum() / (inside.sum() * pch.size)
    rate_out = np.isin(ch[~inside[st]], pch).sum() / ((~inside).sum() * pch.size)
    assert 0.012 < rate_in < 0.028 and 0.017 < rate_out < 0.023
    first = {(int(t - starts[0]), int(c)) for t, c in zip(st, ch) if starts[0] <= t < starts[0] + plen and c in set(pch)}
    for s in starts[1:]:
        occ = {(int(t - s), int(c)) for t, c in zip(st, ch) if s <= t < s + plen and c in set(pch)}
        assert occ == first
    assert len(starts) > 50
