"""Issue #17: the model's VCD (sim/_vcd.py) against the RTL's ``cosim --waves`` dump of the same
case: every signal the model writes, under the RTL's own name, has the RTL's value in every
chip cycle (sampled before the clock edge that ends the cycle). Slow: a waves build of nc_chip
makes every signal public (~3 min to build, cached afterwards)."""
import sys
from pathlib import Path

import pytest

from neurocycle.hw import load_chip
from neurocycle.sim._cosim import cosim
from neurocycle.sim._activity import record_activity
from neurocycle.sim._api import prepare
from neurocycle.sim._vcd import compare_vcd, rtl_samples, vcd_signals

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))      # tests/: the STDP case's network
from test_delays_learning import plastic_net  # noqa: E402

pytestmark = [pytest.mark.rtl, pytest.mark.slow]


NOC = {"mesh.cores_per_router": 2, "router.routing": "multicast", "router.table_entries": 64}
# issue #11: delays and STDP (the LEARN state of nc_ctrl and the learning engines' actions)
STDP = {"core.learning": "stdp", "core.delay_slots": 3, "core.learning_entries": 256, "bits.weight": 8,
        "bits.accumulator": 18, "bits.trace": 8}


@pytest.mark.parametrize("chip,net,steps", [("tiny-2x2", "tiny-recurrent", 4), ("noc", "tiny-recurrent", 4),
                                             ("stdp", "plastic", 6)])
def test_model_vcd_has_the_rtls_values(tmp_path, chip, net, steps):
    if chip == "noc":        # two cores per router (P = 6 ports), multicast routing
        chip = load_chip("tiny-2x2").with_overrides(NOC)
    if chip == "stdp":       # delays up to 3 timesteps, plastic synapses, a learning phase per timestep
        chip, net = load_chip("tiny-2x2").with_overrides(STDP), plastic_net(1, 24, D=3)
    rep = cosim(chip, net, steps=steps, waves=True, work_dir=tmp_path)
    assert rep.agree
    _, _, _, prog, stim, _ = prepare(chip, net, steps=steps)
    act = record_activity(prog, stim, (0, steps))
    sig = vcd_signals(act)
    rtl = rtl_samples(tmp_path / "dump.vcd", list(sig))
    assert set(range(act.first_cycle, act.end_cycle)) <= set(rtl)
    assert compare_vcd(sig, rtl, act.first_cycle, act.end_cycle) == []
    if act.le.size:          # the learning engines' signals were compared too
        assert any(k[0].endswith("g_learn.u_le") for k in sig)
    # the comparison can fail: one wrong value of one signal is found
    key = next(k for k in sig if k[1] == "nu_state")
    w, ch = sig[key]
    c, v = ch[1]
    sig[key] = (w, ch[:1] + [(c, (v + 1) % 4)] + ch[2:])
    bad = compare_vcd(sig, rtl, act.first_cycle, act.end_cycle)
    assert bad and bad[0][:3] == (c, *key)
