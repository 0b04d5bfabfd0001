// Batch issuance from Node (issueBatch and friends) against the mock with a temporary SQLite
// journal: every row issued once, a re-run sends nothing, progress is reported, a changed row is
// refused, failed rows are retried with their reference codes, and errors that stop a batch
// reject with ValidationError / BatchError.
import { test, before, after, beforeEach } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, openSync, closeSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { spawn } from 'node:child_process'

import { Client, SePayError, ValidationError, BatchError, AbortError } from 'sepay-einvoice'
import { startMock, vietnamNow, CREDENTIALS, ACCOUNT_ID } from './mock.mjs'

let mock
let client
let dir

before(async () => {
  mock = await startMock()
})
after(async () => {
  await mock?.stop()
})
beforeEach(async (t) => {
  await mock.control('POST', '/_mock/reset')
  await mock.control('POST', '/_mock/config', { pending_polls: 0, pending_ms: 20 })
  client = new Client({ ...CREDENTIALS, baseUrl: mock.url })
  dir = mkdtempSync(path.join(tmpdir(), 'sepay-node-batch-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
})

const FAST = { pollIntervalMs: 20, waitTimeoutMs: 20_000 }
const journal = () => `sqlite:${path.join(dir, 'invoices.journal')}`

/** A VAT invoice to issue; odd rows leave `issuedDate` to the batch (dated when first journaled). */
function request(i, overrides = {}) {
  return {
    providerAccountId: ACCOUNT_ID,
    templateCode: '1',
    invoiceSeries: `C${vietnamNow().slice(2, 4)}TSE`,
    ...(i % 2 === 0 ? { issuedDate: vietnamNow() } : {}),
    isDraft: false,
    buyer: { name: `Khách hàng ${i}` },
    items: [{ itemName: 'Hàng', quantity: 1, unitPrice: 10_000 + i, taxRate: 10 }],
    notes: `node batch #${i}`,
    ...overrides,
  }
}

const key = (i) => `ORDER-${String(i).padStart(4, '0')}`

/** `n` rows in both accepted forms: `[key, request]` pairs and `{ key, request }` objects. */
function rows(n) {
  return Array.from({ length: n }, (_, i) => (i % 2 === 0 ? [key(i), request(i)] : { key: key(i), request: request(i) }))
}

/** Invoices the mock holds per batch row (by its note): each must be exactly one. */
async function copies() {
  const n = new Map()
  for (const inv of await mock.control('GET', '/_mock/invoices')) {
    if (typeof inv.notes === 'string' && inv.notes.startsWith('node batch #')) n.set(inv.notes, (n.get(inv.notes) ?? 0) + 1)
  }
  return n
}

async function creates() {
  const s = await mock.control('GET', '/_mock/stats')
  return Object.values(s.requests.create_invoice ?? {}).reduce((a, b) => a + b, 0)
}

test('every row once, a re-run sends nothing, progress is reported, a changed row is refused', async () => {
  const seen = []
  const batch = rows(20)
  const report = await client.issueBatch(batch, { journal: journal(), concurrency: 4, onProgress: (p) => seen.push(p), ...FAST })
  assert.equal(report.allDone, true, JSON.stringify(report))
  assert.deepEqual(
    [report.batch, report.done, report.failed, report.uncertain, report.refused],
    ['default', 20, 0, 0, 0],
  )
  assert.deepEqual(
    report.rows.map((r) => r.key),
    Array.from({ length: 20 }, (_, i) => key(i)),
  )
  for (const r of report.rows) {
    assert.equal(r.outcome, 'done')
    assert.equal(r.error, null)
    assert.ok(r.invoiceNumber && r.pdfUrl && r.referenceCode)
    assert.equal(r.invoiceStatus, 'issued')
  }
  const n = await copies()
  assert.equal(n.size, 20)
  assert.deepEqual(new Set(n.values()), new Set([1]))
  assert.equal(await creates(), 20)

  // Progress: once at the start, then after every row (all delivered before the promise settles).
  assert.equal(seen[0].row, null)
  assert.equal(seen[0].total, 20)
  assert.equal(seen.at(-1).done, 20)
  assert.equal(typeof seen.at(-1).inFlight, 'number')
  assert.deepEqual(
    seen.filter((p) => p.row).map((p) => p.row.key).sort(),
    report.rows.map((r) => r.key),
  )

  // A re-run of the same rows sends no create.
  const again = await client.issueBatch(batch, { journal: journal(), ...FAST })
  assert.equal(again.allDone, true)
  assert.deepEqual(
    again.rows.map((r) => r.referenceCode),
    report.rows.map((r) => r.referenceCode),
  )
  assert.equal(await creates(), 20)

  const status = await client.batchStatus(journal())
  assert.equal(status.length, 20)
  assert.deepEqual(new Set(status.map((e) => e.state)), new Set(['done']))
  assert.deepEqual(
    status.map((e) => e.seq),
    Array.from({ length: 20 }, (_, i) => i),
  )
  assert.ok(status.every((e) => e.attempts === 1 && e.invoiceNumber && e.updatedAt && e.payloadHash))
  assert.deepEqual(await client.batchStatus(journal(), 'another'), [])

  // A row changed since it was journaled is refused, not re-issued; the others stay done.
  const changed = [...batch]
  changed[3] = [key(3), request(3, { items: [{ itemName: 'Hàng', quantity: 1, unitPrice: 99_999, taxRate: 10 }] })]
  const r = await client.issueBatch(changed, { journal: journal(), ...FAST })
  assert.deepEqual([r.done, r.refused, r.allDone], [19, 1, false])
  const refused = r.rows.filter((x) => x.outcome === 'refused')
  assert.deepEqual(
    refused.map((x) => x.key),
    [key(3)],
  )
  assert.equal(refused[0].referenceCode, report.rows[3].referenceCode)
  assert.equal(refused[0].error.kind, 'Changed')
  assert.match(refused[0].error.message, /changed since it was journaled/)
  assert.equal(await creates(), 20)

  // The draft override is part of the row: flipping it is a change too.
  const flipped = await client.issueBatch(batch.slice(0, 2), { journal: journal(), draft: true, ...FAST })
  assert.equal(flipped.refused, 2)
  assert.equal(await creates(), 20)
})

test('failed rows are retried with their reference codes', async () => {
  await mock.control('POST', '/_mock/config', { quota: 5 })
  const report = await client.issueBatch(rows(8), { journal: journal(), batch: 'q', concurrency: 1, ...FAST })
  assert.deepEqual([report.done, report.failed, report.allDone], [5, 3, false], JSON.stringify(report))
  const failed = report.rows.filter((r) => r.outcome === 'failed')
  assert.ok(failed.every((r) => r.error.kind === 'QuotaExceeded' && r.error.apiCode === 'QUOTA_EXCEEDED'))
  const states = (await client.batchStatus(journal(), 'q')).map((e) => e.state)
  assert.equal(states.filter((s) => s === 'failed').length, 3)

  // Resuming leaves failed rows alone: they failed for certain.
  const resumed = await client.resumeBatch({ journal: journal(), batch: 'q', ...FAST })
  assert.deepEqual([resumed.done, resumed.failed], [5, 3])

  await mock.control('POST', '/_mock/config', { quota: 100 })
  const seen = []
  const again = await client.retryFailedBatch({ journal: journal(), batch: 'q', onProgress: (p) => seen.push(p), ...FAST })
  assert.equal(again.allDone, true, JSON.stringify(again))
  assert.equal(again.done, 8)
  assert.deepEqual(
    again.rows.map((r) => r.referenceCode),
    report.rows.map((r) => r.referenceCode),
  )
  assert.equal(seen.at(-1).done, 8)
  const n = await copies()
  assert.equal(n.size, 8)
  assert.deepEqual(new Set(n.values()), new Set([1]))
})

test('a throwing onProgress is a warning, not an error', async () => {
  const warnings = []
  const onWarning = (w) => warnings.push(w.message)
  process.on('warning', onWarning)
  try {
    const report = await client.issueBatch(rows(3), {
      journal: journal(),
      onProgress: () => {
        throw new Error('callback bug')
      },
      ...FAST,
    })
    assert.equal(report.allDone, true)
    await new Promise((resolve) => setImmediate(resolve))
    assert.ok(warnings.some((m) => m.includes('callback bug')), warnings.join('\n'))
  } finally {
    process.off('warning', onWarning)
  }
})

test('errors that stop a batch', async () => {
  const invalid = async (field, promise) => {
    await assert.rejects(promise, (e) => {
      assert.ok(e instanceof ValidationError, `${e}`)
      assert.equal(e.field, field, e.message)
      return true
    })
  }
  const j = journal()
  await invalid('concurrency', client.issueBatch(rows(1), { journal: j, concurrency: 0 }))
  await invalid('journal', client.issueBatch(rows(1), { journal: 'sqlite:' }))
  await invalid('journal', client.issueBatch(rows(1), {}))
  await invalid('journal', client.batchStatus(42))
  await invalid('rows', client.issueBatch(null, { journal: j }))
  await invalid('rows[1].key', client.issueBatch([['A', request(0)], [7, request(1)]], { journal: j }))
  await invalid('rows[1].key', client.issueBatch([['A', request(0)], ['A', request(1)]], { journal: j }))
  await invalid('rows[0]', client.issueBatch(['ORDER-1'], { journal: j }))
  await invalid(
    'rows[0].request.items[0].quantity',
    client.issueBatch([['A', request(0, { items: [{ itemName: 'x', quantity: 'many', unitPrice: 1 }] })]], { journal: j }),
  )
  await invalid('rows[0].request.bogus', client.issueBatch([['A', request(0, { bogus: 1 })]], { journal: j }))
  await invalid('wait_timeout', client.issueBatch(rows(1), { journal: j, waitTimeoutMs: 0 }))
  await invalid('draft', client.issueBatch(rows(1), { journal: j, draft: 'yes' }))
  assert.equal(await creates(), 0)

  // An aborted signal rejects before anything is journaled or sent.
  await assert.rejects(client.issueBatch(rows(1), { journal: j, signal: AbortSignal.abort() }), AbortError)

  // A SQLite journal serves one process at a time: held by another process, the batch cannot run.
  const lock = `${path.join(dir, 'invoices.journal')}.lock`
  closeSync(openSync(lock, 'a'))
  // The shell takes the lock on its descriptor 9 and becomes `sleep`, which keeps it: killing it
  // releases the lock.
  const holder = spawn('sh', ['-c', 'exec 9>>"$0"; flock -x 9; exec sleep 30', lock], { stdio: 'ignore' })
  try {
    let held = false
    for (let i = 0; i < 100 && !held; i += 1) {
      await new Promise((resolve) => setTimeout(resolve, 50))
      // Taking the journal (an empty batch) fails once the holder has the lock; reading it
      // (batchStatus) works beside a holder.
      try {
        await client.issueBatch([], { journal: j })
      } catch (e) {
        held = e instanceof BatchError
      }
    }
    assert.ok(held, 'the lock holder did not start')
    await assert.rejects(client.issueBatch(rows(2), { journal: j }), (e) => {
      assert.ok(e instanceof BatchError && e instanceof SePayError)
      assert.equal(e.kind, 'Journal')
      assert.equal(e.code, 'BATCH_JOURNAL')
      assert.match(e.message, /in use by another process/)
      return true
    })
  } finally {
    holder.kill('SIGKILL')
    await new Promise((resolve) => (holder.exitCode !== null || holder.signalCode !== null ? resolve() : holder.once('exit', resolve)))
  }
  assert.equal(await creates(), 0)
  // Once released, the journal opens again.
  assert.deepEqual(await client.batchStatus(j), [])
})
