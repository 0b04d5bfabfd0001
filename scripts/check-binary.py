"""Checks a Linux Node addon against the same policy `auditwheel show` applies to a wheel:
manylinux2014 (glibc 2.17) for `*-linux-gnu`, musllinux_1_2 for `*-linux-musl`.

The npm platform packages carry a bare `.node` file that auditwheel cannot read, so this reads
its ELF header, its `DT_NEEDED` libraries and its versioned symbol requirements with pyelftools
(an auditwheel dependency) and compares them with auditwheel's own policy files: the right CPU,
only libraries every such system has, no glibc symbol newer than the policy allows, and none at
all for musl. Prints one line per binary; exits 1 naming what is wrong.

Usage: python scripts/check-binary.py <addon.node> <rust target triple>
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import auditwheel.policy
from elftools.elf.dynamic import DynamicSection
from elftools.elf.elffile import ELFFile
from elftools.elf.gnuversions import GNUVerNeedSection

MACHINES = {"x86_64": "EM_X86_64", "aarch64": "EM_AARCH64"}


def policy(libc: str, arch: str) -> tuple[str, set[str], dict[str, set[str]]]:
    """(name, allowed libraries, allowed symbol versions per prefix) of the policy for the target."""
    folder = Path(auditwheel.policy.__file__).parent
    file, name = (
        ("musllinux-policy.json", "musllinux_1_2") if libc == "musl" else ("manylinux-policy.json", "manylinux_2_17")
    )
    for p in json.loads((folder / file).read_text()):
        if p["name"] == name:
            versions = {k: set(v) for k, v in p["symbol_versions"].get(arch, {}).items()}
            libraries = set(p["lib_whitelist"])
            if libc == "musl" and "libc.so" in libraries:
                # auditwheel reads the policy's `libc.so` as the soname musl distributions
                # install (its _fixup_musl_libc_soname).
                libraries = (libraries - {"libc.so"}) | {f"libc.musl-{arch}.so.1"}
            return name, libraries, versions
    raise SystemExit(f"auditwheel has no {name} policy")


def check(path: Path, triple: str) -> list[str]:
    arch, _, _, libc = (triple.split("-") + [""] * 4)[:4]
    name, libraries, versions = policy("musl" if libc.startswith("musl") else "gnu", arch)
    problems: list[str] = []
    with path.open("rb") as f:
        elf = ELFFile(f)
        if elf.elfclass != 64 or elf["e_machine"] != MACHINES.get(arch):
            problems.append(f"built for {elf['e_machine']} ({elf.elfclass}-bit), not {arch}")
        needed: list[str] = []
        required: list[tuple[str, str]] = []
        for section in elf.iter_sections():
            if isinstance(section, DynamicSection):
                needed += [t.needed for t in section.iter_tags() if t.entry.d_tag == "DT_NEEDED"]
            elif isinstance(section, GNUVerNeedSection):
                for verneed, aux in section.iter_versions():
                    required += [(verneed.name, a.name) for a in aux]
    for lib in needed:
        # auditwheel's rule: the ELF loader itself is on every system of its kind.
        if "ld-linux" in lib or lib in ("ld64.so.1", "ld64.so.2"):
            continue
        if lib not in libraries:
            problems.append(f"needs {lib}, which {name} does not allow")
    for lib, version in required:
        prefix, _, _ = version.partition("_")
        if prefix not in versions or version.partition("_")[2] not in versions[prefix]:
            problems.append(f"needs {version} (from {lib}), newer than {name} allows")
    if not problems:
        newest = sorted({v for _, v in required}, key=lambda v: [int(x) if x.isdigit() else 0 for x in v.split("_")[-1].split(".")])
        print(
            f"{path.name}: {name} {arch} ok (needs {', '.join(needed) or 'nothing'}; "
            f"newest symbol version {newest[-1] if newest else 'none'})"
        )
    return problems


def main() -> None:
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    path, triple = Path(sys.argv[1]), sys.argv[2]
    problems = check(path, triple)
    if problems:
        raise SystemExit(f"{path}: " + "; ".join(dict.fromkeys(problems)))


if __name__ == "__main__":
    main()
