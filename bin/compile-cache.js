// Loads the bundled CLI with V8's compiled code cached between runs: parsing and compiling half a megabyte of
// JavaScript is a fifth of a cold start. Node 22.1+ does this itself (module.enableCompileCache()); on Node 20 the
// bundle is compiled through vm.Script with cachedData, kept in a folder of the user's own under the temp dir.
// The cache holds the functions the runs that wrote it compiled, so it is written again (once) after each command
// it has not seen yet: after a while it holds the code of every command in use.
const Module = require('node:module')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const vm = require('node:vm')

/** A folder only this user can write (a cache written by someone else could run their code as us), or undefined. */
function privateDir(dir, create) {
  try {
    if (create) fs.mkdirSync(dir, {recursive: true, mode: 0o700})
    const stat = fs.lstatSync(dir)
    return stat.isDirectory() && stat.uid === process.getuid() && (stat.mode & 0o022) === 0 ? dir : undefined
  } catch {
    return undefined
  }
}

/** The cache file of this bundle (path, size, mtime) for this Node (V8 rejects a cache of another build anyway). */
function cacheFileOf(file) {
  const stat = fs.statSync(file)
  let hash = 2166136261 // FNV-1a of the path: one cache per checkout
  for (let i = 0; i < file.length; i++) hash = Math.imul(hash ^ file.charCodeAt(i), 16777619) >>> 0
  return `${hash.toString(16)}-${stat.size}-${Math.trunc(stat.mtimeMs)}-${process.version}.v8`
}

/** `source-list` for `dkt source list …`: the command's words, as far as they can be told without the manifest. */
function commandKey(argv) {
  const words = []
  for (const arg of argv.slice(0, 2)) {
    if (!/^[a-z][a-z-]*$/.test(arg)) break
    words.push(arg)
  }
  return words.join('-') || '-'
}

function writeCache(dir, name, script, seenMarker) {
  if (!privateDir(dir, true)) return
  const file = path.join(dir, name)
  // Caches of this checkout's earlier builds (and what they had seen) are of no use any more.
  const checkout = name.slice(0, name.indexOf('-') + 1)
  for (const old of fs.readdirSync(dir)) if (old.startsWith(checkout) && !old.startsWith(name)) fs.rmSync(path.join(dir, old), {force: true})
  const temporary = `${file}.${process.pid}`
  try {
    fs.writeFileSync(temporary, script.createCachedData(), {mode: 0o600})
    fs.renameSync(temporary, file) // atomic: a concurrent reader sees the old file or the new one
    fs.writeFileSync(path.join(dir, seenMarker), '', {mode: 0o600})
  } catch {
    fs.rmSync(temporary, {force: true})
  }
}

/** require(file), its compiled code cached across runs where that is possible. */
function requireCached(bundle) {
  const file = fs.realpathSync.native(bundle) // as require() would name it, so that oclif's require() finds this instance
  if (Module.enableCompileCache) {
    Module.enableCompileCache()
    return require(file)
  }
  // No uid (Windows), caching turned off as Node's own is, or source-mapped stacks wanted: a plain require.
  if (!process.getuid || process.env.NODE_DISABLE_COMPILE_CACHE || process.sourceMapsEnabled) return require(file)
  const dir = path.join(os.tmpdir(), `dkt-compile-cache-${process.getuid()}`)
  const name = cacheFileOf(file)
  const seenMarker = `${name}.${commandKey(process.argv.slice(2))}`
  let cachedData
  let seen = false
  try {
    if (privateDir(dir, false)) {
      cachedData = fs.readFileSync(path.join(dir, name))
      seen = fs.existsSync(path.join(dir, seenMarker))
    }
  } catch {}
  // As Module.wrap, plus the bundle's import(): on Node 20, code from a cache loses the script's own (build.mjs).
  const wrapped = `(function (exports, require, module, __filename, __dirname, __dktImport) { ${fs.readFileSync(file, 'utf8')}\n})`
  const script = new vm.Script(wrapped, {filename: file, cachedData})
  const mod = new Module(file, module)
  mod.filename = file
  mod.paths = Module._nodeModulePaths(path.dirname(file))
  Module._cache[file] = mod // oclif requires the same file for its commands: it must find this instance
  const dynamicImport = (specifier) => import(specifier)
  script.runInThisContext().call(mod.exports, mod.exports, Module.createRequire(file), mod, file, path.dirname(file), dynamicImport)
  mod.loaded = true
  // Made at exit, the cache also holds the functions this run compiled (and those it was loaded with).
  if (!seen || script.cachedDataRejected) process.once('exit', () => writeCache(dir, name, script, seenMarker))
  return mod.exports
}

module.exports = {requireCached}
