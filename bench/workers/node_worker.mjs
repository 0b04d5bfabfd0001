// One Node client, one workload, one run; prints one JSON line. Started by bench/harness.py.
//
//   node node_worker.mjs CLIENT WORKLOAD --base-url URL [--warmup-seconds W] [--seconds S] [--ref REF]
//                        [--concurrency C] [--n N] [--pending-ms P]
//
// Clients: node.Client (the SDK, from $SEPAY_BENCH_NODE_SDK), node.fetch and node.axios
// (bench/peers/, their packages from $SEPAY_BENCH_NODE_PEERS/node_modules).
// Workloads: W1 (getInvoice, one call after another), W2 (getInvoice from C concurrent callers),
// each for a warm-up of W seconds and a measured phase of S seconds (no call starts after it);
// W3/W5 (N createInvoiceAndWait started at once; node.Client only).
//
// CPU: process.cpuUsage() (user + system of every thread: libuv's pool and the SDK's Rust runtime
// included) and the main thread's alone (/proc/self/task/<pid>/schedstat), measured phase only.
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import { performance } from 'node:perf_hooks'

import { openAxiosPeer } from '../peers/node_axios.mjs'
import { openFetchPeer } from '../peers/node_fetch.mjs'

const ACCOUNT_MATBAO = '0aea3134-da40-11f0-aef4-52c7e9b4f41b'

function parseArgs(argv) {
  const [client, workload, ...rest] = argv
  const o = { client, workload, n: 1000, warmupSeconds: 1, ref: '', concurrency: 64, pendingMs: 0, seconds: 3, baseUrl: '' }
  for (let i = 0; i < rest.length; i += 2) {
    const [k, v] = [rest[i], rest[i + 1]]
    if (v === undefined) throw new Error(`${k} needs a value`)
    if (k === '--base-url') o.baseUrl = v
    else if (k === '--n') o.n = Number(v)
    else if (k === '--warmup-seconds') o.warmupSeconds = Number(v)
    else if (k === '--ref') o.ref = v
    else if (k === '--concurrency') o.concurrency = Number(v)
    else if (k === '--pending-ms') o.pendingMs = Number(v)
    else if (k === '--seconds') o.seconds = Number(v)
    else throw new Error(`unknown option ${k}`)
  }
  if (!o.baseUrl) throw new Error('--base-url is required')
  return o
}

function mainThreadCpuS() {
  try {
    return Number(readFileSync(`/proc/self/task/${process.pid}/schedstat`, 'ascii').split(' ')[0]) / 1e9
  } catch {
    return NaN
  }
}

function statusKiB(field) {
  const line = readFileSync('/proc/self/status', 'ascii')
    .split('\n')
    .find((l) => l.startsWith(field + ':'))
  return line ? Number(line.split(/\s+/)[1]) : 0
}

function percentile(sorted, p) {
  if (sorted.length === 0) return NaN
  return sorted[Math.min(sorted.length - 1, Math.round((sorted.length - 1) * p))]
}

// Both print a marker line, so the harness can read the mock's CPU at the same moments (writes to
// a pipe are synchronous on Linux).
class Meter {
  start() {
    process.stdout.write('@start\n')
    this.cpu0 = process.cpuUsage()
    this.main0 = mainThreadCpuS()
    this.t0 = performance.now()
  }
  stop() {
    this.elapsedS = (performance.now() - this.t0) / 1e3
    const cpu = process.cpuUsage(this.cpu0)
    this.cpuS = (cpu.user + cpu.system) / 1e6
    this.mainS = mainThreadCpuS() - this.main0
    process.stdout.write('@stop\n')
  }
}

class Errors {
  count = 0
  first = null
  add(e) {
    this.count++
    if (this.first === null) {
      this.first = String(e?.stack ?? e)
      console.error(`call failed: ${this.first}`)
    }
  }
}

/** `n` calls of `fn` from `concurrency` callers, none started after `seconds`; each call's ms. */
async function drive(n, concurrency, fn, errors, seconds) {
  let started = 0
  const lat = []
  const deadline = performance.now() + seconds * 1e3
  async function caller() {
    while (started < n && performance.now() < deadline) {
      started++
      const t = performance.now()
      try {
        await fn()
      } catch (e) {
        errors.add(e)
      }
      lat.push(performance.now() - t)
    }
  }
  await Promise.all(Array.from({ length: Math.max(concurrency, 1) }, caller))
  return lat
}

function issuedDate() {
  // Yesterday, Vietnam time: never "in the future" for the mock.
  const d = new Date(Date.now() + 7 * 3600e3 - 86400e3)
  return d.toISOString().replace('T', ' ').replace(/\.\d+Z$/, '')
}

function sdkRequest(n, issued) {
  return {
    providerAccountId: ACCOUNT_MATBAO,
    templateCode: '1',
    invoiceSeries: 'C26TSE',
    issuedDate: issued,
    isDraft: true,
    buyer: { name: `Khách hàng ${n}`, taxCode: '0100233488' },
    items: [{ itemName: 'Sản phẩm A', quantity: 2, unitPrice: 100000, taxRate: 10 }],
  }
}

function loadSdk() {
  const dir = process.env.SEPAY_BENCH_NODE_SDK
  if (!dir) throw new Error('SEPAY_BENCH_NODE_SDK (the sepay-einvoice package directory) is not set')
  return createRequire(path.join(dir, 'bench-loader.js'))(dir)
}

function peersRequire() {
  const dir = process.env.SEPAY_BENCH_NODE_PEERS
  if (!dir) throw new Error('SEPAY_BENCH_NODE_PEERS (the directory holding node_modules/) is not set')
  return createRequire(path.join(dir, 'package.json'))
}

async function open(client, baseUrl, connections) {
  if (client === 'node.Client') {
    const { Client } = loadSdk()
    const sdk = new Client({ baseUrl, clientId: 'mock_client_id', clientSecret: 'mock_client_secret' })
    await sdk.authenticate() // the token, as every peer fetches it once before measuring
    return { getInvoice: (ref) => sdk.getInvoice(ref), sdk, close: () => sdk.close?.() }
  }
  if (client === 'node.fetch') return openFetchPeer({ undici: peersRequire()('undici'), baseUrl, connections })
  if (client === 'node.axios') return openAxiosPeer({ axios: peersRequire()('axios'), baseUrl, connections })
  throw new Error(`unknown client ${client}`)
}

async function runCalls(o) {
  const concurrency = o.workload === 'W2' ? o.concurrency : 1
  const c = await open(o.client, o.baseUrl, concurrency)
  // Warm-up is timed, not counted: V8's JIT needs seconds of calls to reach a peer's best speed.
  const warm = new Errors()
  await drive(Infinity, concurrency, () => c.getInvoice(o.ref), warm, o.warmupSeconds)
  if (warm.count) throw new Error(`warm-up failed: ${warm.first}`)
  const errors = new Errors()
  const meter = new Meter()
  meter.start()
  const lat = await drive(Infinity, concurrency, () => c.getInvoice(o.ref), errors, o.seconds)
  meter.stop()
  await c.close()
  lat.sort((a, b) => a - b)
  const calls = lat.length
  return {
    calls,
    errors: errors.count,
    first_error: errors.first,
    elapsed_s: meter.elapsedS,
    calls_per_s: calls / meter.elapsedS,
    p50_ms: percentile(lat, 0.5),
    p99_ms: percentile(lat, 0.99),
    cpu_ms_per_1000: (meter.cpuS / calls) * 1e6,
    main_cpu_ms_per_1000: (meter.mainS / calls) * 1e6,
    callers: concurrency > 1 ? `${concurrency} concurrent promises` : 'sequential awaits',
  }
}

async function runWaits(o) {
  if (o.client !== 'node.Client') throw new Error(`${o.client} does not run ${o.workload}`)
  const c = await open(o.client, o.baseUrl, 0)
  const issued = issuedDate()
  const errors = new Errors()
  const waits = []
  const rssBefore = statusKiB('VmRSS') / 1024
  const meter = new Meter()
  meter.start()
  await Promise.all(
    Array.from({ length: o.n }, async (_, i) => {
      const t = performance.now()
      try {
        await c.sdk.createInvoiceAndWait(sdkRequest(i, issued))
        waits.push((performance.now() - t) / 1e3)
      } catch (e) {
        errors.add(e)
      }
    }),
  )
  meter.stop()
  await c.close()
  waits.sort((a, b) => a - b)
  return {
    jobs: o.n,
    errors: errors.count,
    first_error: errors.first,
    wall_s: meter.elapsedS,
    wait_p50_s: percentile(waits, 0.5),
    wait_p99_s: percentile(waits, 0.99),
    wait_min_s: waits.length ? waits[0] : NaN,
    wait_max_s: waits.length ? waits[waits.length - 1] : NaN,
    cpu_s: meter.cpuS,
    rss_before_mib: rssBefore,
  }
}

const o = parseArgs(process.argv.slice(2))
const result = o.workload === 'W3' || o.workload === 'W5' ? await runWaits(o) : await runCalls(o)
result.rss_peak_mib = process.resourceUsage().maxRSS / 1024
process.stdout.write(JSON.stringify(result) + '\n')
// Nothing may keep the process alive past its result (a pool's idle timer, say).
process.exit(0)
