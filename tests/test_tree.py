"""The repository holds only what a fresh clone needs: no symbolic link (a clone gets it dangling,
and a green CI on the machine that has its target cannot see that), no file that .gitignore
ignores (a leftover of a local run), no key, credential or local state. And a test run writes
nothing into the checkout but the tools' own ignored caches."""

from __future__ import annotations

import fnmatch
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# names of files that hold secrets or local state: never in the repository
SECRET_PATTERNS = (
    "*.key",
    "*.pem",
    "*.p12",
    "*.pfx",
    "*auth_key*",
    ".env",
    ".env.*",
    "id_rsa*",
    "id_ed25519*",
    "*.sqlite",
    "*.sqlite3",
    "*.db",
    "*-wal",
    "*-shm",
    "memo.keys",
    "*password*",
    "*secret*",
)


def git(*args: str) -> str:
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout (an sdist or an installed copy): nothing to check")
    return subprocess.run(
        ["git", *args], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout


def tree_problems(index: str, ignored: str) -> list[str]:
    """What is wrong with a tree, from ``git ls-files -s -z`` and ``git ls-files -ci
    --exclude-standard -z``."""
    problems = []
    for entry in filter(None, index.split("\0")):
        mode, path = entry.split(" ", 1)[0], entry.split("\t", 1)[1]
        if mode == "120000":
            problems.append(f"{path}: a symbolic link")
        name = path.rsplit("/", 1)[-1]
        if any(fnmatch.fnmatch(name.lower(), pattern) for pattern in SECRET_PATTERNS):
            problems.append(f"{path}: a key, credential or local state file")
    problems += [f"{path}: ignored by .gitignore" for path in filter(None, ignored.split("\0"))]
    return problems


def test_the_tree_tracks_no_link_no_ignored_file_and_no_secret() -> None:
    problems = tree_problems(
        git("ls-files", "-s", "-z"), git("ls-files", "-ci", "--exclude-standard", "-z")
    )
    assert not problems, "\n".join(problems)


def test_the_check_finds_what_an_earlier_tree_held() -> None:
    """The tree of f203b39 tracked a link to /tmp/lnbits-venv and LNbits' auth key."""
    index = (
        "120000 4c5d3c1b 0\t.lnbits-venv\0"
        "100644 9a1c0f2e 0\tdata/.lnbits_auth_key\0"
        "100644 1b2c3d4e 0\tlnctl/storage/keys.py\0"
        "100644 5f6a7b8c 0\ttests/data/bolt11-examples.json\0"
    )
    assert tree_problems(index, "data/.lnbits_auth_key\0") == [
        ".lnbits-venv: a symbolic link",
        "data/.lnbits_auth_key: a key, credential or local state file",
        "data/.lnbits_auth_key: ignored by .gitignore",
    ]
