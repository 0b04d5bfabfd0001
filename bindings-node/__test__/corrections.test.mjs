// Replacement and adjustment invoices, preflight, `problems` on errors and the account-check
// options, against the mock.
import { test, before, after, beforeEach } from 'node:test'
import assert from 'node:assert/strict'

import {
  Client,
  SePayError,
  ApiError,
  ValidationError,
  UnprocessableEntityError,
  CorrectionRefusedError,
  NotFoundError,
  AbortError,
  sentReferenceCode,
} from 'sepay-einvoice'
import { startMock, vietnamNow, CREDENTIALS, ACCOUNT_ID } from './mock.mjs'

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
  await mock.control('POST', '/_mock/config', { pending_polls: 1, pending_ms: 0 })
  client = new Client({ ...CREDENTIALS, baseUrl: mock.url })
})

const FAST = { pollIntervalMs: 50, maxPollIntervalMs: 100, timeoutMs: 20_000 }
const stats = () => mock.control('GET', '/_mock/stats')
const routeCount = (s, route) => Object.values(s.requests[route] ?? {}).reduce((a, b) => a + b, 0)

/** A VAT invoice on the seeded account (template 1 / series C<yy>TSE). */
function vatRequest(overrides = {}) {
  return {
    providerAccountId: ACCOUNT_ID,
    templateCode: '1',
    invoiceSeries: `C${vietnamNow().slice(2, 4)}TSE`,
    issuedDate: vietnamNow(),
    isDraft: false,
    currency: 'VND',
    buyer: { name: 'Công ty ABC', taxCode: '0101234567', email: 'buyer@example.com' },
    items: [{ itemName: 'Sản phẩm A', quantity: 2, unitPrice: 100000, taxRate: 10 }],
    ...overrides,
  }
}

/** Three independent errors: bad e-mail, unknown VAT rate, a series of no shape. */
const severalProblems = () =>
  vatRequest({
    invoiceSeries: 'X',
    buyer: { name: 'Công ty ABC', email: 'not-an-email' },
    items: [{ itemName: 'Sản phẩm A', quantity: 1, unitPrice: 100000, taxRate: 7 }],
  })

const issued = () => client.createInvoiceAndWait(vatRequest(), FAST)

// ---------------------------------------------------------------------------------------------
// Replacement

test('replaceInvoiceAndWait, then a second replacement is a CorrectionRefusedError', async () => {
  const original = await issued()
  const replacement = await client.replaceInvoiceAndWait(original.referenceCode, vatRequest(), FAST)
  assert.notEqual(replacement.referenceCode, original.referenceCode)
  assert.equal(replacement.status, 'issued')
  await assert.rejects(client.replaceInvoice(original.referenceCode, vatRequest()), (e) => {
    assert.ok(e instanceof CorrectionRefusedError)
    assert.ok(e instanceof UnprocessableEntityError && e instanceof ApiError && e instanceof SePayError)
    assert.equal(e.name, 'CorrectionRefusedError')
    assert.equal(e.kind, 'CorrectionRefused')
    assert.equal(e.code, 'CORRECTION_REFUSED')
    assert.equal(e.apiCode, 'INVOICE_ALREADY_REPLACED')
    assert.deepEqual(e.problems, [])
    return true
  })
})

test('replaceInvoice returns a replace job; the request object remembers its reference code', async () => {
  const original = await issued()
  const request = vatRequest()
  const job = await client.replaceInvoice(original.referenceCode, request)
  assert.equal(job.kind, 'replace')
  assert.equal(sentReferenceCode(request), job.referenceCode)
  const invoice = await client.waitForStatus(job, FAST)
  assert.equal(invoice.referenceCode, job.referenceCode)
  // The same object again finds the same replacement instead of making a second one.
  const again = await client.replaceInvoice(original.referenceCode, request)
  assert.equal(again.referenceCode, job.referenceCode)
})

test('a bad original reference code is a ValidationError naming it, before anything is sent', async () => {
  const before = (await stats()).requests_total
  for (const bad of [42, '', null]) {
    await assert.rejects(client.replaceInvoice(bad, vatRequest()), (e) => {
      assert.ok(e instanceof ValidationError, String(e))
      assert.equal(e.field, 'original_invoice_reference_code')
      return true
    })
  }
  assert.equal((await stats()).requests_total, before)
})

test('an abort of a replacement names its reference code', async () => {
  const original = await issued()
  await mock.control('POST', '/_mock/faults', { route: 'replace_invoice', kind: 'latency', latency_ms: 5_000, times: 1 })
  const controller = new AbortController()
  const request = vatRequest()
  setTimeout(() => controller.abort(), 150)
  await assert.rejects(
    client.replaceInvoiceAndWait(original.referenceCode, request, { ...FAST, signal: controller.signal }),
    (e) => {
      assert.ok(e instanceof AbortError)
      assert.ok(sentReferenceCode(request))
      assert.equal(e.referenceCode, sentReferenceCode(request))
      assert.equal(e.ambiguous, true)
      return true
    },
  )
})

// ---------------------------------------------------------------------------------------------
// Adjustment

test('adjustInvoiceAndWait increase, adjustInvoice decrease; the original lists both', async () => {
  const original = await issued()
  const seen = []
  const up = await client.adjustInvoiceAndWait(original.referenceCode, 'increase', vatRequest(), {
    ...FAST,
    onStatus: (s) => seen.push(s.state),
  })
  assert.equal(seen.at(-1), 'Success')
  const job = await client.adjustInvoice(
    original.referenceCode,
    'decrease',
    vatRequest({ items: [{ itemName: 'Sản phẩm A', quantity: 1, unitPrice: -50000, taxRate: 10 }] }),
  )
  assert.equal(job.kind, 'adjust')
  const down = await client.waitForStatus(job, FAST)
  const after = await client.getInvoice(original.referenceCode)
  assert.ok(after.adjustedBy.includes(up.referenceCode) && after.adjustedBy.includes(down.referenceCode))
})

test('adjustInvoice refuses an unknown type and a line of the wrong sign, sending nothing', async () => {
  const before = (await stats()).requests_total
  await assert.rejects(client.adjustInvoice('some-original', 'sideways', vatRequest()), (e) => {
    assert.ok(e instanceof ValidationError)
    assert.equal(e.field, 'adjustment_type')
    assert.ok(e.problems.some((p) => p.field === 'adjustment_type'))
    return true
  })
  await assert.rejects(client.adjustInvoice('some-original', 'decrease', vatRequest()), (e) => {
    assert.ok(e instanceof ValidationError)
    assert.match(e.field, /^items\[0\]/)
    return true
  })
  await assert.rejects(client.adjustInvoice('some-original', 7, vatRequest()), (e) => {
    assert.ok(e instanceof ValidationError)
    assert.equal(e.field, 'adjustment_type')
    return true
  })
  assert.equal((await stats()).requests_total, before)
})

// ---------------------------------------------------------------------------------------------
// Preflight and problems

test('preflight lists every problem at once and sends nothing', async () => {
  const invoices = (await stats()).invoices
  const result = await client.preflight(severalProblems())
  const fields = result.problems.map((p) => p.field)
  for (const f of ['buyer.email', 'items[0].tax_rate', 'invoice_series']) assert.ok(fields.includes(f), f)
  const errors = result.problems.filter((p) => p.severity === 'error')
  assert.ok(errors.length >= 3)
  // Errors first.
  const firstWarning = result.problems.findIndex((p) => p.severity === 'warning')
  if (firstWarning >= 0) assert.ok(result.problems.slice(firstWarning).every((p) => p.severity === 'warning'))
  for (const p of result.problems) assert.ok(p.rule && p.message)
  assert.equal((await stats()).invoices, invoices)
  const ok = await client.preflight(vatRequest())
  assert.deepEqual(ok.problems.filter((p) => p.severity === 'error'), [])
})

test('a ValidationError carries every problem; other errors carry none', async () => {
  await assert.rejects(client.createInvoice(severalProblems()), (e) => {
    assert.ok(e instanceof ValidationError)
    assert.ok(e.problems.filter((p) => p.severity === 'error').length >= 3)
    assert.equal(e.problems[0].field, e.field)
    return true
  })
  await assert.rejects(client.getInvoice('no-such-invoice'), (e) => {
    assert.ok(e instanceof NotFoundError)
    assert.deepEqual(e.problems, [])
    return true
  })
  assert.deepEqual(new SePayError('x').problems, [])
  assert.deepEqual(new AbortError().problems, [])
})

// ---------------------------------------------------------------------------------------------
// Options

test('accountChecks reads the account once per TTL and can be turned off', async () => {
  const badPair = vatRequest({ invoiceSeries: `C${vietnamNow().slice(2, 4)}TZZ` })
  const rules = (r) => r.problems.map((p) => p.rule)
  assert.ok(rules(await client.preflight(badPair)).includes('account-template'))
  await client.preflight(badPair)
  assert.equal(routeCount(await stats(), 'get_provider_account'), 1)

  const off = new Client({ ...CREDENTIALS, baseUrl: mock.url, accountChecks: false })
  assert.ok(!rules(await off.preflight(badPair)).some((r) => r.startsWith('account-')))
  assert.equal(routeCount(await stats(), 'get_provider_account'), 1)

  const noCache = new Client({ ...CREDENTIALS, baseUrl: mock.url, accountCacheTtlMs: 0 })
  await noCache.preflight(badPair)
  await noCache.preflight(badPair)
  assert.equal(routeCount(await stats(), 'get_provider_account'), 3)
})

test('strictRules turns the 8 % window warning into an error', async () => {
  // 8 % VAT on a date outside every reduced-rate window (early 2023).
  const req = vatRequest({
    invoiceSeries: 'C23TSE',
    issuedDate: '2023-03-01 08:00:00',
    items: [{ itemName: 'Sản phẩm A', quantity: 1, unitPrice: 100000, taxRate: 8 }],
  })
  const severity = async (options) => {
    const c = new Client({ ...CREDENTIALS, baseUrl: mock.url, accountChecks: false, ...options })
    return (await c.preflight(req)).problems.filter((p) => p.rule === 'vat-8-window').map((p) => p.severity)
  }
  assert.deepEqual(await severity({}), ['warning'])
  assert.deepEqual(await severity({ strictRules: true }), ['error'])
})

test('bad option values are ValidationErrors naming the option', () => {
  for (const [options, field] of [
    [{ accountChecks: 'yes' }, 'account_checks'],
    [{ strictRules: 1 }, 'strict_rules'],
    [{ accountCacheTtlMs: -1 }, 'account_cache_ttl'],
    [{ accountCacheTtlMs: '5' }, 'account_cache_ttl'],
    [{ maxInFlight: 0 }, 'max_in_flight'],
    [{ maxInFlight: -1 }, 'max_in_flight'],
    [{ maxInFlight: '8' }, 'max_in_flight'],
  ]) {
    assert.throws(
      () => new Client({ ...CREDENTIALS, baseUrl: mock.url, ...options }),
      (e) => e instanceof ValidationError && e.field === field,
      JSON.stringify(options),
    )
  }
})
