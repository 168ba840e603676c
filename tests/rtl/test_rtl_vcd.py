"""Issue #17: the model's VCD (sim/_vcd.py) against the RTL's ``cosim --waves`` dump of the same
case: every signal the model writes, under the RTL's own name, has the RTL's value in every
chip cycle (sampled before the clock edge that ends the cycle). Slow: a waves build of nc_chip
makes every signal public (~3 min to build, cached afterwards)."""
import pytest

from neurocycle.hw import load_chip
from neurocycle.sim._cosim import cosim
from neurocycle.sim._activity import record_activity
from neurocycle.sim._api import prepare
from neurocycle.sim._vcd import compare_vcd, rtl_samples, vcd_signals

pytestmark = [pytest.mark.rtl, pytest.mark.slow]


NOC = {"mesh.cores_per_router": 2, "router.routing": "multicast", "router.table_entries": 64}


@pytest.mark.parametrize("chip,net,steps", [("tiny-2x2", "tiny-recurrent", 4), ("noc", "tiny-recurrent", 4)])
def test_model_vcd_has_the_rtls_values(tmp_path, chip, net, steps):
    if chip == "noc":        # two cores per router (P = 6 ports), multicast routing
        chip = load_chip("tiny-2x2").with_overrides(NOC)
    rep = cosim(chip, net, steps=steps, waves=True, work_dir=tmp_path)
    assert rep.agree
    _, _, _, prog, stim, _ = prepare(chip, net, steps=steps)
    act = record_activity(prog, stim, (0, steps))
    sig = vcd_signals(act)
    rtl = rtl_samples(tmp_path / "dump.vcd", list(sig))
    assert set(range(act.first_cycle, act.end_cycle)) <= set(rtl)
    assert compare_vcd(sig, rtl, act.first_cycle, act.end_cycle) == []
    # the comparison can fail: one wrong value of one signal is found
    key = next(k for k in sig if k[1] == "nu_state")
    w, ch = sig[key]
    c, v = ch[1]
    sig[key] = (w, ch[:1] + [(c, (v + 1) % 4)] + ch[2:])
    bad = compare_vcd(sig, rtl, act.first_cycle, act.end_cycle)
    assert bad and bad[0][:3] == (c, *key)
