"""The README quickstart runs: every command in its quickstart block succeeds."""
import re
import shlex
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def quickstart_commands(marker: str = "<!-- quickstart"):
    text = README.read_text()
    block = text.split(marker, 1)[1].split("```sh", 1)[1].split("```", 1)[0]
    cmds = []
    for line in block.splitlines():
        line = re.sub(r"\s+#.*$", "", line).strip()
        if line:
            cmds.append(shlex.split(line))
    return cmds


def test_readme_quickstart_runs(cli, tmp_path):
    cmds = quickstart_commands()
    assert len(cmds) >= 3 and all(c[0] == "neurocycle" for c in cmds)
    root = README.parent
    for cmd in cmds:
        # run from a copy-free temp dir; paths into configs/ are resolved against the repo
        args = [str(root / a) if a.startswith("configs/") else a for a in cmd[1:]]
        args = [str(tmp_path / a) if a.startswith("out/") else a for a in args]
        cli(*args)
    assert (tmp_path / "out" / "quick" / "report.json").exists()


def test_readme_estimate_section_runs(cli, tmp_path):
    """The 'From a trained model to an estimate' commands, on the snnTorch fixture."""
    cmds = quickstart_commands("<!-- estimate")
    assert [c[1] for c in cmds] == ["estimate", "run", "compare"]
    root = README.parent
    outs = []
    for cmd in cmds:
        args = [str(root / a) if a.startswith("tests/") else a for a in cmd[1:]]
        args = [str(tmp_path / a) if a.startswith("out/") else a for a in args]
        outs.append(cli(*args).stdout)
    assert "synaptic ops (NeuroBench)" in outs[0] and "fits tiny-2x2" in outs[0]
    assert "agrees (exact trains)" in outs[2]


def test_readme_names_the_two_commands():
    text = README.read_text()
    assert "make run" in text and "make test" in text
    ci = (README.parent / ".ci" / "run").read_text()
    assert "make test" in ci


def test_readme_python_blocks_run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "tests").symlink_to(README.parent / "tests")    # the blocks' fixture paths, from the repo root
    text = README.read_text()
    blocks = [b.split("```", 1)[0] for b in text.split("```python")[1:]]
    assert blocks
    for code in blocks:
        exec(compile(code, "README.md", "exec"), {})
    assert (tmp_path / "raster.png").exists()
