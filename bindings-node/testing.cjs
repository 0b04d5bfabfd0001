'use strict'
// sepay-einvoice/testing: the bundled mock of the SePay eInvoice API, started inside this
// process from the same native addon, for testing your own code. No Rust needed.
//
//   const { startMockServer } = require('sepay-einvoice/testing')
//   const mock = await startMockServer({ pendingMs: 0 })
//   const client = mock.client()          // a Client pointed at the mock
//   ...
//   await mock.close()
//
// The addon only starts and stops the server (src/mock.rs); the control calls below are plain
// HTTP to the mock's /_mock/ API (global fetch).

const { Client } = require('./index.cjs')
const native = require('./native.js')

const accounts = native.mockAccounts()
/** The sandbox-like seeded provider account (no restrictions). */
const ACCOUNT_MATBAO = accounts.matbao
/** The seeded account with a tax-authority approval date (2026-04-20): earlier invoices are refused. */
const ACCOUNT_BKAV = accounts.bkav
/** The seeded inactive account: drafts only. */
const ACCOUNT_MIFI = accounts.mifi

/** The mock refused a control call (a misspelt key, a bad value): `status` and the mock's `body`. */
class MockControlError extends Error {
  constructor(method, path, status, body) {
    const detail = body && typeof body === 'object' && body.error && body.error.message ? body.error.message : body
    super(`mock ${method} ${path}: ${status} ${typeof detail === 'string' ? detail : JSON.stringify(detail)}`)
    this.name = 'MockControlError'
    this.status = status
    this.body = body
  }
}

/** `retryAfter` → `retry_after`: the control API's keys are snake_case; snake_case keys pass as they are. */
function snakeKeys(object, what) {
  if (object === undefined || object === null) return {}
  if (typeof object !== 'object' || Array.isArray(object)) {
    throw new TypeError(`${what} must be an object`)
  }
  const out = {}
  for (const [key, value] of Object.entries(object)) {
    if (value !== undefined) out[key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)] = value
  }
  return out
}

/** Constructor options → the addon's options (unknown keys are refused: a typo would be silently ignored). */
const OPTION_KEYS = new Set([
  'host',
  'port',
  'clientId',
  'clientSecret',
  'tokenTtlSecs',
  'pendingPolls',
  'pendingMs',
  'quota',
  'seed',
  'manualInvoices',
  'successKeyEverywhere',
  'fileReadyMs',
  'fileNotReady',
])

function nativeOptions(options) {
  if (options === undefined || options === null) return {}
  if (typeof options !== 'object' || Array.isArray(options)) throw new TypeError('options must be an object')
  const out = {}
  for (const [key, value] of Object.entries(options)) {
    if (!OPTION_KEYS.has(key)) {
      throw new TypeError(`unknown mock server option ${JSON.stringify(key)} (known: ${[...OPTION_KEYS].join(', ')})`)
    }
    if (value !== undefined && value !== null) out[key] = value
  }
  return out
}

/** A running in-process mock. Get one from `startMockServer()`. */
class MockServer {
  #native

  constructor(nativeServer) {
    this.#native = nativeServer
  }

  /** `http://127.0.0.1:PORT` (no trailing slash): the client's `baseUrl`. */
  get url() {
    return this.#native.url
  }

  /** The `clientId` the mock accepts. */
  get clientId() {
    return this.#native.clientId
  }

  /** The `clientSecret` the mock accepts. */
  get clientSecret() {
    return this.#native.clientSecret
  }

  /** Whether `close()` was called. */
  get closed() {
    return !this.#native.running
  }

  /** Stops the server (requests in flight may finish, a few seconds at most). Calling it again does nothing. */
  close() {
    return this.#native.close()
  }

  /** A `Client` pointed at the mock with its credentials; `options` are the client's other settings. */
  client(options = {}) {
    return new Client({ clientId: this.clientId, clientSecret: this.clientSecret, baseUrl: this.url, ...options })
  }

  /** Back to the startup state: configuration, seeded data, tokens, faults, stats, invoice numbering. */
  async reset() {
    await this.#control('POST', '/_mock/reset')
  }

  /**
   * Changes the settings given (`pendingMs`, `pendingPolls`, `quota`, `tokenTtlSecs`,
   * `successKeyEverywhere`, `fileReadyMs`, `fileNotReady`) and resolves to the whole
   * configuration, as the mock sends it (snake_case keys).
   */
  config(settings = {}) {
    return this.#control('POST', '/_mock/config', snakeKeys(settings, 'settings'))
  }

  /**
   * Adds a fault rule and resolves to its id: `{ route: 'create_invoice', kind: 'status',
   * status: 503, retryAfter: 1, times: 1 }`. `route` defaults to '*' (every API request).
   */
  async fault(rule) {
    if (rule === null || typeof rule !== 'object' || Array.isArray(rule)) throw new TypeError('rule must be an object')
    const answer = await this.#control('POST', '/_mock/faults', snakeKeys(rule, 'rule'))
    return answer.id
  }

  /** The fault rules, each with its `id`, every key, `fired` and the `times` left (snake_case keys). */
  faults() {
    return this.#control('GET', '/_mock/faults')
  }

  /** Removes every fault rule. */
  async clearFaults() {
    await this.#control('DELETE', '/_mock/faults')
  }

  /**
   * `GET /_mock/stats`, as the mock sends it: `requests` (per route id, per status sent, plus
   * `dropped`), `requests_total`, `invoices`, `jobs`, `pending_jobs`, `rejected_duplicates`,
   * `tokens_issued`, `quota_remaining`.
   */
  stats() {
    return this.#control('GET', '/_mock/stats')
  }

  /** Every stored invoice (drafts and the seeded manual ones included), oldest first, as the API's detail view (snake_case). */
  invoices() {
    return this.#control('GET', '/_mock/invoices')
  }

  /** Expires every token issued so far: the next API call gets 401 and logs in again. */
  async expireTokens() {
    await this.#control('POST', '/_mock/tokens/expire')
  }

  async #control(method, path, body) {
    const res = await fetch(this.url + path, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    })
    const text = await res.text()
    let parsed = null
    if (text) {
      try {
        parsed = JSON.parse(text)
      } catch {
        parsed = text
      }
    }
    if (!res.ok) throw new MockControlError(method, path, res.status, parsed)
    return parsed
  }

  get [Symbol.toStringTag]() {
    return 'SePayMockServer'
  }
}

/**
 * Starts the bundled mock in this process, on 127.0.0.1 and a free port unless `options.host` /
 * `options.port` say otherwise, and resolves to its `MockServer`. Settings left out take the
 * mock's defaults: `pendingPolls` 1, `pendingMs` 1000, `quota` 1000, `tokenTtlSecs` 86400,
 * `clientId` 'mock_client_id', `clientSecret` 'mock_client_secret', `seed` 42,
 * `manualInvoices` 3, `successKeyEverywhere` false, `fileReadyMs` 0, `fileNotReady` 'empty'.
 */
async function startMockServer(options) {
  return new MockServer(new native.NativeMockServer(nativeOptions(options)))
}

module.exports = {
  startMockServer,
  MockServer,
  MockControlError,
  ACCOUNT_MATBAO,
  ACCOUNT_BKAV,
  ACCOUNT_MIFI,
}
