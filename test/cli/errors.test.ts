// Every rejected command: one sentence on stderr, the documented exit code, and nothing changed in .dkt.
import {beforeAll, describe, expect, it} from 'vitest'

import {dkt, dktOk} from '../helpers/cli.js'
import {gitRepo, metaState} from '../helpers/git.js'
import {newProject, writeFiles} from '../helpers/project.js'

let dir: string
let upstream: {dir: string; commits: string[]}

beforeAll(async () => {
  upstream = gitRepo([{'a': '1'}, {'b': '2'}])
  dir = await newProject()
  writeFiles(dir, {'data/x': '1', 'dmg/y': '2'})
  await dktOk(['source', 'add', 'pinata', upstream.dir, '-k', 'git'], {cwd: dir})
  await dktOk(['source', 'add', 'data', 'data'], {cwd: dir})
  await dktOk(['source', 'add', 'child', 'data'], {cwd: dir})
  // Two versions whose short forms share a 4-digit prefix would be luck; ambiguity is covered by unit tests and here
  // by a prefix shared by construction below.
})

const cases: [string, string[], number, RegExp][] = [
  ['name with :', ['source', 'add', 'a:b'], 2, /^source name `a:b` contains `:`/],
  ['name with /', ['source', 'add', 'a/b'], 2, /^source name `a\/b` contains `\/`/],
  ['name with \\', ['source', 'add', 'a\\b'], 2, /^source name `a\\b` contains `\\`/],
  ['name with *', ['source', 'add', 'a*'], 2, /^source name `a\*` contains `\*`/],
  ['empty name', ['source', 'add', ''], 2, /^a source name cannot be empty/],
  ['duplicate name', ['source', 'add', 'data', 'dmg'], 2, /^source `data` already exists/],
  ['unknown source (log)', ['source', 'log', 'nope'], 2, /^source `nope` does not exist; see `dkt source list`/],
  ['unknown source (pin)', ['source', 'pin', 'nope', 'abcd'], 2, /^source `nope` does not exist/],
  ['unknown source (update)', ['source', 'update', 'nope'], 2, /^source `nope` does not exist/],
  ['unknown source (pause)', ['source', 'pause', 'nope'], 2, /^source `nope` does not exist/],
  ['unknown source (rm)', ['source', 'rm', 'nope'], 2, /^source `nope` does not exist/],
  ['unknown version prefix', ['source', 'pin', 'pinata', 'ffffffff'], 2, /^version `ffffffff` of source `pinata` does not exist/],
  ['version too short', ['source', 'pin', 'pinata', 'ab'], 2, /^version prefix `ab` is too short/],
  ['version of another algorithm', ['source', 'pin', 'data', 'sha1:d41d8cd9'], 2, /^version `sha1:d41d8cd9` of source `data` does not exist/],
  ['not a version at all', ['source', 'pin', 'pinata', '/some/where'], 2, /is not a version/],
  ['missing local path', ['source', 'add', 'x', './no/such/dir'], 2, /^local path `\.\/no\/such\/dir` does not exist/],
  ['missing local git path', ['source', 'add', 'x', '/no/such/repo', '-k', 'git'], 2, /^local path `\/no\/such\/repo` does not exist/],
  ['unreachable git URL', ['source', 'add', 'x', 'git://127.0.0.1:9/nothing.git'], 1, /^cannot reach git repository `git:\/\/127\.0\.0\.1:9\/nothing\.git`: /],
  ['unknown kind', ['source', 'add', 'x', 'data', '-k', 'ftp'], 2, /^unknown kind `ftp`; supported kinds: docker, git, github, hockeyapp, path, s3\n/],
  ['a bad image reference', ['source', 'add', 'x', 'Team/Web', '-k', 'docker'], 2, /^`Team\/Web` is not a valid image reference: /],
  ['a docker source with a PATH', ['source', 'add', 'x', '127.0.0.1:2/team/web', '-k', 'docker', '-p', 'sub'], 2, /^docker source `x` cannot have a PATH\n/],
  ['a hockeyapp source with a PATH', ['source', 'add', 'x', '0123abcd', '-k', 'hockeyapp', '-p', 'sub'], 2, /^hockeyapp source `x` cannot have a PATH: a build is one file\n/],
  ['an unreachable registry', ['source', 'add', 'x', '127.0.0.1:2/team/web', '-k', 'docker'], 1, /^cannot reach registry 127\.0\.0\.1:2: connection refused\n/],
  ['user/repo without -k', ['source', 'add', 'x', 'docker/pinata'], 2, /could be a GitHub repository or a Docker image; pass -k github or -k docker/],
  ['derived source of a missing parent', ['source', 'add', 'x', 'ghost', '-p', 'sub'], 2, /^cannot infer the kind of `ghost`/],
  ['sub-path that leaves the location', ['source', 'add', 'x', 'data', '-p', '../..'], 2, /leaves the source's location/],
  ['sub-path that does not exist', ['source', 'add', 'x', 'data', '-p', 'nope'], 2, /^local path `.*nope` does not exist/],
  ['git sub-path that never existed', ['source', 'add', 'x', 'pinata', '-p', 'nope'], 2, /^path `\/nope` does not exist on `main`/],
  ['missing branch', ['source', 'add', 'x', 'pinata:nobranch'], 2, /^branch or tag `nobranch` does not exist/],
  ['pin to a version that does not exist', ['source', 'pin', 'data', 'md5:00000000'], 2, /^version `md5:00000000` of source `data` does not exist/],
  ['link with a missing side', ['source', 'link', 'data:d41d8cd9', 'pinata:ffffffff'], 2, /^version `d41d8cd9` of source `data` does not exist|^version `ffffffff`/],
  ['link with an unknown source', ['source', 'link', 'data:1234', 'ghost:1234'], 2, /does not exist/],
  ['link without a version', ['source', 'link', 'data', 'pinata:1234'], 2, /^`data` is not SOURCE:VERSION/],
  ['rm of a used source', ['source', 'rm', 'data'], 2, /^source `data` is used by source `child`; remove it first or pass --force/],
  ['re-point to an unknown kind', ['source', 'pin', 'data', 'dmg', '-k', 'nope'], 2, /^unknown kind `nope`/],
  ['path source with a tag', ['source', 'add', 'x', 'dmg:v1', '-k', 'path'], 2, /^path sources have no tags/],
  ['a setting with a bad value', ['config', 'set', 'github.statuses', 'yes'], 2, /^config `github\.statuses` must be true or false\n/],
  ['a public URL that is not one', ['config', 'set', 'serve.url', 'ci.example.com'], 2, /^config `serve\.url` must be an http\(s\) URL\n/],
  ['workers of a remote the project lacks', ['workers', '--remote', 'backup'], 2, /^the metadata repository has no remote `backup`; it has none/],
  ['missing argument', ['source', 'pin', 'data'], 2, /Missing 1 required arg/],
  ['unknown flag', ['source', 'add', 'x', '--frobnicate'], 2, /Nonexistent flag/],
]

describe('rejected commands change nothing', () => {
  it.each(cases)('%s', async (_what, args, exitCode, message) => {
    const before = metaState(dir)
    const result = await dkt(args, {cwd: dir})
    expect(result.stderr.startsWith('Error: ')).toBe(true)
    expect(result.stderr.slice('Error: '.length)).toMatch(message)
    expect(result.stderr.trimEnd().split('\n')).toHaveLength(1)
    expect(result.exitCode).toBe(exitCode)
    expect(result.stdout).toBe('')
    expect(metaState(dir)).toEqual(before)
  })
})
