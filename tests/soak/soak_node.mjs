// The exactly-once soak, Node runner: N createInvoiceAndWait calls at concurrency C on one Client
// against one mock with mixed faults, judged from the mock's own state (its invoices, stats and
// fault counters).
//
// Spec: tests/soak/soak.json; method, figures and pass conditions: tests/soak/README.md.
// Usage: `node tests/soak/soak_node.mjs` (needs the built addon, and SEPAY_MOCK_BIN or cargo to
// build the mock). Sizes and output from SEPAY_SOAK_CALLS, SEPAY_SOAK_CONCURRENCY and
// SEPAY_SOAK_OUT (default: the reduced size, $CARGO_TARGET_DIR/soak/soak-node.json).
// Exits 0 when every pass condition holds, 1 otherwise.
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs'
import { createRequire } from 'node:module'
import { randomUUID } from 'node:crypto'
import os from 'node:os'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import { setTimeout as sleep } from 'node:timers/promises'

import { startMock, REPO, CREDENTIALS } from '../../bindings-node/__test__/mock.mjs'

const require = createRequire(import.meta.url)
const { Client } = require('../../bindings-node/index.cjs')

const LANG = 'node'

function envCount(name, fallback) {
  const raw = (process.env[name] || '').trim()
  if (!raw) return fallback
  const n = Number(raw)
  if (!Number.isInteger(n) || n <= 0) {
    console.error(`${name} must be a positive integer, got ${JSON.stringify(raw)}`)
    process.exit(2)
  }
  return n
}

function outputPath() {
  // A relative path is taken from the repository root (as the Rust runner, which cargo runs from core/).
  if (process.env.SEPAY_SOAK_OUT) return path.resolve(REPO, process.env.SEPAY_SOAK_OUT)
  const target = process.env.CARGO_TARGET_DIR || path.join(REPO, 'target')
  return path.join(target, 'soak', `soak-${LANG}.json`)
}

/** `YYYY-MM-DD HH:mm:ss` in Vietnam time (UTC+7), one minute ago. */
function vietnamMinuteAgo() {
  const d = new Date(Date.now() - 60_000 + 7 * 3600_000)
  const pad = (n) => String(n).padStart(2, '0')
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`
}

/** Call i's request: a distinct sale (marker in notes, buyer and amount vary with i); no
 * reference code, so the SDK generates one. */
function request(spec, runId, i, issuedDate) {
  const r = spec.request
  return {
    providerAccountId: r.provider_account_id,
    templateCode: r.template_code,
    // `{yy}`: the two digits of the invoice's year (a series carries its year).
    invoiceSeries: r.invoice_series.replace('{yy}', issuedDate.slice(2, 4)),
    issuedDate,
    currency: r.currency,
    isDraft: r.is_draft,
    buyer: { name: `Khách hàng soak ${i}` },
    items: [
      {
        itemName: `Hàng soak ${i}`,
        quantity: 1 + (i % 3),
        unitPrice: 10000 + 100 * i,
        taxRate: [0, 5, 10, -2][i % 4],
      },
    ],
    notes: `soak ${runId} #${i}`,
  }
}

/** Nearest-rank percentile of sorted milliseconds. */
function percentile(sorted, q) {
  if (sorted.length === 0) return 0
  const rank = Math.ceil(q * sorted.length)
  return sorted[Math.min(Math.max(rank, 1), sorted.length) - 1]
}

const round = (x, digits) => Math.round(x * 10 ** digits) / 10 ** digits

function label(rule) {
  switch (rule.kind) {
    case 'status':
      return `status_${rule.status ?? 503}`
    case 'drop':
      return 'dropped'
    case 'latency':
      return rule.when === 'after' ? 'late' : 'latency'
    default:
      return String(rule.kind)
  }
}

/** Per-request rate of each rule: the walk stops at the first non-latency rule that fires. */
function effectiveRates(rules) {
  let reach = 1
  const out = []
  for (const rule of rules) {
    const p = rule.probability ?? 1
    out.push({ rule: label(rule), rate: round(reach * p, 6) })
    if (rule.kind !== 'latency') reach *= 1 - p
  }
  out.push({ rule: 'none of status/drop/malformed', rate: round(reach, 6) })
  return out
}

async function soak(spec, mock, calls, concurrency, runId) {
  const client = new Client({
    ...CREDENTIALS,
    baseUrl: mock.url,
    timeoutMs: spec.client.timeout_ms,
    callTimeoutMs: spec.client.call_timeout_ms,
    maxRetries: spec.client.max_retries,
  })
  const wait = {
    timeoutMs: spec.wait.timeout_ms,
    pollIntervalMs: spec.wait.poll_interval_ms,
    maxPollIntervalMs: spec.wait.max_poll_interval_ms,
  }
  const issuedDate = vietnamMinuteAgo()
  const outcomes = []
  let next = 0
  const worker = async () => {
    for (;;) {
      const i = next++
      if (i >= calls) return
      const req = request(spec, runId, i, issuedDate)
      const started = performance.now()
      try {
        const inv = await client.createInvoiceAndWait(req, wait)
        outcomes.push({ index: i, wallMs: performance.now() - started, reference: inv.referenceCode, failure: null })
      } catch (e) {
        outcomes.push({
          index: i,
          wallMs: performance.now() - started,
          reference: null,
          failure: {
            kind: e?.kind ?? e?.name ?? 'Error',
            reference_code: e?.referenceCode ?? null,
            ambiguous: Boolean(e?.ambiguous),
            message: String(e?.message ?? e),
          },
        })
      }
    }
  }
  const t0 = performance.now()
  await Promise.all(Array.from({ length: Math.min(concurrency, calls) }, worker))
  const runSecs = (performance.now() - t0) / 1000
  if (typeof client.close === 'function') client.close()
  return { outcomes, runSecs }
}

/** Every figure and pass condition of README.md, from the outcomes and the mock's state. */
function judge(spec, x) {
  const prefix = `soak ${x.runId} #`
  const byRef = new Map()
  const perMarker = new Map()
  for (const inv of x.invoices) {
    const notes = inv.notes || ''
    if (!notes.startsWith(prefix)) continue
    const rest = notes.slice(prefix.length)
    const marker = /^\d+$/.test(rest) ? Number(rest) : null
    byRef.set(inv.reference_code, marker)
    if (marker !== null) perMarker.set(marker, (perMarker.get(marker) || 0) + 1)
  }

  const named = new Set()
  let successes = 0
  let failures = 0
  let withRef = 0
  let ambiguous = 0
  let falseSuccesses = 0
  let misattributed = 0
  let failedWithInvoice = 0
  const kinds = {}
  const problems = []
  const samples = []
  for (const o of x.outcomes) {
    if (o.failure === null) {
      successes++
      named.add(o.reference)
      if (!byRef.has(o.reference) || byRef.get(o.reference) !== o.index) {
        falseSuccesses++
        problems.push(`false success: call #${o.index} returned ${o.reference}, whose invoice is ${JSON.stringify(byRef.get(o.reference) ?? null)}`)
      }
      continue
    }
    const f = o.failure
    failures++
    kinds[f.kind] = (kinds[f.kind] || 0) + 1
    if (f.ambiguous) ambiguous++
    if (f.reference_code) {
      withRef++
      named.add(f.reference_code)
      if (byRef.has(f.reference_code)) {
        if (byRef.get(f.reference_code) === o.index) failedWithInvoice++
        else {
          misattributed++
          problems.push(`call #${o.index} failed naming ${f.reference_code}, the invoice of marker ${byRef.get(f.reference_code)}`)
        }
      }
    }
    if (samples.length < 10) samples.push({ call: o.index, ...f })
  }

  const lost = [...byRef.keys()].filter((r) => !named.has(r))
  for (const r of lost) problems.push(`lost: invoice ${r} (marker ${byRef.get(r)}) is named by no call`)
  let duplicates = 0
  for (const [m, n] of [...perMarker.entries()].sort((a, b) => a[0] - b[0])) {
    if (n > 1) {
      duplicates++
      problems.push(`duplicate: marker #${m} has ${n} invoices`)
    }
  }

  const j = spec.judge
  const deadlineMs = spec.client.call_timeout_ms + spec.wait.timeout_ms + j.deadline_slack_ms
  const walls = x.outcomes.map((o) => o.wallMs).sort((a, b) => a - b)
  const pastDeadline = walls.filter((w) => w > deadlineMs).length
  if (pastDeadline) problems.push(`${pastDeadline} calls took longer than ${deadlineMs} ms`)

  const requests = x.stats.requests || {}
  const sum = (o) => Object.values(o || {}).reduce((a, b) => a + b, 0)
  const tokenRequests = sum(requests.token)
  const ttl = spec.mock_config.token_ttl_secs
  const tokenBound = Math.ceil(x.runSecs / (ttl * j.token_refresh_fraction)) + j.token_slack
  if (tokenRequests > tokenBound) problems.push(`${tokenRequests} token requests, more than ${tokenBound}`)

  const faulted = Object.entries(requests).filter(([route]) => route !== 'token')
  const walked = faulted.reduce((a, [, c]) => a + sum(c), 0)
  const count = (key) => faulted.reduce((a, [, c]) => a + (c[key] || 0), 0)
  const firedBy = {}
  for (const rule of x.fired) firedBy[label(rule)] = (firedBy[label(rule)] || 0) + (rule.fired || 0)
  const injected = {
    status_503: count('503'),
    dropped: count('dropped'),
    late: firedBy.late || 0,
    malformed: firedBy.malformed || 0,
    status_429: count('429'),
  }
  const observed = {}
  for (const [k, n] of Object.entries(injected)) {
    observed[k] = round(n / Math.max(walked, 1), 6)
    const least = j.min_injected[k] || 0
    if (n < least) problems.push(`the ${k} fault fired ${n} times, fewer than ${least}: the faults did not bite`)
  }
  if (x.calls < j.min_calls) problems.push(`only ${x.calls} calls, fewer than ${j.min_calls}`)
  if (successes < j.min_success_ratio * x.calls) {
    problems.push(`only ${successes} of ${x.calls} calls succeeded (need ${j.min_success_ratio} of them)`)
  }
  if (x.outcomes.length !== x.calls) problems.push(`${x.outcomes.length} outcomes recorded for ${x.calls} calls`)

  return {
    lang: LANG,
    calls: x.calls,
    concurrency: x.concurrency,
    faults: { rules: spec.faults, effective_rates: effectiveRates(spec.faults) },
    settings: { mock_config: spec.mock_config, client: spec.client, wait: spec.wait, run_id: x.runId },
    results: {
      calls: x.calls,
      successes,
      failures,
      failures_with_reference: withRef,
      failures_without_reference: failures - withRef,
      failures_ambiguous: ambiguous,
      failures_by_kind: Object.fromEntries(Object.entries(kinds).sort()),
      failures_with_invoice: failedWithInvoice,
      invoices: byRef.size,
      accounted: byRef.size - lost.length,
      lost: lost.length,
      duplicates,
      false_successes: falseSuccesses,
      misattributed_errors: misattributed,
      past_deadline: pastDeadline,
      deadline_ms: deadlineMs,
      token_requests: tokenRequests,
      token_bound: tokenBound,
      tokens_issued: x.stats.tokens_issued,
      latency_ms: {
        p50: round(percentile(walls, 0.5), 3),
        p95: round(percentile(walls, 0.95), 3),
        max: round(walls.length ? walls[walls.length - 1] : 0, 3),
      },
      run_seconds: round(x.runSecs, 3),
      calls_per_second: round(x.calls / Math.max(x.runSecs, 1e-9), 3),
      faulted_requests: walked,
      injected,
      observed_rates: observed,
      fired_by_rule: x.fired.map((r) => ({ rule: label(r), fired: r.fired })),
      rejected_duplicates: x.stats.rejected_duplicates,
      mock_requests: requests,
      error_samples: samples,
      problems,
    },
    pass: problems.length === 0,
    started_at: x.startedAt,
    machine: { cores: os.availableParallelism ? os.availableParallelism() : os.cpus().length, os: process.platform },
  }
}

async function main() {
  const spec = JSON.parse(readFileSync(path.join(REPO, 'tests', 'soak', 'soak.json'), 'utf8'))
  const calls = envCount('SEPAY_SOAK_CALLS', spec.sizes.reduced.calls)
  const concurrency = envCount('SEPAY_SOAK_CONCURRENCY', spec.sizes.reduced.concurrency)
  const out = outputPath()
  const startedAt = new Date().toISOString()
  const runId = `${LANG}-${randomUUID().replaceAll('-', '').slice(0, 12)}`

  const mock = await startMock()
  let outcomes, runSecs, invoices, fired, stats
  try {
    await mock.control('POST', '/_mock/config', spec.mock_config)
    for (const rule of spec.faults) await mock.control('POST', '/_mock/faults', rule)
    ;({ outcomes, runSecs } = await soak(spec, mock, calls, concurrency, runId))
    // Let late answers be written and every job that acted resolve before reading the mock.
    await sleep(spec.judge.settle_ms)
    const until = performance.now() + spec.judge.settle_max_ms
    while ((await mock.control('GET', '/_mock/stats')).pending_jobs > 0 && performance.now() < until) {
      await sleep(200)
    }
    invoices = await mock.control('GET', '/_mock/invoices')
    fired = await mock.control('GET', '/_mock/faults')
    stats = await mock.control('GET', '/_mock/stats')
  } finally {
    await mock.stop()
  }

  const report = judge(spec, { runId, calls, concurrency, runSecs, outcomes, invoices, stats, fired, startedAt })
  mkdirSync(path.dirname(out), { recursive: true })
  writeFileSync(out, JSON.stringify(report, null, 2) + '\n')
  const r = report.results
  console.log(
    `soak (${LANG}): ${r.calls} calls, ${r.successes} ok, ${r.failures} failed (${r.failures_with_reference} with reference), ` +
      `${r.invoices} invoices, ${r.lost} lost, ${r.duplicates} duplicates, ${r.false_successes} false successes, ` +
      `${r.past_deadline} past deadline, tokens ${r.token_requests} <= ${r.token_bound}, ${runSecs.toFixed(1)} s`,
  )
  for (const p of r.problems) console.log(`  FAIL ${p}`)
  console.log(`  results: ${out}`)
  return report.pass ? 0 : 1
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error(`soak (${LANG}): ${e?.stack ?? e}`)
    process.exit(1)
  },
)
