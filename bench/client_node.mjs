// Node client throughput against the mock server: the sepay-einvoice Client next to the peer a
// user would otherwise write (hand-rolled global fetch, i.e. undici). Run with
// `bash bench/client_node.sh`, which builds the addon in release and starts the mock.
//
//   node bench/client_node.mjs [requests] [concurrency] [output file]     (defaults 10000, 32, stdout only)
//
// Needs SEPAY_EINVOICE_BASE_URL (the mock's URL), SEPAY_EINVOICE_CLIENT_ID and
// SEPAY_EINVOICE_CLIENT_SECRET. Each client runs in its own child process, so CPU time and peak
// RSS belong to that client alone (the mock is a separate process). Workload per client, the same
// shape as bench/client_rust.rs: one draft created and waited for, a short warm-up, then
// `requests` getInvoice calls and `requests / 4` createInvoice calls (drafts), each from
// `concurrency` callers sharing one client.
import { spawnSync } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import os from 'node:os'
import { fileURLToPath } from 'node:url'

const ACCOUNT_MATBAO = '0aea3134-da40-11f0-aef4-52c7e9b4f41b'
const ISSUED_DATE = '2026-01-26 08:00:00'

function percentile(sorted, p) {
  if (sorted.length === 0) return 0
  const i = Math.round((sorted.length - 1) * p)
  return sorted[Math.min(i, sorted.length - 1)]
}

/** Runs `total` calls of `op(i)` from `concurrency` callers; returns timings and CPU use. */
async function drive(total, concurrency, op) {
  let next = 0
  let failures = 0
  let firstError = null
  const lat = new Float64Array(total)
  const cpu0 = process.cpuUsage()
  const t0 = performance.now()
  async function caller() {
    for (;;) {
      const i = next++
      if (i >= total) return
      const t = performance.now()
      try {
        await op(i)
      } catch (err) {
        failures++
        firstError ??= err
      }
      lat[i] = performance.now() - t
    }
  }
  await Promise.all(Array.from({ length: concurrency }, caller))
  const elapsedMs = performance.now() - t0
  const cpu = process.cpuUsage(cpu0)
  lat.sort()
  return {
    calls: total,
    elapsedS: elapsedMs / 1e3,
    callsPerS: total / (elapsedMs / 1e3),
    p50Ms: percentile(lat, 0.5),
    p99Ms: percentile(lat, 0.99),
    cpuMsPer1000: ((cpu.user + cpu.system) / 1e3 / total) * 1000,
    failures,
    firstError: firstError ? String(firstError.stack ?? firstError).split('\n')[0] : null,
  }
}

// ---------------------------------------------------------------------------------------------
// The two clients, behind the same three operations
// ---------------------------------------------------------------------------------------------

async function sdkClient({ baseUrl, clientId, clientSecret }) {
  const { Client } = await import('sepay-einvoice')
  const client = new Client({ baseUrl, clientId, clientSecret })
  const request = (n) => ({
    providerAccountId: ACCOUNT_MATBAO,
    templateCode: '1',
    invoiceSeries: 'C26TSE',
    issuedDate: ISSUED_DATE,
    isDraft: true,
    buyer: { name: `Khách hàng ${n}`, taxCode: '0100233488' },
    items: [{ itemName: 'Sản phẩm A', quantity: 2, unitPrice: 100000, taxRate: 10 }],
  })
  return {
    async createDraftAndWait() {
      const inv = await client.createInvoiceAndWait(request(0), { pollIntervalMs: 10, maxPollIntervalMs: 20 })
      return inv.referenceCode
    },
    getInvoice: (ref) => client.getInvoice(ref),
    createInvoice: (n) => client.createInvoice(request(n)),
  }
}

/** What a user writes without the SDK: no validation, no retries, no typed models. */
async function fetchClient({ baseUrl, clientId, clientSecret }) {
  const base = baseUrl.replace(/\/+$/, '')
  const basic = Buffer.from(`${clientId}:${clientSecret}`).toString('base64')
  const tokenRes = await fetch(`${base}/v1/token`, { method: 'POST', headers: { authorization: `Basic ${basic}` } })
  if (!tokenRes.ok) throw new Error(`token: HTTP ${tokenRes.status}`)
  const bearer = `Bearer ${(await tokenRes.json()).data.access_token}`
  const get = async (path) => {
    const res = await fetch(`${base}${path}`, { headers: { authorization: bearer } })
    const body = await res.json()
    if (!res.ok) throw new Error(`GET ${path}: HTTP ${res.status}`)
    return body.data
  }
  const create = async (n) => {
    const res = await fetch(`${base}/v1/invoices/create`, {
      method: 'POST',
      headers: { authorization: bearer, 'content-type': 'application/json' },
      body: JSON.stringify({
        reference_code: randomUUID(),
        provider_account_id: ACCOUNT_MATBAO,
        template_code: '1',
        invoice_series: 'C26TSE',
        issued_date: ISSUED_DATE,
        currency: 'VND',
        is_draft: true,
        buyer: { name: `Khách hàng ${n}`, tax_code: '0100233488' },
        items: [{ line_number: 1, line_type: 1, item_name: 'Sản phẩm A', quantity: 2, unit_price: 100000, tax_rate: 10 }],
      }),
    })
    const body = await res.json()
    if (!res.ok) throw new Error(`POST /v1/invoices/create: HTTP ${res.status} ${JSON.stringify(body)}`)
    return body.data
  }
  return {
    async createDraftAndWait() {
      const job = await create(0)
      for (let i = 0; i < 1000; i++) {
        const status = await get(`/v1/invoices/create/check/${job.tracking_code}`)
        if (status.status === 'Success') return status.reference_code ?? job.reference_code
        if (status.status === 'Failed') throw new Error(`draft failed: ${status.message}`)
        await new Promise((r) => setTimeout(r, 20))
      }
      throw new Error('draft still pending')
    },
    getInvoice: (ref) => get(`/v1/invoices/${encodeURIComponent(ref)}`),
    createInvoice: (n) => create(n),
  }
}

const CLIENTS = {
  'sepay-einvoice': { make: sdkClient, what: 'sepay-einvoice Client (napi addon, Rust core)' },
  fetch: { make: fetchClient, what: 'hand-rolled global fetch (undici): token once, GET + .json(), POST JSON' },
}

async function child(name, total, concurrency) {
  const env = {
    baseUrl: process.env.SEPAY_EINVOICE_BASE_URL,
    clientId: process.env.SEPAY_EINVOICE_CLIENT_ID ?? 'mock_client_id',
    clientSecret: process.env.SEPAY_EINVOICE_CLIENT_SECRET ?? 'mock_client_secret',
  }
  const c = await CLIENTS[name].make(env)
  const ref = await c.createDraftAndWait()
  const warmGets = Math.max(100, Math.min(1000, Math.floor(total / 10)))
  const warmCreates = Math.max(25, Math.floor(warmGets / 4))
  await drive(warmGets, concurrency, () => c.getInvoice(ref))
  await drive(warmCreates, concurrency, (i) => c.createInvoice(1_000_000 + i))
  const get = await drive(total, concurrency, () => c.getInvoice(ref))
  const create = await drive(Math.floor(total / 4), concurrency, (i) => c.createInvoice(i + 1))
  const maxRssKiB = process.resourceUsage().maxRSS
  process.stdout.write(JSON.stringify({ name, warmGets, warmCreates, get, create, maxRssKiB }) + '\n')
}

// ---------------------------------------------------------------------------------------------
// Parent: run both children, write the report
// ---------------------------------------------------------------------------------------------

function runChild(name, total, concurrency) {
  const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--child', name, String(total), String(concurrency)], {
    stdio: ['ignore', 'pipe', 'inherit'],
    encoding: 'utf8',
    maxBuffer: 16 << 20,
  })
  if (r.status !== 0) throw new Error(`${name} run failed (exit ${r.status})`)
  return JSON.parse(r.stdout.trim().split('\n').pop())
}

const f0 = (x) => x.toFixed(0)
const f2 = (x) => x.toFixed(2)
const ratio = (a, b) => (b > 0 ? a / b : NaN)

/** "1.52× the calls/s of" / "0.71× …" phrased from numbers. */
function compare(a, b, unit) {
  const r = ratio(a, b)
  return `${f2(r)}× ${unit}`
}

async function parent(total, concurrency, outPath) {
  if (!process.env.SEPAY_EINVOICE_BASE_URL) {
    console.error('SEPAY_EINVOICE_BASE_URL is not set (run bash bench/client_node.sh)')
    process.exit(2)
  }
  const loadBefore = os.loadavg().map((x) => x.toFixed(2)).join(' ')
  const results = []
  for (const name of Object.keys(CLIENTS)) {
    console.error(`running ${name}…`)
    results.push(runChild(name, total, concurrency))
  }
  const cpus = os.cpus()
  const lines = []
  lines.push('# sepay-einvoice Node client throughput')
  lines.push(`date: ${new Date().toISOString().replace(/\.\d+Z$/, 'Z')}`)
  lines.push(`machine: ${os.availableParallelism()} cores (${cpus[0]?.model?.trim() ?? 'unknown cpu'}), ${os.type()} ${os.arch()}`)
  lines.push(`node: ${process.version}`)
  lines.push(`addon build: ${process.env.SEPAY_BENCH_ADDON_PROFILE ?? 'unknown (bench/client_node.sh builds it in release)'}`)
  lines.push('server: sepay-einvoice-mock (release) in a separate process on 127.0.0.1, shared by both clients (they run one after the other)')
  lines.push(`settings: ${total} getInvoice calls, then ${Math.floor(total / 4)} createInvoice calls (drafts); ${concurrency} concurrent callers on one client; each client in its own node process`)
  lines.push(`warm-up per client: one draft created and waited for, then ${results[0].warmGets} getInvoice + ${results[0].warmCreates} createInvoice calls (not measured)`)
  lines.push(`load average before the run: ${loadBefore}`)
  lines.push('CPU = process.cpuUsage() user+system of the client process over the measured phase (includes the Rust core\'s threads); RSS = process.resourceUsage().maxRSS')
  lines.push('')
  for (const r of results) {
    lines.push(`${r.name}: ${CLIENTS[r.name].what}`)
    for (const [label, m] of [['getInvoice   ', r.get], ['createInvoice', r.create]]) {
      lines.push(
        `  ${label} ${m.calls} calls in ${f2(m.elapsedS)}s: ${f0(m.callsPerS)} calls/s, p50 ${f2(m.p50Ms)} ms, p99 ${f2(m.p99Ms)} ms, CPU ${f0(m.cpuMsPer1000)} ms per 1000 calls` +
          (m.failures ? `, ${m.failures} FAILED (${m.firstError})` : ''),
      )
    }
    lines.push(`  peak RSS: ${f0(r.maxRssKiB / 1024)} MiB`)
    lines.push('')
  }
  const [sdk, raw] = results
  lines.push(
    'note: the fetch peer does no input validation, no retries or backoff, no token refresh, no idempotent-create reconciliation and returns untyped snake_case JSON; the SDK does all of these (and converts to camelCase models).',
  )
  lines.push(
    'note: client-rust.txt runs the mock inside the client process, so its numbers are not directly comparable with these.',
  )
  const failed = results.some((r) => r.get.failures || r.create.failures)
  lines.push(
    `conclusion: against fetch, sepay-einvoice makes ${compare(sdk.get.callsPerS, raw.get.callsPerS, 'the getInvoice calls/s')} ` +
      `(p99 ${f2(sdk.get.p99Ms)} vs ${f2(raw.get.p99Ms)} ms) and ${compare(sdk.create.callsPerS, raw.create.callsPerS, 'the createInvoice calls/s')}, ` +
      `using ${compare(sdk.get.cpuMsPer1000, raw.get.cpuMsPer1000, 'the CPU per getInvoice')} and ${compare(sdk.create.cpuMsPer1000, raw.create.cpuMsPer1000, 'per createInvoice')}, ` +
      `with a peak RSS of ${f0(sdk.maxRssKiB / 1024)} vs ${f0(raw.maxRssKiB / 1024)} MiB` +
      (failed ? ' — SOME CALLS FAILED, see above.' : '.'),
  )
  const report = lines.join('\n') + '\n'
  process.stdout.write(report)
  if (outPath) writeFileSync(outPath, report)
  if (failed) process.exit(1)
}

const argv = process.argv.slice(2)
if (argv[0] === '--child') {
  await child(argv[1], Number(argv[2]), Number(argv[3]))
} else {
  const total = Number(argv[0] ?? 10000)
  const concurrency = Number(argv[1] ?? 32)
  if (!(total > 0) || !(concurrency > 0)) {
    console.error('usage: node bench/client_node.mjs [requests] [concurrency] [output file]')
    process.exit(2)
  }
  await parent(total, concurrency, argv[2])
}
