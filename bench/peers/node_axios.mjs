// Peer: `axios` as its best users write it: one instance with a keep-alive `http.Agent` allowing
// at least one socket per concurrent caller; the token fetched once; answers parsed by axios
// (JSON.parse).
import http from 'node:http'

/** @param {{ axios: import('axios').AxiosStatic, baseUrl: string, connections: number }} o */
export async function openAxiosPeer({ axios, baseUrl, connections }) {
  const httpAgent = new http.Agent({ keepAlive: true, maxSockets: Math.max(connections, 1) })
  const api = axios.create({ baseURL: baseUrl.replace(/\/+$/, ''), httpAgent, timeout: 30_000 })
  const token = await api.post('/v1/token', null, {
    auth: { username: 'mock_client_id', password: 'mock_client_secret' },
  })
  api.defaults.headers.common.Authorization = `Bearer ${token.data.data.access_token}`
  return {
    async getInvoice(referenceCode) {
      return (await api.get(`/v1/invoices/${encodeURIComponent(referenceCode)}`)).data.data
    },
    close: () => httpAgent.destroy(),
  }
}
