"""Runtime behaviour users depend on: GIL release, Ctrl-C, asyncio cancellation, fork safety,
threads, logging."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Dict, List

import pytest

import sepay_einvoice as se
from sepay_einvoice import _native
from conftest import draft_request
from mockctl import CLIENT_ID, CLIENT_SECRET, Mock

HERE = Path(__file__).resolve().parent


def make_client(mock: Mock, **kw: Any) -> se.Client:
    return se.Client(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, base_url=mock.url, **kw)


def make_async(mock: Mock, **kw: Any) -> se.AsyncClient:
    return se.AsyncClient(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, base_url=mock.url, **kw)


def test_import_starts_nothing() -> None:
    """No runtime and no thread at import (fork safety, import cost)."""
    code = textwrap.dedent(
        """
        import threading, sepay_einvoice, sepay_einvoice._native as n
        assert n.runtime_pid() == 0, n.runtime_pid()
        assert threading.active_count() == 1
        c = sepay_einvoice.Client(client_id="a", client_secret="b", base_url="http://127.0.0.1:9")
        assert n.runtime_pid() == 0, "building a client must not start the runtime"
        print("ok")
        """
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    names = subprocess.run(
        [sys.executable, "-c", "import sepay_einvoice, os; print(len(os.listdir('/proc/self/task')))"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert names.stdout.strip() == "1", names.stdout


def test_import_loads_no_logging_or_asyncio_until_used(fresh_mock: Mock) -> None:
    """`logging` and `asyncio` are imported when first needed, not by `import sepay_einvoice`
    (import time); the first SDK log record builds the bridge and its NullHandler."""
    code = textwrap.dedent(
        f"""
        import sys
        import sepay_einvoice as se
        assert "logging" not in sys.modules, "logging imported at import"
        assert "asyncio" not in sys.modules, "asyncio imported at import"
        c = se.Client(client_id="mock_client_id", client_secret="mock_client_secret", base_url={fresh_mock.url!r})
        c.get_usage()
        import logging
        handlers = logging.getLogger("sepay_einvoice").handlers
        assert [type(h).__name__ for h in handlers] == ["NullHandler"], handlers
        print("ok")
        """
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok" and out.stderr == "", out.stderr


def test_the_lazy_batch_names_are_the_batch_module_s() -> None:
    """`sepay_einvoice` names the batch types without importing `_batch` (see `__getattr__`):
    the list must follow `_batch.__all__`, and each name must resolve to the same object."""
    import sepay_einvoice as se
    from sepay_einvoice import _batch

    assert se._BATCH_NAMES == frozenset(_batch.__all__)
    assert set(_batch.__all__) <= set(se.__all__) and set(_batch.__all__) <= set(dir(se))
    for name in _batch.__all__:
        assert getattr(se, name) is getattr(_batch, name)


def test_sync_call_releases_the_gil(fresh_mock: Mock) -> None:
    fresh_mock.fault({"route": "get_usage", "kind": "latency", "latency_ms": 1200, "times": 1})
    client = make_client(fresh_mock)
    client.authenticate()
    done = threading.Event()

    def slow() -> None:
        client.get_usage()
        done.set()

    t = threading.Thread(target=slow)
    t.start()
    time.sleep(0.15)
    # Pure-Python work on this thread while the other one waits in Rust: if the call held the
    # GIL, this loop could not run until the call ended.
    spins, end = 0, time.monotonic() + 0.4
    while time.monotonic() < end:
        spins += 1
    assert not done.is_set(), "the call should still be waiting"
    assert spins > 10_000
    t.join(10)
    assert done.is_set()


CTRL_C_SCRIPT = """
import os, signal, sys, threading, time
import sepay_einvoice as se
sys.path.insert(0, {here!r})
from conftest import draft_request
client = se.Client(client_id="mock_client_id", client_secret="mock_client_secret", base_url={url!r})
job = client.create_invoice(draft_request(notes="[mock:stuck]"))
sent = []
def interrupt():
    time.sleep(0.7)
    sent.append(time.monotonic())
    os.kill(os.getpid(), signal.SIGINT)
threading.Thread(target=interrupt, daemon=True).start()
try:
    client.wait_for_status(job, timeout=30, poll_interval=0.5)
    print("NO-INTERRUPT")
except KeyboardInterrupt:
    print("INTERRUPTED %.3f" % (time.monotonic() - sent[0]))
"""


def test_ctrl_c_interrupts_a_blocking_wait(fresh_mock: Mock) -> None:
    script = CTRL_C_SCRIPT.format(here=str(HERE), url=fresh_mock.url)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert "INTERRUPTED" in out.stdout, out.stdout + out.stderr
    latency = float(out.stdout.split()[-1])
    assert latency < 0.2, f"KeyboardInterrupt took {latency:.3f}s"


def test_asyncio_cancel_drops_the_request(fresh_mock: Mock) -> None:
    """Cancelling the task drops the Rust future: the request is abandoned mid-flight, so the
    mock never performs the create (it aborts handlers whose client went away)."""
    fresh_mock.config({"pending_polls": 0, "pending_ms": 0})
    fresh_mock.fault({"route": "create_invoice", "kind": "latency", "latency_ms": 1500, "times": 1})

    async def main() -> float:
        async with make_async(fresh_mock) as client:
            await client.authenticate()
            task = asyncio.ensure_future(client.create_invoice(draft_request()))
            await asyncio.sleep(0.3)
            t0 = time.monotonic()
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            took = time.monotonic() - t0
            await asyncio.sleep(1.5)  # past the injected latency
            # The client keeps working after a cancellation.
            assert (await client.get_usage()).quota_remaining > 0
            return took

    took = asyncio.run(main())
    assert took < 0.1
    stats = fresh_mock.stats()
    assert stats["jobs"] == 0, stats
    assert "200" not in stats["requests"].get("create_invoice", {}), stats


def test_asyncio_wait_for_timeout_cancels_a_wait(fresh_mock: Mock) -> None:
    async def main() -> None:
        async with make_async(fresh_mock) as client:
            job = await client.create_invoice(draft_request(notes="[mock:stuck]"))
            with pytest.raises(asyncio.TimeoutError):
                await asyncio.wait_for(client.wait_for_status(job, poll_interval=0.1), 0.5)

    t0 = time.monotonic()
    asyncio.run(main())
    assert time.monotonic() - t0 < 3




@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_fork_inherited_and_fresh_clients_work_in_the_child(fresh_mock: Mock) -> None:
    """gunicorn preload_app / Celery prefork: a client built (and used) before fork keeps
    working in the child, and so does a new one; the child gets its own runtime."""
    inherited = make_client(fresh_mock)
    assert inherited.get_usage().quota_remaining > 0  # runtime and pool are live in the parent
    parent_pid = os.getpid()
    assert _native.runtime_pid() == parent_pid

    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # child
        code = 1
        try:
            signal.alarm(30)
            os.close(r)
            results: List[str] = []
            results.append(str(inherited.get_usage().quota_remaining))
            results.append(str(_native.runtime_pid() == os.getpid()))
            fresh = make_client(fresh_mock)
            results.append(str(fresh.get_usage().quota_remaining))

            async def use_async() -> int:
                async with make_async(fresh_mock) as a:
                    return (await a.get_usage()).quota_remaining

            results.append(str(asyncio.run(use_async())))
            job = inherited.create_invoice(draft_request())
            inv = inherited.wait_for_status(job, poll_interval=0.1)
            results.append(str(inv.status))
            inherited.close()  # must not disturb the parent's connections
            del fresh
            os.write(w, ",".join(results).encode())
            code = 0
        except BaseException as e:  # noqa: BLE001 - report anything to the parent
            os.write(w, f"ERROR {e!r}".encode())
        finally:
            os._exit(code)
    os.close(w)
    _, status = os.waitpid(pid, 0)
    out = os.read(r, 4096).decode()
    os.close(r)
    assert os.waitstatus_to_exitcode(status) == 0, out
    quota, own_runtime, fresh_quota, async_quota, state = out.split(",")
    assert own_runtime == "True"
    assert int(quota) > 0 and int(fresh_quota) > 0 and int(async_quota) > 0
    assert state == "draft"
    # The parent's client (and its pooled connection) is unaffected.
    t0 = time.monotonic()
    assert inherited.get_usage().quota_remaining > 0
    assert time.monotonic() - t0 < 2
    assert _native.runtime_pid() == parent_pid


def test_many_threads_share_one_client(fresh_mock: Mock) -> None:
    fresh_mock.config({"pending_polls": 0, "pending_ms": 0})
    client = make_client(fresh_mock)

    def work(i: int) -> str:
        assert client.get_usage().quota_remaining > 0
        job = client.create_invoice(draft_request(notes=f"thread {i}"))
        return client.wait_for_status(job, poll_interval=0.05).reference_code

    with ThreadPoolExecutor(8) as pool:
        refs = list(pool.map(work, range(16)))
    assert len(set(refs)) == 16
    stats = fresh_mock.stats()
    assert stats["tokens_issued"] == 1, "one token for all threads (single flight)"
    assert stats["requests"]["create_invoice"]["200"] == 16


def test_logging_goes_to_the_sepay_einvoice_logger_masked(fresh_mock: Mock) -> None:
    records: List[logging.LogRecord] = []

    class Grab(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    logger = logging.getLogger("sepay_einvoice")
    handler = Grab(logging.DEBUG)
    old = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        client = make_client(fresh_mock)  # resets the level cache of the bridge
        fresh_mock.fault({"route": "get_usage", "kind": "status", "status": 503, "times": 1})
        client.get_usage()  # one retry: logged
        job = client.create_invoice(draft_request())
        client.wait_for_status(job, poll_interval=0.1)
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old)
        _native.reset_log_cache()
    assert records, "expected debug records from the core"
    assert all(r.name.startswith("sepay_einvoice") for r in records)
    text = "\n".join(r.getMessage() for r in records)
    for secret in ("0101234567", "buyer@example.com", CLIENT_SECRET):
        assert secret not in text


def test_sepay_einvoice_log_env_turns_logging_on(fresh_mock: Mock) -> None:
    code = textwrap.dedent(
        f"""
        import sepay_einvoice as se
        c = se.Client(client_id="mock_client_id", client_secret="mock_client_secret", base_url={fresh_mock.url!r})
        c.get_usage()
        """
    )
    env = dict(os.environ, SEPAY_EINVOICE_LOG="debug")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60)
    assert out.returncode == 0, out.stderr
    assert "sepay_einvoice" in out.stderr and "DEBUG" in out.stderr, out.stderr
    assert CLIENT_SECRET not in out.stderr


def test_a_blocking_call_inside_a_callback_is_a_sepay_error(fresh_mock: Mock) -> None:
    """Calling the blocking client from inside a blocking wait's callback (which runs on the
    SDK's runtime) would wait on that runtime from one of its own threads: refused with a
    SePayError that says so, never a hang."""
    client = make_client(fresh_mock)
    caught: List[BaseException] = []

    def on_status(status: se.JobStatus) -> None:
        try:
            client.get_usage()
        except BaseException as e:  # noqa: BLE001
            caught.append(e)

    job = client.create_invoice(draft_request())
    client.wait_for_status(job, poll_interval=0.1, on_status=on_status)
    assert caught
    assert all(type(e) is se.SePayError for e in caught), caught
    assert "cannot run inside an SDK callback" in str(caught[0])


def test_closed_client_raises(fresh_mock: Mock) -> None:
    with make_client(fresh_mock) as client:
        client.get_usage()
    assert client.closed
    with pytest.raises(se.APIConnectionError):
        client.get_usage()

    async def main() -> None:
        async with make_async(fresh_mock) as a:
            await a.get_usage()
        with pytest.raises(se.APIConnectionError):
            await a.get_usage()

    asyncio.run(main())


def test_from_env(mock_env: Mock) -> None:
    c = se.Client.from_env()
    assert c.base_url.startswith(mock_env.url)
    assert c.get_usage().quota_remaining > 0
    assert "secret" not in repr(c)

    async def main() -> Dict[str, Any]:
        async with se.AsyncClient.from_env() as a:
            return (await a.get_usage()).to_dict()

    assert asyncio.run(main())["quota_remaining"] > 0


EXIT_SCRIPT = """
import asyncio, sys
import sepay_einvoice as se
sys.path.insert(0, {here!r})
from conftest import draft_request
async def main():
    c = se.AsyncClient(client_id="mock_client_id", client_secret="mock_client_secret", base_url={url!r})
    await c.get_usage()
    job = await c.create_invoice(draft_request(notes="[mock:stuck]"))
    try:
        await asyncio.wait_for(c.wait_for_status(job, poll_interval=0.05), 0.1)
    except asyncio.TimeoutError:
        pass
    asyncio.ensure_future(c.get_usage())  # still running when asyncio.run cancels it
asyncio.run(main())
"""


def test_interpreter_exit_right_after_async_calls_is_clean(fresh_mock: Mock) -> None:
    """Results are handed to asyncio from runtime threads; the package's atexit hook keeps the
    interpreter from finalizing in the middle of such a hand-over (which used to crash)."""
    script = EXIT_SCRIPT.format(here=str(HERE), url=fresh_mock.url)
    codes = [
        subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=60).returncode
        for _ in range(12)
    ]
    assert codes == [0] * len(codes)


def test_one_async_client_serves_several_event_loops(fresh_mock: Mock) -> None:
    client = make_async(fresh_mock)
    for _ in range(3):
        assert asyncio.run(client.get_usage()).quota_remaining > 0


def test_clients_do_not_pickle() -> None:
    import pickle

    c = se.Client(client_id="a", client_secret="b", base_url="http://127.0.0.1:9")
    with pytest.raises(TypeError, match="per process"):
        pickle.dumps(c)
