// The Node half of the secret scan: the conformance runner (run with SEPAY_EINVOICE_LOG=trace
// and SEPAY_SCAN_SECRETS_FILE) wrote the secrets it knows and the outputs it saw; the SDK's log
// lines went to the captured stderr. Any secret in any of them is a leak.
//
//   node secret-scan.mjs <captured-log> <secrets.json>
import { readFileSync } from 'node:fs'

const [logFile, secretsFile] = process.argv.slice(2)
const { secrets, outputs } = JSON.parse(readFileSync(secretsFile, 'utf8'))
const logLines = readFileSync(logFile, 'utf8').split('\n')
// Proof that the scan can fail: a canary is planted and must be found exactly once.
const CANARY = 'sepay-scan-canary-7f3a91'
const texts = [...outputs, ...logLines, `planted ${CANARY}`]
let leaks = 0
let canary = 0
for (const s of [...secrets, CANARY]) {
  for (const t of texts) {
    if (!t.includes(s)) continue
    if (s === CANARY) {
      canary++
      continue
    }
    leaks++
    console.log(`LEAK    a secret appears in: ${t.split(s).join('<SECRET>').slice(0, 300)}`)
  }
}
const sdkLines = logLines.filter((l) => /sepay_einvoice/.test(l)).length
console.log(`secret scan (node): ${outputs.length} outputs, ${sdkLines} log lines, ${secrets.length} secrets, ${leaks} leaks`)
if (canary !== 1) {
  console.log(`secret scan (node): the planted canary was found ${canary} times, not once: the scan is broken`)
  process.exit(1)
}
if (sdkLines === 0) {
  console.log('secret scan (node): no SDK log lines were captured (is SEPAY_EINVOICE_LOG=trace set?)')
  process.exit(1)
}
process.exit(leaks === 0 ? 0 : 1)
