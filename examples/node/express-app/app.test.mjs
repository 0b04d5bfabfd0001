// node --test examples/node/express-app/app.test.mjs — runs the app against the mock server.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'

import { Client } from 'sepay-einvoice'
import { startMock, ACCOUNT_ID, CREDENTIALS } from '../../../bindings-node/__test__/mock.mjs'
import { createApp } from './app.mjs'

let mock
let server
let base

before(async () => {
  mock = await startMock()
  const client = new Client({ ...CREDENTIALS, baseUrl: mock.url })
  const app = createApp({ client, providerAccountId: ACCOUNT_ID, waitTimeoutMs: 1_000 })
  server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s))
  })
  base = `http://127.0.0.1:${server.address().port}`
})

after(async () => {
  await new Promise((resolve) => server?.close(resolve))
  await mock?.stop()
})

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
