// An Express app that creates an invoice and waits for it. One SePay client serves the whole app
// (it shares its connection pool and token across requests); a request that goes away aborts
// its SePay call through an AbortSignal.
import express from 'express'
import { Client, ValidationError, ApiError, InvoiceFailedError, WaitTimeoutError, AbortError, SePayError } from 'sepay-einvoice'

/** Maps SDK errors to HTTP answers. */
function sendError(res, err) {
  if (err instanceof ValidationError) return res.status(422).json({ error: err.code, field: err.field, message: err.message })
  if (err instanceof InvoiceFailedError) return res.status(409).json({ error: err.code, referenceCode: err.referenceCode, message: err.message })
  // Still pending: hand back the job so the caller can come back for it.
  if (err instanceof WaitTimeoutError) return res.status(202).json({ error: err.code, job: err.job })
  if (err instanceof AbortError) return res.status(499).end()
  if (err instanceof ApiError) return res.status(502).json({ error: err.code, status: err.status, apiCode: err.apiCode, requestId: err.requestId })
  if (err instanceof SePayError) return res.status(503).json({ error: err.code, message: err.message })
  return res.status(500).json({ error: 'INTERNAL' })
}

/**
 * @param {object} options
 * @param {Client} [options.client] a SePay client (default: configured from the environment)
 * @param {string} options.providerAccountId
 * @param {string} [options.templateCode]
 * @param {string} [options.invoiceSeries] default: the sales series of the invoice's year (C26TSP in 2026)
 */
export function createApp({ client = Client.fromEnv(), providerAccountId, templateCode = '2', invoiceSeries, waitTimeoutMs = 30_000 } = {}) {
  const app = express()
  app.use(express.json())

  // POST /invoices { buyer, items, notes?, draft? } → 201 with the invoice once the job succeeded.
  app.post('/invoices', async (req, res) => {
    const controller = new AbortController()
    res.on('close', () => {
      if (!res.writableFinished) controller.abort()
    })
    const { buyer, items, notes, draft = true, issuedDate = new Date(Date.now() - 60_000) } = req.body ?? {}
    // A series carries its year: the year of the invoice in Vietnam (UTC+7).
    const year = typeof issuedDate === 'string'
      ? issuedDate.slice(2, 4)
      : String(new Date(issuedDate.getTime() + 7 * 3600_000).getUTCFullYear()).slice(2)
    const series = invoiceSeries ?? `C${year}TSP`
    try {
      const invoice = await client.createInvoiceAndWait(
        { providerAccountId, templateCode, invoiceSeries: series, issuedDate, isDraft: draft, buyer, items, notes },
        { timeoutMs: waitTimeoutMs, pollIntervalMs: 500, signal: controller.signal },
      )
      res.status(201).json(invoice)
    } catch (err) {
      sendError(res, err)
    }
  })

  // GET /invoices/:ref/pdf → the PDF.
  app.get('/invoices/:ref/pdf', async (req, res) => {
    try {
      const file = await client.downloadInvoice(req.params.ref, 'pdf')
      res.type('application/pdf').set('content-disposition', `inline; filename="${file.fileName}"`).send(file.content)
    } catch (err) {
      sendError(res, err)
    }
  })

  // POST /totals { items } → the amounts the API will compute, previewed locally (no request).
  app.post('/totals', (req, res) => {
    try {
      res.json(client.totals({ items: req.body?.items ?? [] }))
    } catch (err) {
      sendError(res, err)
    }
  })

  return app
}
