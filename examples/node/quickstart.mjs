// Quick start: the whole flow against the API (or the mock), configured from the environment:
//   SEPAY_EINVOICE_CLIENT_ID, SEPAY_EINVOICE_CLIENT_SECRET, SEPAY_EINVOICE_ENV (sandbox|production)
//   SEPAY_EINVOICE_BASE_URL (optional; e.g. the mock server's URL)
// Run from the repository root after `npm install && npm run build`: node examples/node/quickstart.mjs
import { Client, SePayError } from 'sepay-einvoice'

/** `YYYY-MM-DD HH:mm:ss` in Vietnam time (UTC+7), one minute ago. */
function vietnamNow() {
  const d = new Date(Date.now() - 60_000 + 7 * 3600_000)
  return d.toISOString().slice(0, 19).replace('T', ' ')
}

const step = (n, text) => console.log(`${n}. ${text}`)

async function main() {
  const client = Client.fromEnv()
  console.log(`SePay eInvoice quick start (Node ${process.versions.node}) → ${client.baseUrl}`)

  const token = await client.authenticate()
  step(1, `authenticated: ${token.tokenType} token valid for ${token.expiresIn} s`)

  const accounts = await client.listProviderAccounts({ perPage: 20 })
  const account = accounts.items.find((a) => a.active) ?? accounts.items[0]
  if (!account) throw new Error('no provider account: register one in SePay first')
  const detail = await client.getProviderAccount(account.id)
  // A series carries the year it is used in (C26… in 2026): take a VAT template of this year.
  const year = vietnamNow().slice(2, 4)
  const template = detail.templates.find((t) => t.templateCode === '1' && t.invoiceSeries.slice(1, 3) === year)
  if (!template) throw new Error(`no VAT template with a series of 20${year}`)
  step(2, `provider account ${account.id} (${account.provider}), template ${template.templateCode}/${template.invoiceSeries}`)

  const request = {
    providerAccountId: account.id,
    templateCode: template.templateCode,
    invoiceSeries: template.invoiceSeries,
    issuedDate: vietnamNow(),
    isDraft: true,
    paymentMethod: 'CK',
    buyer: { type: 'company', name: 'Công ty TNHH ABC', taxCode: '0101234567', email: 'ketoan@abc.vn' },
    items: [
      { itemName: 'Bàn phím cơ', unit: 'cái', quantity: 2, unitPrice: 850000, taxRate: 10 },
      { itemName: 'Phí giao hàng', unit: 'lần', quantity: 1, unitPrice: 30000, taxRate: 10 },
    ],
    notes: 'Quick start (Node)',
  }
  const preview = client.totals(request)
  step(3, `local totals preview: before tax ${preview.totalBeforeTax}, VAT ${preview.taxAmount}, total ${preview.totalAmount} VND`)

  const draft = await client.createInvoiceAndWait(request, {
    pollIntervalMs: 500,
    timeoutMs: 60_000,
    onStatus: (s) => console.log(`   … create job: ${s.state}`),
  })
  step(4, `draft created: ${draft.referenceCode} (status ${draft.status}, total ${draft.totalAmount})`)

  const issued = await client.issueInvoiceAndWait(draft.referenceCode, {
    pollIntervalMs: 500,
    timeoutMs: 60_000,
    onStatus: (s) => console.log(`   … issue job: ${s.state}`),
  })
  step(5, `issued: invoice number ${issued.invoiceNumber} (status ${issued.status})`)

  const full = await client.getInvoice(issued.referenceCode)
  step(6, `invoice ${full.invoiceNumber}: ${full.items?.length ?? 0} lines, total ${full.totalAmount}`)
  for (const item of full.items ?? []) {
    console.log(`   ${item.lineNumber}. ${item.itemName}: ${item.quantity} × ${item.unitPrice} = ${item.totalAmount}`)
  }

  const pdf = await client.downloadInvoice(issued.referenceCode, 'pdf')
  step(7, `downloaded ${pdf.fileName}: ${pdf.content.length} bytes, starts with ${JSON.stringify(pdf.content.subarray(0, 5).toString('latin1'))}`)

  const page = await client.listInvoices({ perPage: 5 })
  step(8, `listed ${page.items.length} of ${page.paging.total} invoices (page ${page.paging.currentPage}/${page.paging.pageCount})`)
  let all = 0
  for await (const _ of client.iterInvoices({ perPage: 50 })) all++
  console.log(`   iterated over all ${all} invoices`)

  const usage = await client.getUsage()
  step(9, `quota remaining: ${usage.quotaRemaining}`)

  // Corrections (Decree 70/2025): an issued invoice is adjusted or replaced, never cancelled.
  const lastYear = { ...request, invoiceSeries: `C${String((Number(year) + 99) % 100).padStart(2, '0')}TSE` }
  for (const p of (await client.preflight(lastYear)).problems) {
    console.log(`10. preflight: ${p.severity} ${p.field} [${p.rule}]: ${p.message}`)
  }
  const wait = { pollIntervalMs: 200, timeoutMs: 60_000 }
  // An adjustment carries only the difference, on an issued invoice ({...request} is a new request).
  const difference = (items) => ({ ...request, isDraft: false, notes: undefined, items })
  for (const [kind, items] of [
    ['increase', [{ itemName: 'Bàn phím cơ', quantity: 1, unitPrice: 850000, taxRate: 10 }]],
    ['decrease', [{ itemName: 'Phí giao hàng', quantity: 1, unitPrice: -30000, taxRate: 10 }]],
    ['info', [{ itemName: 'Sửa địa chỉ người mua: 456 Đường B, Quận 3' }]],
  ]) {
    const adj = await client.adjustInvoiceAndWait(issued.referenceCode, kind, difference(items), wait)
    step(11, `${kind} adjustment ${adj.referenceCode}: total ${adj.totalAmount}`)
  }
  const corrected = { ...request, isDraft: false, items: [{ ...request.items[0], quantity: 3 }, ...request.items.slice(1)] }
  const replacement = await client.replaceInvoiceAndWait(issued.referenceCode, corrected, wait)
  const original = await client.getInvoice(issued.referenceCode)
  step(12, `replacement ${replacement.referenceCode}: the original is now document type ${original.documentType}, ` +
    `${original.adjustedBy?.length ?? 0} adjustments, replaced by ${original.replacedBy}`)
}

main().catch((err) => {
  if (err instanceof SePayError) {
    console.error(`failed: ${err.name} [${err.code}] ${err.message}`)
  } else {
    console.error(err)
  }
  process.exitCode = 1
})
