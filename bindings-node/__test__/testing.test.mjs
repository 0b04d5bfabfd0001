// sepay-einvoice/testing: the bundled mock started in-process from the addon, from CJS and ESM,
// with its control helpers (fault, stats, config, reset) and the client it hands out.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import { execFile } from 'node:child_process'
import net from 'node:net'

import * as esm from 'sepay-einvoice/testing'
import esmDefault from 'sepay-einvoice/testing'
import { Client, ServerError, QuotaExceededError } from 'sepay-einvoice'
import { sampleRequest, REPO } from './mock.mjs'

const require = createRequire(import.meta.url)
const cjs = require('sepay-einvoice/testing')
const { startMockServer, MockControlError, MockServer, ACCOUNT_MATBAO, ACCOUNT_BKAV, ACCOUNT_MIFI } = esm

const reachable = async (url) => {
  try {
    await fetch(`${url}/_mock/stats`)
    return true
  } catch {
    return false
  }
}

function run(args, { env = {}, timeout = 20_000 } = {}) {
  return new Promise((resolve) => {
    const started = Date.now()
    execFile(process.execPath, args, { cwd: REPO, env: { ...process.env, ...env }, timeout }, (error, stdout, stderr) => {
      resolve({ code: error ? (error.code ?? 1) : 0, stdout, stderr, ms: Date.now() - started })
    })
  })
}

test('CJS require and ESM import give the same module', async () => {
  for (const name of ['startMockServer', 'MockServer', 'MockControlError', 'ACCOUNT_MATBAO', 'ACCOUNT_BKAV', 'ACCOUNT_MIFI']) {
    assert.ok(cjs[name] !== undefined, name)
    assert.equal(esm[name], cjs[name], name)
    assert.equal(esmDefault[name], cjs[name], name)
  }
  assert.equal(ACCOUNT_MATBAO, '0aea3134-da40-11f0-aef4-52c7e9b4f41b')
  assert.equal(new Set([ACCOUNT_MATBAO, ACCOUNT_BKAV, ACCOUNT_MIFI]).size, 3)
  // Started through require, it hands out the same Client class as the ESM entry.
  const mock = await cjs.startMockServer()
  try {
    assert.ok(mock instanceof MockServer)
    assert.ok(mock.client() instanceof Client)
  } finally {
    await mock.close()
  }
})

test('start and close', async () => {
  const mock = await startMockServer()
  assert.match(mock.url, /^http:\/\/127\.0\.0\.1:\d+$/)
  assert.equal(mock.clientId, 'mock_client_id')
  assert.equal(mock.clientSecret, 'mock_client_secret')
  assert.equal(mock.closed, false)
  assert.equal(String(mock), '[object SePayMockServer]')
  assert.ok(await reachable(mock.url))
  await mock.close()
  assert.equal(mock.closed, true)
  assert.equal(await reachable(mock.url), false)
  await mock.close() // again: nothing happens
})

test('a client of the mock, and job timing from the options', async () => {
  const mock = await startMockServer({ pendingPolls: 3, pendingMs: 60_000, clientId: 'me', clientSecret: 's3cret' })
  try {
    assert.equal(mock.clientId, 'me')
    const client = mock.client({ maxRetries: 0 })
    assert.equal(client.baseUrl.replace(/\/$/, ''), mock.url)
    const accounts = await client.listProviderAccounts()
    assert.ok(accounts.items.some((a) => a.id === ACCOUNT_MATBAO))
    const job = await client.createInvoice(sampleRequest())
    assert.equal((await client.checkStatus(job)).state, 'Pending')
    assert.equal((await mock.stats()).pending_jobs, 1)
    const invoice = await client.waitForStatus(job, { pollIntervalMs: 50, timeoutMs: 10_000 })
    assert.equal(invoice.status, 'draft')
    assert.equal((await mock.stats()).requests.check_create['200'], 4)
  } finally {
    await mock.close()
  }
  const fast = await startMockServer({ pendingMs: 0 })
  try {
    const client = fast.client()
    const job = await client.createInvoice(sampleRequest())
    assert.equal((await client.checkStatus(job)).state, 'Success')
  } finally {
    await fast.close()
  }
})

test('fault, faults, stats and clearFaults', async () => {
  const mock = await startMockServer({ pendingMs: 0 })
  try {
    const client = mock.client({ maxRetries: 0 })
    const id = await mock.fault({ route: 'get_usage', kind: 'status', status: 503, retryAfter: 0, times: 1 })
    assert.equal(typeof id, 'number')
    const [rule] = await mock.faults()
    assert.equal(rule.id, id)
    assert.equal(rule.retry_after, 0) // camelCase keys reach the mock in snake_case
    await assert.rejects(client.getUsage(), (e) => e instanceof ServerError && e.status === 503)
    assert.equal((await client.getUsage()).quotaRemaining, 1000)
    const stats = await mock.stats()
    assert.deepEqual(stats.requests.get_usage, { 503: 1, 200: 1 })
    assert.equal(stats.tokens_issued, 1)
    await mock.fault({ route: '*', except: ['token'], kind: 'status', status: 500 })
    await assert.rejects(client.getUsage(), ServerError)
    await mock.clearFaults()
    assert.deepEqual(await mock.faults(), [])
    assert.equal((await client.getUsage()).quotaRemaining, 1000)
    await assert.rejects(mock.fault({ route: 'get_usage', kind: 'status', tims: 1 }), (e) => {
      assert.ok(e instanceof MockControlError)
      assert.equal(e.status, 400)
      assert.match(e.message, /tims/)
      return true
    })
    await assert.rejects(mock.fault(null), TypeError)
  } finally {
    await mock.close()
  }
})

test('config, reset, invoices and expireTokens', async () => {
  const mock = await startMockServer({ pendingMs: 0, quota: 2 })
  try {
    const client = mock.client({ maxRetries: 0 })
    assert.equal((await mock.config()).quota, 2)
    const cfg = await mock.config({ quota: 0, pendingPolls: 0, tokenTtlSecs: 60 })
    assert.deepEqual([cfg.quota, cfg.pending_polls, cfg.token_ttl_secs], [0, 0, 60])
    await assert.rejects(client.createInvoice(sampleRequest({ isDraft: false })), QuotaExceededError)
    await client.createInvoiceAndWait(sampleRequest(), { pollIntervalMs: 50 })
    assert.equal((await mock.invoices()).length, 4) // 3 seeded manual invoices + the draft
    await mock.expireTokens()
    await client.getUsage() // logs in again
    assert.equal((await mock.stats()).tokens_issued, 2)
    await mock.reset()
    assert.equal((await mock.config()).quota, 2) // back to the startup settings
    const stats = await mock.stats()
    assert.equal(stats.invoices, 3)
    assert.equal(stats.requests_total, 0)
    await assert.rejects(mock.config({ fileNotReady: 'later' }), MockControlError)
  } finally {
    await mock.close()
  }
})

test('two mocks are independent', async () => {
  const [a, b] = await Promise.all([startMockServer({ quota: 7 }), startMockServer()])
  try {
    assert.notEqual(a.url, b.url)
    assert.equal((await a.stats()).quota_remaining, 7)
    assert.equal((await b.stats()).quota_remaining, 1000)
  } finally {
    await Promise.all([a.close(), b.close()])
  }
})

test('bad options and a busy port reject', async () => {
  await assert.rejects(startMockServer({ pendingMS: 0 }), (e) => e instanceof TypeError && /pendingMS/.test(e.message))
  await assert.rejects(startMockServer({ host: 'localhost' }), /host must be an IP address/)
  await assert.rejects(startMockServer({ quota: -1 }), /quota must be >= 0/)
  await assert.rejects(startMockServer({ fileNotReady: 'later' }), /fileNotReady/)
  const busy = net.createServer()
  await new Promise((resolve) => busy.listen(0, '127.0.0.1', resolve))
  try {
    await assert.rejects(startMockServer({ port: busy.address().port }), /could not start the mock server/)
  } finally {
    await new Promise((resolve) => busy.close(resolve))
  }
})

test('a mock left open does not keep the process alive', async () => {
  const script = "require('sepay-einvoice/testing').startMockServer().then((m) => console.log(m.url))"
  const r = await run(['-e', script])
  assert.equal(r.code, 0, r.stderr)
  assert.match(r.stdout, /^http:\/\/127\.0\.0\.1:\d+/)
  assert.ok(r.ms < 10_000, `took ${r.ms} ms`)
})

test('the quick start runs from another process against the in-process mock', async () => {
  const mock = await startMockServer({ pendingMs: 200 })
  try {
    const r = await run(['examples/node/quickstart.mjs'], {
      env: { SEPAY_EINVOICE_BASE_URL: mock.url, SEPAY_EINVOICE_CLIENT_ID: mock.clientId, SEPAY_EINVOICE_CLIENT_SECRET: mock.clientSecret },
      timeout: 60_000,
    })
    assert.equal(r.code, 0, r.stdout + r.stderr)
    assert.doesNotMatch(r.stdout + r.stderr, /mock_client_secret/)
    assert.deepEqual((await mock.stats()).requests.create_invoice, { 200: 1 })
  } finally {
    await mock.close()
  }
})
