// Golden tests of the implicit host labels, the fleet read from mirrored beats, and what status says a node waits for.
import {describe, expect, it} from 'vitest'

import {ageText, labelWait, labelWaitText} from '../../src/core/label-waits.js'
import {effectiveLabels, hostBindings, livesOn, withHostLabel} from '../../src/core/labels.js'
import {type Fleet, fleetOf, workerLabelsOf} from '../../src/core/remote/fleet.js'
import type {RemoteClaim, SharedRef, WorkerBeat} from '../../src/core/remote/shared-refs.js'

const NOW = new Date('2026-11-27T12:00:00Z')
const ago = (seconds: number) => new Date(NOW.getTime() - seconds * 1000).toISOString()

function beat(name: string, fields: Partial<WorkerBeat> = {}): SharedRef<unknown> {
  const value: WorkerBeat = {name, host: `${name}-host`, labels: [], observe: false, concurrency: 1, running: [], beatAt: ago(0), startedAt: ago(100), pid: 1, dktVersion: '0.1.0', leaseSeconds: 180, ...fields}
  return {ref: `refs/dkt-remote/origin/workers/${name}`, name, object: 'c'.repeat(40), value}
}

describe('implicit host labels', () => {
  it('ties a node to the hosts of the path sources it reads or writes, inputs first, each once', () => {
    const defs = [{name: 'data', host: 'mac-1'}, {name: 'app'}, {name: 'out', host: 'linux-2'}]
    const bindings = hostBindings({inputs: ['data', 'app', 'data'], outputs: ['out']}, defs)
    expect(bindings).toEqual([
      {host: 'mac-1', source: 'data', access: 'reads'},
      {host: 'linux-2', source: 'out', access: 'writes'},
    ])
    expect(effectiveLabels(['osx'], bindings)).toEqual(['osx', 'host:mac-1', 'host:linux-2'])
    expect(effectiveLabels(['osx'], [])).toEqual(['osx'])
    expect(effectiveLabels([], [{host: 'h', source: 'a', access: 'reads'}, {host: 'h', source: 'b', access: 'writes'}])).toEqual(['host:h'])
  })

  it('gives every worker the label of its host', () => {
    expect(withHostLabel(['linux'], 'h1')).toEqual(['linux', 'host:h1'])
    expect(withHostLabel(['host:h1'], 'h1')).toEqual(['host:h1'])
    expect(workerLabelsOf({labels: ['osx'], host: 'm'})).toEqual(['osx', 'host:m'])
  })

  it('reads a source with a host only there, one without anywhere', () => {
    expect([livesOn({host: 'm'}, 'm'), livesOn({host: 'm'}, 'n'), livesOn({}, 'n')]).toEqual([true, false, true])
  })
})

describe('the fleet of mirrored beats', () => {
  it('is live within its lease by this clock, sorted by name, with the claims each holds', () => {
    const claims: SharedRef<RemoteClaim>[] = [
      {ref: 'refs/dkt-remote/origin/claims/n1', name: 'n1', object: 'd', value: {worker: 'b', host: 'b-host', node: 'n1', run: {id: 'r1'} as RemoteClaim['run'], claimedAt: ago(5)}},
    ]
    const workers = fleetOf([beat('b', {beatAt: ago(12)}), beat('a', {beatAt: ago(181), leaseSeconds: 180}), {ref: 'x', name: 'junk', object: 'e', value: 'not a beat'}], claims, NOW)
    expect(workers.map((w) => [w.name, w.ageSeconds, w.live])).toEqual([['a', 181, false], ['b', 12, true]])
    expect(workers[1].claims).toEqual([{node: 'n1', run: 'r1', claimedAt: ago(5)}])
    // A worker whose clock runs ahead is seen as having just beaten.
    expect(fleetOf([beat('c', {beatAt: ago(-30)})], [], NOW)[0]).toMatchObject({ageSeconds: 0, live: true})
  })
})

describe('what a due node waits for', () => {
  const here = {labels: ['linux', 'x64'], host: 'linux-1-host'}
  const fleet = (...beats: SharedRef<unknown>[]): Fleet => ({remote: 'origin', workers: fleetOf(beats, [], NOW)})

  it('says nothing when this machine can run it', () => {
    expect(labelWait(['linux'], [], here, undefined)).toBeUndefined()
    expect(labelWait(['host:linux-1-host'], [{host: 'linux-1-host', source: 'd', access: 'reads'}], here, undefined)).toBeUndefined()
  })

  it("keeps today's sentence without a fleet", () => {
    expect(labelWaitText(labelWait(['osx', 'big'], [], here, undefined)!)).toEqual(['waits for a worker labelled osx,big'])
  })

  it('names the live workers when none has the labels', () => {
    const wait = labelWait(['osx'], [], here, fleet(beat('linux-1', {labels: ['linux', 'x64'], beatAt: ago(12)}), beat('osx-old', {labels: ['osx'], beatAt: ago(999)})))!
    expect(labelWaitText(wait)).toEqual(['waiting for {osx}: no live worker has it; live: linux-1 {linux,x64} 12 s ago'])
    expect(labelWaitText(labelWait(['osx'], [], here, fleet())!)).toEqual(['waiting for {osx}: no live worker has it; live: none'])
  })

  it('names the live workers that have them', () => {
    const one = labelWait(['osx'], [], here, fleet(beat('osx-1', {labels: ['osx'], beatAt: ago(3)}), beat('linux-1', {labels: ['linux']})))!
    expect(labelWaitText(one)).toEqual(['waiting for {osx}: osx-1 has it (3 s ago)'])
    expect(one.fleet?.able).toEqual([{name: 'osx-1', host: 'osx-1-host', ageSeconds: 3}])
    const two = labelWait(['osx'], [], here, fleet(beat('osx-1', {labels: ['osx'], beatAt: ago(3)}), beat('osx-2', {labels: ['osx', 'arm64'], beatAt: ago(75)})))!
    expect(labelWaitText(two)).toEqual(['waiting for {osx}: osx-1 (3 s ago), osx-2 (1 min ago) have it'])
  })

  it('says where a node of a path source runs, and which worker is there', () => {
    const bindings = [{host: 'mac-1', source: 'data', access: 'reads' as const}]
    const labels = effectiveLabels(['osx'], bindings)
    expect(labelWaitText(labelWait(labels, bindings, here, undefined)!)).toEqual(['runs only on mac-1 (reads path source data)', 'waits for a worker labelled osx'])
    expect(labelWaitText(labelWait(effectiveLabels([], bindings), bindings, here, undefined)!)).toEqual(['runs only on mac-1 (reads path source data)'])
    // A worker with the labels on another machine cannot run it; one on mac-1 can.
    const wait = labelWait(labels, bindings, here, fleet(beat('osx-9', {labels: ['osx'], host: 'mac-9'}), beat('osx-1', {labels: ['osx'], host: 'mac-1', beatAt: ago(4)})))!
    expect(labelWaitText(wait)).toEqual(['runs only on mac-1 (reads path source data)', 'waiting for {osx,host:mac-1}: osx-1 has it (4 s ago)'])
  })

  it('writes ages as a person reads them', () => {
    expect([0, 59, 60, 3599, 3600, 86_399, 86_400].map(ageText)).toEqual(['0 s', '59 s', '1 min', '59 min', '1 h', '23 h', '1 d'])
  })
})
