// Type declarations of the public API of sepay-einvoice (the facade in index.cjs / index.mjs).
// The addon's own generated declarations are in native.d.ts; users never need them.
/// <reference types="node" />

// ---------------------------------------------------------------------------------------------
// Models: generated from the Rust types into models.d.ts (`make generate`); re-exported here.
// ---------------------------------------------------------------------------------------------

export * from './models'
import type {
  AdjustmentType,
  CreateInvoice,
  Currency,
  Decimal,
  FileType,
  Invoice,
  Job,
  JobKind,
  JobState,
  JobStatus,
  Paging,
  Preflight,
  Problem,
  ProviderAccount,
  ProviderAccountDetail,
  Source,
  TokenInfo,
  Totals,
  Usage,
} from './models'

/** Which SePay deployment to talk to. */
export type Environment = 'sandbox' | 'production'

// ---------------------------------------------------------------------------------------------
// Options
// ---------------------------------------------------------------------------------------------

/** Settings of a client. Unset values fall back to the SEPAY_EINVOICE_* environment variables. */
export interface ClientOptions {
  /** SEPAY_EINVOICE_CLIENT_ID. */
  clientId?: string
  /** SEPAY_EINVOICE_CLIENT_SECRET. Never logged or shown in errors. */
  clientSecret?: string
  /** SEPAY_EINVOICE_ENV; default `'sandbox'`. Given here, it wins over SEPAY_EINVOICE_BASE_URL too. */
  environment?: Environment
  /** SEPAY_EINVOICE_BASE_URL (the mock server, a proxy). Given here, it wins over `environment`; the
   * variable wins over SEPAY_EINVOICE_ENV but not over an explicit `environment`. HTTPS unless loopback. */
  baseUrl?: string
  /** Time allowed for one attempt (default 30 000 ms). */
  timeoutMs?: number
  /** Time allowed to open a connection (default 5 000 ms). */
  connectTimeoutMs?: number
  /** One deadline per call, bounding every attempt, token fetch and backoff sleep (default 120 000 ms). */
  callTimeoutMs?: number
  /** Retries after the first attempt (default 2; 0 disables retries). */
  maxRetries?: number
  /**
   * Largest JSON answer read, in bytes (default 8 MiB). A longer or endless body rejects with a
   * DecodeError as soon as the limit is passed, so memory stays bounded whatever a server sends.
   */
  maxResponseBytes?: number
  /** Largest download answer (base64 of the PDF/XML inside JSON), in bytes (default 64 MiB). */
  maxDownloadBytes?: number
  /** Names your application in the User-Agent (`'my-shop/1.2'`). */
  appInfo?: string
  /**
   * Check a create, replace or adjust against its provider account before sending it (active;
   * the template/series pair is one of its templates; not dated before the tax authority's
   * approval). Default `true`. When the account cannot be read, the request is sent anyway.
   */
  accountChecks?: boolean
  /** How long a provider account read for those checks is reused (default 300 000 ms). */
  accountCacheTtlMs?: number
  /**
   * Strict mode: rules whose legal basis may be extended (the 8 % VAT window) are errors instead
   * of warnings. Default `false`.
   */
  strictRules?: boolean
  /**
   * At most this many requests of this client on the wire at once, so at most this many
   * connections (default 100); other calls and waits queue inside their own deadlines.
   */
  maxInFlight?: number
}

/** Options every async method accepts. */
export interface CallOptions {
  /** Aborting rejects the call with an `AbortError` and stops the request (and polling) in flight. */
  signal?: AbortSignal
}

/** How to wait for a job. */
export interface WaitOptions extends CallOptions {
  /** Give up with a WaitTimeoutError after this long (default 120 000 ms). */
  timeoutMs?: number
  /**
   * Poll at once, then every `pollIntervalMs`, growing ×1.5 up to `maxPollIntervalMs`. When not
   * given (the default) the client polls when the job is likely done, learned from its own
   * earlier jobs (see the README's "Waiting for jobs"); without anything learned: 2 000 ms.
   */
  pollIntervalMs?: number
  /** Longest pause between polls (default 5 000 ms). */
  maxPollIntervalMs?: number
  /** Sees every status the wait observes, Pending included. */
  onStatus?: (status: JobStatus) => void
}

/** Page selection for `listProviderAccounts`. */
export interface ListParams extends CallOptions {
  /** Page number from 1. */
  page?: number
  /** Items per page, 1–100. */
  perPage?: number
}

/** Page selection and filter for `listInvoices` and `iterInvoices`. */
export interface ListInvoicesParams extends ListParams {
  /** Only invoices made in the web interface (`'manual'`) or through the API (`'api'`). */
  source?: Source
}

// ---------------------------------------------------------------------------------------------
// Hand-written shapes: inputs that accept more than a model, and the generic page
// ---------------------------------------------------------------------------------------------

/** What `totals()` needs: the lines (and optionally the currency and a fixed total). */
export type TotalsRequest = Partial<CreateInvoice> & Pick<CreateInvoice, 'items'>

/** A job as accepted by `checkStatus`/`waitForStatus` (a stored `Job` fits). */
export interface JobInput {
  kind: JobKind
  trackingCode?: string | null
  trackingUrl?: string | null
  referenceCode: string
  message?: string | null
}

/** One page of a list. */
export interface Page<T> {
  items: T[]
  paging: Paging
}

/** A downloaded invoice file. */
export interface InvoiceFile {
  fileType: FileType
  /** The name the API suggests (`'HD_0000589_20251215.pdf'`). */
  fileName: string
  content: Buffer
}

// ---------------------------------------------------------------------------------------------
// Batch issuance (hand-written: the batch runner's types, camelCased as the addon returns them)
// ---------------------------------------------------------------------------------------------

/** One invoice of a batch: its key (unique in the batch: an order id) and the create request. */
export type BatchRow = readonly [key: string, request: CreateInvoice] | { key: string; request: CreateInvoice }

/** How a batch run works (`resumeBatch`, `retryFailedBatch`; `issueBatch` adds `draft`). */
export interface BatchRunOptions extends CallOptions {
  /** The journal: `'sqlite:PATH'` (one process at a time) or `'postgres://…'` (shared by several workers). */
  journal: string
  /** The batch's name in the journal (default `'default'`); several batches may share a journal. */
  batch?: string
  /** Rows worked at once (default 8, at most 1024). */
  concurrency?: number
  /** Longest one row may take, its wait included (default 600 000 ms); a row past it is left for the next run. */
  rowTimeoutMs?: number
  /** How long each create job is waited for (default 120 000 ms). */
  waitTimeoutMs?: number
  /** First pause between polls of a job (default: when jobs are likely done, as learned). */
  pollIntervalMs?: number
  /** This worker's name in the journal's leases (default: host, process id and a random tag). */
  worker?: string
  /** How long a claimed row stays this worker's without being renewed (default 60 000 ms). */
  leaseMs?: number
  /** Called with the counts at the start and after every row that finishes (what it throws is a warning, not an error). */
  onProgress?: (progress: BatchProgress) => void
}

/** How `issueBatch` runs. */
export interface BatchOptions extends BatchRunOptions {
  /** Overrides every row's `isDraft` when set (part of the row: flipping it between runs is a change). */
  draft?: boolean
}

/** How a row ended in a run. */
export type BatchOutcome = 'done' | 'failed' | 'uncertain' | 'refused'

/** Where a journaled row stands. */
export type BatchRowState = 'pending' | 'sending' | 'accepted' | 'done' | 'failed'

/** Why a row failed, is uncertain or was refused. */
export interface BatchRowError {
  /** The SDK's error kind (`'QuotaExceeded'`, `'Connection'`, …), `'Changed'` for a refused row, `'Timeout'` past `rowTimeoutMs`. */
  kind: string
  message: string
  /** The API's code, when it gave one. */
  apiCode: string | null
}

/** One row's result. */
export interface BatchRowResult {
  key: string
  /** The reference code its invoice has (or will have). */
  referenceCode: string | null
  outcome: BatchOutcome
  /** The invoice number, once done. */
  invoiceNumber: string | null
  /** `'issued'` or `'draft'`, once done. */
  invoiceStatus: string | null
  /** Link to the PDF, once done. */
  pdfUrl: string | null
  /** The create job's tracking code. */
  trackingCode: string | null
  /** Why it failed or is uncertain. */
  error: BatchRowError | null
}

/** A run's results: every row of the run, in input order (refused rows last), and the counts. */
export interface BatchReport {
  batch: string
  rows: BatchRowResult[]
  done: number
  failed: number
  /** Rows whose outcome the next run must find out (by reference code). */
  uncertain: number
  /** Rows refused because they changed since they were journaled. */
  refused: number
  /** Whether every row is done (nothing failed, uncertain or refused). */
  allDone: boolean
}

/** Counts so far, reported once at the start and after every row that finishes. */
export interface BatchProgress {
  total: number
  /** Rows done (before this run too). */
  done: number
  failed: number
  /** Rows left uncertain in this run. */
  uncertain: number
  /** Rows being worked now. */
  inFlight: number
  /** The row that just finished, if any. */
  row: BatchRowResult | null
}

/** One row as the journal holds it (`batchStatus`). */
export interface BatchEntry {
  batch: string
  key: string
  /** Its place in the input. */
  seq: number
  /** The reference code its invoice is created with, chosen when it was first journaled. */
  referenceCode: string
  /** SHA-256 of the row as given, to refuse a row that changed between runs. */
  payloadHash: string
  state: BatchRowState
  trackingCode: string | null
  invoiceNumber: string | null
  invoiceStatus: string | null
  pdfUrl: string | null
  /** The last error's kind, message and API code. */
  errorKind: string | null
  errorMessage: string | null
  apiCode: string | null
  /** How many times a create was sent for it. */
  attempts: number
  /** When it last changed (RFC 3339, UTC). */
  updatedAt: string
}

// ---------------------------------------------------------------------------------------------
// Client
// ---------------------------------------------------------------------------------------------

/** A client for the SePay eInvoice API. One client serves a whole application (one connection pool). */
export declare class Client {
  /** Throws a ValidationError naming a missing or bad setting. */
  constructor(options?: ClientOptions)
  /** A client configured entirely from the environment. */
  static fromEnv(): Client
  /** The base URL requests go to. */
  readonly baseUrl: string

  /** Fetches (or reuses) a token, checking the credentials early. */
  authenticate(options?: CallOptions): Promise<TokenInfo>
  listProviderAccounts(params?: ListParams, options?: CallOptions): Promise<Page<ProviderAccount>>
  getProviderAccount(id: string, options?: CallOptions): Promise<ProviderAccountDetail>
  /**
   * Creates an invoice (exactly once, even across retries). Returns the job to wait on. The
   * request object remembers the reference code it was sent with: sending the same object again
   * after an error finds the invoice instead of creating a second one (a copy is a new sale).
   */
  createInvoice(request: CreateInvoice, options?: CallOptions): Promise<Job>
  /**
   * Replaces an issued invoice with `request`, the corrected invoice in full. Sent like a create
   * (validated first, exactly once: the request object remembers its own reference code).
   * Returns the job to wait on. An invoice is replaced once; a refusal because of the original
   * rejects with a CorrectionRefusedError (`apiCode` says why).
   */
  replaceInvoice(originalInvoiceReferenceCode: string, request: CreateInvoice, options?: CallOptions): Promise<Job>
  /**
   * Adjusts an issued invoice. `request`'s lines carry only the difference: positive for
   * `'increase'`, a negative `unitPrice` for `'decrease'`, either for `'combined'`, no amount for
   * `'info'`. The original stays in force and can be adjusted again. Returns the job to wait on.
   */
  adjustInvoice(
    originalInvoiceReferenceCode: string,
    adjustmentType: AdjustmentType,
    request: CreateInvoice,
    options?: CallOptions,
  ): Promise<Job>
  /** `replaceInvoice` then `waitForStatus`. */
  replaceInvoiceAndWait(originalInvoiceReferenceCode: string, request: CreateInvoice, options?: WaitOptions): Promise<Invoice>
  /** `adjustInvoice` then `waitForStatus`. */
  adjustInvoiceAndWait(
    originalInvoiceReferenceCode: string,
    adjustmentType: AdjustmentType,
    request: CreateInvoice,
    options?: WaitOptions,
  ): Promise<Invoice>
  /**
   * Checks a create request without sending it and resolves with every problem at once: the
   * field rules, the dated legal rules and (unless `accountChecks` is off) the provider
   * account's. Errors would stop `createInvoice`; warnings would not. Nothing is created and no
   * reference code is taken.
   */
  preflight(request: CreateInvoice, options?: CallOptions): Promise<Preflight>
  /** Issues a draft. Returns the job to wait on. */
  issueInvoice(referenceCode: string, options?: CallOptions): Promise<Job>
  /** Asks once where a job stands. */
  checkStatus(job: JobInput, options?: CallOptions): Promise<JobStatus>
  /** Polls until Success (the invoice), Failed (InvoiceFailedError) or the deadline (WaitTimeoutError). */
  waitForStatus(job: JobInput, options?: WaitOptions): Promise<Invoice>
  createInvoiceAndWait(request: CreateInvoice, options?: WaitOptions): Promise<Invoice>
  issueInvoiceAndWait(referenceCode: string, options?: WaitOptions): Promise<Invoice>
  /** One invoice with its lines. */
  getInvoice(referenceCode: string, options?: CallOptions): Promise<Invoice>
  listInvoices(params?: ListInvoicesParams, options?: CallOptions): Promise<Page<Invoice>>
  /** Every invoice, page after page: `for await (const invoice of client.iterInvoices({ perPage: 50 }))`. */
  iterInvoices(params?: ListInvoicesParams, options?: CallOptions): AsyncGenerator<Invoice, void, undefined>
  /** Downloads an issued invoice as PDF (default) or XML. */
  downloadInvoice(referenceCode: string, fileType?: FileType, options?: CallOptions): Promise<InvoiceFile>
  downloadInvoice(referenceCode: string, options: CallOptions): Promise<InvoiceFile>
  /** Deletes a draft for good. */
  deleteDraft(referenceCode: string, options?: CallOptions): Promise<void>
  getUsage(options?: CallOptions): Promise<Usage>
  /**
   * Issues many invoices, each exactly once, across crashes and re-runs: every row is journaled
   * before its create is sent, with the reference code it will use. Running the same rows again
   * sends no second invoice; a row that changed since it was journaled is refused. Rejects only
   * when the batch cannot run (ValidationError, BatchError); each row's failure is in its result.
   */
  issueBatch(rows: Iterable<BatchRow>, options: BatchOptions): Promise<BatchReport>
  /** Works the rows already journaled under `options.batch`, without their input. */
  resumeBatch(options: BatchRunOptions): Promise<BatchReport>
  /** Puts the failed rows of `options.batch` back to pending (same reference codes) and works them again. */
  retryFailedBatch(options: BatchRunOptions): Promise<BatchReport>
  /** Every row the journal holds for `batch` (every batch when absent), in input order. Sends nothing. */
  batchStatus(journal: string, batch?: string | null, options?: CallOptions): Promise<BatchEntry[]>
  batchStatus(journal: string, options: CallOptions): Promise<BatchEntry[]>
  /** Local preview of the amounts the API will compute (no request is sent). */
  totals(request: TotalsRequest): Totals
}

/** Local preview of the amounts the API will compute for `request` (no request is sent). */
export declare function totals(request: TotalsRequest): Totals
/**
 * The reference code the SDK generated for a request object when it was first sent (`null`
 * before). Sending the same object again reuses it; a copy of the object is a new sale; a
 * changed object whose invoice may exist is refused with a ValidationError naming the change.
 */
export declare function sentReferenceCode(request: object): string | null
/** Forgets the code generated for a request object: its next send takes a new one. */
export declare function forgetReferenceCode(request: object): void

/** The package version. */
export declare const VERSION: string
/** The Rust core's version. */
export declare const coreVersion: string

// ---------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------

/** DESIGN.md error kinds (plus `Aborted` and `Internal`). */
export type ErrorKind =
  | 'Validation'
  | 'BadRequest'
  | 'Authentication'
  | 'PermissionDenied'
  | 'QuotaExceeded'
  | 'NotFound'
  | 'Conflict'
  | 'Unprocessable'
  | 'RateLimited'
  | 'Server'
  | 'Timeout'
  | 'Connection'
  | 'Decode'
  | 'InvoiceFailed'
  | 'WaitTimeout'
  | 'CorrectionRefused'
  | BatchErrorKind
  | 'Aborted'
  | 'Internal'

/** What stopped a batch (`BatchError.kind`). */
export type BatchErrorKind = 'Journal' | 'LeaseLost' | 'Client'

/** Stable codes to branch on (`err.code`). */
export type ErrorCode =
  | 'VALIDATION'
  | 'BAD_REQUEST'
  | 'AUTHENTICATION'
  | 'PERMISSION_DENIED'
  | 'QUOTA_EXCEEDED'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'UNPROCESSABLE'
  | 'RATE_LIMITED'
  | 'SERVER'
  | 'TIMEOUT'
  | 'CONNECTION'
  | 'DECODE'
  | 'INVOICE_FAILED'
  | 'WAIT_TIMEOUT'
  | 'CORRECTION_REFUSED'
  | 'BATCH_JOURNAL'
  | 'BATCH_LEASE_LOST'
  | 'BATCH_CLIENT'
  | 'ABORT_ERR'
  | 'INTERNAL'

/** Base class of every error the SDK raises. Fields are present where they apply. */
export declare class SePayError extends Error {
  readonly kind: ErrorKind
  readonly code: ErrorCode
  /** HTTP status of the final response (API errors). */
  readonly status?: number
  /** The API's `error.code`, e.g. `'QUOTA_EXCEEDED'`. */
  readonly apiCode?: string
  /** The request id of the final response. */
  readonly requestId?: string
  /** HTTP method and path of the failed call. */
  readonly method?: string
  readonly path?: string
  /** The offending field's path (`'items[0].tax_rate'`) for validation errors. */
  readonly field?: string
  /** The server's Retry-After (rate limits). */
  readonly retryAfterMs?: number
  /** Time spent before giving up (timeouts). */
  readonly elapsedMs?: number
  /** An excerpt of an unreadable body (decode errors). */
  readonly bodyExcerpt?: string
  /** HTTP attempts made (0 when nothing was sent). */
  readonly attempts?: number
  /** The invoice the failed call was about. */
  readonly referenceCode?: string
  readonly trackingCode?: string
  /** The job that failed or timed out (resume with `waitForStatus(err.job)`). */
  readonly job?: Job
  /** The last status a wait saw. */
  readonly lastStatus?: JobStatus
  /** Whether the same call could succeed later. */
  readonly retryable?: boolean
  /**
   * The server may have acted although the call failed. For a create the invoice may exist:
   * retry with the same request object or `referenceCode`, never with a new one.
   */
  readonly ambiguous?: boolean
  /**
   * For validation errors: every problem found in the request at once (the first error is this
   * error's own `field`), warnings included. Empty for other errors.
   */
  readonly problems: Problem[]
}
export declare class ValidationError extends SePayError {
  readonly code: 'VALIDATION'
}
/** The API answered with an HTTP error; `status` is set. */
export declare class ApiError extends SePayError {
  readonly status: number
}
export declare class BadRequestError extends ApiError {}
export declare class AuthenticationError extends ApiError {}
export declare class PermissionDeniedError extends ApiError {}
export declare class QuotaExceededError extends PermissionDeniedError {}
export declare class NotFoundError extends ApiError {}
export declare class ConflictError extends ApiError {}
export declare class UnprocessableEntityError extends ApiError {}
/**
 * A replacement or adjustment refused because of its original invoice; `apiCode` says why
 * (`'INVOICE_ALREADY_REPLACED'`, `'INVOICE_NOT_ISSUED'`, `'INVOICE_ACCOUNT_MISMATCH'`,
 * `'INVOICE_CANCELLED'`, `'INVOICE_NOT_CORRECTABLE'`).
 */
export declare class CorrectionRefusedError extends UnprocessableEntityError {
  readonly code: 'CORRECTION_REFUSED'
}
export declare class RateLimitError extends ApiError {}
export declare class ServerError extends ApiError {}
export declare class APITimeoutError extends SePayError {}
export declare class APIConnectionError extends SePayError {}
export declare class DecodeError extends SePayError {}
export declare class InvoiceFailedError extends SePayError {
  readonly job: Job
}
export declare class WaitTimeoutError extends SePayError {
  readonly job: Job
}
/**
 * An error that stopped a whole batch; a row's own failure is in its result instead. `kind`:
 * `'Journal'` (the journal could not be opened, read or written: a SQLite journal in use by
 * another process, an unreachable PostgreSQL), `'LeaseLost'` (another worker took a row this one
 * was working on) or `'Client'` (the API refused the whole run). Run the batch again to go on.
 */
export declare class BatchError extends SePayError {
  readonly kind: BatchErrorKind
  readonly code: 'BATCH_JOURNAL' | 'BATCH_LEASE_LOST' | 'BATCH_CLIENT'
}
/** A call aborted through its AbortSignal: `name === 'AbortError'`, `code === 'ABORT_ERR'`, `cause` is the signal's reason. */
export declare class AbortError extends SePayError {
  readonly name: 'AbortError'
  readonly code: 'ABORT_ERR'
  constructor(message?: string, options?: { cause?: unknown })
}
