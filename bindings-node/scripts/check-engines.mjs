// Checks that every installed package (the devDependencies and everything they pull in) supports
// every Node version the repository claims to build and test on: the `devEngines.runtime.version`
// range of package.json must lie inside each package's own `engines.node`. Run after `npm ci`.
// Exits 1 naming the packages that would need a newer Node (pin them in `overrides`, or change
// the claim in package.json and the READMEs).
import { existsSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
const require = createRequire(join(root, 'package.json'))
const semver = require('semver') // installed with @napi-rs/cli

const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'))
const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8'))
const claimed = pkg.devEngines?.runtime?.version
if (!claimed) {
  console.error('engines: package.json has no devEngines.runtime.version')
  process.exit(1)
}

const problems = []
if (!semver.subset(claimed, pkg.engines.node)) {
  problems.push(`the package's own engines.node ${pkg.engines.node} does not cover ${claimed}`)
}
// Only what npm installed on this machine (optional packages for other platforms are not), and of
// that only what an installed package requires: npm 10 also installs the dependencies of optional
// packages it skipped (@napi-rs/wasm-runtime, needed by the wasm32 fallbacks only), never loaded.
const installed = Object.entries(lock.packages).filter(
  ([path]) => path && existsSync(join(root, path, 'package.json')),
)
const required = new Set()
for (const [, entry] of [['', lock.packages['']], ...installed]) {
  for (const deps of [entry.dependencies, entry.devDependencies, entry.optionalDependencies, entry.peerDependencies]) {
    for (const name of Object.keys(deps ?? {})) required.add(name)
  }
}
let checked = 0
for (const [path, entry] of installed) {
  if (!required.has(path.replace(/^.*node_modules\//, ''))) continue
  const range = entry.engines?.node
  if (!range) continue
  checked += 1
  if (!semver.subset(claimed, range, { includePrerelease: false })) {
    problems.push(`${path.replace(/^.*node_modules\//, '')}@${entry.version} needs Node ${range}`)
  }
}
if (!semver.satisfies(process.version, claimed)) {
  problems.push(`this Node (${process.version}) is outside the claimed ${claimed}`)
}
if (problems.length) {
  console.error(`engines: some installed packages do not run on every Node in ${claimed}:`)
  for (const p of problems) console.error(`  ${p}`)
  process.exit(1)
}
console.log(`engines: ${checked} installed packages with an engines field all accept Node ${claimed}`)
