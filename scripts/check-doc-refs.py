#!/usr/bin/env python3
"""No reference to a file that is not in the repository (part of `make test`).

Scans the READMEs and docs/ for relative Markdown links, repository paths (in backticks, code
blocks or prose: anything starting with one of the repository's top-level directories) and bare
Markdown file names (`DESIGN.md`), and fails naming each one that matches no file or directory in
the repository. A path git ignores (`.venv/`, `target/...`, `dist/`) is a build output, not a
missing file; a path with a placeholder (`soak-<lang>.json`) is not checked.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
os.chdir(ROOT)

DOCS = ["README.md", "mock-server/README.md", "bindings-python/README.md", "bindings-node/README.md"]
DOCS += sorted(str(p) for p in Path("docs").glob("*.md"))
DOCS += sorted(str(p) for p in Path("tests").rglob("README.md"))

files = set(
    subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        capture_output=True, text=True, check=True,
    ).stdout.split()
)
dirs = {str(Path(f).parent) for f in files}
dirs |= {str(p) for d in list(dirs) for p in Path(d).parents}
names = {Path(f).name for f in files}
tops = {d for d in dirs if "/" not in d and d != "."}

LINK = re.compile(r"\]\(([^)\s]+?)(?:\s+\"[^\"]*\")?\)")
PATH = re.compile(r"(?<![\w./$@-])((?:\.\./|\./)*[\w.-]+(?:/[\w.-]+)+/?)")
MD_NAME = re.compile(r"(?<![\w./-])([A-Z][A-Z_]+\.md)\b")
PLACEHOLDER = re.compile(r"^[<*{…$]")


def exists(doc: str, target: str) -> bool:
    target = target.rstrip("/")
    for cand in (os.path.normpath(os.path.join(os.path.dirname(doc), target)), os.path.normpath(target)):
        if cand in files or cand in dirs:
            return True
        if subprocess.run(["git", "check-ignore", "-q", cand]).returncode == 0:
            return True
    return False


def check(doc: str) -> list[str]:
    bad = []
    for n, line in enumerate(Path(doc).read_text(encoding="utf-8").splitlines(), 1):
        for m in LINK.finditer(line):
            target = m.group(1).split("#")[0]
            if not target or re.match(r"^[a-z][a-z0-9+.-]*:", target):
                continue
            if not exists(doc, target):
                bad.append(f"{doc}:{n}: link to {target}")
        for m in PATH.finditer(line):
            path = m.group(1)
            rest = line[m.end():]
            if PLACEHOLDER.match(rest) or path.endswith((".", "-")):
                continue  # `soak-<lang>.json`, `sepay-einvoice.<platform>.node`
            first = path.lstrip("./").split("/")[0]
            if first not in tops and not path.startswith(".."):
                continue  # not a repository path (a URL's tail, `owner/name`, a MIME type)
            if not exists(doc, path.rstrip(".,:;")):
                bad.append(f"{doc}:{n}: path {path}")
        for m in MD_NAME.finditer(line):
            if m.group(1) not in names:
                bad.append(f"{doc}:{n}: file name {m.group(1)}")
    return bad


problems = [p for doc in DOCS for p in check(doc)]
for p in problems:
    print(f"docs: no such file in the repository: {p}", file=sys.stderr)
if problems:
    sys.exit(1)
print(f"docs: every file reference in {len(DOCS)} documents exists")
