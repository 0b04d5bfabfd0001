// ESM entry of sepay-einvoice. It re-exports the CommonJS facade (Node detects its named
// exports), so both module systems see the very same classes: `instanceof SePayError` holds
// whichever way the error was imported.
export * from './index.cjs'
import cjs from './index.cjs'
export default cjs
