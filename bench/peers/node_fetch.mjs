// Peer: `fetch` (undici's, the implementation behind Node's global fetch) as its best users write
// it: one undici `Agent` shared by every call, with at least one keep-alive connection per
// concurrent caller; the token fetched once; answers parsed with `res.json()` (JSON.parse).

/** @param {{ undici: typeof import('undici'), baseUrl: string, connections: number }} o */
export async function openFetchPeer({ undici, baseUrl, connections }) {
  const base = baseUrl.replace(/\/+$/, '')
  const dispatcher = new undici.Agent({ connections: Math.max(connections, 1), keepAliveTimeout: 60_000 })
  const basic = 'Basic ' + Buffer.from('mock_client_id:mock_client_secret').toString('base64')
  const tokenRes = await undici.fetch(`${base}/v1/token`, { method: 'POST', headers: { authorization: basic }, dispatcher })
  if (!tokenRes.ok) throw new Error(`token: HTTP ${tokenRes.status}`)
  const headers = { authorization: `Bearer ${(await tokenRes.json()).data.access_token}` }
  return {
    async getInvoice(referenceCode) {
      const res = await undici.fetch(`${base}/v1/invoices/${encodeURIComponent(referenceCode)}`, { headers, dispatcher })
      if (!res.ok) {
        await res.body?.cancel()
        throw new Error(`get invoice: HTTP ${res.status}`)
      }
      return (await res.json()).data
    },
    close: () => dispatcher.close(),
  }
}
