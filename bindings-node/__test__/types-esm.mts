// Type-checks the ESM entry (`import` condition) the way an ESM TypeScript project sees it.
import defaultExport, { Client, SePayError, type Invoice } from 'sepay-einvoice'

const client: Client = new defaultExport.Client({ baseUrl: 'http://127.0.0.1:1' })
const same: boolean = client instanceof Client && SePayError === defaultExport.SePayError
export const check = async (): Promise<Invoice | boolean> => same
