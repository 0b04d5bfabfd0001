// Type-checks sepay-einvoice/testing the way an ESM TypeScript project sees it.
import testing, {
  startMockServer,
  MockControlError,
  ACCOUNT_MATBAO,
  type MockServer,
  type MockStats,
  type FaultRule,
} from 'sepay-einvoice/testing'
import { Client } from 'sepay-einvoice'

export async function check(): Promise<number> {
  const mock: MockServer = await startMockServer({ pendingMs: 0, pendingPolls: 0, quota: 5, tokenTtlSecs: 60 })
  const client: Client = mock.client({ maxRetries: 0 })
  const rule: FaultRule = { route: 'create_invoice', kind: 'status', status: 503, retryAfter: 1, times: 1 }
  const id: number = await mock.fault(rule)
  await mock.fault({ kind: 'latency', latencyMs: 200, when: 'after', except: ['token'] })
  const stats: MockStats = await mock.stats()
  const created: number = stats.requests['create_invoice']?.['200'] ?? 0
  const cfg = await mock.config({ quota: 1 })
  const quota: number = cfg.quota
  await mock.clearFaults()
  await mock.reset()
  const url: string = mock.url
  const creds: [string, string] = [mock.clientId, mock.clientSecret]
  try {
    await mock.config({ fileNotReady: 'error' })
  } catch (e) {
    if (e instanceof MockControlError) return e.status
  }
  await mock.close()
  const same: boolean = testing.startMockServer === startMockServer
  void [client, url, creds, same, ACCOUNT_MATBAO]
  return id + created + quota
}
