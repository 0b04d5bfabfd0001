// Type-checks the correction, preflight and problem API as a strict TypeScript project sees it.
import {
  Client,
  CorrectionRefusedError,
  SePayError,
  UnprocessableEntityError,
  type AdjustmentType,
  type CreateInvoice,
  type ErrorCode,
  type Invoice,
  type Job,
  type Preflight,
  type Problem,
  type Severity,
} from 'sepay-einvoice'

const client = new Client({ accountChecks: false, accountCacheTtlMs: 60_000, strictRules: true })
declare const request: CreateInvoice

export async function tour(): Promise<Invoice> {
  const job: Job = await client.replaceInvoice('orig', request)
  const kind: AdjustmentType = 'decrease'
  const adj: Job = await client.adjustInvoice('orig', kind, request, { signal: AbortSignal.timeout(1000) })
  const checked: Preflight = await client.preflight(request)
  const errors: Problem[] = checked.problems.filter((p) => p.severity === ('error' satisfies Severity))
  try {
    await client.replaceInvoiceAndWait(job.referenceCode, request, { timeoutMs: 1000, onStatus: (s) => s.state })
  } catch (e) {
    if (e instanceof CorrectionRefusedError) {
      const code: ErrorCode = e.code
      const parent: UnprocessableEntityError = e
      void [code, parent]
    }
    if (e instanceof SePayError) {
      const problems: Problem[] = e.problems
      void problems
    }
  }
  void [adj, errors]
  return client.adjustInvoiceAndWait('orig', 'info', request, { pollIntervalMs: 100 })
}
