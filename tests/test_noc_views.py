"""Issue #17: the NoC and core views (sim/_noc_views.py): per-timestep link traffic summed over
the run is the run's own per-port counter, on every mesh shape and host row; `run --out` writes
the views on a chip larger than 1x1 (not on 1x1), `Run` draws them."""
import numpy as np
import pytest

from neurocycle.sim import simulate

from test_engine import chip_of, random_net


@pytest.mark.parametrize("w,h,host_row,cores,routing", [(3, 2, 0, 1, "unicast"), (2, 4, 3, 1, "unicast"),
                                                        (5, 1, 0, 1, "unicast"), (1, 3, 1, 1, "unicast"),
                                                        (3, 2, 1, 2, "unicast"), (3, 3, 0, 1, "multicast"),
                                                        (2, 2, 1, 3, "multicast")])
def test_link_flits_per_step_sum_to_the_runs_counters(w, h, host_row, cores, routing):
    from neurocycle.hw import layout
    from neurocycle.sim._noc_views import hops_per_delivery

    chip = chip_of(w, h, **{"host.row": host_row, "mesh.cores_per_router": cores, "router.routing": routing,
                            "router.table_entries": 512})
    run = simulate(chip, random_net(w * 7 + h, 10 * w * h * cores, rate_hz=500.0, p_rec=0.2), steps=12)
    pf = run.result.detail["link_flits_port"]
    P = chip.derived.n_ports
    assert pf[:, 1:5].sum() > 0
    for bins in (None, 5, 1):
        edges, fl = run.link_flits_per_step(bins)
        assert edges[0] == 0 and edges[-1] == 12 and fl.shape == (len(edges) - 1, w * h, P)
        assert np.array_equal(fl.sum(axis=0), pf)
    local = [layout.local_port(j) for j in range(cores)]
    assert hops_per_delivery(run).sum() == pf[:, local].sum()        # one entry per delivery
    # one timestep alone is the kernel's count for that timestep
    from neurocycle.sim import run_cycle
    from neurocycle.sim._stepped import _window
    a = run_cycle(run.program, _window(run.stimulus, 0, 6)).detail["link_flits_port"]
    b = run_cycle(run.program, _window(run.stimulus, 0, 7)).detail["link_flits_port"]
    assert np.array_equal(run.link_flits_per_step()[1][6], b - a)


def test_views_are_written_by_run_and_drawn_by_Run(tmp_path):
    run = simulate(chip_of(3, 2), random_net(4, 40, rate_hz=400.0), steps=10)
    files = [f.name for f in run.write_files(tmp_path)]
    assert {"noc.png", "noc_steps.png", "hops.png"} <= set(files)
    for f in ("noc.png", "noc_steps.png", "hops.png"):
        assert (tmp_path / f).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    fig = run.plot_hops(activity=run.activity((2, 4)))
    assert "flit latency, timesteps 2..3" in fig.axes[1].get_title()
    one = simulate(chip_of(1, 1), random_net(4, 12), steps=5)
    assert not {"noc.png", "noc_steps.png", "hops.png"} & {f.name for f in one.write_files(tmp_path / "one")}
