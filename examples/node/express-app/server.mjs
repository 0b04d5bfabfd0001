// Starts the example app: SEPAY_EINVOICE_* from the environment, PROVIDER_ACCOUNT_ID, PORT.
import { createApp } from './app.mjs'

const app = createApp({ providerAccountId: process.env.PROVIDER_ACCOUNT_ID ?? '0aea3134-da40-11f0-aef4-52c7e9b4f41b' })
const port = Number(process.env.PORT ?? 3000)
app.listen(port, () => console.log(`listening on http://127.0.0.1:${port}`))
