"""The docs cannot go stale silently: every module, test and benchmark they name exists, and
docs/performance.md is what bench/run_all.py writes (dated, with the machine it ran on)."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[1]
DOCS = sorted((ROOT / "docs").glob("*.md"))
# a path in the tree: lnctl/core/payments.py, lnctl/cli/commands/ (a folder), tests/run.sh
NAMED = re.compile(r"(?<![\w./-])((?:lnctl|tests|bench|examples)/[\w./-]*[\w/])")


def _named(text: str) -> set[str]:
    return {m.rstrip(".") for m in NAMED.findall(text)}


def test_the_docs_are_there() -> None:
    assert {p.name for p in DOCS} >= {"architecture.md", "development.md", "performance.md"}


def test_every_path_the_docs_name_exists() -> None:
    named = {
        (doc.name, path)
        for doc in [*DOCS, ROOT / "README.md"]
        for path in _named(doc.read_text("utf-8"))
    }
    modules = {path for _, path in named if path.startswith("lnctl/") and path.endswith(".py")}
    assert len(modules) >= 30  # architecture.md walks the package: not a vacuous check
    assert sorted((doc, path) for doc, path in named if not (ROOT / path).exists()) == []


def test_the_path_pattern_finds_what_it_should() -> None:
    text = "see `lnctl/cli/fast.py`, lnctl/cli/commands/ and (tests/run.sh). Not xlnctl/a.py."
    assert _named(text) == {"lnctl/cli/fast.py", "lnctl/cli/commands/", "tests/run.sh"}


def _run_all() -> ModuleType:
    spec = importlib.util.spec_from_file_location("run_all", ROOT / "bench" / "run_all.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_run_all_writes_a_dated_document_and_keeps_the_log(tmp_path: Path) -> None:
    run_all = _run_all()
    facts = run_all.machine()
    assert [f.split(":")[0] for f in facts][:4] == ["date", "commit", "CPUs", "Python"]
    out = tmp_path / "performance.md"
    out.write_text(f"# old figures\n{run_all.KEEP}\n## Log\nby hand\n")
    text = run_all.document(facts, [("Scrape", "python bench/scrape.py", "0.66 ms\n")], True,
                            run_all.kept_part(out))  # fmt: skip
    assert text.startswith("# Performance\n") and "old figures" not in text
    assert "**Quick mode**" in text and "`python bench/run_all.py --quick`" in text
    assert "## Scrape\n\n`python bench/scrape.py`\n\n```\n0.66 ms\n```" in text
    assert text.endswith(f"{run_all.KEEP}\n## Log\nby hand\n")
    assert all(f"- {fact}" in text for fact in facts)
    against = run_all.document(facts, [], False, "", "pre-21")
    assert "`python bench/run_all.py --against pre-21`" in against and "Quick" not in against
    assert run_all.KEEP not in against
    assert run_all.kept_part(tmp_path / "absent.md") == ""


def test_performance_md_is_written_by_run_all() -> None:
    text = (ROOT / "docs" / "performance.md").read_text("utf-8")
    assert text.startswith("# Performance\n\nWritten by `python bench/run_all.py")
    assert re.search(r"^- date: \d{4}-\d\d-\d\d \d\d:\d\d UTC$", text, re.M)
    assert re.search(r"^- CPUs: \d+$", text, re.M) and re.search(r"^- Python: ", text, re.M)
