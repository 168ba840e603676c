"""docs/calibration.md is executable: every `$ neurocycle ...` command in it is run and every
number shown under it must appear in the output, on the row it is shown with."""
import re
from pathlib import Path

import pytest

DOC = Path(__file__).resolve().parents[1] / "docs" / "calibration.md"


def _examples():
    out, cmd = [], None
    for line in DOC.read_text().splitlines():
        if line.startswith("$ neurocycle "):
            cmd = [line[len("$ neurocycle "):].split(), []]
            out.append(cmd)
        elif cmd is not None and line.startswith("  ") and line.strip():
            label, value = re.split(r"\s{2,}", line.strip(), maxsplit=1)
            cmd[1].append((label, value))
        else:
            cmd = None
    return out


EXAMPLES = _examples()


def test_the_doc_has_examples():
    assert len(EXAMPLES) >= 7 and all(expect for _, expect in EXAMPLES)


@pytest.mark.parametrize("args,expect", EXAMPLES, ids=[" ".join(a[:2]) + (" tech" if "technology" in a else "")
                                                       + (" fit" if "--fit-overhead" in a else "")
                                                       for a, _ in EXAMPLES])
def test_documented_command_gives_the_documented_numbers(cli, args, expect):
    out = cli(*args, "--no-files", "--quiet").stdout
    lines = out.splitlines()
    for label, value in expect:
        hits = [ln for ln in lines if label in ln]
        assert hits, f"no row '{label}' in the output of neurocycle {' '.join(args)}:\n{out}"
        assert any(value in ln for ln in hits), f"'{label}' shows {hits}, the doc says '{value}'"
