// ESM entry of sepay-einvoice/testing. It re-exports the CommonJS module (Node detects its named
// exports), so both module systems share one MockServer class.
export * from './testing.cjs'
import cjs from './testing.cjs'
export default cjs
