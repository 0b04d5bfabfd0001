'use strict'
// The public Node.js API of sepay-einvoice: a thin facade over the native addon (napi-rs, see
// src/lib.rs). Everything the SDK *does* happens in the Rust core; this file only
//   - loads the addon (with a useful message when it is missing),
//   - turns JavaScript values into JSON the addon accepts (drops `undefined`, bigint → string,
//     Date → ISO string),
//   - bridges AbortSignal to the addon's cancel handle,
//   - turns the addon's rejections into the error classes below (defined once, here, so that
//     `instanceof` works from CommonJS and ESM alike: index.mjs re-exports these very classes).

const NATIVE_ERROR_MARK = '[sepay-einvoice]'

function describePlatform() {
  let libc = ''
  if (process.platform === 'linux') {
    let glibc = null
    try {
      const report = process.report && process.report.getReport()
      glibc = report && report.header && report.header.glibcVersionRuntime
    } catch {
      glibc = null
    }
    libc = glibc ? `-gnu (glibc ${glibc})` : '-musl'
  } else if (process.platform === 'win32') {
    libc = '-msvc'
  }
  return `${process.platform}-${process.arch}${libc}`
}

/** The napi-rs platform package holding this machine's binary (sepay-einvoice-linux-x64-gnu). */
function platformPackage() {
  let abi = ''
  if (process.platform === 'linux') {
    let glibc = null
    try {
      const report = process.report && process.report.getReport()
      glibc = report && report.header && report.header.glibcVersionRuntime
    } catch {
      glibc = null
    }
    abi = glibc ? '-gnu' : '-musl'
  } else if (process.platform === 'win32') {
    abi = '-msvc'
  }
  return `sepay-einvoice-${process.platform}-${process.arch}${abi}`
}

function loadNative() {
  try {
    return require('./native.js')
  } catch (thrown) {
    // napi-rs's own message blames npm's lockfile handling; what was tried is in its cause.
    const generic = thrown && /^Cannot find native binding/.test(String(thrown.message))
    const cause = generic && thrown.cause ? thrown.cause : thrown
    const pkg = platformPackage()
    const err = new Error(
      `sepay-einvoice: the native addon for ${describePlatform()} (Node ${process.versions.node}) ` +
        `could not be loaded. It comes in the platform package ${pkg}, an optional dependency ` +
        `of sepay-einvoice: install it with \`npm install ${pkg}\` (npm skips optional ` +
        `dependencies with --omit=optional or a lockfile made on another platform). From a ` +
        `checkout of the repository, build it instead (needs Rust, https://rustup.rs): ` +
        `npm install && npm run build.` +
        (generic ? '' : ` Cause: ${cause && cause.message ? cause.message.split('\n')[0] : cause}`),
      { cause },
    )
    err.code = 'ERR_SEPAY_NATIVE_NOT_FOUND'
    throw err
  }
}

const native = loadNative()

// ---------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------

const FIELDS = [
  'status',
  'apiCode',
  'requestId',
  'method',
  'path',
  'field',
  'retryAfterMs',
  'elapsedMs',
  'bodyExcerpt',
  'attempts',
  'referenceCode',
  'trackingCode',
  'job',
  'lastStatus',
  'retryable',
  'ambiguous',
]

/** Base class of every error the SDK raises. */
class SePayError extends Error {
  constructor(message, details = {}, options = undefined) {
    super(message, options)
    this.name = new.target.name
    /** DESIGN.md kind name, e.g. 'QuotaExceeded'. */
    this.kind = details.kind || 'Internal'
    /** Stable upper-case code, e.g. 'QUOTA_EXCEEDED'. */
    this.code = details.code || 'INTERNAL'
    for (const key of FIELDS) {
      if (details[key] !== undefined && details[key] !== null) this[key] = details[key]
    }
    /** For validation errors: every problem found in the request (warnings included); else empty. */
    this.problems = Array.isArray(details.problems) ? details.problems : []
  }
}
/** Bad input caught before any request was sent; `field` names the offending path. */
class ValidationError extends SePayError {}
/** The API answered with an HTTP error. */
class ApiError extends SePayError {}
class BadRequestError extends ApiError {}
class AuthenticationError extends ApiError {}
class PermissionDeniedError extends ApiError {}
/** HTTP 403 `QUOTA_EXCEEDED` (a kind of PermissionDeniedError). */
class QuotaExceededError extends PermissionDeniedError {}
class NotFoundError extends ApiError {}
class ConflictError extends ApiError {}
class UnprocessableEntityError extends ApiError {}
/**
 * A replacement or adjustment refused because of its original invoice; `apiCode` says why
 * (`INVOICE_ALREADY_REPLACED`, `INVOICE_NOT_ISSUED`, `INVOICE_ACCOUNT_MISMATCH`, …).
 */
class CorrectionRefusedError extends UnprocessableEntityError {}
/** HTTP 429; `retryAfterMs` holds the server's Retry-After when given. */
class RateLimitError extends ApiError {}
class ServerError extends ApiError {}
/** An attempt or the whole call deadline ran out. */
class APITimeoutError extends SePayError {}
/** The transport failed (connect, reset, dropped connection). */
class APIConnectionError extends SePayError {}
/** A response the SDK could not read. */
class DecodeError extends SePayError {}
/** A create or issue job ended Failed; `job`, `referenceCode`, `trackingCode` say which. */
class InvoiceFailedError extends SePayError {}
/** The wait deadline passed while the job was Pending; `job` resumes the wait, `lastStatus` is the last status seen. */
class WaitTimeoutError extends SePayError {}
/**
 * An error that stopped a whole batch (`issueBatch`, `resumeBatch`, `retryFailedBatch`,
 * `batchStatus`); a row's own failure is in its result instead. `kind` says what stopped it:
 * 'Journal' (the journal could not be opened, read or written), 'LeaseLost' (another worker took
 * a row this one was working on) or 'Client' (the API refused the whole run). Unusable rows or
 * options reject with a ValidationError instead. Run the batch again to go on.
 */
class BatchError extends SePayError {}
/** The call was aborted through its AbortSignal (`name === 'AbortError'`). */
class AbortError extends SePayError {
  constructor(message = 'The operation was aborted', options = undefined) {
    super(message, { kind: 'Aborted', code: 'ABORT_ERR' }, options)
    this.name = 'AbortError'
  }
}

const CLASSES = {
  Validation: ValidationError,
  BadRequest: BadRequestError,
  Authentication: AuthenticationError,
  PermissionDenied: PermissionDeniedError,
  QuotaExceeded: QuotaExceededError,
  NotFound: NotFoundError,
  Conflict: ConflictError,
  Unprocessable: UnprocessableEntityError,
  RateLimited: RateLimitError,
  Server: ServerError,
  Timeout: APITimeoutError,
  Connection: APIConnectionError,
  Decode: DecodeError,
  InvoiceFailed: InvoiceFailedError,
  WaitTimeout: WaitTimeoutError,
  CorrectionRefused: CorrectionRefusedError,
  Journal: BatchError,
  LeaseLost: BatchError,
  Client: BatchError,
}

function abortError(signal) {
  const reason = signal && signal.reason
  return new AbortError('The operation was aborted', reason !== undefined ? { cause: reason } : undefined)
}

/** Turns whatever the addon threw into a SePayError (never lets a raw native error through). */
function convertError(err, signal) {
  if (err instanceof SePayError) return err
  const message = err && typeof err.message === 'string' ? err.message : String(err)
  if (message.startsWith(NATIVE_ERROR_MARK)) {
    let details
    try {
      details = JSON.parse(message.slice(NATIVE_ERROR_MARK.length))
    } catch {
      details = { message }
    }
    if (details.kind === 'Aborted') return abortError(signal)
    const Cls = CLASSES[details.kind] || SePayError
    return new Cls(details.message || details.display || 'sepay-einvoice error', details)
  }
  // Argument conversion failures (napi: wrong JS type) and anything unexpected.
  if (err && (err.code === 'InvalidArg' || err.code === 'NumberExpected' || err.code === 'StringExpected' || err.code === 'ObjectExpected')) {
    return new ValidationError(message, { kind: 'Validation', code: 'VALIDATION' }, { cause: err })
  }
  return new SePayError(`internal error in sepay-einvoice: ${message}`, { kind: 'Internal', code: 'INTERNAL' }, { cause: err })
}

// ---------------------------------------------------------------------------------------------
// Value translation (JS → JSON); keys are camelCased/snake_cased by the addon
// ---------------------------------------------------------------------------------------------

/** Deepest nesting accepted in input (a real request is 4 levels deep). */
const MAX_DEPTH = 32
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/

/** The API's name of a key (the addon snake_cases keys the same way). */
function snakeKey(key) {
  return key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)
}

function childPath(path, key) {
  if (typeof key === 'number') return `${path}[${key}]`
  return path ? `${path}.${snakeKey(key)}` : snakeKey(key)
}

function badInput(path, message) {
  const field = path || '(root)'
  return new ValidationError(`${field}: ${message}`, { kind: 'Validation', code: 'VALIDATION', field })
}

/**
 * JavaScript value → JSON the addon accepts: drops `undefined`, bigint → string, Date → ISO
 * string, NaN/±Infinity → their text (the core rejects them with the field's path). Input that
 * cannot become JSON — a function, a symbol, a cycle, text with a lone surrogate — throws a
 * ValidationError naming the field. Nesting deeper than 32 is cut off with a placeholder: no
 * request field is that deep, so the core reports the field whose type is wrong.
 */
function toWire(value, path = '', depth = 0, seen = new Set()) {
  if (depth > MAX_DEPTH) return '[nested too deeply]'
  if (value === undefined || value === null) return value
  switch (typeof value) {
    case 'bigint':
      return value.toString()
    case 'number':
      return Number.isFinite(value) ? value : String(value)
    case 'string':
      if (LONE_SURROGATE.test(value)) throw badInput(path, 'is not valid text (it contains a lone surrogate)')
      return value
    case 'boolean':
      return value
    case 'function':
    case 'symbol':
      throw badInput(path, `has an unsupported type (${typeof value})`)
    default:
      break
  }
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) throw badInput(path, 'is an invalid Date')
    return value.toISOString()
  }
  if (seen.has(value)) throw badInput(path, 'refers to itself (a cycle)')
  seen.add(value)
  try {
    if (Array.isArray(value)) {
      return value.map((v, i) => (v === undefined ? null : toWire(v, childPath(path, i), depth + 1, seen)))
    }
    if (Buffer.isBuffer(value) || ArrayBuffer.isView(value)) {
      throw badInput(path, 'has an unsupported type (binary data)')
    }
    if (typeof value.toJSON === 'function') return toWire(value.toJSON(), path, depth + 1, seen)
    const out = {}
    for (const key of Object.keys(value)) {
      const v = value[key]
      if (v !== undefined) out[key] = toWire(v, childPath(path, key), depth + 1, seen)
    }
    return out
  } finally {
    seen.delete(value)
  }
}

/** A string argument, or a ValidationError naming it (the addon would only say "expected a string"). */
function text(value, field) {
  if (typeof value !== 'string') {
    throw badInput(field, `must be a string, got ${value === null ? 'null' : typeof value}`)
  }
  return value
}

/** Arguments for the addon: bad input becomes a rejected promise, like every other error. */
function wireOrReject(value, path) {
  try {
    return [toWire(value, path), null]
  } catch (e) {
    return [undefined, e]
  }
}

/**
 * The reference-code memory of each request object sent (the core's own, shared): sending the
 * same object again reuses its code, so a retry finds the invoice instead of creating a second
 * one — even after an abort. A WeakMap, so the caller's object is never modified and a copy of
 * it (a new sale) starts without a code.
 */
const sentReferences = new WeakMap()

function sentReferenceOf(request) {
  if (request === null || typeof request !== 'object') return null
  let sent = sentReferences.get(request)
  if (!sent) {
    sent = new native.SentReference()
    sentReferences.set(request, sent)
  }
  return sent
}

/** Runs a create through `call`; an abort still names the invoice's reference code. */
function createCall(request, signal, fn) {
  const sent = sentReferenceOf(request)
  return namingAborts(call(signal, (c) => fn(c, sent)), sent)
}

// Its own scope: while the call runs, the handler keeps `sent` alive and nothing else (not the
// request, nor its wire copy that `fn` holds), so a pending call costs little.
function namingAborts(pending, sent) {
  return pending.catch((e) => {
    if (e instanceof AbortError && sent && sent.code) {
      e.referenceCode = sent.code
      e.ambiguous = true
    }
    throw e
  })
}

/** The reference code the SDK generated for `request` when it was first sent, if any. */
function sentReferenceCode(request) {
  const sent = request !== null && typeof request === 'object' ? sentReferences.get(request) : undefined
  return sent ? sent.code : null
}

/** Forgets the code generated for `request`: its next send takes a new one. */
function forgetReferenceCode(request) {
  const sent = request !== null && typeof request === 'object' ? sentReferences.get(request) : undefined
  if (sent) sent.forget()
}

function waitArgs(options) {
  const o = options || {}
  const wire = toWire({
    timeoutMs: o.timeoutMs,
    pollIntervalMs: o.pollIntervalMs,
    maxPollIntervalMs: o.maxPollIntervalMs,
  })
  let onStatus = null
  if (typeof o.onStatus === 'function') {
    const user = o.onStatus
    // The callback runs on the JS thread; an exception in it must not take down the wait.
    onStatus = (status) => {
      if (status === null || status === undefined) return // the addon's end-of-wait flush
      try {
        user(status)
      } catch (e) {
        process.emitWarning(`sepay-einvoice: onStatus callback threw: ${e && e.message}`)
      }
    }
  }
  return [wire, onStatus]
}

/** Batch rows for the addon: `[{ key, request }]` from `[key, request]` pairs or `{ key, request }` objects. */
function batchRows(rows) {
  if (rows === null || typeof rows !== 'object' || typeof rows[Symbol.iterator] !== 'function') {
    throw badInput('rows', 'must be an iterable of [key, request] pairs or { key, request } objects')
  }
  const out = []
  let i = 0
  for (const row of rows) {
    let key
    let request
    if (Array.isArray(row) && row.length === 2) {
      ;[key, request] = row
    } else if (row !== null && typeof row === 'object' && !Array.isArray(row) && 'key' in row && 'request' in row) {
      ;({ key, request } = row)
    } else {
      throw badInput(`rows[${i}]`, 'must be a [key, request] pair or a { key, request } object')
    }
    if (typeof key !== 'string') {
      throw badInput(`rows[${i}].key`, `must be a string, got ${key === null ? 'null' : typeof key}`)
    }
    out.push({ key, request: toWire(request, `rows[${i}].request`) })
    i += 1
  }
  return out
}

/** The options of a batch run for the addon, and its progress callback. */
function batchArgs(options, withDraft) {
  const o = options || {}
  const wire = toWire(
    {
      journal: o.journal,
      batch: o.batch,
      concurrency: o.concurrency,
      draft: withDraft ? o.draft : undefined,
      rowTimeoutMs: o.rowTimeoutMs,
      waitTimeoutMs: o.waitTimeoutMs,
      pollIntervalMs: o.pollIntervalMs,
      worker: o.worker,
      leaseMs: o.leaseMs,
    },
    'options',
  )
  let onProgress = null
  if (typeof o.onProgress === 'function') {
    const user = o.onProgress
    // The callback runs on the JS thread; an exception in it must not take down the batch.
    onProgress = (progress) => {
      if (progress === null || progress === undefined) return // the addon's end-of-run flush
      try {
        user(progress)
      } catch (e) {
        process.emitWarning(`sepay-einvoice: onProgress callback threw: ${e && e.message}`)
      }
    }
  }
  return [wire, onProgress]
}

/** Runs `fn()` and turns what it throws into a rejected promise (bad input is rejected like every other error). */
function rejectOnThrow(fn) {
  try {
    return fn()
  } catch (e) {
    return Promise.reject(convertError(e, null))
  }
}

/**
 * Runs `fn(cancelHandle)` with `signal` bridged to the addon's cancel handle.
 * Rejections become SePayError subclasses; an aborted signal rejects with AbortError.
 */
function call(signal, fn) {
  if (signal == null) {
    // The common case without an async frame: one promise per call on the main thread.
    let pending
    try {
      pending = fn(null)
    } catch (e) {
      return Promise.reject(convertError(e, null))
    }
    return Promise.resolve(pending).then(undefined, (e) => {
      throw convertError(e, null)
    })
  }
  return callWithSignal(signal, fn)
}

async function callWithSignal(signal, fn) {
  if (signal.aborted) throw abortError(signal)
  const handle = new native.CancelHandle()
  const onAbort = () => handle.cancel()
  signal.addEventListener('abort', onAbort, { once: true })
  try {
    return await fn(handle)
  } catch (e) {
    throw convertError(e, signal)
  } finally {
    signal.removeEventListener('abort', onAbort)
  }
}

function signalOf(options) {
  return options && typeof options === 'object' ? options.signal : undefined
}

function nativeSync(fn) {
  try {
    return fn()
  } catch (e) {
    throw convertError(e, null)
  }
}

// ---------------------------------------------------------------------------------------------
// Client
// ---------------------------------------------------------------------------------------------

const BINDING = `node/${process.versions.node}`

class Client {
  #native

  /**
   * @param {object} [options] clientId, clientSecret, environment ('sandbox' | 'production'),
   *   baseUrl, timeoutMs, connectTimeoutMs, callTimeoutMs, maxRetries, maxResponseBytes,
   *   maxDownloadBytes, appInfo, accountChecks, accountCacheTtlMs, strictRules, maxInFlight. Unset values fall
   *   back to SEPAY_EINVOICE_CLIENT_ID / _CLIENT_SECRET / _ENV / _BASE_URL.
   */
  constructor(options = {}) {
    this.#native = nativeSync(() => new native.NativeClient(toWire(options || {}, 'options'), BINDING))
  }

  /** A client configured entirely from the SEPAY_EINVOICE_* environment variables. */
  static fromEnv() {
    return new Client()
  }

  /** The base URL requests go to. */
  get baseUrl() {
    return this.#native.baseUrl
  }

  authenticate(options) {
    return call(signalOf(options), (c) => this.#native.authenticate(c))
  }

  listProviderAccounts(params, options) {
    const { signal, ...rest } = params || {}
    return call(signalOf(options) || signal, (c) => this.#native.listProviderAccounts(toWire(rest), c))
  }

  getProviderAccount(id, options) {
    return call(signalOf(options), (c) => this.#native.getProviderAccount(text(id, 'id'), c))
  }

  /**
   * Creates an invoice. The request object remembers the reference code it was sent with:
   * sending the same object again (after an error) finds the invoice instead of creating a
   * second one. A copy of the object is a new sale.
   */
  createInvoice(request, options) {
    const [wire, bad] = wireOrReject(request, '')
    if (bad) return Promise.reject(bad)
    return createCall(request, signalOf(options), (c, sent) => this.#native.createInvoice(wire, sent, c))
  }

  /**
   * Replaces an issued invoice with `request`, the corrected invoice in full (sent like a
   * create: validated, exactly once, the request object remembering its own reference code).
   * Returns the job to wait on. A refusal because of the original rejects with a
   * CorrectionRefusedError.
   */
  replaceInvoice(originalInvoiceReferenceCode, request, options) {
    const [wire, bad] = wireOrReject(request, '')
    if (bad) return Promise.reject(bad)
    return createCall(request, signalOf(options), (c, sent) =>
      this.#native.replaceInvoice(text(originalInvoiceReferenceCode, 'original_invoice_reference_code'), wire, sent, c),
    )
  }

  /**
   * Adjusts an issued invoice: `request`'s lines carry only the difference ('increase' positive,
   * 'decrease' with a negative unitPrice, 'combined' either, 'info' no amount). Returns the job.
   */
  adjustInvoice(originalInvoiceReferenceCode, adjustmentType, request, options) {
    const [wire, bad] = wireOrReject(request, '')
    if (bad) return Promise.reject(bad)
    return createCall(request, signalOf(options), (c, sent) =>
      this.#native.adjustInvoice(
        text(originalInvoiceReferenceCode, 'original_invoice_reference_code'),
        text(adjustmentType, 'adjustment_type'),
        wire,
        sent,
        c,
      ),
    )
  }

  replaceInvoiceAndWait(originalInvoiceReferenceCode, request, options) {
    const [wait, onStatus] = waitArgs(options)
    const [wire, bad] = wireOrReject(request, '')
    if (bad) return Promise.reject(bad)
    return createCall(request, signalOf(options), (c, sent) =>
      this.#native.replaceInvoiceAndWait(
        text(originalInvoiceReferenceCode, 'original_invoice_reference_code'),
        wire,
        sent,
        wait,
        onStatus,
        c,
      ),
    )
  }

  adjustInvoiceAndWait(originalInvoiceReferenceCode, adjustmentType, request, options) {
    const [wait, onStatus] = waitArgs(options)
    const [wire, bad] = wireOrReject(request, '')
    if (bad) return Promise.reject(bad)
    return createCall(request, signalOf(options), (c, sent) =>
      this.#native.adjustInvoiceAndWait(
        text(originalInvoiceReferenceCode, 'original_invoice_reference_code'),
        text(adjustmentType, 'adjustment_type'),
        wire,
        sent,
        wait,
        onStatus,
        c,
      ),
    )
  }

  /**
   * Checks a create request without sending it: every problem at once (field rules, dated legal
   * rules, the provider account's unless `accountChecks` is off). Nothing is created.
   */
  preflight(request, options) {
    const [wire, bad] = wireOrReject(request, '')
    if (bad) return Promise.reject(bad)
    return call(signalOf(options), (c) => this.#native.preflight(wire, c))
  }

  issueInvoice(referenceCode, options) {
    return call(signalOf(options), (c) => this.#native.issueInvoice(text(referenceCode, 'reference_code'), c))
  }

  checkStatus(job, options) {
    return call(signalOf(options), (c) => this.#native.checkStatus(toWire(job, 'job'), c))
  }

  waitForStatus(job, options) {
    const [wire, onStatus] = waitArgs(options)
    return call(signalOf(options), (c) => this.#native.waitForStatus(toWire(job, 'job'), wire, onStatus, c))
  }

  createInvoiceAndWait(request, options) {
    const [wire, onStatus] = waitArgs(options)
    const [req, bad] = wireOrReject(request, '')
    if (bad) return Promise.reject(bad)
    return createCall(request, signalOf(options), (c, sent) =>
      this.#native.createInvoiceAndWait(req, sent, wire, onStatus, c),
    )
  }

  issueInvoiceAndWait(referenceCode, options) {
    const [wire, onStatus] = waitArgs(options)
    return call(signalOf(options), (c) =>
      this.#native.issueInvoiceAndWait(text(referenceCode, 'reference_code'), wire, onStatus, c),
    )
  }

  getInvoice(referenceCode, options) {
    return call(signalOf(options), (c) => this.#native.getInvoice(text(referenceCode, 'reference_code'), c))
  }

  listInvoices(params, options) {
    const { signal, ...rest } = params || {}
    return call(signalOf(options) || signal, (c) => this.#native.listInvoices(toWire(rest), c))
  }

  /** Every invoice, page after page: `for await (const inv of client.iterInvoices({ perPage: 50 }))`. */
  iterInvoices(params, options) {
    const { signal: paramSignal, ...rest } = params || {}
    const signal = signalOf(options) || paramSignal
    const iter = nativeSync(() => this.#native.iterInvoices(toWire(rest)))
    return (async function* invoices() {
      for (;;) {
        const invoice = await call(signal, (c) => iter.nextInvoice(c))
        if (invoice === null || invoice === undefined) return
        yield invoice
      }
    })()
  }

  async downloadInvoice(referenceCode, fileType = 'pdf', options) {
    if (fileType !== null && typeof fileType === 'object') {
      // downloadInvoice(ref, { signal }): the type defaults to 'pdf'.
      options = fileType
      fileType = 'pdf'
    }
    const f = await call(signalOf(options), (c) => this.#native.downloadInvoice(text(referenceCode, 'reference_code'), text(fileType, 'type'), c))
    return { fileType: f.fileType, fileName: f.fileName, content: f.content }
  }

  async deleteDraft(referenceCode, options) {
    await call(signalOf(options), (c) => this.#native.deleteDraft(text(referenceCode, 'reference_code'), c))
  }

  getUsage(options) {
    return call(signalOf(options), (c) => this.#native.getUsage(c))
  }

  /**
   * Issues many invoices, each exactly once, across crashes and re-runs. Every row is journaled
   * in `options.journal` ('sqlite:PATH', one process at a time, or 'postgres://…', shared by
   * several workers) under `options.batch` (default 'default') before its create is sent, with
   * the reference code it will use; each later step is recorded as it happens. Running the same
   * rows again sends no second invoice; a row whose content changed since it was journaled is
   * refused (`outcome: 'refused'`). `rows`: `[key, request]` pairs or `{ key, request }` objects.
   * Each row's own failure is in its result; the promise rejects only when the batch cannot run
   * (ValidationError for unusable rows or options, BatchError for the journal).
   */
  issueBatch(rows, options) {
    return rejectOnThrow(() => {
      const wireRows = batchRows(rows)
      const [wire, onProgress] = batchArgs(options, true)
      return call(signalOf(options), (c) => this.#native.issueBatch(wireRows, wire, onProgress, c))
    })
  }

  /** Works the rows already journaled under `options.batch`, without their input (after an interruption, or on another worker). */
  resumeBatch(options) {
    return rejectOnThrow(() => {
      const [wire, onProgress] = batchArgs(options, false)
      return call(signalOf(options), (c) => this.#native.resumeBatch(wire, onProgress, false, c))
    })
  }

  /** Puts the rows of `options.batch` that failed for certain back to pending (same reference codes) and works them again. */
  retryFailedBatch(options) {
    return rejectOnThrow(() => {
      const [wire, onProgress] = batchArgs(options, false)
      return call(signalOf(options), (c) => this.#native.resumeBatch(wire, onProgress, true, c))
    })
  }

  /** Every row the journal holds for `batch` (every batch when absent), in input order. Sends nothing. */
  batchStatus(journal, batch, options) {
    if (batch !== null && typeof batch === 'object') {
      // batchStatus(journal, { signal }): every batch.
      options = batch
      batch = undefined
    }
    return rejectOnThrow(() =>
      call(signalOf(options), (c) =>
        this.#native.batchStatus(text(journal, 'journal'), batch == null ? null : text(batch, 'batch'), c),
      ),
    )
  }

  /** Local preview of the amounts the API will compute for `request` (no request is sent). */
  totals(request) {
    return totals(request)
  }

  get [Symbol.toStringTag]() {
    return 'SePayClient'
  }
}

/** Local preview of the amounts the API will compute for `request` (no request is sent). */
function totals(request) {
  return nativeSync(() => native.totals(toWire(request, '')))
}

const VERSION = require('../package.json').version
const coreVersion = native.coreVersion()

module.exports = {
  Client,
  totals,
  sentReferenceCode,
  forgetReferenceCode,
  VERSION,
  coreVersion,
  SePayError,
  ValidationError,
  ApiError,
  BadRequestError,
  AuthenticationError,
  PermissionDeniedError,
  QuotaExceededError,
  NotFoundError,
  ConflictError,
  UnprocessableEntityError,
  CorrectionRefusedError,
  RateLimitError,
  ServerError,
  APITimeoutError,
  APIConnectionError,
  DecodeError,
  InvoiceFailedError,
  WaitTimeoutError,
  BatchError,
  AbortError,
}
