"""Every bad input refused fast, clearly and without side effects (issue #15), one test per class:
files that cost unbounded time or memory, sizes checked before allocating, invalid input that
used to be accepted silently, tracebacks for ordinary mistakes, files in the wrong place,
misleading advice, and output folders that are replaced whole or not at all."""
import errno
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from neurocycle.hw import ConfigError, load_chip, parse_yaml, read_yaml
from neurocycle.sim import prepare
from neurocycle.sim._io import MARKER, OutputDir
from neurocycle.sim.cli import main

BIN = Path(sys.executable).parent / "neurocycle"
BOMB = "".join(f"{chr(97 + i)}: &{chr(97 + i)} [{', '.join([f'*{chr(96 + i)}'] * 9) if i else ', '.join(['x'] * 9)}]\n"
               for i in range(10))
NET = ("name: n\npopulations: [{name: a, size: 8, neuron: {model: lif_fixed, vth: 5, bias: 6}}]\n"
       "projections: [{source: a, target: a, connect: {kind: all_to_all}, weight: 1}]\n")


_PEAK = ("import resource, subprocess, sys\n"
         "p = subprocess.run(sys.argv[1:])\n"
         "print('PEAK_KIB', resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr)\n"
         "sys.exit(p.returncode)")


def cli(*args, cwd=None):
    """The real console script in a fresh process: exit code, stderr + stdout, wall time and its
    peak RSS in MiB (measured by a wrapper process whose only child it is)."""
    t0 = time.perf_counter()
    p = subprocess.run([sys.executable, "-c", _PEAK, str(BIN), *map(str, args)], capture_output=True, text=True,
                       cwd=cwd, env={**os.environ, "COLUMNS": "200"})
    wall = time.perf_counter() - t0
    err, _, peak = p.stderr.rpartition("PEAK_KIB ")
    return p.returncode, err + p.stdout, wall, int(peak.split()[0]) / 1024


# --------------------------------------------------------------------------- small files, unbounded cost
def test_alias_bomb_is_refused_fast_and_small(tmp_path):
    f = tmp_path / "bomb.yaml"
    f.write_text(BOMB)
    assert f.stat().st_size < 2000
    t0 = time.perf_counter()
    with pytest.raises(ConfigError, match=r"expands to more than 25,000 values"):
        read_yaml(f)
    assert time.perf_counter() - t0 < 10          # hang detection only (measured: bench/refusals.py)
    rc, out, wall, rss = cli("validate", f)
    assert rc == 1 and "expands to more than 25,000 values" in out and "Traceback" not in out
    assert rss < 300


def test_big_yaml_is_refused_before_it_is_read(tmp_path):
    f = tmp_path / "big.yaml"
    with open(f, "w") as fh:
        fh.write("name: x\n# " + "x" * (9 << 20) + "\n")
    with pytest.raises(ConfigError, match=r"is 9\.0 MiB; a YAML config is limited to 8 MiB.*npz"):
        read_yaml(f)


def test_deep_nesting_and_non_utf8_and_binary(tmp_path):
    with pytest.raises(ConfigError, match="nests more than 64 levels"):
        parse_yaml("a: " + "[" * 100 + "]" * 100)
    bad = tmp_path / "latin.yaml"
    bad.write_bytes("name: caf\xe9\n".encode("latin-1"))
    with pytest.raises(ConfigError, match=r"latin.yaml:1: file: is not UTF-8 text \(byte 0xe9 at offset 9\).*save the file as UTF-8"):
        read_yaml(bad)
    h5 = tmp_path / "model.yaml"
    h5.write_bytes(b"\x89HDF\r\n\x1a\n" + b"\0" * 100)
    with pytest.raises(ConfigError, match="HDF5 file .*NIR.*network argument"):
        read_yaml(h5)


# --------------------------------------------------------------------------- accepted silently before
def test_duplicate_keys_are_named_with_both_lines():
    with pytest.raises(ConfigError, match=r"is given twice \(lines 2 and 4\)"):
        parse_yaml("name: a\nclock_mhz: 100\nbarrier_cycles: 3\nclock_mhz: 200\n")


def test_yes_is_not_a_number_and_true_is_not_an_integer():
    for text in ("mesh: {width: yes}", "mesh: {width: true}", "mesh: {width: 2.0}"):
        data, _ = parse_yaml(text)
        with pytest.raises(ConfigError, match="mesh.width"):
            load_chip(data)


@pytest.mark.parametrize("value,fits", [(".inf", "finite number"), (".nan", "finite number")])
def test_infinite_or_nan_values_are_named_as_such(value, fits):
    data, _ = parse_yaml(f"energy: {{mode: table, static_power_mw: {value}}}")
    with pytest.raises(ConfigError) as exc:
        load_chip(data)
    assert "finite" in str(exc.value) and fits in str(exc.value) and "decrease" not in str(exc.value)


def test_fixes_fit_the_value():
    data, _ = parse_yaml("core: {fifo_depth: 100}")
    with pytest.raises(ConfigError, match="use a value of at most 64"):
        load_chip(data)


@pytest.mark.parametrize("arrays,rule", [
    ({"source": np.array([0.5, 1.7]), "target": np.array([0, 1])}, "must hold integers"),
    ({"source": np.array([[0, 1], [1, 0]]), "target": np.array([[0, 1], [1, 0]])}, "one-dimensional"),
])
def test_npz_indices_are_integers_and_flat(tmp_path, arrays, rule):
    np.savez(tmp_path / "c.npz", **arrays)
    (tmp_path / "n.yaml").write_text(
        "name: n\npopulations: [{name: a, size: 4, neuron: {model: lif_fixed, vth: 5}}]\n"
        "projections: [{source: a, target: a, connect: {kind: explicit, file: c.npz}}]\n")
    with pytest.raises(ConfigError, match=rule):
        prepare("tiny-2x2", tmp_path / "n.yaml", steps=2)


def test_integers_beyond_what_the_kernels_hold():
    net = {"name": "x", "populations": [{"name": "a", "size": 2, "neuron": {"model": "lif_fixed", "vth": 10 ** 30}}]}
    with pytest.raises(ConfigError, match=r"populations\[0\]\.neuron.*vth"):
        prepare("tiny-2x2", net, steps=2)
    with pytest.raises(ConfigError, match="seed"):
        prepare("tiny-2x2", {**net, "populations": [{**net["populations"][0], "neuron": {"vth": 5}}]}, seed=-1)


# --------------------------------------------------------------------------- sizes before allocating
def test_a_network_too_big_for_the_chip_is_refused_before_sampling(tmp_path):
    f = tmp_path / "big.yaml"
    f.write_text("name: big\npopulations: [{name: a, size: 20000, neuron: {model: lif_fixed, vth: 10}}]\n"
                 "projections: [{source: a, target: a, connect: {kind: fixed_probability, p: 0.5}, weight: 1}]\n")
    rc, err, wall, rss = cli("run", "default-4x4", f, "--no-files", "--quiet")
    assert rc == 2 and "20,000 neurons but the chip holds 16 cores x 256 = 4,096" in err
    assert rss < 300, rss                      # nothing of the network's 200 M synapses was sampled


def test_synapses_beyond_the_synapse_memory_are_refused_before_sampling():
    net = {"name": "dense", "populations": [{"name": "a", "size": 4000, "neuron": {"vth": 10}}],
           "projections": [{"source": "a", "target": "a", "connect": {"kind": "fixed_probability", "p": 0.9}}]}
    t0 = time.perf_counter()
    with pytest.raises(ConfigError, match=r"core\.synapse_words: the network has at least 14,\d{3},\d{3} synapses"):
        prepare("default-4x4", net, steps=2)
    assert time.perf_counter() - t0 < 10          # hang detection only (measured: bench/refusals.py)


def test_steps_are_bounded():
    with pytest.raises(ConfigError, match=r"steps: must be a whole number in 1\.\.10,000,000"):
        prepare("tiny-2x2", "synfire-chain", steps=10 ** 12)


# --------------------------------------------------------------------------- files in the wrong place
def test_a_network_in_the_chip_position(tmp_path, capsys):
    (tmp_path / "n.yaml").write_text(NET)
    assert main(["run", str(tmp_path / "n.yaml"), "--steps", "3", "--no-files", "--quiet"]) == 0
    assert "running it on the default chip default-4x4" in capsys.readouterr().out
    assert main(["run", str(tmp_path / "n.yaml"), "tiny-2x2", "--no-files"]) == 2
    err = capsys.readouterr().err
    assert "chip: is a network file, not a chip" in err and "give the chip first" in err


def test_cosim_takes_the_run_defaults():
    from neurocycle.sim.cli import build_parser
    args = build_parser().parse_args(["cosim"])
    assert args.chip is None and args.network is None


def test_a_mistyped_preset_gets_the_closest_name():
    with pytest.raises(ConfigError, match="did you mean 'tiny-2x2'"):
        load_chip("tiny2x2")


# --------------------------------------------------------------------------- outputs
def test_bad_output_paths_are_refused_before_simulating(tmp_path, capsys):
    (tmp_path / "afile").write_text("x")
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "thesis.tex").write_text("precious")
    for out, rule in ((tmp_path / "afile", "is an existing file"), (tmp_path / "afile" / "sub", "is a file"),
                      (tmp_path / "mine", "holds files that are not a neurocycle output")):
        t0 = time.perf_counter()
        assert main(["run", "tiny-2x2", "synfire-chain", "--steps", "10000000", "--out", str(out), "--quiet"]) == 2
        assert rule in capsys.readouterr().err and time.perf_counter() - t0 < 30  # not after simulating 10 M steps
    assert (tmp_path / "mine" / "thesis.tex").read_text() == "precious"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["afile", "mine"]


def test_unwritable_output_parent_is_refused(tmp_path, capsys, monkeypatch):
    from neurocycle.sim import _io
    ro = tmp_path / "ro"
    ro.mkdir(mode=0o555)
    if os.geteuid() == 0:      # root writes anywhere: make the permission check see what a user would
        monkeypatch.setattr(_io.os, "access", lambda p, mode: Path(p) != ro)
    assert main(["run", "tiny-2x2", "synfire-chain", "--out", str(ro / "o"), "--quiet"]) == 2
    assert "no write permission in" in capsys.readouterr().err and not (ro / "o").exists()


def test_a_failed_run_leaves_the_previous_output_untouched(tmp_path, monkeypatch, capsys):
    out = tmp_path / "o"
    assert main(["run", "tiny-2x2", "synfire-chain", "--steps", "4", "--out", str(out), "--quiet"]) == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    from neurocycle.sim import _api

    def broken(self, folder, extra=None):
        (Path(folder) / "report.json").write_text("half")
        raise OSError(errno.ENOSPC, "No space left on device", str(Path(folder) / "spikes.csv"))

    monkeypatch.setattr(_api.Run, "write_files", broken)
    assert main(["run", "tiny-2x2", "synfire-chain", "--steps", "6", "--out", str(out), "--quiet"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no space left on the device" in err and "Traceback" not in err
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before          # the old run, whole
    assert [p.name for p in tmp_path.iterdir()] == ["o"]                      # no temporary folder left


def test_output_is_replaced_whole_with_umask_modes(tmp_path):
    out = tmp_path / "o"
    old = os.umask(0o027)
    try:
        with OutputDir(out) as od:
            (od.path / "report.json").write_text("{}")
            od.commit()
    finally:
        os.umask(old)
    assert (out / MARKER).is_file() and oct(out.stat().st_mode & 0o777) == oct(0o750)
    stale = tmp_path / ".o.tmp-999999999-abc"          # a temp folder of a process that no longer runs
    stale.mkdir()
    with OutputDir(out) as od:
        assert not stale.exists()
        od.commit()
    assert sorted(p.name for p in out.iterdir()) == [MARKER]


def test_a_bug_is_one_line_with_a_saved_traceback(monkeypatch, capsys, tmp_path):
    monkeypatch.setenv("NEUROCYCLE_CACHE", str(tmp_path))
    from neurocycle.sim.cli import _run

    def boom(args):
        raise ZeroDivisionError("an engine invariant")

    monkeypatch.setattr(_run, "_cmd_presets", boom)
    assert main(["presets"]) == 3
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "internal error (a bug in neurocycle" in err
    assert "Traceback (most recent call last)" not in err
    saved = Path(err.split("Traceback saved to ")[1].split("; please")[0])
    assert saved.is_file() and "ZeroDivisionError: an engine invariant" in saved.read_text()


def test_documented_limits_are_the_enforced_ones():
    from neurocycle.hw import _yaml
    from neurocycle.sim import _netsize
    doc = (Path(__file__).resolve().parents[1] / "docs" / "inputs.md").read_text()
    assert f"{_yaml.MAX_YAML_BYTES >> 20} MiB" in doc and f"{_yaml.MAX_YAML_VALUES:,} (" in doc
    assert f"{_yaml.MAX_YAML_DEPTH} levels" in doc and f"1..{_netsize.MAX_STEPS:,}" in doc
