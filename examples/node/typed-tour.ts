// A tour of the whole typed API (type-checked in CI with `tsc --noEmit --strict`; run it with
// any TypeScript runner against the mock: SEPAY_EINVOICE_BASE_URL=... SEPAY_EINVOICE_CLIENT_ID=...).
import {
  Client,
  totals,
  SePayError,
  ValidationError,
  ApiError,
  QuotaExceededError,
  NotFoundError,
  RateLimitError,
  InvoiceFailedError,
  WaitTimeoutError,
  AbortError,
  type CreateInvoice,
  type Invoice,
  type InvoiceFile,
  type Job,
  type JobStatus,
  type Page,
  type ProviderAccount,
  type ProviderAccountDetail,
  type Totals,
  type Usage,
} from 'sepay-einvoice'

async function main(): Promise<void> {
  const client = process.env.SEPAY_EINVOICE_BASE_URL
    ? Client.fromEnv()
    : new Client({
        clientId: 'mock_client_id',
        clientSecret: 'mock_client_secret',
        environment: 'sandbox',
        timeoutMs: 10_000,
        callTimeoutMs: 60_000,
        maxRetries: 2,
      })

  const token = await client.authenticate()
  console.log(`token ${token.tokenType}, ${token.expiresIn}s`)

  const accounts: Page<ProviderAccount> = await client.listProviderAccounts({ page: 1, perPage: 10 })
  const account = accounts.items.find((a) => a.active) ?? accounts.items[0]
  const detail: ProviderAccountDetail = await client.getProviderAccount(account.id)
  // A series carries the year it is used in (C26… in 2026).
  const year = String(new Date(Date.now() + 7 * 3600_000).getUTCFullYear()).slice(2)
  const template =
    detail.templates.find((t) => t.templateCode === '2' && t.invoiceSeries.slice(1, 3) === year) ??
    detail.templates[0]

  const request: CreateInvoice = {
    providerAccountId: account.id,
    templateCode: template.templateCode,
    invoiceSeries: template.invoiceSeries,
    issuedDate: new Date(Date.now() - 60_000),
    currency: 'VND',
    paymentMethod: 'CK',
    isDraft: true,
    buyer: { type: 'company', name: 'Công ty ABC', taxCode: '0101234567', email: 'buyer@example.com' },
    items: [
      { itemName: 'Sản phẩm A', unit: 'cái', quantity: 2, unitPrice: '100000', taxRate: 10 },
      { itemName: 'Dịch vụ B', quantity: 1n, unitPrice: 50_000n, discountTax: 5 },
      { lineType: 4, itemName: 'Giao hàng trong 3 ngày' },
    ],
    notes: 'typed tour',
  }
  const preview: Totals = totals(request)
  console.log(`preview total ${preview.totalAmount} (${client.totals(request).lines.length} lines)`)

  const job: Job = await client.createInvoice(request)
  const status: JobStatus = await client.checkStatus(job)
  console.log(`job ${job.trackingCode ?? '(reconciled)'} is ${status.state}`)

  const controller = new AbortController()
  const draft: Invoice = await client.waitForStatus(job, {
    timeoutMs: 30_000,
    pollIntervalMs: 200,
    maxPollIntervalMs: 1_000,
    signal: controller.signal,
    onStatus: (s: JobStatus) => console.log(`  … ${s.state}`),
  })
  const issued = await client.issueInvoiceAndWait(draft.referenceCode, { pollIntervalMs: 200 })
  const again = await client.createInvoiceAndWait({ ...request, referenceCode: undefined }, { signal: AbortSignal.timeout(30_000) })
  console.log(`issued ${issued.invoiceNumber}; another draft ${again.referenceCode}`)

  const full = await client.getInvoice(issued.referenceCode)
  for (const item of full.items ?? []) console.log(`  ${item.lineNumber}. ${item.itemName} ${item.totalAmount ?? ''}`)

  const pdf: InvoiceFile = await client.downloadInvoice(issued.referenceCode, 'pdf')
  const bytes: Buffer = pdf.content
  const xml = await client.downloadInvoice(issued.referenceCode, 'xml', { signal: AbortSignal.timeout(10_000) })
  const samePdf = await client.downloadInvoice(issued.referenceCode, { signal: controller.signal })
  console.log(`${xml.fileName}, ${samePdf.fileName}`)
  console.log(`${pdf.fileName}: ${bytes.length} bytes (${pdf.fileType})`)

  const page = await client.listInvoices({ page: 1, perPage: 20, source: 'api' })
  console.log(`${page.paging.total} invoices, more: ${page.paging.hasMore}`)
  let count = 0
  for await (const invoice of client.iterInvoices({ perPage: 50 })) {
    if (invoice.status === 'issued') count++
  }
  console.log(`${count} issued`)

  await client.deleteDraft(again.referenceCode)
  const usage: Usage = await client.getUsage()
  console.log(`quota left: ${usage.quotaRemaining}`)

  try {
    await client.getInvoice('does-not-exist')
  } catch (err) {
    if (err instanceof NotFoundError) console.log(`not found (HTTP ${err.status}, request ${err.requestId ?? '-'})`)
    else if (err instanceof QuotaExceededError) console.log('buy more quota')
    else if (err instanceof RateLimitError) console.log(`retry in ${err.retryAfterMs ?? 0} ms`)
    else if (err instanceof ApiError) console.log(`API said ${err.status} ${err.apiCode ?? ''}`)
    else if (err instanceof ValidationError) console.log(`bad ${err.field}`)
    else if (err instanceof InvoiceFailedError || err instanceof WaitTimeoutError) console.log(`job ${err.job.referenceCode}`)
    else if (err instanceof AbortError) console.log('aborted')
    else if (err instanceof SePayError) console.log(err.code)
    else throw err
  }
}

main().catch((err: unknown) => {
  console.error(err)
  process.exitCode = 1
})
