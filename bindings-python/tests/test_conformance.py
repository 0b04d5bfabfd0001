"""The shared conformance scenarios through the sync and the async client."""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Dict, Any

import pytest

import conformance
from conftest import CONFORMANCE
from mockctl import Mock

FILES = conformance.scenario_files()
IDS = [p.stem for p in FILES]


def _run(mode: str, path: Path, mock: Mock, runner: Callable[[Mock, Dict[str, Any]], None]) -> None:
    name = path.stem
    try:
        runner(mock, conformance.load(path))
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
    series = conformance.substitute({"s": "$series:TSE"}, {})["s"]
    assert series == "C" + conformance.substitute("$now", {})[2:4] + "TSE"
    assert conformance._sent_besides_account(
        {
            "requests_total": 6,
            "requests": {
                "get_provider_account": {"200": 2, "404": 1},
                "token": {"200": 1},
                "create_invoice": {"200": 1, "dropped": 1},
            },
        }
    ) == 2
    for unresolved in ("$never_saved", "$job.no_such_key", "$job.reference_code.deeper"):
        with pytest.raises(conformance.StepFailed, match="nothing saved at"):
            conformance.substitute({"x": unresolved}, saved)


def test_the_format_is_checked() -> None:
    """A misspelt key anywhere the schema knows, and an unknown fixture, fail the scenario."""
    good = {"name": "n", "steps": [{"call": "create_invoice", "args": {"request": {"$fixture": "sales-draft", "is_draft": False}}}]}
    resolved = conformance.prepare(good)
    request = resolved["steps"][0]["args"]["request"]
    assert request["is_draft"] is False and request["template_code"] == "2" and "$fixture" not in request
    typos = [
        {"name": "n", "steps": [{"call": "get_usage", "expcet": {}}]},
        {"name": "n", "steps": [{"call": "wait_for_status", "args": {"job": {}, "timout_ms": 1}}]},
        {"name": "n", "steps": [{"mock": "faults", "body": [{"kind": "status", "tims": 1}]}]},
        {"name": "n", "steps": [{"call": "get_usage", "expect_error": {"kind": "NotFuond"}}]},
        {"name": "n", "mock": {"confg": {}}, "steps": [{"call": "get_usage"}]},
    ]
    for scenario in typos:
        with pytest.raises(conformance.StepFailed, match="does not match scenario.schema.json"):
            conformance.prepare(scenario)
    with pytest.raises(conformance.StepFailed, match="unknown fixture"):
        conformance.prepare({"name": "n", "steps": [{"call": "totals", "args": {"request": {"$fixture": "nope"}}}]})
