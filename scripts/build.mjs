// Builds dkt: tsc (the library in dist/, type-checked), the CLI as one CommonJS bundle (dist/bundle/dkt.cjs, what
// bin/run.js loads: a single file starts faster than hundreds of modules), then oclif.manifest.json from it.
// For profiling: DKT_BUILD_NO_MINIFY=1 keeps names in the bundle, DKT_BUILD_METAFILE=FILE writes esbuild's metafile.
import {execFileSync} from 'node:child_process'
import {readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

import * as esbuild from 'esbuild'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const SRC = path.join(ROOT, 'src')
const BUNDLE = path.join(ROOT, 'dist', 'bundle', 'dkt.cjs')

/**
 * Loaded from node_modules when first used, never bundled: big libraries a command imports lazily (the AWS SDK,
 * dockerode, conf, chokidar, the Graphviz WASM), the TypeScript tooling oclif probes for in development, and
 * plugin-not-found (with its prompt library), needed only after a mistyped command.
 */
const EXTERNAL = [
  '@aws-sdk/*',
  'dockerode',
  'conf',
  'chokidar',
  '@hpcc-js/wasm-graphviz',
  'typescript',
  'ts-node',
  'tsx',
  'tsx/*',
  '@oclif/plugin-not-found',
  // Only dkt apply and dkt export read or write a pipeline file.
  'yaml',
  'ajv',
]

/** Commands of plugins, bundled with dkt's own so that no plugin is looked up at start-up: ID → module. */
const PLUGIN_COMMANDS = {
  help: '@oclif/plugin-help/lib/commands/help.js',
  autocomplete: '@oclif/plugin-autocomplete/lib/commands/autocomplete/index.js',
  'autocomplete:create': '@oclif/plugin-autocomplete/lib/commands/autocomplete/create.js',
  'autocomplete:script': '@oclif/plugin-autocomplete/lib/commands/autocomplete/script.js',
}

/** `src/commands/source/add.ts` → `source:add`, as oclif's pattern strategy names command files. */
function commandFiles() {
  const commandsDir = path.join(SRC, 'commands')
  return readdirSync(commandsDir, {recursive: true})
    .filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts'))
    .sort()
    .map((file) => ({id: file.replace(/\.ts$/, '').split(path.sep).join(':'), module: `./commands/${file.split(path.sep).join('/')}`}))
}

/**
 * The bundle's entry: the command_not_found hook, run(), and every command class under its ID (oclif's explicit
 * strategy). oclif reads which commands exist from the manifest and takes a class from this map only to run it, so
 * each entry is a getter that loads its command's modules then: `--version` loads none, `source list` only its own.
 */
function entrySource() {
  const plugins = Object.entries(PLUGIN_COMMANDS).map(([id, module]) => ({id, module: path.join(ROOT, 'node_modules', module)}))
  const commands = [...commandFiles(), ...plugins]
  return [
    "import {execute, settings} from '@oclif/core'",
    // The hook's module (and its fuzzy matcher) loads only when a command is not found.
    "export function notFound(this: unknown, options: unknown) { return require('./cli/not-found.js').notFound.call(this, options) }",
    'export const COMMANDS = {',
    ...commands.map((c) => `  get ${JSON.stringify(c.id)}() { return require(${JSON.stringify(c.module)}).default },`),
    '}',
    'export function run(dir: string) {',
    '  // The bundle is the compiled CLI: never look for TypeScript sources (oclif would under NODE_ENV=test).',
    '  settings.enableAutoTranspile = false',
    '  return execute({dir})',
    '}',
  ].join('\n')
}

/**
 * oclif's modules require every module they might use when they load (hundreds, with Node's child_process,
 * readline, perf_hooks…), though one run uses a fraction. As in Metro's "inline requires", each top-level
 * `const x = require('y')` in @oclif/core becomes a module object that requires 'y' when first touched (oclif only
 * reads properties of them: `(0, x.fn)()`), so a run evaluates only what it uses.
 */
const lazyOclifRequires = {
  name: 'lazy-oclif-requires',
  setup(build) {
    build.onLoad({filter: /[\\/]node_modules[\\/]@oclif[\\/]core[\\/]lib[\\/].*\.js$/}, (args) => {
      const code = readFileSync(args.path, 'utf8')
        // index.js checks Node against @oclif/core's own engines, read from a package.json the bundle does not have:
        // it only loads semver for nothing. dkt's engines are npm's to check.
        .replace(/^checkNodeVersion\(\);$/m, '')
        .replace(
          /^(const|var) ([\w$]+) = (__importDefault\(|__importStar\()?require\(("[^"]+")\)(\))?;$/gm,
          (_, keyword, name, wrap = '', specifier, close = '') => `${keyword} ${name} = __lazyModule(() => ${wrap}require(${specifier})${close});`,
        )
      return {contents: `${code}\n${LAZY_MODULE}`, loader: 'js'}
    })
  },
}

/** `debug` (oclif's logger, plugin-autocomplete) becomes a stand-in that loads the real package only under DEBUG. */
const debugOnlyUnderDebug = {
  name: 'debug-only-under-debug',
  setup(build) {
    build.onResolve({filter: /^debug$/}, () => ({path: path.join(ROOT, 'scripts', 'bundle', 'debug-off.cjs')}))
  },
}

/**
 * dkt's modules import node:crypto at their top (for a hash here, a random name there), which would load it (~12 ms)
 * with any command, used or not. Imported from dkt's code, it becomes a module of functions that load it when called
 * first (its function exports; a class or a constant imported from it fails the build, to be added here then).
 */
const lazyCrypto = {
  name: 'lazy-crypto',
  setup(build) {
    build.onResolve({filter: /^node:crypto$/}, (args) =>
      args.importer.startsWith(SRC) ? {path: 'node:crypto', namespace: 'lazy-crypto'} : undefined,
    )
    build.onLoad({filter: /.*/, namespace: 'lazy-crypto'}, async () => {
      const crypto = await import('node:crypto')
      const functions = Object.keys(crypto).filter((name) => /^[a-z]\w*$/.test(name) && typeof crypto[name] === 'function')
      return {
        contents: [
          'let crypto',
          "const load = () => (crypto ??= require('node:crypto'))",
          ...functions.map((name) => `export const ${name} = (...args) => load().${name}(...args)`),
        ].join('\n'),
        loader: 'js',
      }
    })
  },
}

/** Appended to each transformed module (a hoisted declaration, usable from its first line). */
const LAZY_MODULE = `function __lazyModule(load) {
  let loaded
  const module = () => (loaded ??= load())
  return new Proxy({}, {
    get: (_, key) => module()[key],
    set: (_, key, value) => ((module()[key] = value), true),
    has: (_, key) => key in module(),
    ownKeys: () => Reflect.ownKeys(module()),
    getOwnPropertyDescriptor: (_, key) => {
      const descriptor = Reflect.getOwnPropertyDescriptor(module(), key)
      return descriptor && {...descriptor, configurable: true}
    },
  })
}`

async function bundle() {
  const built = await esbuild.build({
    stdin: {contents: entrySource(), resolveDir: SRC, sourcefile: 'cli-entry.ts', loader: 'ts'},
    outfile: BUNDLE,
    bundle: true,
    format: 'cjs',
    platform: 'node',
    target: 'node20.19',
    external: EXTERNAL,
    // Stacks (DEBUG=1) are mapped back to src/ and node_modules/ by bin/run.js.
    sourcemap: true,
    sourcesContent: false,
    // Smaller is faster to read and parse; names stay readable through the source map and keepNames.
    minify: !process.env.DKT_BUILD_NO_MINIFY,
    // Class names show in errors and in oclif's own messages.
    keepNames: true,
    legalComments: 'external',
    // `import (` with a space: the one call postProcess() leaves as it is.
    banner: {js: 'var __dktImport = typeof __dktImport === "function" ? __dktImport : (specifier) => import (specifier);'},
    metafile: Boolean(process.env.DKT_BUILD_METAFILE),
    logLevel: 'warning',
    plugins: [lazyOclifRequires, debugOnlyUnderDebug, lazyCrypto],
  })
  if (built.metafile) writeFileSync(process.env.DKT_BUILD_METAFILE, JSON.stringify(built.metafile))
  postProcess(BUNDLE)
}

/**
 * Two rewrites of the bundle's text.
 * - Dynamic `import()` calls go through `__dktImport`: on Node 20, bin/compile-cache.js runs the bundle from a V8 code
 *   cache, where an `import()` fails ("A dynamic import callback was not specified", a Node 20 bug); it passes an
 *   `import()` of its own as `__dktImport`. Loaded by a plain require(), the bundle defines it (the banner).
 * - esbuild escapes non-ASCII characters except inside some regular expressions (ansis has a raw U+009B), and one
 *   such character makes V8 hold the whole bundle as a two-byte string: twice the memory, slower to read and parse.
 *   A \\uXXXX escape means the same in a string, a template, a regular expression or an identifier.
 */
function postProcess(file) {
  let code = readFileSync(file, 'utf8')
  // A call, not the word inside a string ("import()" in an oclif message) or a property.
  code = code.replace(/(?<![\w$."'`])import\(/g, '__dktImport(')
  code = code.replace(/[^\0-\x7f]/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`)
  writeFileSync(file, code)
}

/** Runs a Node script of the toolchain in the repository root (its stdout shown unless quiet). */
function node(args, {env = {}, quiet = false} = {}) {
  execFileSync(process.execPath, args, {cwd: ROOT, stdio: ['ignore', quiet ? 'ignore' : 'inherit', 'inherit'], env: {...process.env, ...env}})
}

rmSync(path.join(ROOT, 'dist'), {recursive: true, force: true})
rmSync(path.join(ROOT, 'oclif.manifest.json'), {force: true})
node([path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', ROOT])
await bundle()
node([path.join(ROOT, 'node_modules', 'oclif', 'bin', 'run.js'), 'manifest'], {env: {OCLIF_SKIP_NEW_VERSION_CHECK: '1'}, quiet: true})
