// The DAGs of trivial nodes that the scheduler benchmarks run (wide-N, chain-N, and N independent `true` nodes for
// run-cost), and dkt projects of them generated directly on disk with dkt's own ID and digest functions (see
// bench/README.md). `node bench/dags.mjs wide|chain|true N DIR` generates one, e.g. for profiling by hand.
import {mkdirSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {pathToFileURL} from 'node:url'

import {GIT_IDENTITY, ROOT, dkt, ensureBuilt, run} from './lib.mjs'

ensureBuilt()
const dist = (rel) => import(pathToFileURL(path.join(ROOT, 'dist', rel)).href)
const {nodeId} = await dist('core/ids.js')
const {canonicalJson, compactJson} = await dist('base/canonical-json.js')
const {hashTree} = await dist('kinds/path/hash-tree.js')
const {machineName} = await dist('base/host.js')

// The DAGs: sources (folders, with the content of data.txt for leaves, null for outputs), dkt nodes, a Makefile and
// a Snakefile that do the same work, the file every tool builds last and its expected content.

const ref = (name) => `\${${name}:ROOT}`

export function wideDag(n) {
  const ins = Array.from({length: n}, (_, i) => `in_${i}`)
  const outs = Array.from({length: n}, (_, i) => `out_${i}`)
  const outFiles = outs.map((o) => `data/${o}/data.txt`)
  return {
    name: `wide-${n}`,
    kind: 'wide',
    size: n,
    runs: n + 1,
    sources: [...ins.map((name) => ({name, content: `${name}\n`})), ...outs.map((name) => ({name, content: null})), {name: 'final', content: null}],
    nodes: [
      ...ins.map((input, i) => ({command: ['sh', '-c', 'cp "$1/data.txt" "$2/data.txt"', 'step', ref(input), ref(outs[i])], inputs: [input], outputs: [outs[i]]})),
      {
        command: ['sh', '-c', 'o=$1; shift; cat "$@" > "$o/data.txt"', 'step', ref('final'), ...outs.map((o) => `${ref(o)}/data.txt`)],
        inputs: outs,
        outputs: ['final'],
      },
    ],
    target: 'data/final/data.txt',
    expected: (leaves) => ins.map((name) => leaves[name]).join(''),
    makefile: [
      '.PHONY: all',
      'all: data/final/data.txt',
      `data/final/data.txt: ${outFiles.join(' ')}`,
      '\tcat $^ > $@',
      'data/out_%/data.txt: data/in_%/data.txt',
      '\tcp $< $@',
      '',
    ].join('\n'),
    snakefile: [
      `N = ${n}`,
      'rule all:',
      '    input: "data/final/data.txt"',
      'rule final:',
      '    input: expand("data/out_{i}/data.txt", i=range(N))',
      '    output: "data/final/data.txt"',
      '    shell: "cat {input} > {output}"',
      'rule leaf:',
      '    input: "data/in_{i}/data.txt"',
      '    output: "data/out_{i}/data.txt"',
      '    wildcard_constraints: i="[0-9]+"',
      '    shell: "cp {input} {output}"',
      '',
    ].join('\n'),
    /** Round r of (c): which leaf changes, and how many nodes must run again. */
    leafChange: (r) => ({leaf: ins[(r * 7919 + 13) % n], runs: 2}),
  }
}

export function chainDag(n) {
  const names = Array.from({length: n + 1}, (_, i) => `s${i}`)
  const step = (i) => `cp "$1/data.txt" "$2/data.txt" && echo s${i} >> "$2/data.txt"`
  return {
    name: `chain-${n}`,
    kind: 'chain',
    size: n,
    runs: n,
    sources: names.map((name, i) => ({name, content: i === 0 ? 's0\n' : null})),
    nodes: names.slice(1).map((name, k) => ({command: ['sh', '-c', step(k + 1), 'step', ref(names[k]), ref(name)], inputs: [names[k]], outputs: [name]})),
    target: `data/s${n}/data.txt`,
    expected: (leaves) => leaves.s0 + names.slice(1).map((name) => `${name}\n`).join(''),
    makefile: [
      '.PHONY: all',
      `all: data/s${n}/data.txt`,
      ...names.slice(1).flatMap((name, k) => [`data/${name}/data.txt: data/${names[k]}/data.txt`, `\tcp $< $@ && echo ${name} >> $@`]),
      '',
    ].join('\n'),
    snakefile: [
      'import sys',
      `N = ${n}`,
      '# the DAG of a deep chain is built recursively',
      'sys.setrecursionlimit(max(10000, 50 * N))',
      'rule all:',
      '    input: f"data/s{N}/data.txt"',
      'rule step:',
      '    input: lambda w: f"data/s{int(w.i) - 1}/data.txt"',
      '    output: "data/s{i}/data.txt"',
      '    wildcard_constraints: i="[1-9][0-9]*"',
      '    shell: "cp {input} {output} && echo s{wildcards.i} >> {output}"',
      '',
    ].join('\n'),
    leafChange: () => ({leaf: 's0', runs: n}),
  }
}

/**
 * N independent nodes running `true` (its arguments name the fields, which are expanded all the same): node i reads
 * `in_i` and writes `out_i`, whose folder already holds a small file, so each run claims, fills in its fields,
 * hashes one small input and one small output, and records its manifest and log. What run-cost measures.
 */
export function trueDag(n) {
  const ins = Array.from({length: n}, (_, i) => `in_${i}`)
  const outs = Array.from({length: n}, (_, i) => `out_${i}`)
  return {
    name: `true-${n}`,
    kind: 'true',
    size: n,
    runs: n,
    sources: [...ins.map((name) => ({name, content: `${name}\n`})), ...outs.map((name) => ({name, content: `${name}\n`}))],
    nodes: ins.map((input, i) => ({command: ['true', ref(input), ref(outs[i])], inputs: [input], outputs: [outs[i]]})),
    makefile: '',
    snakefile: '',
  }
}

export const DAG_MAKERS = {wide: wideDag, chain: chainDag, true: trueDag}

// ---------------------------------------------------------------------------------------------------------------
// Workspaces

/** data/NAME/ for every source (data.txt in leaves), the Makefile and the Snakefile. */
export function writeData(dir, dag) {
  for (const source of dag.sources) {
    mkdirSync(path.join(dir, 'data', source.name), {recursive: true})
    if (source.content !== null) writeFileSync(path.join(dir, 'data', source.name, 'data.txt'), source.content)
  }
  writeFileSync(path.join(dir, 'Makefile'), dag.makefile)
  writeFileSync(path.join(dir, 'Snakefile'), dag.snakefile)
}

/** A dkt node as `dkt node run --detach` records it (planNode: inputs, outputs and labels de-duplicated, sorted). */
export function nodeDef(spec) {
  const identity = {command: spec.command, labels: [], inputs: [...new Set(spec.inputs)].sort(), outputs: [...new Set(spec.outputs)].sort()}
  return {format: 1, id: nodeId(identity), ...identity}
}

/**
 * `dkt init` (real CLI), then sources/NAME.json, versions/NAME.jsonl (one observation: the folder's current md5, as
 * `dkt source add` records it) and nodes/ID.json, written directly and committed once in .dkt.
 */
export async function generateDktProject(dir, dag) {
  writeData(dir, dag)
  dkt(['init'], dir)
  const meta = path.join(dir, '.dkt')
  for (const sub of ['sources', 'versions', 'nodes']) mkdirSync(path.join(meta, sub), {recursive: true})
  let clock = Date.now() - 3_600_000
  for (const source of dag.sources) {
    const {version} = await hashTree(path.join(dir, 'data', source.name))
    writeFileSync(path.join(meta, 'sources', `${source.name}.json`), canonicalJson({format: 1, name: source.name, kind: 'path', location: `data/${source.name}`, host: machineName()}))
    writeFileSync(path.join(meta, 'versions', `${source.name}.jsonl`), compactJson({observed: new Date((clock += 10)).toISOString(), version}) + '\n')
  }
  const ids = []
  for (const spec of dag.nodes) {
    const node = nodeDef(spec)
    writeFileSync(path.join(meta, 'nodes', `${node.id}.json`), canonicalJson(node))
    ids.push(node.id)
  }
  run('git', ['add', 'sources', 'versions', 'nodes'], {cwd: meta})
  // Packed now, untimed: git's automatic gc would otherwise start in the background after this commit (thousands of
  // loose objects) and pack them away while the template is being copied, or inside a timed command.
  run('git', ['-c', 'maintenance.auto=false', '-c', 'gc.auto=0', 'commit', '-q', '-m', `bench: generated ${dag.name}`], {cwd: meta, env: {...process.env, ...GIT_IDENTITY}})
  run('git', ['gc', '-q'], {cwd: meta})
  return ids
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [kind, size, dir] = process.argv.slice(2)
  if (!DAG_MAKERS[kind] || !(Number(size) >= 2) || !dir) {
    console.error('usage: node bench/dags.mjs wide|chain|true N DIR')
    process.exit(2)
  }
  await generateDktProject(path.resolve(dir), DAG_MAKERS[kind](Number(size)))
  console.log(`generated ${kind}-${size} in ${dir}`)
}
