"""The command line: run, validate, presets, --help, error messages and result files."""
import json



def test_help_everywhere(cli):
    top = cli("--help").stdout
    for cmd in ("run", "validate", "presets"):
        assert cmd in top
        assert "usage: neurocycle " + cmd in cli(cmd, "--help").stdout


def test_run_default_writes_report_and_raster(cli, tmp_path):
    proc = cli("run", "--steps", "30", "--out", tmp_path / "o", "--quiet", "--backend", "reference")
    assert "timesteps" in proc.stdout and "firing rate" in proc.stdout and "per-core load" in proc.stdout
    rep = json.loads((tmp_path / "o" / "report.json").read_text())
    assert rep["backend"] == "reference" and rep["seed"] == 1 and rep["steps"] == 30
    assert rep["chip"]["name"] == "default-4x4" and rep["network"]["name"] == "default-net"
    assert rep["versions"]["numpy"] and rep["network_summary"]["neurons"] == 1024
    assert len(rep["results"]["spikes_per_step"]) == 30
    assert sum(rep["results"]["spikes_per_core"]) == rep["results"]["spikes"]
    png = (tmp_path / "o" / "raster.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    lines = (tmp_path / "o" / "spikes.csv").read_text().splitlines()
    assert lines[0].startswith("timestep,neuron") and len(lines) == rep["results"]["spikes"] + 1


def test_run_bad_input_is_a_clear_error_and_writes_nothing(cli, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("mesh: {width: 2, height: 2}\ncore: {neurons: 0}\n")
    proc = cli("run", bad, "--out", tmp_path / "o", check=False)
    assert proc.returncode == 2
    assert "core.neurons" in proc.stderr and "greater than or equal to 1" in proc.stderr and "Traceback" not in proc.stderr
    assert not (tmp_path / "o").exists()
    proc = cli("run", "tiny-2x2", "default-net", "--out", tmp_path / "o", check=False)
    assert proc.returncode == 2
    assert "mesh: the network has 1,024 neurons but the chip holds 4 cores" in proc.stderr
    assert "Fix: use a mesh of at least 64 cores" in proc.stderr and "Traceback" not in proc.stderr
    assert not (tmp_path / "o").exists()
    proc = cli("run", "--steps", "0", check=False)
    assert proc.returncode == 2 and "steps" in proc.stderr
    proc = cli("run", "--backend", "magic", check=False)
    assert proc.returncode == 2 and "invalid choice" in proc.stderr


def test_validate(cli, tmp_path):
    ok = cli("validate", "tiny-2x2", "default-net")
    assert ok.stdout.count("ok") == 2
    bad = tmp_path / "net.yaml"
    bad.write_text("populations:\n  - {name: a, size: 3, neuron: {vth: 1}}\nprojections:\n"
                   "  - {source: a, target: zz, connect: {kind: all_to_all}}\n")
    proc = cli("validate", bad, check=False)
    assert proc.returncode == 1
    assert "projections[0].target" in proc.stdout and "net.yaml:4" in proc.stdout


def test_presets(cli):
    out = cli("presets").stdout
    for name in ("tiny-2x2", "default-4x4", "loihi-like", "truenorth-like", "odin-like", "default-net"):
        assert name in out
