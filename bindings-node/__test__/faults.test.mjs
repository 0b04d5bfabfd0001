// Trust under faults, as a Node user sees it: the reference code sticks to a request object,
// errors carry it and say when the invoice may exist, bad input is only ever a ValidationError
// naming the field, and a hostile answer cannot fill memory or leak a secret.
import { test, before, after, beforeEach } from 'node:test'
import assert from 'node:assert/strict'
import { inspect } from 'node:util'
import { spawnSync } from 'node:child_process'
import { createRequire } from 'node:module'

import { startMock, sampleRequest, CREDENTIALS, REPO } from './mock.mjs'

const require = createRequire(import.meta.url)
const {
  Client,
  ValidationError,
  ConflictError,
  DecodeError,
  SePayError,
  AbortError,
  sentReferenceCode,
  forgetReferenceCode,
} = require('../index.cjs')

let mock
let client

before(async () => {
  mock = await startMock()
})
after(async () => {
  await mock.stop()
})
beforeEach(async () => {
  await mock.control('POST', '/_mock/reset')
  await mock.control('POST', '/_mock/config', { pending_polls: 0, pending_ms: 0 })
  client = new Client({ ...CREDENTIALS, baseUrl: mock.url, timeoutMs: 2000, callTimeoutMs: 10000, maxRetries: 1 })
})

async function invoicesWith(reference) {
  const all = await mock.control('GET', '/_mock/invoices')
  return all.filter((inv) => inv.reference_code === reference).length
}

const fast = { pollIntervalMs: 20, maxPollIntervalMs: 50 }

test('an ambiguous create names its reference, and the same object finds the invoice', async () => {
  const req = sampleRequest()
  await mock.control('POST', '/_mock/faults', { route: 'create_invoice', kind: 'drop' })
  const err = await client.createInvoice(req).then(
    () => assert.fail('expected an error'),
    (e) => e,
  )
  assert.ok(err instanceof SePayError)
  assert.ok(err.referenceCode && err.ambiguous && err.retryable, inspect(err))
  assert.ok(err.message.includes(err.referenceCode) && err.message.includes('same request object'), err.message)
  await mock.control('DELETE', '/_mock/faults')
  const inv = await client.createInvoiceAndWait(req, fast)
  assert.equal(inv.referenceCode, err.referenceCode)
  assert.equal(await invoicesWith(err.referenceCode), 1)
  // A copy is a new sale with its own code.
  const other = await client.createInvoice({ ...req })
  assert.notEqual(other.referenceCode, err.referenceCode)
  // The caller's object is not modified.
  assert.deepEqual(Object.keys(req).sort(), Object.keys(sampleRequest()).sort())
})

test('reusing a reference for another invoice is a conflict naming the field', async () => {
  await client.createInvoiceAndWait(sampleRequest({ referenceCode: 'ORDER-9' }), fast)
  await mock.control('POST', '/_mock/faults', { route: 'create_invoice', kind: 'status', status: 503, times: 1 })
  const other = sampleRequest({ referenceCode: 'ORDER-9' })
  other.items[0].unitPrice = 90000
  const err = await client.createInvoice(other).then(
    () => assert.fail('expected a conflict'),
    (e) => e,
  )
  assert.ok(err instanceof ConflictError, inspect(err))
  assert.equal(err.referenceCode, 'ORDER-9')
  assert.ok(['items[0].unit_price', 'total_amount'].includes(err.field), err.field)
  assert.equal(await invoicesWith('ORDER-9'), 1)
})

function deep(n) {
  let v = 'x'
  for (let i = 0; i < n; i++) v = [v]
  return v
}

const cyclic = () => {
  const buyer = { name: 'A' }
  buyer.self = buyer
  return buyer
}

const badCases = [
  ['NaN price', (r) => (r.items[0].unitPrice = NaN), 'items[0].unit_price'],
  ['Infinity price', (r) => (r.items[0].unitPrice = Infinity), 'items[0].unit_price'],
  ['-Infinity quantity', (r) => (r.items[0].quantity = -Infinity), 'items[0].quantity'],
  ['blank price', (r) => (r.items[0].unitPrice = '  '), 'items[0].unit_price'],
  ['misspelt key', (r) => (r.items[0].taxRates = 10), 'items[0].tax_rates'],
  ['function value', (r) => (r.buyer.name = () => 'x'), 'buyer.name'],
  ['symbol value', (r) => (r.notes = Symbol('x')), 'notes'],
  ['lone surrogate', (r) => (r.buyer.name = 'A\ud800B'), 'buyer.name'],
  ['deep nesting', (r) => (r.notes = deep(100)), 'notes'],
  ['very deep nesting', (r) => (r.buyer = deep(100000)), 'buyer'],
  ['cycle', (r) => (r.buyer = cyclic()), 'buyer.self'],
  ['invalid Date', (r) => (r.issuedDate = new Date('nope')), 'issued_date'],
  ['phone as a number', (r) => (r.buyer.phone = 909123456), 'buyer.phone'],
  ['year 0000', (r) => (r.issuedDate = '0000-01-01 00:00:00'), 'issued_date'],
  ['13-digit tax code', (r) => (r.buyer.taxCode = '0101234567001'), 'buyer.tax_code'],
]

for (const [name, mutate, field] of badCases) {
  test(`bad input is a ValidationError naming the field: ${name}`, async () => {
    const req = sampleRequest()
    mutate(req)
    const before = (await mock.control('GET', '/_mock/stats')).requests_total
    const err = await client.createInvoice(req).then(
      () => assert.fail('expected a validation error'),
      (e) => e,
    )
    assert.ok(err instanceof ValidationError, inspect(err))
    assert.equal(err.field, field, err.message)
    assert.ok(!inspect(err).includes('909123456'))
    assert.equal((await mock.control('GET', '/_mock/stats')).requests_total, before)
  })
}

test('an oversized answer is a DecodeError; maxResponseBytes lowers the cap', async () => {
  await mock.control('POST', '/_mock/faults', { route: 'get_usage', kind: 'oversize', body_bytes: 20_000_000 })
  await assert.rejects(client.getUsage(), (e) => e instanceof DecodeError && /8 MiB/.test(e.message))
  await mock.control('DELETE', '/_mock/faults')
  const small = new Client({ ...CREDENTIALS, baseUrl: mock.url, maxResponseBytes: 64 })
  await assert.rejects(small.listInvoices({ perPage: 5 }), (e) => e instanceof DecodeError)
})

test('a token echoed by the server never reaches the error', async () => {
  await mock.control('POST', '/_mock/faults', {
    route: 'get_usage',
    kind: 'body',
    status: 400,
    act: false,
    body: '{"success":false,"error":{"code":"BAD_REQUEST","message":"bad header {authorization}"}}',
  })
  const err = await client.getUsage().then(
    () => assert.fail('expected an error'),
    (e) => e,
  )
  const { tokens } = await mock.control('GET', '/_mock/tokens')
  assert.ok(tokens.length > 0)
  const shown = [inspect(err), JSON.stringify(err), err.message, String(err.bodyExcerpt)].join('\n')
  for (const t of tokens) assert.ok(!shown.includes(t.token), shown)
  assert.ok(!shown.includes(CREDENTIALS.clientSecret))
})

test('an endless answer rejects and memory stays bounded', async () => {
  await mock.control('POST', '/_mock/faults', { route: 'get_usage', kind: 'endless' })
  // In a fresh process, so the peak RSS is this case's own.
  const script = `
    const { Client, DecodeError } = require(${JSON.stringify(REPO + '/bindings-node/index.cjs')})
    const c = new Client({ clientId: 'mock_client_id', clientSecret: 'mock_client_secret', baseUrl: ${JSON.stringify(mock.url)}, timeoutMs: 20000, callTimeoutMs: 60000 })
    c.getUsage().then(() => console.log('no-error 0'), (e) => console.log((e instanceof DecodeError ? 'decode ' : 'other ') + Math.round(process.resourceUsage().maxRSS / 1024)))
  `
  const out = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 120_000 })
  assert.equal(out.status, 0, out.stderr)
  const [kind, peakMiB] = out.stdout.trim().split(' ')
  assert.equal(kind, 'decode', out.stdout)
  // Three attempts of at most 8 MiB each, one at a time, plus Node itself (~60 MiB).
  assert.ok(Number(peakMiB) < 200, `peak RSS ${peakMiB} MiB`)
})

test('a positional argument of the wrong type is a ValidationError naming it', async () => {
  for (const [run, field] of [
    [() => client.getInvoice(123), 'reference_code'],
    [() => client.deleteDraft(undefined), 'reference_code'],
    [() => client.issueInvoice({}), 'reference_code'],
    [() => client.downloadInvoice('r1', 7), 'type'],
    [() => client.getProviderAccount(null), 'id'],
  ]) {
    await assert.rejects(run(), (e) => e instanceof ValidationError && e.field === field)
  }
})

test('an aborted create keeps the object\'s code: the retry finds the invoice', async () => {
  await mock.control('POST', '/_mock/faults', {
    route: 'create_invoice',
    kind: 'latency',
    when: 'after',
    latency_ms: 1500,
    times: 1,
  })
  const req = sampleRequest()
  const err = await client.createInvoice(req, { signal: AbortSignal.timeout(300) }).then(
    () => assert.fail('expected an abort'),
    (e) => e,
  )
  assert.ok(err instanceof AbortError, inspect(err))
  const code = sentReferenceCode(req)
  assert.ok(code && err.referenceCode === code && err.ambiguous, inspect(err))
  await new Promise((r) => setTimeout(r, 1500))
  // Two concurrent sends of the same object share its code.
  const jobs = await Promise.all([client.createInvoice(req), client.createInvoice(req)])
  assert.deepEqual(new Set(jobs.map((j) => j.referenceCode)), new Set([code]))
  assert.equal(await invoicesWith(code), 1)
})

test('a sent object that changed is refused, naming the change', async () => {
  const req = sampleRequest({ notes: 'order 1001' })
  const first = await client.createInvoiceAndWait(req, fast)
  req.notes = 'order 1002'
  const err = await client.createInvoice(req).then(
    () => assert.fail('expected a validation error'),
    (e) => e,
  )
  assert.ok(err instanceof ValidationError, inspect(err))
  assert.equal(err.field, 'notes')
  assert.equal(err.referenceCode, first.referenceCode)
  forgetReferenceCode(req)
  const next = await client.createInvoice(req)
  assert.notEqual(next.referenceCode, first.referenceCode)
})
