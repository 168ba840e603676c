"""Property-based: malformed chips, networks and command-line options, generated from the schemas
themselves, are refused cleanly — non-zero exit, no traceback, a message that names a field,
nothing left in --out. A few dozen examples per property in the default run, hundreds under
``-m slow``."""
import copy
import typing
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from neurocycle.hw import ChipConfig
from neurocycle.sim import NetworkSpec
from neurocycle.sim.cli import main

FAST = settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
DEEP = settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))

CHIP = ChipConfig().model_dump(mode="json")
NET = {"name": "fz", "seed": 1,
       "populations": [{"name": "a", "size": 6, "neuron": {"model": "lif_fixed", "vth": 20, "bias": 3, "dv": 100}},
                       {"name": "b", "size": 4, "neuron": {"model": "lif_fixed", "vth": 30, "du": 400, "w_exp": 1}}],
       "inputs": [{"name": "x", "size": 3, "source": {"kind": "poisson", "rate_hz": 200.0}}],
       "projections": [{"source": "x", "target": "a", "connect": {"kind": "all_to_all"}, "weight": 7},
                       {"source": "a", "target": "b", "connect": {"kind": "fixed_probability", "p": 0.5},
                        "weight": {"kind": "uniform", "low": -3, "high": 9}}]}


def _paths(model: type[BaseModel], prefix=()):
    """Every scalar field path of a schema (nested models followed)."""
    for name, f in model.model_fields.items():
        ann = f.annotation
        inner = [a for a in (typing.get_args(ann) or (ann,)) if isinstance(a, type) and issubclass(a, BaseModel)]
        if inner and typing.get_origin(ann) not in (tuple, list):
            yield from _paths(inner[0], prefix + (name,))
        else:
            yield prefix + (name,)


CHIP_PATHS = [p for p in _paths(ChipConfig) if p[-1] not in ("name", "description")]
NET_PATHS = [("seed",), ("fixed_point", "dt_ms"), ("populations", 0, "size"), ("populations", 0, "neuron", "vth"),
             ("populations", 0, "neuron", "du"), ("populations", 0, "neuron", "refractory"),
             ("populations", 1, "neuron", "w_exp"), ("populations", 1, "neuron", "v_reset"),
             ("inputs", 0, "size"), ("inputs", 0, "source", "rate_hz"), ("inputs", 0, "source", "kind"),
             ("projections", 0, "weight"), ("projections", 1, "connect", "p"), ("projections", 1, "connect", "kind"),
             ("projections", 0, "source"), ("projections", 1, "weight", "low"), ("populations", 0, "name")]

BAD = st.one_of(
    st.sampled_from([None, True, False, "", "lots", "yes", [], {}, [1, 2], {"a": 1}, -1, 0, 2 ** 70, -(2 ** 70),
                     float("nan"), float("inf"), -float("inf"), 1e300, 0.5, -0.5, "../../etc", "x" * 300]),
    st.integers(min_value=-(2 ** 40), max_value=2 ** 40),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20))


def _set(data, path, value):
    node = data
    for p in path[:-1]:
        node = node.setdefault(p, {}) if isinstance(node, dict) else node[p]
    node[path[-1]] = value


def _write(tmp_path, name, data) -> Path:
    f = tmp_path / name
    f.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
    return f


def _check_refusal(code, out, err, outdir: Path | None):
    text = out + err
    assert "Traceback (most recent call last)" not in text, text[-2000:]
    assert code in (0, 1, 2), (code, text[-2000:])      # never 3 (a bug)
    if code != 0:
        line = [ln for ln in text.splitlines() if "error" in ln or "invalid" in ln]
        assert line, text[-2000:]
        assert ":" in line[0]                               # "<field>: <rule>"
        if outdir is not None:
            assert not outdir.exists()
            assert not [p for p in outdir.parent.iterdir() if p.name.startswith(f".{outdir.name}.")]


def _run_cli(capsys, argv):
    code = main([str(a) for a in argv])
    cap = capsys.readouterr()
    return code, cap.out, cap.err


def _chip_case(tmp_path, capsys, path, value, extra_key):
    data = copy.deepcopy(CHIP)
    data.update({"mesh": {"width": 2, "height": 2}, "core": {**CHIP["core"], "neurons": 16}})
    if extra_key:
        _set(data, path[:-1] + ("unknown_field_x",), 1)
    else:
        _set(data, path, value)
    f = _write(tmp_path, "chip.yaml", data)
    out = tmp_path / "o"
    code, o, e = _run_cli(capsys, ["run", f, "tiny-recurrent", "--steps", "2", "--quiet", "--out", out])
    _check_refusal(code, o, e, out)
    if out.exists():
        import shutil
        shutil.rmtree(out)


def _net_case(tmp_path, capsys, path, value):
    data = copy.deepcopy(NET)
    _set(data, path, value)
    f = _write(tmp_path, "net.yaml", data)
    out = tmp_path / "o"
    code, o, e = _run_cli(capsys, ["run", "tiny-2x2", f, "--steps", "3", "--quiet", "--out", out])
    _check_refusal(code, o, e, out)
    if out.exists():
        import shutil
        shutil.rmtree(out)


OPTIONS = st.tuples(st.sampled_from(["--steps", "--seed", "--placement", "--neurons-per-core", "--backend"]),
                    st.one_of(st.sampled_from(["-1", "0", "1e3", "nan", "inf", "99999999999999999999", "snak",
                                               "magic", "", "3.5", "2"]),
                              st.text(max_size=8)))


def _option_case(tmp_path, capsys, opt, value):
    out = tmp_path / "o"
    try:
        code, o, e = _run_cli(capsys, ["run", "tiny-2x2", "synfire-chain", opt, value, "--quiet", "--out", out])
    except SystemExit as exc:           # argparse's own usage error: exit 2 with its usage line
        cap = capsys.readouterr()
        assert exc.code == 2 and "Traceback" not in cap.err and "error:" in cap.err
        return
    _check_refusal(code, o, e, out)
    if out.exists():
        import shutil
        shutil.rmtree(out)


@FAST
@given(path=st.sampled_from(CHIP_PATHS), value=BAD, extra=st.booleans())
def test_malformed_chips(tmp_path_factory, capsys, path, value, extra):
    _chip_case(tmp_path_factory.mktemp("chip"), capsys, path, value, extra)


@FAST
@given(path=st.sampled_from(NET_PATHS), value=BAD)
def test_malformed_networks(tmp_path_factory, capsys, path, value):
    _net_case(tmp_path_factory.mktemp("net"), capsys, path, value)


@FAST
@given(case=OPTIONS)
def test_malformed_options(tmp_path_factory, capsys, case):
    _option_case(tmp_path_factory.mktemp("opt"), capsys, *case)


@pytest.mark.slow
@DEEP
@given(path=st.sampled_from(CHIP_PATHS), value=BAD, extra=st.booleans())
def test_malformed_chips_deep(tmp_path_factory, capsys, path, value, extra):
    _chip_case(tmp_path_factory.mktemp("chip"), capsys, path, value, extra)


@pytest.mark.slow
@DEEP
@given(path=st.sampled_from(NET_PATHS), value=BAD)
def test_malformed_networks_deep(tmp_path_factory, capsys, path, value):
    _net_case(tmp_path_factory.mktemp("net"), capsys, path, value)


@given(text=st.text(max_size=200))
@FAST
def test_arbitrary_text_as_a_config_never_crashes(tmp_path_factory, capsys, text):
    f = tmp_path_factory.mktemp("txt") / "x.yaml"
    f.write_text(text, encoding="utf-8")
    code, o, e = _run_cli(capsys, ["validate", f])
    assert "Traceback (most recent call last)" not in o + e and code in (0, 1, 2)


def test_the_fuzz_corpus_reaches_every_chip_field():
    """The generated chip cases cover every documented chip field (so a new field is fuzzed too),
    and the base network is valid (every failure comes from a mutation)."""
    import re
    doc = (Path(__file__).resolve().parents[1] / "docs" / "configuration.md").read_text().split("\n## ")[0]
    documented = set(re.findall(r"^\| `([a-z0-9_.]+)` \|", doc, re.M)) - {"name", "description"}
    assert {".".join(p) for p in CHIP_PATHS} == documented
    NetworkSpec.model_validate(NET)
