import {describe, expect, it} from 'vitest'

import {canonicalJson, compactJson} from '../../src/base/canonical-json.js'
import {nodeId, runId, sha256Hex} from '../../src/core/ids.js'
import {linkId} from '../../src/core/model/link.js'
import {parseSourceVersion} from '../../src/core/source/link.js'

describe('canonical JSON', () => {
  it('sorts keys at every depth, drops undefined, ends with a newline', () => {
    expect(compactJson({b: 1, a: {d: [2, {z: 1, y: 2}], c: undefined}})).toBe('{"a":{"d":[2,{"y":2,"z":1}]},"b":1}')
    expect(canonicalJson({b: 1, a: 2})).toBe('{\n  "a": 2,\n  "b": 1\n}\n')
  })
})

describe('link IDs (golden)', () => {
  it('are the first 16 hex digits of sha256 over the canonical link', () => {
    const from = {source: 'pinata', version: 'sha1:3dd2cc1db51828a643237c39d5ed76bb066bcad8'} as const
    const to = {source: 'dmg', version: 'md5:0e500a4eb2a162f8098575daced142e1'} as const
    expect(linkId(from, to)).toBe(linkId({...from}, {...to}))
    expect(linkId(from, to)).not.toBe(linkId(to, from))
    expect(linkId(from, to)).toMatchInlineSnapshot(`"a9bc0177d8da8daf"`)
  })
})

// A changed value below is a format break: every recorded node and run would get a new ID.
describe('node IDs (golden)', () => {
  const minimal = {command: ['make'], labels: [], inputs: [], outputs: []}
  const full = {
    command: ['test.sh', '--fast', '${dmg:ROOT}'],
    scriptDigest: 'a'.repeat(64),
    labels: ['test', 'linux'],
    inputs: ['pitfall', 'dmg'],
    outputs: ['tests'],
    image: 'web',
    network: 'host',
    onSuccess: 'notify ${run:ID}',
    onFailure: 'page ${run:STATUS}',
  }

  it('are sha256 over the canonical definition, absent fields left out', () => {
    expect(nodeId(minimal)).toBe('55001ac48d2b1b2e3492bb48e8a12a6edacae519d16552995906034711839888')
    expect(nodeId(minimal)).toBe(sha256Hex('{"command":["make"],"inputs":[],"labels":[],"outputs":[]}'))
    expect(nodeId({...minimal, image: undefined, scriptDigest: undefined})).toBe(nodeId(minimal))
    expect(nodeId(full)).toBe('95980f5c18d32a017164b1f6dc951f269b66d3c3aabacbab66607cbe688e01b7')
  })

  it('do not depend on the order (or repetition) of labels, inputs and outputs, but on the command’s', () => {
    expect(nodeId({...full, labels: ['linux', 'test', 'linux'], inputs: ['dmg', 'pitfall']})).toBe(nodeId(full))
    expect(nodeId({...full, command: ['test.sh', '${dmg:ROOT}', '--fast']})).not.toBe(nodeId(full))
    for (const change of [{image: 'web:2'}, {network: undefined}, {onFailure: undefined}, {scriptDigest: 'b'.repeat(64)}, {outputs: []}]) {
      expect(nodeId({...full, ...change})).not.toBe(nodeId(full))
    }
  })
})

describe('run IDs (golden)', () => {
  const node = '55001ac48d2b1b2e3492bb48e8a12a6edacae519d16552995906034711839888'
  const inputs = {pitfall: 'sha1:3dd2cc1db51828a643237c39d5ed76bb066bcad8', dmg: 'md5:0e500a4eb2a162f8098575daced142e1'} as const

  it('are sha256 over the node and its sorted input versions; a later attempt adds its number', () => {
    const sortedInputs = '{"dmg":"md5:0e500a4eb2a162f8098575daced142e1","pitfall":"sha1:3dd2cc1db51828a643237c39d5ed76bb066bcad8"}'
    expect(runId(node, inputs)).toBe('ed809a5c058bff7db532f5c7014da41a06ca11135d3cc76e961b01dc22f3c303')
    expect(runId(node, inputs)).toBe(sha256Hex(`{"inputs":${sortedInputs},"node":"${node}"}`))
    expect(runId(node, inputs, 1)).toBe(runId(node, inputs))
    expect(runId(node, inputs, 2)).toBe('756535720e84ae96112c1d49e51670ab81429cd30a02062c3e2885d6093d3a4d')
    expect(runId(node, inputs, 2)).toBe(sha256Hex(`{"attempt":2,"inputs":${sortedInputs},"node":"${node}"}`))
    expect(runId(node, {})).toBe('c92cde3eb42b3c8d8a4814349871095ae8b7f79bffdf730c92b797567c1b2f16')
  })

  it('do not depend on the order of the inputs', () => {
    expect(runId(node, {dmg: inputs.dmg, pitfall: inputs.pitfall})).toBe(runId(node, inputs))
    expect(runId(node, {...inputs, dmg: 'md5:0e500a4eb2a162f8098575daced142e2'})).not.toBe(runId(node, inputs))
  })
})

describe('SOURCE:VERSION', () => {
  it('splits at the first colon so versions may carry ALGO:', () => {
    expect(parseSourceVersion('pinata:sha1:3dd2cc1d')).toEqual({source: 'pinata', version: 'sha1:3dd2cc1d'})
    expect(parseSourceVersion('dmg:0E500A4E')).toEqual({source: 'dmg', version: '0E500A4E'})
    expect(() => parseSourceVersion('pinata')).toThrow(/SOURCE:VERSION/)
    expect(() => parseSourceVersion('pinata:')).toThrow(/SOURCE:VERSION/)
  })
})
