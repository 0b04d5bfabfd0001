// Type-checks the correction, preflight and problem API as a strict TypeScript project sees it.
import {
  BatchError,
  Client,
  CorrectionRefusedError,
  SePayError,
  UnprocessableEntityError,
  type AdjustmentType,
  type BatchEntry,
  type BatchErrorKind,
  type BatchOutcome,
  type BatchProgress,
  type BatchReport,
  type BatchRow,
  type BatchRowState,
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

// The batch runner: rows as pairs or objects, typed options, report, progress and entries.
export async function batch(orders: Array<{ id: string; invoice: CreateInvoice }>): Promise<number> {
  const rows: BatchRow[] = [['ORDER-1', request], ...orders.map((o) => ({ key: o.id, request: o.invoice }))]
  const ticks: BatchProgress[] = []
  try {
    const report: BatchReport = await client.issueBatch(rows, {
      journal: 'sqlite:invoices.journal',
      batch: '2026-11-28',
      concurrency: 16,
      draft: false,
      rowTimeoutMs: 600_000,
      waitTimeoutMs: 120_000,
      pollIntervalMs: 500,
      worker: 'worker-1',
      leaseMs: 60_000,
      signal: AbortSignal.timeout(60_000),
      onProgress: (p) => {
        const inFlight: number = p.inFlight
        const last: string | undefined = p.row?.referenceCode ?? undefined
        ticks.push(p)
        void [inFlight, last]
      },
    })
    const done: boolean = report.allDone
    for (const row of report.rows) {
      const outcome: BatchOutcome = row.outcome
      const why: string | undefined = row.error?.apiCode ?? row.error?.kind
      const number: string | null = row.invoiceNumber
      void [outcome, why, number, done]
    }
  } catch (e) {
    if (e instanceof BatchError) {
      const kind: BatchErrorKind = e.kind
      const code: 'BATCH_JOURNAL' | 'BATCH_LEASE_LOST' | 'BATCH_CLIENT' = e.code
      void [kind, code]
    }
  }
  const again: BatchReport = await client.retryFailedBatch({ journal: 'postgres://localhost/batches', batch: '2026-11-28' })
  const resumed: BatchReport = await client.resumeBatch({ journal: 'sqlite:invoices.journal', onProgress: (p) => p.done })
  const entries: BatchEntry[] = await client.batchStatus('sqlite:invoices.journal')
  const some: BatchEntry[] = await client.batchStatus('sqlite:invoices.journal', '2026-11-28', { signal: AbortSignal.timeout(1000) })
  const all: BatchEntry[] = await client.batchStatus('sqlite:invoices.journal', { signal: AbortSignal.timeout(1000) })
  const states: BatchRowState[] = entries.map((e) => e.state)
  // @ts-expect-error the journal is required
  void client.resumeBatch({ batch: '2026-11-28' })
  void [again, resumed, some, all, states, ticks]
  return entries.filter((e) => e.attempts > 1).length
}
