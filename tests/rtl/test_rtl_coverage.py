"""Co-verification covers the parameter space: every RTL parameter is co-simulated in the default
run with a value other than its default, and a 2-D non-square mesh with the host link above
row 0 is among the co-simulated chips. (No simulator needed: it checks the plan that
tests/rtl/nc_chip/test_nc_chip.py runs.)"""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "nc_chip"))

from nc_cosim_plan import DOC, coverage_markdown, coverage_table, default_run_builds  # noqa: E402


def test_every_rtl_parameter_is_cosimulated_away_from_its_default():
    default, seen = coverage_table()
    missing = [k for k, vals in seen.items() if all(v == default[k] for v in vals)]
    assert not missing, f"RTL parameters co-simulated only at their default value: {missing}"


def test_a_two_dimensional_non_square_mesh_with_the_host_above_row_0_is_cosimulated():
    chips = [c for _, c, _ in default_run_builds()]
    assert any(c.mesh.width > 1 and c.mesh.height > 1 and c.mesh.width != c.mesh.height and c.host.row > 0
               for c in chips)


def test_coverage_table_is_current():
    assert DOC.read_text(encoding="utf-8") == coverage_markdown(), \
        "docs/rtl-coverage.md is stale: run `python tests/rtl/nc_chip/nc_cosim_plan.py`"
