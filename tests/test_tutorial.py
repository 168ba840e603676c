"""docs/tutorial.md is a notebook that runs: every ```python block, in order, in one namespace."""
import os
import re
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

TUTORIAL = Path(__file__).resolve().parents[1] / "docs" / "tutorial.md"


def code_blocks() -> list[str]:
    return re.findall(r"^```python\n(.*?)^```", TUTORIAL.read_text(), flags=re.S | re.M)


def test_tutorial_runs(tmp_path, capsys):
    blocks = code_blocks()
    assert len(blocks) >= 10
    ns: dict = {"__name__": "tutorial"}
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        for i, block in enumerate(blocks):
            try:
                exec(compile(block, f"{TUTORIAL.name}[block {i + 1}]", "exec"), ns)
            except Exception as exc:  # noqa: BLE001 - name the failing block
                raise AssertionError(f"tutorial block {i + 1} failed: {exc!r}\n---\n{block}") from exc
    finally:
        os.chdir(cwd)
        import matplotlib.pyplot as plt
        plt.close("all")
    for f in ("synfire-raster.png", "synfire-cycles.png", "synfire-sops.png", "synfire-energy.png", "model.nir",
              "out/synfire/report.json", "out/synfire/spikes.csv", "out/synfire/raster.png", "out/synfire/cycles.png"):
        assert (tmp_path / f).stat().st_size > 0, f
    out = capsys.readouterr().out
    # the capacity error was shown, with the overflow and the fix
    assert "mesh: the network has 1,500 neurons but the chip holds 4 cores x 16 = 64 (over by 1,436)" in out
    assert "Fix: use a mesh of at least 94 cores" in out
    assert "weight rms error" in out
