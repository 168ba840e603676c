"""docs/trace.md's commands run, and write what the page says they write."""
import json
import re
import shlex
from pathlib import Path

DOC = Path(__file__).resolve().parents[1] / "docs" / "trace.md"


def test_trace_doc_commands_run(cli, tmp_path):
    block = DOC.read_text().split("<!-- trace-commands -->", 1)[1].split("```sh", 1)[1].split("```", 1)[0]
    cmds = [shlex.split(re.sub(r"\s+#.*$", "", ln)) for ln in block.splitlines() if ln.strip()]
    assert [c[1] for c in cmds] == ["run", "run", "vectors"]
    for cmd in cmds:
        cli(*[str(tmp_path / a) if a.startswith("out/") else a for a in cmd[1:]])
    out = tmp_path / "out"
    for f in ("noc.png", "noc_steps.png", "hops.png", "report.json"):
        assert (out / "run" / f).is_file()
    tr = json.loads((out / "trace2.json").read_text())
    assert tr["metadata"]["timesteps"] == [10, 12]
    assert (out / "model.vcd").read_text().count("$scope module u_router $end") == 16
    assert json.loads((out / "vectors" / "vectors.json").read_text())["neurocycle_vectors"] == 1
