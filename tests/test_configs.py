"""Examples and configs are tests: every YAML under configs/ loads."""
from pathlib import Path

import pytest

from neurocycle.hw import load_chip, load_system
from neurocycle.sim import load_network

CONFIGS = Path(__file__).resolve().parents[1] / "configs"


@pytest.mark.parametrize("path", sorted((CONFIGS / "chips").glob("*.yaml")), ids=lambda p: p.stem)
def test_chip_presets_load(path):
    chip = load_chip(path)
    assert chip.name == path.stem  # preset name == file name, so `neurocycle run NAME` finds it
    assert chip.derived.n_cores == chip.mesh.width * chip.mesh.height


@pytest.mark.parametrize("path", sorted((CONFIGS / "networks").glob("*.yaml")), ids=lambda p: p.stem)
def test_network_presets_load_and_sample(path):
    spec, base = load_network(path)
    net = spec.instantiate(base_dir=base)
    assert net.n_neurons > 0
    net.stimulus(3)


@pytest.mark.parametrize("path", sorted((CONFIGS / "sweeps").glob("*.yaml")), ids=lambda p: p.stem)
def test_sweep_files_validate(path, cli):
    cli("validate", path, "--kind", "sweep")


@pytest.mark.parametrize("path", sorted((CONFIGS / "systems").glob("*.yaml")), ids=lambda p: p.stem)
def test_system_presets_load(path):
    system = load_system(path)
    assert system.name == path.stem
    assert system.derived.n_chips == system.grid.width * system.grid.height


def test_every_yaml_is_covered():
    kinds = {"chips", "networks", "sweeps", "systems"}
    stray = [p for p in CONFIGS.rglob("*.yaml") if p.parent.name not in kinds]
    assert not stray, f"YAML outside configs/{{chips,networks,sweeps,systems}} is not tested: {stray}"
