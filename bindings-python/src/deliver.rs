//! Async results handed to an asyncio loop without a thread per result and without a runtime
//! thread ever waiting for the GIL.
//!
//! One [`Deliveries`] per event loop (made by the package, see `_client.py`): a queue and a
//! socket pair whose read end the loop watches (`loop.add_reader`). A finished call pushes its
//! result onto the queue and, if the queue was not already signalled, writes one byte. The loop
//! wakes, [`Deliveries::drain`] runs on the loop's own thread with the GIL, and sets every
//! queued result at once — one wake-up for however many calls finished meanwhile.
//!
//! Where a loop cannot watch a socket (Windows' proactor loop), the package falls back to
//! pyo3-async-runtimes (`NativeCall.awaitable`).

use std::io::{Read, Write};
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use pyo3::prelude::*;

use crate::conversion::Reply;

struct Queue {
    done: Mutex<Vec<(Py<PyAny>, Reply)>>,
    /// A byte is on its way to the loop (cleared by the drain before it takes the queue).
    signalled: AtomicBool,
    write: UnixStream,
}

impl Queue {
    fn push(&self, future: Py<PyAny>, reply: Reply) {
        self.done
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push((future, reply));
        if !self.signalled.swap(true, Ordering::AcqRel) {
            // Non-blocking: a full socket already holds a byte that will wake the loop.
            let _ = (&self.write).write(&[1]);
        }
    }
}

/// The results queue of one asyncio event loop.
#[pyclass(frozen, module = "sepay_einvoice._native")]
pub struct Deliveries {
    queue: Arc<Queue>,
    read: UnixStream,
}

#[pymethods]
impl Deliveries {
    #[new]
    fn new() -> PyResult<Self> {
        let (read, write) = UnixStream::pair()?;
        read.set_nonblocking(true)?;
        write.set_nonblocking(true)?;
        Ok(Deliveries {
            queue: Arc::new(Queue {
                done: Mutex::new(Vec::new()),
                signalled: AtomicBool::new(false),
                write,
            }),
            read,
        })
    }

    /// The descriptor the loop watches.
    fn fileno(&self) -> i32 {
        self.read.as_raw_fd()
    }

    /// Sets every finished call's result on its future (run by the loop when the socket is
    /// readable). A future cancelled meanwhile is left alone.
    fn drain(&self, py: Python<'_>) -> PyResult<()> {
        let mut buf = [0u8; 256];
        while matches!((&self.read).read(&mut buf), Ok(n) if n > 0) {}
        self.queue.signalled.store(false, Ordering::Release);
        let done = std::mem::take(&mut *self.queue.done.lock().unwrap_or_else(|p| p.into_inner()));
        for (future, reply) in done {
            // One result that cannot be set must not strand the others.
            if let Err(e) = settle(py, future.bind(py), reply) {
                e.write_unraisable(py, None);
            }
        }
        Ok(())
    }
}

fn settle(py: Python<'_>, future: &Bound<'_, PyAny>, reply: Reply) -> PyResult<()> {
    if future
        .call_method0(pyo3::intern!(py, "done"))?
        .is_truthy()?
    {
        return Ok(());
    }
    match crate::errors::guard(py, || reply.into_py(py)) {
        Ok(value) => future.call_method1(pyo3::intern!(py, "set_result"), (value,))?,
        Err(e) => future.call_method1(pyo3::intern!(py, "set_exception"), (e.value(py),))?,
    };
    Ok(())
}

/// A call started for an asyncio future; `cancel()` drops the Rust future (and with it the
/// request), as cancelling the awaiting task does.
#[pyclass(frozen, module = "sepay_einvoice._native")]
pub struct NativeTask {
    abort: tokio::task::AbortHandle,
}

#[pymethods]
impl NativeTask {
    /// Drops the running call.
    fn cancel(&self) {
        self.abort.abort();
    }
}

/// Runs `fut` on the runtime; its result reaches `future` through `deliveries`.
pub fn start(fut: crate::client::BoxFut, future: Py<PyAny>, deliveries: &Deliveries) -> NativeTask {
    let queue = deliveries.queue.clone();
    // Counted until the task ends (done or aborted): the exit hook waits for it, so no runtime
    // thread enters Python (a callback, a log line) while the interpreter finalizes.
    crate::runtime::begin_flight();
    let handle = crate::runtime::runtime().spawn(async move {
        struct Done;
        impl Drop for Done {
            fn drop(&mut self) {
                crate::runtime::undo_flight();
            }
        }
        let _done = Done;
        let reply = fut.await;
        queue.push(future, reply);
    });
    NativeTask {
        abort: handle.abort_handle(),
    }
}
