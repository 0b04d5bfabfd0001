// node --test examples/node/express-app/app.test.mjs — runs the app against the SDK's bundled
// mock, started inside this process by sepay-einvoice/testing (no Rust, no server to run).
import { test, before, after, beforeEach } from 'node:test'
import assert from 'node:assert/strict'

import { startMockServer, ACCOUNT_MATBAO } from 'sepay-einvoice/testing'
import { createApp } from './app.mjs'

let mock
let server
let base

before(async () => {
  mock = await startMockServer()
  // mock.client(): a Client with the mock's URL and credentials.
  const app = createApp({ client: mock.client(), providerAccountId: ACCOUNT_MATBAO, waitTimeoutMs: 1_000 })
  server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s))
  })
  base = `http://127.0.0.1:${server.address().port}`
})

after(async () => {
  await new Promise((resolve) => server?.close(resolve))
  await mock?.close()
})

beforeEach(() => mock.clearFaults())

const post = (path, body) =>
  fetch(base + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })

const order = {
  buyer: { name: 'Công ty ABC', taxCode: '0101234567', email: 'buyer@example.com' },
  items: [{ itemName: 'Sản phẩm A', unit: 'cái', quantity: 2, unitPrice: 100000 }],
}

test('POST /invoices creates an invoice and waits for it', async () => {
  const res = await post('/invoices', { ...order, draft: false })
  assert.equal(res.status, 201)
  const invoice = await res.json()
  assert.equal(invoice.status, 'issued')
  assert.equal(invoice.totalAmount, '200000')
  const pdf = await fetch(`${base}/invoices/${invoice.referenceCode}/pdf`)
  assert.equal(pdf.status, 200)
  assert.equal(pdf.headers.get('content-type'), 'application/pdf')
  assert.equal(Buffer.from(await pdf.arrayBuffer()).subarray(0, 4).toString(), '%PDF')
})

test('bad input is a 422 naming the field', async () => {
  const res = await post('/invoices', { ...order, items: [{ itemName: 'A', quantity: 1, unitPrice: 1, taxRate: 7 }] })
  assert.equal(res.status, 422)
  assert.deepEqual(await res.json().then((b) => [b.error, b.field]), ['VALIDATION', 'items[0].tax_rate'])
})

test('a failed job is a 409, a stuck one a 202 with the job', async () => {
  assert.equal((await post('/invoices', { ...order, notes: '[mock:fail]' })).status, 409)
  const res = await post('/invoices', { ...order, notes: '[mock:stuck]' })
  assert.equal(res.status, 202)
  assert.equal((await res.json()).job.kind, 'create')
})

test('POST /totals previews locally', async () => {
  const res = await post('/totals', { items: [{ itemName: 'A', quantity: 2, unitPrice: 100000, taxRate: 10 }] })
  assert.equal((await res.json()).totalAmount, '220000')
})

test('unknown invoices are a 502 with the API status', async () => {
  const res = await fetch(`${base}/invoices/nope/pdf`)
  assert.equal(res.status, 502)
  assert.equal((await res.json()).status, 404)
})

test('a SePay outage is a 502; one 503 is retried and one invoice results', async () => {
  await mock.fault({ route: 'create_invoice', kind: 'status', status: 503, retryAfter: 0, times: 1 })
  const before = (await mock.stats()).requests.create_invoice ?? {}
  const ok = await post('/invoices', order)
  assert.equal(ok.status, 201)
  const after = (await mock.stats()).requests.create_invoice
  assert.equal((after['503'] ?? 0) - (before['503'] ?? 0), 1)
  assert.equal((after['200'] ?? 0) - (before['200'] ?? 0), 1)

  await mock.fault({ route: 'create_invoice', kind: 'status', status: 503, retryAfter: 0 })
  const res = await post('/invoices', order)
  assert.equal(res.status, 502)
  assert.equal((await res.json()).apiCode, 'SERVICE_UNAVAILABLE')
})
