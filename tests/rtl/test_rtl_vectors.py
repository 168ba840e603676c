"""Issue #17: the golden vectors (`neurocycle vectors`) and the cocotb scoreboard
(neurocycle.rtl._scoreboard) on neurocycle's own RTL: the clean chip matches every stream in
every cycle; a build with the injected timing bug NC_BUG_E_BUBBLE (router output E idles a cycle
after each grant; test builds only) is caught at the first late flit. Slow: two waves builds of
nc_chip (~3 min each, cached afterwards)."""
import pytest

from neurocycle.sim._activity import record_activity
from neurocycle.sim._api import prepare
from neurocycle.sim._vectors import run_scoreboard, write_vectors

pytestmark = [pytest.mark.rtl, pytest.mark.slow]


def test_scoreboard_passes_our_rtl_and_catches_an_injected_timing_bug(tmp_path):
    _, _, _, prog, stim, _ = prepare("tiny-2x2", "tiny-recurrent", steps=4)
    act = record_activity(prog, stim, (0, 4))
    vec = tmp_path / "vectors"
    vec.mkdir()
    write_vectors(act, vec, program=prog)
    expected = len(act.grants) + len(act.nu_pushes) + len(act.spikes)
    good = run_scoreboard(prog, stim, vec, work_dir=tmp_path / "good")
    assert good["ok"] and good["mismatches"] == [] and good["matched"] == expected
    bad = run_scoreboard(prog, stim, vec, defines={"NC_BUG_E_BUBBLE": 1}, work_dir=tmp_path / "bad")
    assert not bad["ok"]
    first = bad["mismatches"][0]
    # the first disagreement is a flit of an output E that came one cycle late
    assert first["stream"][0] == "port" and first["stream"][3] == "E"
    assert first["got"][0] == first["expected"][0] + 1 and first["got"][1] == first["expected"][1]


def test_scoreboard_passes_a_multicast_chip_with_two_cores_per_router(tmp_path):
    """P = 6 ports (L1 carries the second core), multicast copies: one row per copy."""
    from neurocycle.hw import load_chip

    chip = load_chip("tiny-2x2").with_overrides({"mesh.cores_per_router": 2, "router.routing": "multicast",
                                                 "router.table_entries": 64})
    _, _, _, prog, stim, _ = prepare(chip, "tiny-recurrent", steps=4)
    act = record_activity(prog, stim, (0, 4))
    vec = tmp_path / "vectors"
    vec.mkdir()
    write_vectors(act, vec, program=prog)
    assert "\tL1\t" in (vec / "ports.tsv").read_text()
    rep = run_scoreboard(prog, stim, vec, work_dir=tmp_path / "run")
    assert rep["ok"] and rep["matched"] == len(act.grants) + len(act.nu_pushes) + len(act.spikes)
    assert rep["streams"] == 4 * 6 + 2 * 8          # 4 routers x 6 ports, 8 cores x (pushes, spikes)
