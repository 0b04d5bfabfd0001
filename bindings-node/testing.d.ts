// Type declarations of sepay-einvoice/testing (testing.cjs / testing.mjs): the bundled mock of the
// SePay eInvoice API, started in this process for your own tests.
/// <reference types="node" />

import type { Client, ClientOptions } from './index'

/** Settings of the mock; anything left out takes the mock's default. */
export interface MockServerOptions {
  /** Address to listen on (default `'127.0.0.1'`). */
  host?: string
  /** Port (default 0: a free port). */
  port?: number
  /** The `clientId` the mock accepts (default `'mock_client_id'`). */
  clientId?: string
  /** The `clientSecret` the mock accepts (default `'mock_client_secret'`). */
  clientSecret?: string
  /** Token lifetime in seconds, also the `expires_in` it reports (default 86 400). */
  tokenTtlSecs?: number
  /** Polls of a job's check endpoint answered `Pending` before it resolves (default 1). */
  pendingPolls?: number
  /** A job resolves this long after creation, polled or not (default 1 000 ms; 0: at once). */
  pendingMs?: number
  /** Issuances left (default 1 000). */
  quota?: number
  /** Seed for fault probabilities and the seeded manual invoices (default 42). */
  seed?: number
  /** Seeded issued invoices with `source: 'manual'` (default 3). */
  manualInvoices?: number
  /** Also put `"success": true` on the two lists and usage (default false). */
  successKeyEverywhere?: boolean
  /** For this long after issuance a download is not ready yet (default 0 ms). */
  fileReadyMs?: number
  /** The not-ready answer: `'empty'` (200, `content: ""`, the default) or `'error'` (409 `FILE_NOT_READY`). */
  fileNotReady?: 'empty' | 'error'
}

/** What `config()` may change while the mock runs. */
export interface MockSettings {
  pendingMs?: number
  pendingPolls?: number
  /** Sets the issuances left now. */
  quota?: number
  /** New tokens only. */
  tokenTtlSecs?: number
  successKeyEverywhere?: boolean
  fileReadyMs?: number
  fileNotReady?: 'empty' | 'error'
}

/** The whole configuration, as `POST /_mock/config` answers it. */
export interface MockConfigState {
  client_id: string
  pending_polls: number
  pending_ms: number
  token_ttl_secs: number
  quota: number
  success_key_everywhere: boolean
  seed: number
  manual_invoices: number
  file_ready_ms: number
  file_not_ready: 'empty' | 'error'
}

/** The kinds of fault the mock injects (see the mock's README for each). */
export type FaultKind = 'status' | 'latency' | 'drop' | 'malformed' | 'oversize' | 'endless' | 'redirect' | 'body'

/** A fault rule. Keys may also be given in the control API's snake_case (`retry_after`). */
export interface FaultRule {
  kind: FaultKind
  /** A route id (`'create_invoice'`, `'token'`, `'check_create'`, …) or `'*'` (the default) for every API request. */
  route?: string
  /** Route ids the rule skips, e.g. `['token']` with `route: '*'`. */
  except?: string[]
  /** HTTP status (`status`: 400–599, default 503; `redirect`: 301–308; `body`: 200–599). */
  status?: number
  /** `error.code` of a `status` answer (default derived from the status). */
  code?: string
  /** `error.message` of a `status` answer. */
  message?: string
  /** Seconds for a `Retry-After` header. */
  retryAfter?: number
  /** `latency`: milliseconds to sleep. */
  latencyMs?: number
  /** `latency`: before the route runs (default) or after it ran, before the answer is written. */
  when?: 'before' | 'after'
  /** `oversize`: exact body length. */
  bodyBytes?: number
  /** `oversize`: chunked transfer encoding instead of Content-Length. */
  chunked?: boolean
  /** `oversize` / `endless`: padding bytes per chunk. */
  chunkBytes?: number
  /** `oversize` / `endless`: pause before each padding chunk. */
  chunkDelayMs?: number
  /** `redirect`: the Location header. */
  location?: string
  /** `body`: the raw body, with the placeholders `{authorization}` and `{original}`. */
  body?: string
  /** `body`: false answers without running the route (default true). */
  act?: boolean
  /** How many times the rule may fire (default unlimited). */
  times?: number
  /** Chance to fire, from an RNG seeded by `seed` (default 1). */
  probability?: number
}

/** A fault rule as `faults()` lists it (snake_case keys, every key present). */
export interface MockFaultState {
  id: number
  fired: number
  route: string
  kind: FaultKind
  [key: string]: unknown
}

/** `GET /_mock/stats`, as the mock sends it. */
export interface MockStats {
  /** Per route id (`create_invoice`, `token`, … and `unknown`): per status sent (`'200'`, `'503'`) and `dropped`. */
  requests: Record<string, Record<string, number>>
  requests_total: number
  invoices: number
  jobs: number
  pending_jobs: number
  rejected_duplicates: number
  tokens_issued: number
  quota_remaining: number
}

/** A running in-process mock. `close()` it when done (`after(() => mock.close())`). */
export declare class MockServer {
  private constructor()
  /** `http://127.0.0.1:PORT` (no trailing slash): the client's `baseUrl`. */
  readonly url: string
  /** The `clientId` the mock accepts. */
  readonly clientId: string
  /** The `clientSecret` the mock accepts. */
  readonly clientSecret: string
  /** Whether `close()` was called. */
  readonly closed: boolean
  /** Stops the server (requests in flight may finish, a few seconds at most). Calling it again does nothing. */
  close(): Promise<void>
  /** A `Client` pointed at the mock with its credentials; `options` are the client's other settings. */
  client(options?: ClientOptions): Client
  /** Back to the startup state: configuration, seeded data, tokens, faults, stats, invoice numbering. */
  reset(): Promise<void>
  /** Changes the settings given and resolves to the whole configuration. */
  config(settings?: MockSettings): Promise<MockConfigState>
  /** Adds a fault rule; resolves to its id. A misspelt key or bad value rejects with a MockControlError. */
  fault(rule: FaultRule): Promise<number>
  /** The fault rules with their `fired` counts. */
  faults(): Promise<MockFaultState[]>
  /** Removes every fault rule. */
  clearFaults(): Promise<void>
  /** Requests per route and status, invoices, jobs, tokens issued, quota left. */
  stats(): Promise<MockStats>
  /** Every stored invoice, oldest first, as the API's detail view (snake_case JSON). */
  invoices(): Promise<Array<Record<string, unknown>>>
  /** Expires every token issued so far: the next API call gets 401 and logs in again. */
  expireTokens(): Promise<void>
}

/** The mock refused a control call: `status` is the HTTP status, `body` its answer. */
export declare class MockControlError extends Error {
  readonly name: 'MockControlError'
  readonly status: number
  readonly body: unknown
}

/**
 * Starts the bundled mock in this process (127.0.0.1, a free port) and resolves to it. Rejects
 * when it cannot listen, or with a TypeError for an unknown option.
 */
export declare function startMockServer(options?: MockServerOptions): Promise<MockServer>

/** The sandbox-like seeded provider account (no restrictions). */
export declare const ACCOUNT_MATBAO: string
/** The seeded account approved by the tax authority on 2026-04-20: earlier invoices are refused on issue. */
export declare const ACCOUNT_BKAV: string
/** The seeded inactive account: drafts only. */
export declare const ACCOUNT_MIFI: string
