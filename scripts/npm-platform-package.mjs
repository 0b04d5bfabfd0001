// Writes the package.json of one napi-rs platform package (sepay-einvoice-<platform>) next to
// its binary, with the licences, and refuses a debug build: a packed binary must be a stripped
// release one (a debug addon is ~100 MB and slow).
// Usage: node scripts/npm-platform-package.mjs <platform> <rust triple> <directory>
import { copyFileSync, readFileSync, writeFileSync, statSync } from 'node:fs'
import { join, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'

const [platform, triple, dir] = process.argv.slice(2)
const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const main = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'))
const binary = `${main.napi.binaryName}.${platform}.node`
const bytes = readFileSync(join(dir, binary))
const [arch, , , abi] = triple.split('-')
const os = triple.includes('linux') ? 'linux' : triple.includes('apple') ? 'darwin' : 'win32'
// Linux binaries are checked here; macOS and Windows ones are built stripped by the release workflow.
const debug = os === 'linux' ? elfSections(bytes).filter((s) => s.startsWith('.debug')) : []
if (debug.length > 0) {
  console.error(`${binary} carries debug information (${debug.join(', ')}): build it with --release --strip before packing`)
  process.exit(1)
}
/** The section names of a 64-bit little-endian ELF file (what the Linux addons are). */
function elfSections(b) {
  if (b.readUInt32BE(0) !== 0x7f454c46 || b[4] !== 2 || b[5] !== 1) {
    throw new Error(`${binary} is not a 64-bit little-endian ELF file`)
  }
  const shoff = Number(b.readBigUInt64LE(0x28))
  const shentsize = b.readUInt16LE(0x3a)
  const shnum = b.readUInt16LE(0x3c)
  const strndx = b.readUInt16LE(0x3e)
  const header = (i) => shoff + i * shentsize
  const strOffset = Number(b.readBigUInt64LE(header(strndx) + 0x18))
  const names = []
  for (let i = 0; i < shnum; i++) {
    const at = strOffset + b.readUInt32LE(header(i))
    names.push(b.toString('latin1', at, b.indexOf(0, at)))
  }
  return names
}

const cpu = { x86_64: 'x64', aarch64: 'arm64' }[arch] ?? arch
const pkg = {
  name: `${main.name}-${platform}`,
  version: main.version,
  description: `The ${platform} binary of ${main.name} (installed by it as an optional dependency).`,
  license: main.license,
  repository: main.repository,
  main: binary,
  files: [binary, 'LICENSE-MIT', 'LICENSE-APACHE'],
  os: [os],
  cpu: [cpu],
  ...(os === 'linux' ? { libc: [abi === 'musl' ? 'musl' : 'glibc'] } : {}),
  engines: main.engines,
}
writeFileSync(join(dir, 'package.json'), JSON.stringify(pkg, null, 2) + '\n')
for (const f of ['LICENSE-MIT', 'LICENSE-APACHE']) copyFileSync(join(root, f), join(dir, f))
console.log(`${pkg.name}: ${(statSync(join(dir, binary)).size / 1024 / 1024).toFixed(1)} MiB binary`)
