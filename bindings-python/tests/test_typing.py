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
