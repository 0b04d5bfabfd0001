// Runs the language-neutral scenarios of tests/conformance/ (format: tests/conformance/README.md)
// through the public Node API against one mock server. Scenario call names and keys are
// snake_case; they are mapped to the camelCase methods and keys here, and results are mapped back
// to the canonical snake_case JSON before matching.
//
//   node --test bindings-node/__test__/conformance.test.mjs
//   SEPAY_CONFORMANCE_FILTER=retry node --test bindings-node/__test__/conformance.test.mjs
import { test, before, after } from 'node:test'
import { readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { randomUUID } from 'node:crypto'
import { inspect } from 'node:util'
import path from 'node:path'

import Ajv2020Module from 'ajv/dist/2020.js'

import { Client, SePayError } from 'sepay-einvoice'
import { startMock, vietnamNow, REPO } from './mock.mjs'

const ROOT = path.join(REPO, 'tests', 'conformance')
const DIR = path.join(ROOT, 'scenarios')
const filter = process.env.SEPAY_CONFORMANCE_FILTER || ''
const files = readdirSync(DIR)
  .filter((f) => f.endsWith('.json') && f.includes(filter))
  .sort()

let mock
let passed = 0
let failed = 0
const failures = []

// Secret scan: every error's inspect()/JSON and every client's inspect() is collected, and the
// secrets are the client secrets used, every token the mock issued and the buyers' tax codes,
// e-mails, phones and national ids in the scenarios. The SDK's own logs (SEPAY_EINVOICE_LOG=trace)
// go to stderr from Rust, so test.sh captures them and secret-scan.mjs checks both; without
// SEPAY_SCAN_SECRETS_FILE the collected outputs are checked here.
const scan = { outputs: [], secrets: new Set(['mock_client_secret']) }

function secret(v) {
  if (typeof v === 'string' && v.length >= 8) scan.secrets.add(v)
}

function collectPii(v) {
  if (Array.isArray(v)) return v.forEach(collectPii)
  if (v && typeof v === 'object') {
    for (const [k, x] of Object.entries(v)) {
      if (['tax_code', 'email', 'phone', 'national_id', 'client_secret'].includes(k)) secret(x)
      else collectPii(x)
    }
  }
}

function observe(v) {
  scan.outputs.push(inspect(v, { depth: 6 }))
  try {
    scan.outputs.push(JSON.stringify(v))
  } catch {
    // not serialisable: inspect() covers it
  }
  if (v instanceof Error) scan.outputs.push(String(v), v.message)
}

async function collectTokens() {
  const { tokens } = await mock.control('GET', '/_mock/tokens')
  for (const t of tokens) secret(t.token)
}

before(async () => {
  mock = await startMock()
})

after(async () => {
  await mock?.stop()
  for (const f of failures) console.log(`FAILED  ${f}`)
  console.log(`conformance (node): ${passed} passed, ${failed} failed`)
  const file = process.env.SEPAY_SCAN_SECRETS_FILE
  if (file) {
    writeFileSync(file, JSON.stringify({ secrets: [...scan.secrets], outputs: scan.outputs }))
  } else {
    const leaks = scan.outputs.filter((o) => [...scan.secrets].some((x) => o.includes(x)))
    console.log(`secret scan (node, no logs): ${scan.outputs.length} outputs, ${scan.secrets.size} secrets, ${leaks.length} leaks`)
    if (leaks.length) process.exitCode = 1
  }
})

// ---------------------------------------------------------------------------------------------
// Key mapping

const camel = (k) => k.replace(/_([a-z0-9])/g, (_, c) => c.toUpperCase())
const snake = (k) => k.replace(/[A-Z]/g, (c) => '_' + c.toLowerCase())

function mapKeys(v, f) {
  if (Array.isArray(v)) return v.map((x) => mapKeys(x, f))
  if (v && typeof v === 'object' && !Buffer.isBuffer(v)) {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [f(k), mapKeys(x, f)]))
  }
  return v
}
const toJs = (v) => mapKeys(v, camel)
const toCanonical = (v) => mapKeys(v, snake)

/** A Node JobStatus (`state`) as the canonical JSON (`status`). */
function statusCanonical(s) {
  const { state, ...rest } = toCanonical(s)
  return { status: state, ...rest }
}

// ---------------------------------------------------------------------------------------------
// The format as a checked spec: scenario.schema.json, shared request fixtures

const readJson = (p) => JSON.parse(readFileSync(path.join(ROOT, p), 'utf8'))
const Ajv2020 = Ajv2020Module.default ?? Ajv2020Module
const ajv = new Ajv2020({ allErrors: true, strict: false })
const checkScenario = ajv.compile(readJson('scenario.schema.json'))
const FIXTURES = readJson('fixtures/requests.json')
{
  const checkFixtures = ajv.compile(readJson('fixtures/requests.schema.json'))
  if (!checkFixtures(FIXTURES)) throw new Error(`fixtures/requests.json: ${schemaErrors(checkFixtures)}`)
}

function schemaErrors(check) {
  // `if`/`then` and `propertyNames` add a summary beside the error that says what is wrong.
  return (check.errors ?? [])
    .filter((e) => e.keyword !== 'if' && e.keyword !== 'propertyNames')
    .slice(0, 5)
    .map((e) => {
      const extra = e.params?.additionalProperty ?? e.params?.allowedValues?.join(', ')
      return `${e.instancePath || '/'}: ${e.message}${extra ? ` (${extra})` : ''}`
    })
    .join('; ')
}

/** Replaces every {"$fixture": name, ...} object by a copy of the fixture's request with the
 * object's other keys laid over it. */
function resolveFixtures(v) {
  if (Array.isArray(v)) return v.map(resolveFixtures)
  if (!v || typeof v !== 'object') return v
  let out = {}
  if (Object.hasOwn(v, '$fixture')) {
    const name = v.$fixture
    if (typeof name !== 'string' || !Object.hasOwn(FIXTURES, name)) {
      throw new Error(`unknown fixture ${JSON.stringify(name)}`)
    }
    out = structuredClone(FIXTURES[name].request)
  }
  for (const [k, x] of Object.entries(v)) if (k !== '$fixture') out[k] = resolveFixtures(x)
  return out
}

/** A scenario as the runner uses it: checked against the schema, fixtures resolved. */
function prepare(raw) {
  if (!checkScenario(raw)) {
    throw new Error(`does not match scenario.schema.json: ${schemaErrors(checkScenario)}`)
  }
  return resolveFixtures(raw)
}

// ---------------------------------------------------------------------------------------------
// Values and matching

function special(s, saved) {
  if (s === '$now') return vietnamNow()
  if (s === '$tomorrow') return vietnamNow(24 * 3600_000)
  if (s === '$uuid') return randomUUID()
  // A series of the year `$now` falls in: `$series:TSE` is C26TSE in 2026.
  if (s.startsWith('$series:')) return `C${vietnamNow().slice(2, 4)}${s.slice('$series:'.length)}`
  const v = lookup(s.slice(1), saved)
  if (v === undefined) throw new Error(`nothing saved at ${s}`)
  return v
}

function substitute(v, saved) {
  if (typeof v === 'string' && v.startsWith('$')) return special(v, saved)
  if (Array.isArray(v)) return v.map((x) => substitute(x, saved))
  if (v && typeof v === 'object') {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, substitute(x, saved)]))
  }
  return v
}

function lookup(p, saved) {
  const [head, ...rest] = p.split('.')
  if (!Object.hasOwn(saved, head)) return undefined
  let cur = saved[head]
  for (const part of rest) {
    // Arrays by index only (`items.0`), objects by their own keys: as the other runners read paths.
    if (Array.isArray(cur)) {
      if (!/^\d+$/.test(part) || Number(part) >= cur.length) return undefined
      cur = cur[Number(part)]
    } else if (cur !== null && typeof cur === 'object' && Object.hasOwn(cur, part)) {
      cur = cur[part]
    } else {
      return undefined
    }
  }
  return cur
}

/** Exact decimal comparison of numbers / numeric strings: -1, 0, 1, or null if not numeric. */
function decCompare(a, b) {
  const parse = (x) => {
    if (typeof x === 'number') x = String(x)
    if (typeof x !== 'string') return null
    const t = x.trim()
    if (/e/i.test(t)) {
      const n = Number(t)
      return Number.isFinite(n) ? parse(n.toFixed(12)) : null
    }
    const m = /^([+-]?)(\d*)(?:\.(\d*))?$/.exec(t)
    if (!m || (m[2] === '' && (m[3] ?? '') === '')) return null
    const frac = (m[3] ?? '').padEnd(20, '0').slice(0, 20)
    const n = BigInt((m[2] || '0') + frac)
    return m[1] === '-' ? -n : n
  }
  const x = parse(a)
  const y = parse(b)
  if (x === null || y === null) return null
  return x < y ? -1 : x > y ? 1 : 0
}

function matches(expected, actual, saved, where) {
  const present = actual === undefined || actual === null ? null : actual
  const fail = () => {
    throw new Error(`at ${where}: expected ${JSON.stringify(expected)}, got ${present === null ? 'nothing' : JSON.stringify(actual)}`)
  }
  if (expected === null || expected === '$absent') {
    if (present !== null) fail()
    return
  }
  if (expected === '$any') {
    if (present === null) fail()
    return
  }
  if (typeof expected === 'string' && expected.startsWith('$')) {
    const want = lookup(expected.slice(1), saved)
    if (want === undefined) throw new Error(`at ${where}: nothing saved at ${expected}`)
    return matches(want, actual, saved, where)
  }
  if (typeof expected === 'number') {
    if (decCompare(expected, present) !== 0) fail()
    return
  }
  if (typeof expected === 'string' || typeof expected === 'boolean') {
    if (present !== expected) fail()
    return
  }
  if (Array.isArray(expected)) {
    if (!Array.isArray(present) || present.length !== expected.length) fail()
    expected.forEach((e, i) => matches(e, present[i], saved, `${where}[${i}]`))
    return
  }
  const keys = Object.keys(expected)
  if (keys.some((k) => k.startsWith('$'))) {
    for (const [k, want] of Object.entries(expected)) {
      let ok
      switch (k) {
        case '$len':
          ok = (Array.isArray(present) || typeof present === 'string') && [...present].length === want
          break
        case '$gte':
          ok = (decCompare(present, want) ?? -1) >= 0
          break
        case '$lte':
          ok = (decCompare(present, want) ?? 1) <= 0
          break
        case '$startsWith':
          ok = typeof present === 'string' && present.startsWith(want)
          break
        case '$contains':
          ok = typeof present === 'string' && present.includes(want)
          break
        case '$each':
          if (!Array.isArray(present)) fail()
          present.forEach((g, i) => matches(want, g, saved, `${where}[${i}]`))
          ok = true
          break
        default:
          throw new Error(`at ${where}: unknown matcher ${k}`)
      }
      if (!ok) fail()
    }
    return
  }
  if (present === null || typeof present !== 'object' || Array.isArray(present)) fail()
  for (const [k, e] of Object.entries(expected)) matches(e, present[k], saved, `${where}.${k}`)
}

// ---------------------------------------------------------------------------------------------
// Calls

function waitOptions(args, statuses) {
  return {
    timeoutMs: args.timeout_ms,
    pollIntervalMs: args.poll_interval_ms,
    maxPollIntervalMs: args.max_poll_interval_ms,
    onStatus: (s) => statuses.push(s.state),
  }
}

/** Calls the camelCase method for a scenario call and returns the canonical JSON result. */
async function callClient(client, name, args, statuses) {
  const listParams = () => ({ page: args.page, perPage: args.per_page, source: args.source })
  switch (name) {
    case 'authenticate':
      return toCanonical(await client.authenticate())
    case 'list_provider_accounts':
      return toCanonical(await client.listProviderAccounts({ page: args.page, perPage: args.per_page }))
    case 'get_provider_account':
      return toCanonical(await client.getProviderAccount(args.id))
    case 'create_invoice':
      return toCanonical(await client.createInvoice(toJs(args.request)))
    case 'issue_invoice':
      return toCanonical(await client.issueInvoice(args.reference_code))
    case 'check_status':
      return statusCanonical(await client.checkStatus(toJs(args.job)))
    case 'wait_for_status':
      return toCanonical(await client.waitForStatus(toJs(args.job), waitOptions(args, statuses)))
    case 'create_invoice_and_wait':
      return toCanonical(await client.createInvoiceAndWait(toJs(args.request), waitOptions(args, statuses)))
    case 'issue_invoice_and_wait':
      return toCanonical(await client.issueInvoiceAndWait(args.reference_code, waitOptions(args, statuses)))
    case 'replace_invoice':
      return toCanonical(await client.replaceInvoice(args.original_invoice_reference_code, toJs(args.request)))
    case 'adjust_invoice':
      return toCanonical(
        await client.adjustInvoice(args.original_invoice_reference_code, args.adjustment_type, toJs(args.request)),
      )
    case 'replace_invoice_and_wait':
      return toCanonical(
        await client.replaceInvoiceAndWait(
          args.original_invoice_reference_code,
          toJs(args.request),
          waitOptions(args, statuses),
        ),
      )
    case 'adjust_invoice_and_wait':
      return toCanonical(
        await client.adjustInvoiceAndWait(
          args.original_invoice_reference_code,
          args.adjustment_type,
          toJs(args.request),
          waitOptions(args, statuses),
        ),
      )
    case 'preflight':
      return toCanonical(await client.preflight(toJs(args.request)))
    case 'get_invoice':
      return toCanonical(await client.getInvoice(args.reference_code))
    case 'list_invoices':
      return toCanonical(await client.listInvoices(listParams()))
    case 'iter_invoices': {
      const all = []
      for await (const inv of client.iterInvoices(listParams())) all.push(inv)
      return toCanonical(all)
    }
    case 'download_invoice': {
      const f = await client.downloadInvoice(args.reference_code, args.type)
      if (!Buffer.isBuffer(f.content)) throw new Error('content is not a Buffer')
      return {
        file_type: f.fileType,
        file_name: f.fileName,
        size: f.content.length,
        head: f.content.subarray(0, 8).toString('latin1'),
      }
    }
    case 'delete_draft':
      return (await client.deleteDraft(args.reference_code)) ?? null
    case 'get_usage':
      return toCanonical(await client.getUsage())
    case 'totals':
      return toCanonical(client.totals(toJs(args.request)))
    default:
      throw new Error(`unknown call ${name}`)
  }
}

function errorCanonical(e) {
  return {
    // Every key present (null when absent), as the Rust and Python runners save an error.
    kind: e.kind,
    status: e.status ?? null,
    api_code: e.apiCode ?? null,
    field: e.field ?? null,
    attempts: e.attempts ?? 0,
    message: e.message,
    reference_code: e.referenceCode ?? null,
    tracking_code: e.trackingCode ?? null,
    job: e.job == null ? null : toCanonical(e.job),
    retryable: e.retryable ?? false,
    ambiguous: e.ambiguous ?? false,
    problems: toCanonical(e.problems ?? []),
  }
}

async function runStep(client, step, saved) {
  if (step.mock) {
    switch (step.mock) {
      case 'config':
        return mock.control('POST', '/_mock/config', step.body ?? {})
      case 'faults':
        for (const rule of step.body ?? []) await mock.control('POST', '/_mock/faults', rule)
        return
      case 'clear_faults':
        return mock.control('DELETE', '/_mock/faults')
      case 'expire_tokens':
        return mock.control('POST', '/_mock/tokens/expire')
      case 'reset':
        await collectTokens()
        return mock.control('POST', '/_mock/reset')
      case 'stats':
        return matches(step.expect ?? null, await mock.control('GET', '/_mock/stats'), saved, 'stats')
      default:
        throw new Error(`unknown mock step ${step.mock}`)
    }
  }
  const args = substitute(step.args ?? {}, saved)
  const before = await mock.control('GET', '/_mock/stats')
  const statuses = []
  let result
  let error
  try {
    result = await callClient(client, step.call, args, statuses)
  } catch (e) {
    error = e
  }
  const expectError = step.expect_error
  if (error) observe(error)
  if (!error) {
    if (expectError) throw new Error(`expected an error, got ${JSON.stringify(result)}`)
    if (step.expect !== undefined) matches(step.expect, result, saved, 'result')
    if (step.expect_statuses !== undefined) matches(step.expect_statuses, statuses, saved, 'statuses')
    if (step.save) saved[step.save] = result
    return
  }
  if (!expectError) throw new Error(`unexpected error: ${error.stack || error}`)
  if (!(error instanceof SePayError)) throw new Error(`not a SePayError: ${error.stack || error}`)
  const { message_contains: contains, ...exp } = expectError
  try {
    matches(exp, errorCanonical(error), saved, 'error')
  } catch (m) {
    throw new Error(`${m.message} (error was: ${error.name}: ${error.message})`)
  }
  if (step.save) saved[step.save] = JSON.parse(JSON.stringify(errorCanonical(error)))
  if (contains !== undefined && !error.message.includes(contains)) {
    throw new Error(`error message ${JSON.stringify(error.message)} does not contain ${JSON.stringify(contains)}`)
  }
  if (error.kind === 'Validation') {
    // Only the provider account may be read first (the account checks).
    const afterStats = await mock.control('GET', '/_mock/stats')
    if (sentBesidesAccount(afterStats) !== sentBesidesAccount(before)) {
      throw new Error('a validation error must be raised before any request is sent')
    }
  }
}

/** Requests the mock has received, other than provider-account reads and the token they need. */
function sentBesidesAccount(stats) {
  let n = 0
  for (const [route, byStatus] of Object.entries(stats.requests ?? {})) {
    if (route === 'get_provider_account' || route === 'token') continue
    for (const count of Object.values(byStatus)) n += count
  }
  return n
}

async function runScenario(scenario) {
  collectPii(scenario)
  await collectTokens()
  await mock.control('POST', '/_mock/reset')
  if (scenario.mock?.config) await mock.control('POST', '/_mock/config', scenario.mock.config)
  for (const rule of scenario.mock?.faults ?? []) await mock.control('POST', '/_mock/faults', rule)
  const o = scenario.client ?? {}
  const client = new Client({
    baseUrl: mock.url,
    clientId: o.client_id ?? 'mock_client_id',
    clientSecret: o.client_secret ?? 'mock_client_secret',
    maxRetries: o.max_retries,
    timeoutMs: o.timeout_ms,
    callTimeoutMs: o.call_timeout_ms,
    maxResponseBytes: o.max_response_bytes,
    maxDownloadBytes: o.max_download_bytes,
    accountChecks: o.account_checks,
    strictRules: o.strict_rules,
  })
  observe(client)
  const saved = {}
  try {
    for (const [i, step] of (scenario.steps ?? []).entries()) {
      try {
        await runStep(client, step, saved)
      } catch (e) {
        throw new Error(`step ${i + 1} (${step.call ?? step.mock}): ${e.message}`)
      }
    }
  } finally {
    await collectTokens()
  }
}

// The checks must be able to fail: a misspelt key, an unknown fixture, an unresolved $name.
test('the scenario format is checked', () => {
  const refused = (f) => {
    try {
      f()
    } catch {
      return 1
    }
    return 0
  }
  const n =
    refused(() => prepare({ name: 'typo', steps: [{ call: 'get_usage', expcet: {} }] })) +
    refused(() =>
      prepare({ name: 'fixture', steps: [{ call: 'totals', args: { request: { $fixture: 'nope' } } }] }),
    ) +
    refused(() => special('$never_saved', {})) +
    refused(() => special('$job.no_such_key', { job: {} }))
  console.log(`format checks (node): ${n} of 4 bad inputs refused`)
  if (n !== 4) throw new Error(`only ${n} of 4 bad inputs were refused`)
})

test('the runner substitutes $series and counts requests besides account reads', () => {
  const year = vietnamNow().slice(2, 4)
  if (special('$series:TSE', {}) !== `C${year}TSE`) throw new Error(`$series:TSE gave ${special('$series:TSE', {})}`)
  const n = sentBesidesAccount({
    requests_total: 6,
    requests: { get_provider_account: { 200: 2, 404: 1 }, token: { 200: 1 }, create_invoice: { 200: 1, dropped: 1 } },
  })
  if (n !== 2) throw new Error(`sentBesidesAccount gave ${n}`)
})

for (const file of files) {
  test(file.replace(/\.json$/, ''), async () => {
    try {
      await runScenario(prepare(JSON.parse(readFileSync(path.join(DIR, file), 'utf8'))))
      passed++
    } catch (e) {
      failed++
      failures.push(`${file}: ${e.message}`)
      throw e
    }
  })
}
