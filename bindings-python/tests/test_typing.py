"""The shipped types: ``mypy --strict`` on the examples, and ``stubtest`` on the package."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

pytest.importorskip("mypy")


def test_mypy_strict_on_the_quickstart_example() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", str(REPO / "examples/python/quickstart.py")],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=300,
    )
    assert out.returncode == 0, out.stdout + out.stderr


def test_stubtest() -> None:
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy.stubtest",
            "sepay_einvoice",
            "--allowlist",
            str(REPO / "bindings-python/stubtest-allowlist.txt"),
        ],
        capture_output=True,
        text=True,
        cwd="/",
        timeout=300,
    )
    assert out.returncode == 0, out.stdout + out.stderr


def test_mypy_sees_the_lazy_batch_names_and_still_catches_misspelt_ones(tmp_path: Path) -> None:
    """The batch names load lazily (a module `__getattr__`, hidden from type checkers): mypy must
    know them, and must still report a name the package does not have."""
    code = tmp_path / "use.py"
    code.write_text(
        "import sepay_einvoice as se\n"
        "from sepay_einvoice import BatchReport\n"
        "row: se.BatchRow = se.BatchRow(key='a', request={})\n"
        "report: BatchReport\n"
        "se.Clinet\n"
    )
    out = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", str(code)],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=300,
    )
    lines = [line for line in out.stdout.splitlines() if ": error:" in line]
    assert len(lines) == 1 and 'has no attribute "Clinet"' in lines[0], out.stdout + out.stderr


def test_the_package_exports_every_generated_model() -> None:
    import sepay_einvoice
    from sepay_einvoice import _models

    missing = sorted(set(_models.__all__) - set(sepay_einvoice.__all__))
    assert not missing, f"add to sepay_einvoice/__init__.py: {missing}"
    for name in _models.__all__:
        assert getattr(sepay_einvoice, name) is getattr(_models, name)


def test_type_hints_of_every_public_class_resolve() -> None:
    """Tools that read annotations at run time (pydantic, cattrs, FastAPI) can resolve them."""
    import dataclasses
    import typing

    import sepay_einvoice

    for name in sepay_einvoice.__all__:
        obj = getattr(sepay_einvoice, name)
        if isinstance(obj, type) and dataclasses.is_dataclass(obj):
            typing.get_type_hints(obj)
