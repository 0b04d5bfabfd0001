//! How results reach their promises: one threadsafe function per JavaScript thread settles every
//! call's promise, many per wake-up of the event loop.
//!
//! napi's `JsDeferred` makes a threadsafe function per call: an async resource, a libuv handle
//! opened and closed, an environment cleanup hook added and removed, all on the JavaScript
//! thread. Here a call costs that thread one `napi_create_promise`; the results queue on one
//! threadsafe function made once. It is referenced (keeps the process alive) only while calls are
//! pending, as a per-call one would be.

use std::cell::{Cell, RefCell};
use std::ffi::c_void;
use std::ptr;
use std::sync::{Arc, RwLock};

use napi::bindgen_prelude::*;
use napi::{check_status, sys};

/// The promise of one call, to be settled from any thread. Dropped unsettled (its task never
/// ran, or was dropped), it rejects the promise: none is ever left pending.
pub struct Pending {
    deferred: Option<sys::napi_deferred>,
    queue: Arc<Queue>,
}

// SAFETY: the deferred is only used on the JavaScript thread, in `deliver`; other threads only
// move it into the queue.
unsafe impl Send for Pending {}

/// What turns a result into a JavaScript value, on the JavaScript thread.
type Outcome = Box<dyn FnOnce(sys::napi_env) -> napi::Result<sys::napi_value> + Send>;

struct Delivery {
    deferred: sys::napi_deferred,
    outcome: Outcome,
}

/// The threadsafe function of one JavaScript thread; `None` once its environment is torn down
/// (Node then frees it, and a late result must not reach it).
struct Queue(RwLock<Option<Tsfn>>);

#[derive(Clone, Copy)]
struct Tsfn(sys::napi_threadsafe_function);

// SAFETY: threadsafe functions are made to be called from any thread.
unsafe impl Send for Tsfn {}
unsafe impl Sync for Tsfn {}

thread_local! {
    /// This JavaScript thread's queue (each worker thread has its own environment).
    static QUEUE: RefCell<Option<Arc<Queue>>> = const { RefCell::new(None) };
    /// Calls of this thread whose promise is not settled yet.
    static PENDING: Cell<usize> = const { Cell::new(0) };
}

/// A new promise for a call made on the JavaScript thread of `env`.
pub fn promise<'e, T>(env: &'e Env) -> napi::Result<(Pending, PromiseRaw<'e, T>)> {
    let queue = queue(env)?;
    let mut deferred = ptr::null_mut();
    let mut promise = ptr::null_mut();
    check_status!(
        unsafe { sys::napi_create_promise(env.raw(), &mut deferred, &mut promise) },
        "could not create a promise"
    )?;
    if PENDING.get() == 0 {
        if let Some(t) = *read(&queue) {
            // Pending calls keep the process alive, as a per-call threadsafe function would.
            unsafe { sys::napi_ref_threadsafe_function(env.raw(), t.0) };
        }
    }
    PENDING.set(PENDING.get() + 1);
    Ok((
        Pending {
            deferred: Some(deferred),
            queue,
        },
        PromiseRaw::new(env.raw(), promise),
    ))
}

impl Pending {
    /// Settles the promise with `result` (from any thread).
    pub fn settle<T: ToNapiValue + Send + 'static>(mut self, result: napi::Result<T>) {
        self.send(Box::new(move |env| match result {
            Ok(v) => unsafe { T::to_napi_value(env, v) },
            Err(e) => Err(e),
        }));
    }

    fn send(&mut self, outcome: Outcome) {
        let Some(deferred) = self.deferred.take() else {
            return;
        };
        let delivery = Box::into_raw(Box::new(Delivery { deferred, outcome }));
        let sent = match *read(&self.queue) {
            Some(t) => unsafe {
                sys::napi_call_threadsafe_function(
                    t.0,
                    delivery.cast(),
                    sys::ThreadsafeFunctionCallMode::nonblocking,
                )
            },
            None => sys::Status::napi_closing,
        };
        if sent != sys::Status::napi_ok {
            // The environment is gone: nobody waits for this promise any more.
            drop(unsafe { Box::from_raw(delivery) });
        }
    }
}

impl Drop for Pending {
    fn drop(&mut self) {
        self.send(Box::new(|_| {
            Err(crate::errors::panic_error(Box::new(
                "the call ended without a result",
            )))
        }));
    }
}

fn read(queue: &Queue) -> std::sync::RwLockReadGuard<'_, Option<Tsfn>> {
    queue.0.read().unwrap_or_else(|p| p.into_inner())
}

/// This thread's queue, made on first use.
fn queue(env: &Env) -> napi::Result<Arc<Queue>> {
    if let Some(q) = QUEUE.with_borrow(|q| q.clone()) {
        return Ok(q);
    }
    let mut name = ptr::null_mut();
    check_status!(unsafe {
        sys::napi_create_string_utf8(
            env.raw(),
            c"sepay-einvoice".as_ptr(),
            c"sepay-einvoice".count_bytes() as isize,
            &mut name,
        )
    })?;
    let mut tsfn = ptr::null_mut();
    check_status!(
        unsafe {
            sys::napi_create_threadsafe_function(
                env.raw(),
                ptr::null_mut(),
                ptr::null_mut(),
                name,
                0,
                1,
                ptr::null_mut(),
                None,
                ptr::null_mut(),
                Some(deliver),
                &mut tsfn,
            )
        },
        "could not create the addon's threadsafe function"
    )?;
    // Not referenced while no call is pending: an idle client never keeps the process alive.
    unsafe { sys::napi_unref_threadsafe_function(env.raw(), tsfn) };
    let queue = Arc::new(Queue(RwLock::new(Some(Tsfn(tsfn)))));
    // Registered after the threadsafe function, so it runs before Node frees it (cleanup
    // hooks run in reverse order).
    let hook = Arc::into_raw(queue.clone()) as *mut c_void;
    check_status!(unsafe { sys::napi_add_env_cleanup_hook(env.raw(), Some(closed), hook) })?;
    QUEUE.with_borrow_mut(|q| *q = Some(queue.clone()));
    Ok(queue)
}

/// The environment is being torn down: results arriving later are dropped, and the threadsafe
/// function is released so Node can free it.
unsafe extern "C" fn closed(arg: *mut c_void) {
    let queue = unsafe { Arc::from_raw(arg as *const Queue) };
    let tsfn = queue.0.write().unwrap_or_else(|p| p.into_inner()).take();
    if let Some(t) = tsfn {
        unsafe {
            sys::napi_release_threadsafe_function(t.0, sys::ThreadsafeFunctionReleaseMode::abort)
        };
    }
    QUEUE.with_borrow_mut(|q| *q = None);
    // A new environment on this thread (an embedder's reload) starts with none pending.
    PENDING.set(0);
}

/// Settles one promise, on the JavaScript thread.
unsafe extern "C" fn deliver(
    env: sys::napi_env,
    _js_callback: sys::napi_value,
    _context: *mut c_void,
    data: *mut c_void,
) {
    let delivery = unsafe { Box::from_raw(data as *mut Delivery) };
    if env.is_null() {
        // Drained while the environment is torn down: no promise left to settle.
        return;
    }
    let left = PENDING.get().saturating_sub(1);
    PENDING.set(left);
    if left == 0 {
        if let Some(q) = QUEUE.with_borrow(|q| q.clone()) {
            if let Some(t) = *read(&q) {
                unsafe { sys::napi_unref_threadsafe_function(env, t.0) };
            }
        }
    }
    let value = (delivery.outcome)(env);
    unsafe {
        match value {
            Ok(v) => {
                sys::napi_resolve_deferred(env, delivery.deferred, v);
            }
            Err(e) => {
                // As napi settles a rejected deferred: the error as its JavaScript value (and a
                // plain Error should that fail: a promise is never left pending).
                let error = ToNapiValue::to_napi_value(env, e).unwrap_or_else(|_| {
                    let (mut message, mut error) = (ptr::null_mut(), ptr::null_mut());
                    let text = c"sepay-einvoice: the error could not be converted";
                    sys::napi_create_string_utf8(
                        env,
                        text.as_ptr(),
                        text.count_bytes() as isize,
                        &mut message,
                    );
                    sys::napi_create_error(env, ptr::null_mut(), message, &mut error);
                    error
                });
                sys::napi_reject_deferred(env, delivery.deferred, error);
            }
        }
    }
}
