// Type declarations of the public API of sepay-einvoice (the facade in index.cjs / index.mjs).
// The addon's own generated declarations are in native.d.ts; users never need them.
/// <reference types="node" />

// ---------------------------------------------------------------------------------------------
// Scalars and enums
// ---------------------------------------------------------------------------------------------

/** A decimal amount as the SDK returns it: a string such as `"100000.00"`, never a float. */
export type Decimal = string
/** A decimal amount as input: a number, a decimal string (`"0.1"`) or a bigint. */
export type DecimalInput = number | string | bigint

/** Which SePay deployment to talk to. */
export type Environment = 'sandbox' | 'production'
/** Invoice currency. */
export type Currency = 'VND' | 'USD' | 'CAD' | (string & {})
/** `TM` cash, `CK` bank transfer, `TM/CK` either, `KHAC` other. */
export type PaymentMethod = 'TM' | 'CK' | 'TM/CK' | 'KHAC' | (string & {})
/** A private person or a company. */
export type BuyerType = 'personal' | 'company' | (string & {})
/** State of a create or issue job. */
export type JobState = 'Pending' | 'Success' | 'Failed' | (string & {})
/** Status of an invoice. */
export type InvoiceStatus = 'draft' | 'issued' | 'cancelled' | (string & {})
/** Where an invoice was made: the web interface or the API. */
export type Source = 'manual' | 'api' | (string & {})
/** Which stage a job tracks. */
export type JobKind = 'create' | 'issue' | (string & {})
/** Download format. */
export type FileType = 'pdf' | 'xml'
/** 1 normal, 2 promotion, 3 trade discount, 4 note. */
export type LineType = 1 | 2 | 3 | 4
/** VAT rate in percent; -2 not subject to VAT (KCT), -1 not declared (KKKNT). */
export type TaxRate = -2 | -1 | 0 | 5 | 8 | 10

// ---------------------------------------------------------------------------------------------
// Options
// ---------------------------------------------------------------------------------------------

/** Settings of a client. Unset values fall back to the SEPAY_EINVOICE_* environment variables. */
export interface ClientOptions {
  /** SEPAY_EINVOICE_CLIENT_ID. */
  clientId?: string
  /** SEPAY_EINVOICE_CLIENT_SECRET. Never logged or shown in errors. */
  clientSecret?: string
  /** SEPAY_EINVOICE_ENV; default `'sandbox'`. */
  environment?: Environment
  /** SEPAY_EINVOICE_BASE_URL; wins over `environment` (the mock server, a proxy). HTTPS unless loopback. */
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
  /** First pause between polls (default 2 000 ms); pauses grow ×1.5 up to `maxPollIntervalMs`. */
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
// Requests
// ---------------------------------------------------------------------------------------------

/** The buyer on an invoice. Every field is optional for the API. */
export interface Buyer {
  type?: BuyerType
  /** Display name (a person or a company). */
  name?: string
  /** Registered legal name, for companies. */
  legalName?: string
  /** Tax code (MST): 10 digits, or 10-3 for a branch (`0101234567-001`). */
  taxCode?: string
  address?: string
  /** The invoice is e-mailed here. */
  email?: string
  phone?: string
  /** Your own customer code. */
  buyerCode?: string
  /** Citizen id (CCCD, 12 digits) for individual buyers. */
  nationalId?: string
}

/** One line of an invoice to create. */
export interface LineItem {
  /** Numbered 1, 2, 3… when left out. */
  lineNumber?: number
  /** Default 1 (normal). */
  lineType?: LineType
  itemCode?: string
  itemName: string
  unit?: string
  /** At most 2 decimal places. */
  quantity?: DecimalInput
  unitPrice?: DecimalInput
  /** Needed on VAT invoices (template 1) only. */
  taxRate?: TaxRate
  /** Discount in **percent** (the API's name is misleading). */
  discountTax?: DecimalInput
  /** Discount as an amount (wins over `discountTax`). */
  discountAmount?: DecimalInput
  /** Amount before discount and tax; the discounted amount on a trade-discount line (type 3). */
  beforeDiscountAndTaxAmount?: DecimalInput
  /** Line amount (older API pages; sent when given). */
  amount?: DecimalInput
}

/** A request to create an invoice. */
export interface CreateInvoice {
  /** Your unique reference: the idempotency key. A UUID is generated when left out. */
  referenceCode?: string
  /** From `listProviderAccounts()`. */
  providerAccountId: string
  /** `'1'` VAT invoice, `'2'` sales invoice, … (see `getProviderAccount`). */
  templateCode: string
  /** e.g. `'C26TSE'`. */
  invoiceSeries: string
  /** `'YYYY-MM-DD HH:mm:ss'` in Vietnam time, an ISO 8601 string or a Date; not in the future. */
  issuedDate: string | Date
  /** Default `'VND'`. */
  currency?: Currency
  paymentMethod?: PaymentMethod
  /** `true` saves a draft (no quota spent); `false` signs and sends it at once. */
  isDraft?: boolean
  buyer?: Buyer
  /** At least one line. */
  items: LineItem[]
  /** Note printed on the invoice. */
  notes?: string
  /** Final total including tax, a whole number; computed by the API when left out. */
  totalAmount?: DecimalInput
  sellerStoreCode?: string
  sellerStoreName?: string
}

/** What `totals()` needs: the lines (and optionally the currency and a fixed total). */
export type TotalsRequest = Partial<CreateInvoice> & Pick<CreateInvoice, 'items'>

// ---------------------------------------------------------------------------------------------
// Responses
// ---------------------------------------------------------------------------------------------

/** A create or issue request the API is working on. Plain data: store it and wait on it later. */
export interface Job {
  kind: JobKind
  /** The code to poll; null when the SDK reconciled a retried call and follows the invoice by reference code. */
  trackingCode: string | null
  trackingUrl: string | null
  referenceCode: string
  /** The API's message when the job was accepted. */
  message?: string
}

/** A job as accepted by `checkStatus`/`waitForStatus` (a stored `Job` fits). */
export interface JobInput {
  kind: JobKind
  trackingCode?: string | null
  trackingUrl?: string | null
  referenceCode: string
  message?: string | null
}

/** What a check says about a job. */
export interface JobStatus {
  state: JobState
  /** The API's message (the failure reason when Failed). */
  message: string | null
  referenceCode: string | null
  /** The invoice, when Success. */
  invoice: Invoice | null
}

/** One line of an invoice as the API returns it. */
export interface InvoiceItem {
  lineNumber: number | null
  lineType: LineType | (number & {}) | null
  itemCode: string | null
  itemName: string | null
  unit: string | null
  quantity: Decimal | null
  unitPrice: Decimal | null
  /** Line amount after discounts, before tax. */
  totalAmount: Decimal | null
  /** Percent; negative for KCT/KKKNT. */
  taxRate: Decimal | null
  taxAmount: Decimal | null
  discountAmount?: Decimal
  discountTax?: Decimal
}

/** An invoice. Detail-only fields are present on `getInvoice` results. */
export interface Invoice {
  referenceCode: string
  /** `'0'` while a draft. */
  invoiceNumber: string | null
  /** `'YYYY-MM-DD'`. */
  issuedDate: string | null
  pdfUrl: string | null
  xmlUrl: string | null
  status: InvoiceStatus
  buyer: Buyer | null
  totalBeforeTax: Decimal | null
  taxAmount: Decimal | null
  totalAmount: Decimal | null
  notes: string | null
  source: Source | null
  invoiceSeries?: string
  templateCode?: string
  currency?: Currency
  /** 1 draft, 2 new, 3 cancelled, 4 replacement, … */
  documentType?: number
  taxAuthorityCode?: string
  /** Provider status `'1'`–`'9'`. */
  providerStatus?: string
  paymentMethod?: PaymentMethod
  /** The lines (detail only). */
  items?: InvoiceItem[]
}

/** A provider account (the e-invoice provider registration invoices are issued through). */
export interface ProviderAccount {
  /** Pass as `providerAccountId` when creating invoices. */
  id: string
  /** `'matbao'`, `'bkav'`, … */
  provider: string
  active: boolean
  /** `'YYYY-MM-DD'`; invoices dated earlier are rejected. Null in sandbox. */
  taxAuthorityApprovedDate: string | null
}

/** An invoice template of a provider account. */
export interface InvoiceTemplate {
  templateCode: string
  invoiceSeries: string
  invoiceLabel: string | null
}

/** A provider account with its templates. */
export interface ProviderAccountDetail extends ProviderAccount {
  templates: InvoiceTemplate[]
}

/** Where a page sits. */
export interface Paging {
  perPage: number
  total: number
  hasMore: boolean
  currentPage: number
  pageCount: number
}

/** One page of a list. */
export interface Page<T> {
  items: T[]
  paging: Paging
}

/** Remaining issuance quota. */
export interface Usage {
  quotaRemaining: number
}

/** A downloaded invoice file. */
export interface InvoiceFile {
  fileType: FileType
  /** The name the API suggests (`'HD_0000589_20251215.pdf'`). */
  fileName: string
  content: Buffer
}

/** Facts about the client's token (the token itself is never exposed). */
export interface TokenInfo {
  tokenType: string
  /** Seconds the token was valid for when issued. */
  expiresIn: number
}

/** Amounts of one line in a totals preview. */
export interface LineTotal {
  lineNumber: number
  amount: Decimal
  taxAmount: Decimal
}

/** A local preview of the amounts the API will compute. */
export interface Totals {
  lines: LineTotal[]
  totalBeforeTax: Decimal
  taxAmount: Decimal
  totalAmount: Decimal
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
  | 'Aborted'
  | 'Internal'

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
/** A call aborted through its AbortSignal: `name === 'AbortError'`, `code === 'ABORT_ERR'`, `cause` is the signal's reason. */
export declare class AbortError extends SePayError {
  readonly name: 'AbortError'
  readonly code: 'ABORT_ERR'
  constructor(message?: string, options?: { cause?: unknown })
}
