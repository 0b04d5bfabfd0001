// Runs a Node module (the quick start) against the mock shipped inside the installed package:
// `node run-with-mock.mjs ./tour.js`. Used by scripts/test-install.sh and scripts/verify-arm64.sh,
// outside the repository, where only the packages are installed. The mock stops once the module
// has nothing left to do.
import { pathToFileURL } from 'node:url'
import { resolve } from 'node:path'
import { startMockServer } from 'sepay-einvoice/testing'

console.log(`== Node ${process.version} on ${process.arch}`)
const mock = await startMockServer()
process.env.SEPAY_EINVOICE_BASE_URL = mock.url
process.env.SEPAY_EINVOICE_CLIENT_ID = mock.clientId
process.env.SEPAY_EINVOICE_CLIENT_SECRET = mock.clientSecret
// beforeExit comes again after close() (its promise is new work): close once.
let closed = false
process.on('beforeExit', () => {
  if (!closed) {
    closed = true
    mock.close()
  }
})
await import(pathToFileURL(resolve(process.argv[2])).href)
