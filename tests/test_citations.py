"""Honest citations: every source the project cites is a publication named inside the
repository (docs/references.md collects them); no file under configs/ or docs/ (nor the
technology and energy tables) points at a file outside the repository or at a bare section
number of one."""
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCANNED = sorted([*(ROOT / "configs").rglob("*.yaml"), *(ROOT / "configs").rglob("*.py"),
                  *(ROOT / "docs").glob("*.md"), ROOT / "hw" / "_technology.py", ROOT / "hw" / "_energy.py",
                  ROOT / "README.md"])

# a section sign must follow the repository document it points into ("microarchitecture.md §7")
SECTION = re.compile(r"§\s*\d")
IN_A_DOC = re.compile(r"[\w-]\.md`?\s$")
OUTSIDE = re.compile(r"shared/|reference-figures|DESIGN\.md")


def offences(text: str) -> list[str]:
    out = []
    for n, line in enumerate(text.splitlines(), 1):
        bare = any(not IN_A_DOC.search(line[:m.start()]) for m in SECTION.finditer(line))
        if OUTSIDE.search(line) or bare:
            out.append(f"{n}: {line.strip()}")
    return out


@pytest.mark.parametrize("path", SCANNED, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_citation_points_outside_the_repository(path):
    bad = offences(path.read_text(encoding="utf-8"))
    assert not bad, f"{path.relative_to(ROOT)} cites a file outside the repository or a bare §N " \
                    f"(name the publication; docs/references.md):\n" + "\n".join(bad)


@pytest.mark.parametrize("text,bad", [
    ("leakage (§8b)", True),
    ("see shared/reference-figures.md", True),
    ("from reference-figures §4", True),
    ("the timing rules (docs/microarchitecture.md §7)", False),
    ("energy.md §4 describes the area", False),
    ("into `docs/microarchitecture.md` §8.1 and", False),
    ("microarchitecture.md §7 and then (§8)", True),
    ("Frenkel et al., IEEE TBioCAS 2019, Fig. 8b", False),
    ("Merolla et al., Science 2014, suppl. S5", False),
])
def test_the_check_itself(text, bad):
    assert bool(offences(text)) is bad


def test_references_page_names_every_publication_the_presets_cite():
    refs = (ROOT / "docs" / "references.md").read_text(encoding="utf-8")
    cited = set()
    for p in (ROOT / "configs" / "chips").glob("*.yaml"):
        cited |= set(re.findall(r"([A-Z][a-z]+) et al\., ([A-Z][\w .]+?) (\d{4})", p.read_text()))
    assert cited, "the presets cite no publication"
    for author, venue, year in sorted(cited):
        assert re.search(rf"{author}\b.*{year}|{year}.*{author}\b", refs, flags=re.S), (author, venue, year)
        assert author in refs and venue.split()[0] in refs, (author, venue, year)
