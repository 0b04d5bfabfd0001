//! The tokio runtime behind both Python clients, and the two ways Python waits on it.
//!
//! Fork safety (gunicorn `preload_app`, Celery prefork, multiprocessing): nothing is started at
//! import. The runtime is built on first use and remembers the PID that built it; a forked child
//! (whose copy of the runtime has no threads) builds a new one on its first call. The parent's
//! copy is leaked on purpose: dropping it would try to join threads that do not exist in the
//! child. Only atomics are touched on the way, so a lock held at fork time cannot deadlock us.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicPtr, AtomicUsize, Ordering};
use std::sync::OnceLock;
use std::time::Duration;

use pyo3::prelude::*;
use pyo3_async_runtimes::generic::{ContextExt, JoinError, Runtime as GenericRuntime};
use pyo3_async_runtimes::TaskLocals;

struct Slot {
    pid: u32,
    rt: tokio::runtime::Runtime,
}

static SLOT: AtomicPtr<Slot> = AtomicPtr::new(std::ptr::null_mut());

/// How often a blocking call wakes up to let Python run signal handlers (Ctrl-C).
const SIGNAL_CHECK: Duration = Duration::from_millis(50);

fn build() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("sepay-einvoice")
        .enable_all()
        .build()
        .expect("could not start the tokio runtime")
}

/// The runtime of this process, built on first use (and again in a forked child).
pub fn runtime() -> &'static tokio::runtime::Runtime {
    let pid = std::process::id();
    loop {
        let current = SLOT.load(Ordering::Acquire);
        // SAFETY: slots are never freed once published (see the module comment).
        if let Some(slot) = unsafe { current.as_ref() } {
            if slot.pid == pid {
                return &slot.rt;
            }
        }
        let fresh = Box::into_raw(Box::new(Slot { pid, rt: build() }));
        match SLOT.compare_exchange(current, fresh, Ordering::AcqRel, Ordering::Acquire) {
            // The old slot (another process's runtime, or null) is leaked on purpose.
            Ok(_) => return unsafe { &(*fresh).rt },
            // Another thread of this process won the race: drop ours (its threads are ours).
            Err(_) => drop(unsafe { Box::from_raw(fresh) }),
        }
    }
}

/// Runs `fut` to completion on the runtime from a Python thread: the GIL is released while it
/// waits, and every 50 ms the GIL is taken briefly to run signal handlers, so Ctrl-C raises
/// `KeyboardInterrupt` promptly. Returning that error aborts the task, which drops `fut` and
/// cancels the request.
///
/// The future runs on a runtime thread, where its I/O is woken: the calling thread is woken once,
/// when the answer is there (driving the future here would cost a cross-thread wake-up per I/O
/// event).
pub fn block_on<F>(py: Python<'_>, fut: F) -> PyResult<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    if tokio::runtime::Handle::try_current().is_ok() {
        // A callback of the SDK's (on_status, on_progress) runs on a runtime thread: waiting
        // there for another task of the same runtime could wait forever.
        return Err(crate::errors::misuse_to_pyerr(
            py,
            "a blocking Client call cannot run inside an SDK callback (on_status and \
             on_progress run on the SDK's own threads): make the call after the wait returns, \
             or use AsyncClient",
        ));
    }
    let (tx, rx) = std::sync::mpsc::sync_channel(1);
    let task = runtime().spawn(async move {
        let _ = tx.send(fut.await);
    });
    py.detach(move || loop {
        match rx.recv_timeout(SIGNAL_CHECK) {
            Ok(out) => return Ok(out),
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
                if let Err(e) = Python::attach(|py| py.check_signals()) {
                    // An answer that arrived meanwhile is not thrown away.
                    if let Ok(out) = rx.try_recv() {
                        return Ok(out);
                    }
                    task.abort();
                    return Err(e);
                }
            }
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
                return Err(pyo3::exceptions::PyRuntimeError::new_err(
                    "the call ended without an answer (its task was stopped)",
                ))
            }
        }
    })
}

/// Awaitables handed to asyncio whose result has not been delivered yet. Delivery takes the GIL
/// from a runtime thread; if the interpreter is finalizing at that moment, CPython ends the thread
/// with `pthread_exit`, which unwinds through Rust frames that then touch Python objects without
/// the GIL (a crash at exit). An `atexit` hook ([`drain`]) waits for this count to reach zero,
/// with the GIL released, before finalization starts.
static IN_FLIGHT: AtomicUsize = AtomicUsize::new(0);

/// Counts an awaitable about to be handed to asyncio (its delivery ends the count, see
/// [`Rt::spawn_blocking`]). Call [`undo_flight`] if handing it over failed.
pub fn begin_flight() {
    IN_FLIGHT.fetch_add(1, Ordering::AcqRel);
}

/// Ends one count.
pub fn undo_flight() {
    let _ = IN_FLIGHT.fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| n.checked_sub(1));
}

/// Waits (GIL released) until every asyncio delivery has finished, at most `timeout`.
pub fn drain(py: Python<'_>, timeout: Duration) {
    py.detach(|| {
        let end = std::time::Instant::now() + timeout;
        while IN_FLIGHT.load(Ordering::Acquire) > 0 && std::time::Instant::now() < end {
            std::thread::sleep(Duration::from_millis(2));
        }
    })
}

/// pyo3-async-runtimes' generic bridge over our runtime, so `asyncio` cancellation drops the
/// Rust future (and with it the HTTP request).
pub struct Rt;

pub struct JoinErr(tokio::task::JoinError);

impl JoinError for JoinErr {
    fn is_panic(&self) -> bool {
        self.0.is_panic()
    }
    fn into_panic(self) -> Box<dyn std::any::Any + Send + 'static> {
        self.0.into_panic()
    }
}

type Handle = Pin<Box<dyn Future<Output = Result<(), JoinErr>> + Send>>;

tokio::task_local! {
    static TASK_LOCALS: OnceLock<TaskLocals>;
}

impl GenericRuntime for Rt {
    type JoinError = JoinErr;
    type JoinHandle = Handle;

    fn spawn<F>(fut: F) -> Self::JoinHandle
    where
        F: Future<Output = ()> + Send + 'static,
    {
        let h = runtime().spawn(fut);
        Box::pin(async move { h.await.map_err(JoinErr) })
    }

    fn spawn_blocking<F>(f: F) -> Self::JoinHandle
    where
        F: FnOnce() + Send + 'static,
    {
        // pyo3-async-runtimes delivers each result (or cancellation check) through exactly one
        // blocking task: when it is done, that awaitable no longer needs Python.
        let h = runtime().spawn_blocking(move || {
            struct Done;
            impl Drop for Done {
                fn drop(&mut self) {
                    undo_flight();
                }
            }
            let _done = Done;
            f()
        });
        Box::pin(async move { h.await.map_err(JoinErr) })
    }
}

impl ContextExt for Rt {
    fn scope<F, R>(locals: TaskLocals, fut: F) -> Pin<Box<dyn Future<Output = R> + Send>>
    where
        F: Future<Output = R> + Send + 'static,
    {
        let cell = OnceLock::new();
        let _ = cell.set(locals);
        Box::pin(TASK_LOCALS.scope(cell, fut))
    }

    fn get_task_locals() -> Option<TaskLocals> {
        TASK_LOCALS
            .try_with(|c| c.get().cloned())
            .unwrap_or_default()
    }
}

/// The PID that built the current runtime (0 when none was built yet).
pub fn current_pid() -> u32 {
    // SAFETY: slots are never freed once published.
    unsafe { SLOT.load(Ordering::Acquire).as_ref() }.map_or(0, |s| s.pid)
}
