// Runs the bad-input corpus of tests/conformance/bad-input/ (format: its README.md) through the
// public Node API against one mock server: every case must reject with a ValidationError naming
// the case's field, and send nothing. Call and argument names are camelCased here; request and
// job keys are passed as written (the binding accepts snake_case).
//
//   node bindings-node/__test__/bad-input.test.mjs        (or under node --test)
//
// Nothing sent: like the Rust runner, the mock's requests_total is read before and after every
// case, so a failure line says which case sent something.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'

import { Client, ValidationError } from 'sepay-einvoice'
import { startMock, vietnamNow, REPO, CREDENTIALS } from './mock.mjs'

const LANG = 'node'
const DIR = path.join(REPO, 'tests', 'conformance', 'bad-input')
const MIN_CASES = 150
const CASE_TIMEOUT_MS = 5000 // validation is instant: a case still running has sent something
const FILE_KEYS = ['category', 'description', 'base', 'cases']
const CASE_KEYS = ['name', 'note', 'call', 'args', 'remove', 'set', 'field', 'only']
const LANGS = ['rust', 'python', 'node']
const CREATES = ['create_invoice', 'create_invoice_and_wait']
const CALLS = [
  ...CREATES, 'get_invoice', 'issue_invoice', 'issue_invoice_and_wait', 'delete_draft', 'download_invoice',
  'list_invoices', 'list_provider_accounts', 'get_provider_account', 'check_status', 'wait_for_status',
]

/** A malformed file or case: reported as a failure, never skipped. */
class CorpusError extends Error {}

const camel = (k) => k.replace(/_([a-z0-9])/g, (_, c) => c.toUpperCase())
const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v)
const has = (o, k) => Object.prototype.hasOwnProperty.call(o, k)
const clone = (v) => structuredClone(v)

// ---- file shape -------------------------------------------------------------------------------

function checkFile(doc) {
  if (!isObject(doc)) throw new CorpusError('not a JSON object')
  const extra = Object.keys(doc).filter((k) => !FILE_KEYS.includes(k))
  if (extra.length) throw new CorpusError(`unknown keys ${extra}`)
  if (typeof doc.category !== 'string') throw new CorpusError('no "category" string')
  if (!isObject(doc.base)) throw new CorpusError('no "base" object')
  if (!Array.isArray(doc.cases)) throw new CorpusError('no "cases" array')
  const names = new Set()
  doc.cases.forEach((c, i) => {
    if (!isObject(c) || typeof c.name !== 'string') throw new CorpusError(`case ${i} is not an object with a name`)
    const bad = (what) => new CorpusError(`case ${JSON.stringify(c.name)}: ${what}`)
    if (names.has(c.name)) throw bad('the name is used twice')
    names.add(c.name)
    const extraKeys = Object.keys(c).filter((k) => !CASE_KEYS.includes(k))
    if (extraKeys.length) throw bad(`unknown keys ${extraKeys}`)
    if (typeof c.field !== 'string') throw bad('no "field" string')
    const call = c.call ?? 'create_invoice'
    if (!CALLS.includes(call)) throw bad(`unknown call ${JSON.stringify(call)}`)
    if (has(c, 'args') && !isObject(c.args)) throw bad('"args" is not an object')
    const takesRequest = CREATES.includes(call) && !has(c.args ?? {}, 'request')
    if (!takesRequest && (has(c, 'set') || has(c, 'remove'))) {
      throw bad('"set"/"remove" edit the base, which only a create call without args.request uses')
    }
    if (has(c, 'set') && !isObject(c.set)) throw bad('"set" is not an object')
    const strings = (v, allowed) => Array.isArray(v) && v.every((x) => typeof x === 'string' && (!allowed || allowed.includes(x)))
    if (has(c, 'remove') && !strings(c.remove)) throw bad('"remove" is not a list of paths')
    if (has(c, 'only') && !strings(c.only, LANGS)) throw bad('"only" is not a list of rust/python/node')
  })
}

// ---- paths ------------------------------------------------------------------------------------

/** `items[0].quantity` → ['items', 0, 'quantity']. */
function parsePath(p) {
  const out = []
  for (const part of p.split('.')) {
    const m = /^([^.[\]]+)((?:\[\d+\])*)$/.exec(part)
    if (!m) throw new CorpusError(`bad path ${JSON.stringify(p)}`)
    out.push(m[1], ...[...m[2].matchAll(/\[(\d+)\]/g)].map((x) => Number(x[1])))
  }
  return out
}

function setPath(root, segs, value) {
  let cur = root
  segs.forEach((seg, i) => {
    const last = i === segs.length - 1
    const empty = () => (!last && typeof segs[i + 1] === 'number' ? [] : {})
    if (typeof seg === 'string' && isObject(cur)) {
      if (last) cur[seg] = value
      else cur = has(cur, seg) ? cur[seg] : (cur[seg] = empty())
    } else if (typeof seg === 'number' && Array.isArray(cur) && seg <= cur.length) {
      if (seg === cur.length) cur.push(empty())
      if (last) cur[seg] = value
      else cur = cur[seg]
    } else {
      throw new CorpusError(`cannot set ${JSON.stringify(seg)} in ${JSON.stringify(cur)?.slice(0, 40)}`)
    }
  })
}

function removePath(root, segs) {
  let cur = root
  segs.forEach((seg, i) => {
    const ok = typeof seg === 'string' ? isObject(cur) && has(cur, seg) : Array.isArray(cur) && seg < cur.length
    if (!ok) throw new CorpusError(`nothing at ${JSON.stringify(seg)}`)
    if (i < segs.length - 1) cur = cur[seg]
    else if (typeof seg === 'number') cur.splice(seg, 1)
    else delete cur[seg]
  })
}

// ---- special values ---------------------------------------------------------------------------

const FIXED = {
  $now: () => vietnamNow(),
  $tomorrow: () => vietnamNow(24 * 3600_000),
  $NaN: () => NaN,
  $Infinity: () => Infinity,
  '$-Infinity': () => -Infinity,
  $surrogate: () => '\ud800',
}

function special(s, base) {
  if (has(FIXED, s)) return FIXED[s]()
  const count = (n) => {
    if (!/^\d+$/.test(n)) throw new CorpusError(`bad count in ${JSON.stringify(s)}`)
    return Number(n)
  }
  if (s.startsWith('$repeat:')) {
    const rest = s.slice('$repeat:'.length)
    const colon = rest.lastIndexOf(':')
    if (colon < 0) throw new CorpusError(`bad special value ${JSON.stringify(s)}`)
    return rest.slice(0, colon).repeat(count(rest.slice(colon + 1)))
  }
  if (s.startsWith('$deep:')) {
    let v = []
    for (let i = 1; i < count(s.slice(6)); i++) v = [v]
    return v
  }
  if (s.startsWith('$lines:')) {
    const line = base.items?.[0]
    if (line === undefined) throw new CorpusError('$lines needs a base with items[0]')
    const n = count(s.slice(7))
    const substituted = substitute(clone(line), base)
    return Array.from({ length: n }, () => clone(substituted))
  }
  throw new CorpusError(`unknown special value ${JSON.stringify(s)}`)
}

function substitute(v, base) {
  if (typeof v === 'string' && v.startsWith('$')) return special(v, base)
  if (Array.isArray(v)) return v.map((x) => substitute(x, base))
  if (isObject(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, substitute(x, base)]))
  return v
}

// ---- calls ------------------------------------------------------------------------------------

/** The case's call as a thunk over the client (README "Calls"). */
function buildCall(c, base) {
  const call = c.call ?? 'create_invoice'
  let raw = c.args ?? {}
  if (CREATES.includes(call) && !has(raw, 'request')) {
    const request = clone(base)
    for (const p of c.remove ?? []) removePath(request, parsePath(p))
    for (const [p, v] of Object.entries(c.set ?? {})) setPath(request, parsePath(p), clone(v))
    raw = { ...raw, request }
  }
  const args = substitute(raw, base)
  /** The named arguments present, camelCased (absent ones take the method's default). */
  const pick = (...keys) => Object.fromEntries(keys.filter((k) => has(args, k)).map((k) => [camel(k), args[k]]))
  const wait = pick('timeout_ms', 'poll_interval_ms', 'max_poll_interval_ms')
  const ref = args.reference_code ?? ''
  switch (call) {
    case 'create_invoice': return (cl) => cl.createInvoice(args.request)
    case 'create_invoice_and_wait': return (cl) => cl.createInvoiceAndWait(args.request, wait)
    case 'get_invoice': return (cl) => cl.getInvoice(ref)
    case 'issue_invoice': return (cl) => cl.issueInvoice(ref)
    case 'delete_draft': return (cl) => cl.deleteDraft(ref)
    case 'issue_invoice_and_wait': return (cl) => cl.issueInvoiceAndWait(ref, wait)
    case 'download_invoice': return (cl) => cl.downloadInvoice(ref, args.type ?? 'pdf')
    case 'list_invoices': return (cl) => cl.listInvoices(pick('page', 'per_page', 'source'))
    case 'list_provider_accounts': return (cl) => cl.listProviderAccounts(pick('page', 'per_page'))
    case 'get_provider_account': return (cl) => cl.getProviderAccount(args.id ?? '')
    case 'check_status': return (cl) => cl.checkStatus(args.job)
    case 'wait_for_status': return (cl) => cl.waitForStatus(args.job, wait)
    default: throw new CorpusError(`unknown call ${call}`)
  }
}

/** Runs a call with the case time limit: undefined on success, else what it threw. */
async function outcome(client, fn) {
  let timer
  const limit = new Promise((resolve) => {
    timer = setTimeout(() => resolve(new Error(`still running after ${CASE_TIMEOUT_MS} ms`)), CASE_TIMEOUT_MS)
  })
  try {
    return await Promise.race([
      (async () => {
        await fn(client) // a synchronous throw is caught like a rejection
      })().then(() => undefined, (e) => e ?? new Error(`rejected with ${e}`)),
      limit,
    ])
  } finally {
    clearTimeout(timer)
  }
}

/** Undefined when the case passes, else the failure text. */
function verdict(err, field, sent) {
  const want = JSON.stringify(field)
  if (err === undefined) return `accepted (${sent} request(s) sent): expected Validation at ${want}`
  const kind = err?.kind ?? err?.name ?? typeof err
  if (!(err instanceof ValidationError) || kind !== 'Validation') {
    return `expected Validation at ${want}, got ${kind} (${err?.name}: ${err?.message})`
  }
  if (err.field !== field) return `expected field ${want}, got ${JSON.stringify(err.field ?? '(none)')} (${err.message})`
  if (sent > 0) return `the Validation error came after ${sent} request(s) reached the mock`
  return undefined
}

// ---- the run ----------------------------------------------------------------------------------

async function runCorpus() {
  const started = Date.now()
  const mock = await startMock()
  const failures = []
  let rejected = 0
  let skipped = 0
  try {
    const client = new Client({ ...CREDENTIALS, baseUrl: mock.url, maxRetries: 0, timeoutMs: 2000, callTimeoutMs: 3000 })
    const total = async () => (await mock.control('GET', '/_mock/stats')).requests_total
    const files = readdirSync(DIR).filter((f) => f.endsWith('.json')).sort()
    for (const file of files) {
      let doc
      try {
        doc = JSON.parse(readFileSync(path.join(DIR, file), 'utf8'))
        checkFile(doc)
      } catch (e) {
        failures.push(`${file}: unreadable corpus file: ${e.message}`)
        continue
      }
      const { base } = doc
      let baseErr
      try {
        const request = substitute(clone(base), base)
        baseErr = await outcome(client, (cl) => cl.createInvoice(request))
      } catch (e) {
        baseErr = e
      }
      if (baseErr !== undefined) failures.push(`${file}: the base request is not accepted: ${baseErr?.name}: ${baseErr?.message}`)
      for (const c of doc.cases) {
        if (c.only && !c.only.includes(LANG)) {
          skipped++
          continue
        }
        const where = `${file}: ${c.name}`
        let fn
        try {
          fn = buildCall(c, base)
        } catch (e) {
          failures.push(`${where}: corpus error: ${e.message}`)
          continue
        }
        const before = await total()
        const err = await outcome(client, fn)
        const problem = verdict(err, c.field, (await total()) - before)
        if (problem) failures.push(`${where}: ${problem}`)
        else rejected++
      }
    }
  } finally {
    await mock.stop()
  }
  for (const f of failures) console.log(`FAILED  ${f}`)
  console.log(`skipped ${skipped} case(s) not meant for ${LANG}; ran in ${((Date.now() - started) / 1000).toFixed(2)}s`)
  console.log(`bad-input (${LANG}): ${rejected} rejected, ${failures.length} failed`)
  return { rejected, failures }
}

test('bad-input corpus', async () => {
  const { rejected, failures } = await runCorpus()
  const ran = rejected + failures.length
  if (failures.length || ran < MIN_CASES) process.exitCode = 1
  assert.ok(ran >= MIN_CASES, `only ${ran} cases ran; the corpus has at least ${MIN_CASES}`)
  assert.equal(failures.length, 0, failures.join('\n'))
})
