"""Systems of chips from the command line: run (report per chip and per link), validate, presets,
and the refusals of --workers (a chip, a latency of 0) before anything runs."""
from __future__ import annotations

import json


def test_run_a_system_writes_the_per_chip_and_per_link_report(cli, tmp_path):
    out = cli("run", "tiny-quad", "tiny-recurrent", "--steps", "15", "--out", tmp_path / "r", "--quiet").stdout
    assert "per chip — tiny-quad" in out and "chip-to-chip links: 16 directed" in out
    rep = json.loads((tmp_path / "r" / "report.json").read_text())
    sysrep = rep["system"]
    assert sysrep["grid"] == [2, 2] and sysrep["link_count"] == 16 and len(sysrep["chips"]) == 4
    assert sum(c["neurons"] for c in sysrep["chips"]) == rep["network_summary"]["neurons"]
    assert sysrep["link_flits"] == sum(x["flits"] for x in sysrep["links"]) > 0
    e = rep["results"]["energy"]
    assert e["links_dynamic_pj"] > 0 and len(e["per_link"]) == 16
    assert rep["chip"]["mesh"]["width"] == 4                         # the system mesh


def test_validate_and_presets_know_systems(cli, tmp_path):
    out = cli("validate", "tiny-quad", "loihi-2x2").stdout
    assert "system 'tiny-quad', 2x2 chips of 'tiny-2x2'" in out and "96 directed links" in out
    bad = tmp_path / "bad.yaml"
    bad.write_text("chip: tiny-2x2\ngrid: {width: 2, height: 1}\nlink_overrides:\n  - {chips: [[0, 0], [3, 0]]}\n")
    p = cli("validate", bad, check=False)
    assert p.returncode == 1 and "does not exist" in p.stdout and "link_overrides[0].chips[1]" in p.stdout
    assert "loihi-4x4" in cli("presets").stdout


def test_workers_refusals(cli, tmp_path):
    p = cli("run", "default-4x4", "tiny-recurrent", "--workers", "2", "--no-files", check=False)
    assert p.returncode == 2 and "--workers: partitions a system of chips" in p.stderr
    wire = tmp_path / "wire.yaml"
    wire.write_text("chip: tiny-2x2\ngrid: {width: 2, height: 1}\nlink_latency_cycles: 0\n")
    p = cli("run", wire, "tiny-recurrent", "--workers", "2", "--no-files", check=False)
    assert p.returncode == 2 and "link_latency_cycles: is 0" in p.stderr and "no window" in p.stderr
    cli("run", wire, "tiny-recurrent", "--steps", "5", "--no-files")      # one process: a wire is fine
