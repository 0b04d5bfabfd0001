"""The shared conformance scenarios through the sync and the async client."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Callable, Dict, Any

import pytest

import conformance
from conftest import CONFORMANCE
from mockctl import Mock

FILES = conformance.scenario_files()
IDS = [p.stem for p in FILES]


def _run(mode: str, path: Path, mock: Mock, runner: Callable[[Mock, Dict[str, Any]], None]) -> None:
    scenario = json.loads(path.read_text(encoding="utf-8"))
    name = f"{path.stem}: {scenario.get('name', '')}"
    try:
        runner(mock, scenario)
    except BaseException:
        CONFORMANCE[mode]["failed"].append(name)
        raise
    CONFORMANCE[mode]["passed"].append(name)


@pytest.mark.skipif(not FILES, reason="no conformance scenarios yet")
@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_conformance_sync(path: Path, mock: Mock) -> None:
    _run("sync", path, mock, conformance.run_sync)


@pytest.mark.skipif(not FILES, reason="no conformance scenarios yet")
@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_conformance_async(path: Path, mock: Mock) -> None:
    _run("async", path, mock, conformance.run_async)


def test_secret_scan_after_the_scenarios() -> None:
    """Runs after the scenarios (pytest keeps file order): with DEBUG logging on, no log record,
    repr or error attribute of the whole suite contains the client secret, a token or a buyer's
    tax code, e-mail, phone or national id."""
    scan = conformance.SCAN
    leaks = scan.leaks()
    CONFORMANCE["scan"] = {
        "passed": [f"{len(scan.outputs)} outputs, {scan.log_lines} log lines, {len(scan.secrets)} secrets"],
        "failed": leaks,
    }
    assert not leaks, "\n".join(leaks[:5])


def test_runner_matching_rules() -> None:
    """The runner's own matching rules, so a green run means something."""
    m = conformance.match
    m({"a": "220000.00", "b": None}, {"a": 220000, "b": None, "c": None}, {})
    m({"a": "x"}, {"a": "$any", "z": "$absent"}, {})
    m([{"s": "issued"}, {"s": "issued"}], {"$each": {"s": "issued"}}, {})
    m("%PDF-1.4", {"$startsWith": "%PDF"}, {})
    m([1, 2], {"$len": 2}, {})
    m(5, {"$gte": 5, "$lte": 6}, {})
    m("abc", "$saved.x", {"saved": {"x": "abc"}})
    for actual, expected in [({"a": 1}, {"a": 2}), ({}, {"a": "$any"}), ([1], [1, 2]), (True, 1)]:
        with pytest.raises(conformance.StepFailed):
            m(actual, expected, {})
    saved = {"job": {"reference_code": "r1"}}
    assert conformance.substitute({"x": "$job.reference_code", "y": ["$job"]}, saved) == {
        "x": "r1",
        "y": [{"reference_code": "r1"}],
    }
    assert len(conformance.substitute("$now", {})) == 19
