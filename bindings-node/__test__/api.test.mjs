// Node-specific behaviour: AbortSignal, error classes, concurrency, worker threads, ESM/CJS
// loading, the missing-addon message, process exit and logging.
import { test, before, after, beforeEach } from 'node:test'
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import { Worker } from 'node:worker_threads'
import { execFile } from 'node:child_process'
import { mkdtempSync, copyFileSync, writeFileSync, mkdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'

import * as esm from 'sepay-einvoice'
import { startMock, sampleRequest, CREDENTIALS, ACCOUNT_ID, REPO } from './mock.mjs'

const cjs = createRequire(import.meta.url)('sepay-einvoice')
const { Client, SePayError, AbortError } = esm

let mock
let client

before(async () => {
  mock = await startMock()
})
after(async () => {
  await mock?.stop()
})
beforeEach(async () => {
  await mock.control('POST', '/_mock/reset')
  client = new Client({ ...CREDENTIALS, baseUrl: mock.url })
})

const stats = () => mock.control('GET', '/_mock/stats')
const routeCount = (s, route) => Object.values(s.requests[route] ?? {}).reduce((a, b) => a + b, 0)
const sleep = (ms) => new Promise((r) => setTimeout(r, ms))

function run(args, { env = {}, timeout = 20_000 } = {}) {
  return new Promise((resolve) => {
    const started = Date.now()
    execFile(process.execPath, args, { cwd: REPO, env: { ...process.env, ...env }, timeout }, (error, stdout, stderr) => {
      resolve({ code: error ? (error.code ?? 1) : 0, signal: error?.signal, stdout, stderr, ms: Date.now() - started })
    })
  })
}

// ---------------------------------------------------------------------------------------------
// Abort

test('abort during a wait rejects with AbortError and stops polling', async () => {
  const job = await client.createInvoice(sampleRequest({ notes: 'never done [mock:stuck]' }))
  const controller = new AbortController()
  const seen = []
  const started = Date.now()
  const wait = client.waitForStatus(job, {
    pollIntervalMs: 50,
    maxPollIntervalMs: 50,
    signal: controller.signal,
    onStatus: (s) => seen.push(s.state),
  })
  setTimeout(() => controller.abort(), 300)
  await assert.rejects(wait, (e) => {
    assert.equal(e.name, 'AbortError')
    assert.equal(e.code, 'ABORT_ERR')
    assert.ok(e instanceof AbortError && e instanceof SePayError && e instanceof Error)
    return true
  })
  assert.ok(Date.now() - started < 2_000, 'rejected promptly')
  assert.ok(seen.length >= 1 && seen.every((s) => s === 'Pending'), `statuses ${seen}`)
  await sleep(100) // let a poll that was already on the wire be counted
  const polls = routeCount(await stats(), 'check_create')
  await sleep(300)
  assert.equal(routeCount(await stats(), 'check_create'), polls, 'no polls after abort')
})

test('abort during a slow request (latency fault) rejects promptly', async () => {
  await mock.control('POST', '/_mock/faults', { route: 'get_usage', kind: 'latency', latency_ms: 5_000, times: 1 })
  await client.authenticate()
  const controller = new AbortController()
  const started = Date.now()
  setTimeout(() => controller.abort(new Error('user left')), 150)
  await assert.rejects(client.getUsage({ signal: controller.signal }), (e) => {
    assert.equal(e.name, 'AbortError')
    assert.equal(e.cause?.message, 'user left')
    return true
  })
  assert.ok(Date.now() - started < 1_500, `took ${Date.now() - started} ms`)
  // The client is still fine afterwards.
  assert.ok((await client.getUsage()).quotaRemaining > 0)
})

test('an already aborted signal rejects without sending anything', async () => {
  const before = (await stats()).requests_total
  await assert.rejects(client.createInvoiceAndWait(sampleRequest(), { signal: AbortSignal.abort() }), { name: 'AbortError' })
  assert.equal((await stats()).requests_total, before)
})

test('abort while iterating invoices', async () => {
  await mock.control('POST', '/_mock/faults', { route: 'list_invoices', kind: 'latency', latency_ms: 5_000, times: 1 })
  const controller = new AbortController()
  setTimeout(() => controller.abort(), 150)
  const consume = async () => {
    for await (const _ of client.iterInvoices({ perPage: 2 }, { signal: controller.signal })) {
      // nothing
    }
  }
  await assert.rejects(consume(), { name: 'AbortError' })
})

// ---------------------------------------------------------------------------------------------
// Errors

async function catchErr(p) {
  try {
    await p
  } catch (e) {
    return e
  }
  assert.fail('expected a rejection')
}

test('validation errors name the field and send nothing', async () => {
  const before = (await stats()).requests_total
  const e = await catchErr(client.createInvoice(sampleRequest({ items: [{ itemName: 'A', quantity: 1, unitPrice: 1, taxRate: 7 }] })))
  assert.ok(e instanceof esm.ValidationError && e instanceof cjs.ValidationError && e instanceof SePayError)
  assert.equal(e.name, 'ValidationError')
  assert.equal(e.code, 'VALIDATION')
  assert.equal(e.kind, 'Validation')
  assert.equal(e.field, 'items[0].tax_rate')
  assert.equal(e.attempts, 0)
  assert.equal((await stats()).requests_total, before)
  const wrongType = await catchErr(client.createInvoice(sampleRequest({ items: [{ itemName: 'A', quantity: 'abc' }] })))
  assert.equal(wrongType.field, 'items[0].quantity')
  assert.throws(() => new Client({ clientId: 'x', clientSecret: 'y', baseUrl: 'http://example.com' }), (err) => err instanceof esm.ValidationError && err.field === 'base_url')
  assert.throws(() => new Client({ ...CREDENTIALS, environment: 'staging' }), { name: 'ValidationError' })
  assert.throws(() => new Client({ ...CREDENTIALS, timeoutMs: 'soon' }), { name: 'ValidationError' })
  const badJob = await catchErr(client.checkStatus({ kind: 'create' }))
  assert.ok(badJob instanceof esm.ValidationError, String(badJob))
  const badType = await catchErr(client.downloadInvoice('x', 'docx'))
  assert.equal(badType.field, 'type')
})

test('wrong JavaScript argument types become SePayErrors', async () => {
  const e = await catchErr(client.getInvoice(42))
  assert.ok(e instanceof SePayError, String(e))
  assert.equal(e.code, 'VALIDATION')
})

test('API errors map to their classes with status, apiCode and requestId', async () => {
  const nf = await catchErr(client.getInvoice('nope'))
  assert.ok(nf instanceof esm.NotFoundError && nf instanceof esm.ApiError && nf instanceof cjs.NotFoundError)
  assert.equal(nf.status, 404)
  assert.equal(nf.code, 'NOT_FOUND')

  const auth = await catchErr(new Client({ clientId: 'mock_client_id', clientSecret: 'wrong', baseUrl: mock.url }).authenticate())
  assert.ok(auth instanceof esm.AuthenticationError)
  assert.equal(auth.status, 401)
  assert.ok(!JSON.stringify(auth).includes('wrong') && !auth.message.includes('wrong'), 'secret never in the error')

  await mock.control('POST', '/_mock/faults', { route: 'get_usage', kind: 'status', status: 429, retry_after: 1, times: 1 })
  const noRetry = new Client({ ...CREDENTIALS, baseUrl: mock.url, maxRetries: 0 })
  const rl = await catchErr(noRetry.getUsage())
  assert.ok(rl instanceof esm.RateLimitError)
  assert.equal(rl.retryAfterMs, 1000)
  assert.equal(rl.attempts, 1)

  await mock.control('POST', '/_mock/faults', { route: 'get_usage', kind: 'status', status: 503, times: 1 })
  const se = await catchErr(noRetry.getUsage())
  assert.ok(se instanceof esm.ServerError && se.status === 503 && se.retryable === true)

  await mock.control('POST', '/_mock/faults', { route: 'get_usage', kind: 'malformed', times: 1 })
  assert.ok((await catchErr(noRetry.getUsage())) instanceof esm.DecodeError)

  await mock.control('POST', '/_mock/faults', { route: 'get_usage', kind: 'latency', latency_ms: 2_000, times: 1 })
  const slow = new Client({ ...CREDENTIALS, baseUrl: mock.url, maxRetries: 0, timeoutMs: 200 })
  await slow.authenticate()
  assert.ok((await catchErr(slow.getUsage())) instanceof esm.APITimeoutError)

  const closed = new Client({ ...CREDENTIALS, baseUrl: 'http://127.0.0.1:9', maxRetries: 0 })
  assert.ok((await catchErr(closed.authenticate())) instanceof esm.APIConnectionError)

  await mock.control('POST', '/_mock/config', { quota: 0 })
  const q = await catchErr(client.createInvoice(sampleRequest({ isDraft: false })))
  assert.ok(q instanceof esm.QuotaExceededError && q instanceof esm.PermissionDeniedError, String(q))
  assert.equal(q.code, 'QUOTA_EXCEEDED')
  assert.equal(q.apiCode, 'QUOTA_EXCEEDED')
})

test('a failed job rejects with InvoiceFailedError carrying the job; a stuck one with WaitTimeoutError', async () => {
  const failed = await catchErr(
    client.createInvoiceAndWait(sampleRequest({ notes: '[mock:fail]' }), { pollIntervalMs: 50 }),
  )
  assert.ok(failed instanceof esm.InvoiceFailedError, String(failed))
  assert.equal(failed.job.kind, 'create')
  assert.equal(failed.lastStatus.state, 'Failed')

  const job = await client.createInvoice(sampleRequest({ notes: '[mock:stuck]' }))
  const timeout = await catchErr(client.waitForStatus(job, { timeoutMs: 400, pollIntervalMs: 50 }))
  assert.ok(timeout instanceof esm.WaitTimeoutError, String(timeout))
  assert.deepEqual(timeout.job, job)
  assert.equal(timeout.code, 'WAIT_TIMEOUT')
})

test('a Rust panic reaches JavaScript only as an Internal SePayError', async () => {
  const native = createRequire(import.meta.url)('../native.js')
  const check = (e) => {
    assert.ok(e.message.startsWith('[sepay-einvoice]{'), e.message)
    const details = JSON.parse(e.message.slice('[sepay-einvoice]'.length))
    assert.equal(details.kind, 'Internal')
    assert.match(details.message, /test panic/)
    return true
  }
  assert.throws(() => native.__panicForTests(false), check)
  await assert.rejects(native.__panicForTests(true), check)
  // The addon keeps working afterwards.
  assert.ok((await client.getUsage()).quotaRemaining > 0)
})

test('every error class is the same object from ESM and CJS', () => {
  const names = Object.keys(cjs).filter((k) => k.endsWith('Error'))
  assert.equal(names.length, 20)
  for (const n of names) {
    assert.equal(esm[n], cjs[n], n)
    assert.ok(new esm[n]('x') instanceof cjs.SePayError, n)
  }
})

// ---------------------------------------------------------------------------------------------
// Values, concurrency

test('camelCase in and out, decimals as strings, bigint and Date accepted, Buffer out', async () => {
  const inv = await client.createInvoiceAndWait(
    sampleRequest({ issuedDate: new Date(Date.now() - 120_000), items: [{ itemName: 'A', quantity: 3n, unitPrice: '1000.5' }], isDraft: false }),
    { pollIntervalMs: 50 },
  )
  assert.equal(typeof inv.totalAmount, 'string')
  assert.equal(inv.status, 'issued')
  const full = await client.getInvoice(inv.referenceCode)
  assert.equal(full.items.length, 1)
  assert.ok('unitPrice' in full.items[0] && !('unit_price' in full.items[0]))
  const file = await client.downloadInvoice(inv.referenceCode)
  assert.ok(Buffer.isBuffer(file.content))
  assert.equal(file.content.subarray(0, 4).toString(), '%PDF')
  const t = esm.totals({ items: [{ itemName: 'A', quantity: 2, unitPrice: 100000, taxRate: 10 }] })
  assert.equal(t.totalAmount, '220000')
  assert.deepEqual(client.totals({ items: [{ itemName: 'A', quantity: 2, unitPrice: 100000, taxRate: 10 }] }), t)
})

test('text arrives exactly: Vietnamese, astral characters, quotes, escapes and separators', async () => {
  // Results cross as ASCII JSON (every other character escaped): nothing may change on the way.
  const name = 'Công ty Đại Việt 😀 "quoted" \\ back\nline\u2028sep\u0001 ß İ'
  const notes = 'Ghi chú: hàng 𝔸 – đủ'
  const inv = await client.createInvoiceAndWait(sampleRequest({ buyer: { name, taxCode: '0101234567' }, notes }), { pollIntervalMs: 20 })
  const full = await client.getInvoice(inv.referenceCode)
  for (const r of [inv, full]) {
    assert.equal(r.buyer.name, name)
    assert.equal(r.notes, notes)
    assert.ok('referenceCode' in r && !('reference_code' in r))
  }
  assert.equal(full.items[0].itemName, 'Sản phẩm A')
})

test('onStatus has seen every status when the wait settles; a throwing callback does not break it', async () => {
  for (let i = 0; i < 5; i++) {
    const seen = []
    const inv = await client.createInvoiceAndWait(sampleRequest(), { pollIntervalMs: 20, onStatus: (s) => seen.push(s.state) })
    assert.equal(inv.status, 'draft')
    assert.equal(seen.at(-1), 'Success', `statuses ${seen}`)
  }
  const warnings = []
  const onWarning = (w) => warnings.push(w.message)
  process.on('warning', onWarning)
  const inv = await client.createInvoiceAndWait(sampleRequest(), {
    pollIntervalMs: 20,
    onStatus: () => {
      throw new Error('boom')
    },
  })
  await sleep(10)
  process.off('warning', onWarning)
  assert.equal(inv.status, 'draft')
  assert.ok(warnings.some((m) => m.includes('boom')), String(warnings))
})

test('a stored job (plain JSON) can be waited on again', async () => {
  const job = JSON.parse(JSON.stringify(await client.createInvoice(sampleRequest())))
  const inv = await new Client({ ...CREDENTIALS, baseUrl: mock.url }).waitForStatus(job, { pollIntervalMs: 50 })
  assert.equal(inv.referenceCode, job.referenceCode)
})

test('a reused referenceCode: another invoice is a ConflictError, the same one is followed by reference code', async () => {
  const referenceCode = `order-${Date.now()}`
  const req = sampleRequest({ referenceCode })
  await client.createInvoice(req)
  const other = sampleRequest({ referenceCode, issuedDate: req.issuedDate })
  other.items[0].unitPrice = 90000
  const dup = await catchErr(client.createInvoice(other))
  assert.ok(dup instanceof esm.ConflictError, String(dup))
  assert.equal(dup.apiCode, 'EINVOICE_DOCUMENT_EXISTED')
  assert.equal(dup.field, 'items[0].unit_price')
  const same = await client.createInvoice({ ...req })
  assert.equal(same.referenceCode, referenceCode)
  assert.equal(same.trackingCode ?? null, null)
  const inv = await client.waitForStatus({ kind: 'create', referenceCode }, { pollIntervalMs: 50 })
  assert.equal(inv.referenceCode, referenceCode)
  const file = await client.downloadInvoice(referenceCode, { signal: AbortSignal.timeout(5_000) }).catch((e) => e)
  assert.ok(file instanceof esm.SePayError || Buffer.isBuffer(file.content))
})

test('many concurrent calls on one client share one token and pool', async () => {
  const results = await Promise.all(Array.from({ length: 40 }, () => client.getUsage()))
  assert.equal(results.length, 40)
  const s = await stats()
  assert.equal(routeCount(s, 'token'), 1, 'one token fetch for all')
  assert.equal(routeCount(s, 'get_usage'), 40)
  const accounts = await Promise.all([client.listProviderAccounts(), client.getProviderAccount(ACCOUNT_ID)])
  assert.ok(accounts[0].items.length > 0 && accounts[1].templates.length > 0)
})

// ---------------------------------------------------------------------------------------------
// Loading, workers, exit, logging

test('loads in worker_threads, concurrently with the main thread', async () => {
  const code = `
    const { parentPort, workerData } = require('node:worker_threads')
    const { Client, NotFoundError } = require('sepay-einvoice')
    const c = new Client({ clientId: 'mock_client_id', clientSecret: 'mock_client_secret', baseUrl: workerData })
    ;(async () => {
      const usage = await c.getUsage()
      let nf = false
      try { await c.getInvoice('nope') } catch (e) { nf = e instanceof NotFoundError }
      parentPort.postMessage({ quota: usage.quotaRemaining, nf })
    })().catch((e) => parentPort.postMessage({ error: String(e) }))
  `
  const runWorker = () =>
    new Promise((resolve, reject) => {
      const w = new Worker(code, { eval: true, workerData: mock.url })
      w.once('message', resolve)
      w.once('error', reject)
    })
  const [a, b, main] = await Promise.all([runWorker(), runWorker(), client.getUsage()])
  for (const r of [a, b]) assert.deepEqual(r, { quota: main.quotaRemaining, nf: true })
})

test('terminating a worker with calls and a wait in flight leaves the main thread healthy', async () => {
  await mock.control('POST', '/_mock/faults', { route: 'get_usage', kind: 'latency', latency_ms: 2_000, times: 3 })
  const code = `
    const { parentPort, workerData } = require('node:worker_threads')
    const { Client } = require('sepay-einvoice')
    const c = new Client({ clientId: 'mock_client_id', clientSecret: 'mock_client_secret', baseUrl: workerData.url })
    c.authenticate().then(async () => {
      c.getUsage().catch(() => {})
      const job = await c.createInvoice(workerData.request)
      c.waitForStatus(job, { pollIntervalMs: 20, onStatus() {} }).catch(() => {})
      parentPort.postMessage('busy')
    })
  `
  for (let i = 0; i < 3; i++) {
    const w = new Worker(code, { eval: true, workerData: { url: mock.url, request: sampleRequest({ notes: '[mock:stuck]' }) } })
    await new Promise((resolve, reject) => {
      w.once('message', resolve)
      w.once('error', reject)
    })
    await sleep(50)
    assert.equal(await w.terminate(), 1)
  }
  await mock.control('DELETE', '/_mock/faults')
  assert.ok((await client.getUsage()).quotaRemaining > 0)
})

test('CommonJS require and ESM import both work from a plain script', async () => {
  const c = await run(['-e', "const s = require('sepay-einvoice'); if (typeof s.Client !== 'function') process.exit(2); console.log(typeof s.Client.fromEnv)"])
  assert.equal(c.code, 0, c.stderr)
  assert.equal(c.stdout.trim(), 'function')
  const m = await run([
    '--input-type=module',
    '-e',
    "import { Client, SePayError } from 'sepay-einvoice'; import { createRequire } from 'node:module'; const r = createRequire(process.cwd() + '/x.js')('sepay-einvoice'); console.log(r.SePayError === SePayError && typeof Client)",
  ])
  assert.equal(m.code, 0, m.stderr)
  assert.equal(m.stdout.trim(), 'function')
})

test('a missing native addon names the platform package to install and the build command', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'sepay-node-'))
  mkdirSync(path.join(dir, 'bindings-node'))
  for (const f of ['index.cjs', 'native.js']) copyFileSync(path.join(REPO, 'bindings-node', f), path.join(dir, 'bindings-node', f))
  writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'x', version: '0.0.0' }))
  const r = await run(['-e', `require(${JSON.stringify(path.join(dir, 'bindings-node', 'index.cjs'))})`])
  assert.notEqual(r.code, 0)
  assert.match(r.stderr, new RegExp(`${process.platform}-${process.arch}`))
  assert.match(r.stderr, /npm run build/)
  assert.match(r.stderr, new RegExp(`npm install sepay-einvoice-${process.platform}-${process.arch}`))
  assert.doesNotMatch(r.stderr, /removing both package-lock\.json/)
  assert.match(r.stderr, /ERR_SEPAY_NATIVE_NOT_FOUND/)
})

test('the process exits promptly when the work is done', async () => {
  const script = `
    const { Client } = require('sepay-einvoice')
    const c = new Client({ clientId: 'mock_client_id', clientSecret: 'mock_client_secret', baseUrl: ${JSON.stringify(mock.url)} })
    const req = ${JSON.stringify(sampleRequest())}
    ;(async () => {
      await c.createInvoiceAndWait(req, { pollIntervalMs: 50, onStatus: () => {} })
      const ac = new AbortController()
      const p = c.waitForStatus(await c.createInvoice({ ...req, notes: '[mock:stuck]' }), { signal: ac.signal, pollIntervalMs: 50 })
      ac.abort()
      await p.catch(() => {})
      for await (const _ of c.iterInvoices({ perPage: 2 })) {}
      console.log('done')
    })()
  `
  const r = await run(['-e', script], { timeout: 15_000 })
  assert.equal(r.code, 0, r.stderr)
  assert.equal(r.stdout.trim(), 'done')
  assert.ok(r.ms < 5_000, `took ${r.ms} ms`)
  const idle = await run(['-e', "new (require('sepay-einvoice').Client)({ clientId: 'a', clientSecret: 'b' })"])
  assert.equal(idle.code, 0, idle.stderr)
  assert.ok(idle.ms < 3_000)
})

test('SEPAY_EINVOICE_LOG=debug logs to stderr without secrets', async () => {
  const script = `
    const { Client } = require('sepay-einvoice')
    const c = new Client({ clientId: 'mock_client_id', clientSecret: 'mock_client_secret', baseUrl: ${JSON.stringify(mock.url)} })
    c.createInvoiceAndWait(${JSON.stringify(sampleRequest())}, { pollIntervalMs: 50 }).then(() => console.log('ok'))
  `
  const r = await run(['-e', script], { env: { SEPAY_EINVOICE_LOG: 'debug' } })
  assert.equal(r.code, 0, r.stderr)
  assert.ok(r.stderr.length > 0, 'some log lines')
  assert.match(r.stderr, /DEBUG/)
  assert.ok(!r.stderr.includes('mock_client_secret'), 'no secret in logs')
  const quiet = await run(['-e', script], { env: { SEPAY_EINVOICE_LOG: '' } })
  assert.equal(quiet.stderr, '')
})

test('an explicit environment wins over SEPAY_EINVOICE_BASE_URL; an explicit baseUrl over both', async () => {
  const script = `
    const { Client } = require('sepay-einvoice')
    const creds = { clientId: 'a', clientSecret: 'b' }
    console.log(JSON.stringify([
      new Client({ ...creds, environment: 'production' }).baseUrl,
      new Client(creds).baseUrl,
      new Client({ ...creds, environment: 'production', baseUrl: 'http://127.0.0.1:1' }).baseUrl,
    ]))
  `
  const r = await run(['-e', script], { env: { SEPAY_EINVOICE_BASE_URL: mock.url, SEPAY_EINVOICE_ENV: 'production' } })
  assert.equal(r.code, 0, r.stderr)
  const [explicitEnvironment, fromVariables, explicitBaseUrl] = JSON.parse(r.stdout).map((u) => u.replace(/\/$/, ''))
  assert.equal(explicitEnvironment, 'https://einvoice-api.sepay.vn')
  assert.equal(fromVariables, mock.url.replace(/\/$/, ''), 'the base URL variable wins over SEPAY_EINVOICE_ENV')
  assert.equal(explicitBaseUrl, 'http://127.0.0.1:1')
})
