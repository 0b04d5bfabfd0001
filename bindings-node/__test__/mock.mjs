// Starts the bundled mock server (`sepay-einvoice-mock --port 0`) for the tests.
// The binary comes from $SEPAY_MOCK_BIN, else it is built with cargo and looked up in
// $CARGO_TARGET_DIR (default <repo>/target), under <triple>/debug when CARGO_BUILD_TARGET is set.
import { spawn, execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { createInterface } from 'node:readline'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..')
export const ACCOUNT_ID = '0aea3134-da40-11f0-aef4-52c7e9b4f41b'
export const CREDENTIALS = { clientId: 'mock_client_id', clientSecret: 'mock_client_secret' }

export function mockBinary() {
  if (process.env.SEPAY_MOCK_BIN) return process.env.SEPAY_MOCK_BIN
  const targetDir = process.env.CARGO_TARGET_DIR || path.join(REPO, 'target')
  const triple = process.env.CARGO_BUILD_TARGET
  const bin = path.join(targetDir, ...(triple ? [triple] : []), 'debug', 'sepay-einvoice-mock')
  if (!existsSync(bin)) {
    execFileSync('cargo', ['build', '-p', 'sepay-einvoice-mock'], { cwd: REPO, stdio: 'inherit' })
  }
  return bin
}

/** Starts a mock; resolves to { url, control(method, path, body), stop() }. */
export async function startMock() {
  const child = spawn(mockBinary(), ['--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] })
  const url = await new Promise((resolve, reject) => {
    const rl = createInterface({ input: child.stdout })
    rl.once('line', (line) => {
      rl.close()
      resolve(line.trim())
    })
    child.once('error', reject)
    child.once('exit', (code) => reject(new Error(`mock exited with ${code}`)))
  })
  child.stdout.resume()
  const control = async (method, p, body) => {
    const res = await fetch(url + p, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    })
    const text = await res.text()
    if (!res.ok) throw new Error(`mock ${method} ${p}: ${res.status} ${text}`)
    return text ? JSON.parse(text) : null
  }
  const stop = () =>
    new Promise((resolve) => {
      if (child.exitCode !== null) return resolve()
      child.once('exit', () => resolve())
      child.kill('SIGTERM')
    })
  return { url, control, stop, child }
}

/** `YYYY-MM-DD HH:mm:ss` in Vietnam time (UTC+7), `offsetMs` from now (default one minute ago). */
export function vietnamNow(offsetMs = -60_000) {
  const d = new Date(Date.now() + offsetMs + 7 * 3600_000)
  const pad = (n) => String(n).padStart(2, '0')
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`
}

/** A small valid create request against the seeded account. */
export function sampleRequest(overrides = {}) {
  return {
    providerAccountId: ACCOUNT_ID,
    templateCode: '2',
    // A series carries the year it is used in (C26TSP in 2026).
    invoiceSeries: `C${vietnamNow().slice(2, 4)}TSP`,
    issuedDate: vietnamNow(),
    isDraft: true,
    buyer: { name: 'Công ty ABC', taxCode: '0101234567', email: 'buyer@example.com' },
    items: [{ itemName: 'Sản phẩm A', unit: 'cái', quantity: 2, unitPrice: 100000 }],
    ...overrides,
  }
}
