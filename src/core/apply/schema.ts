// The JSON Schema of a pipeline file (`dkt.yml`); `schemas/dkt-yml.json` is this object, for editors (a test keeps
// the two equal). Kept as code so that the bundled CLI carries it: `schemas/` is not part of the package.
const stringList = {type: 'array', items: {type: 'string', minLength: 1}}

const source = {
  type: ['object', 'null'],
  description: 'A data source (`dkt source add NAME LOCATION[:TAG] -k KIND -p PATH`), keyed by its name.',
  additionalProperties: false,
  properties: {
    kind: {type: 'string', description: 'git, github, path, docker, s3 or hockeyapp; inferred from the location when left out'},
    location: {
      type: 'string',
      minLength: 1,
      description: 'a git URL, user/repo, a folder (relative to the project root), an image, a bucket…; a path source without one is a new temporary folder',
    },
    tag: {type: 'string', minLength: 1, description: 'git: the branch or tag followed (default: the remote default branch); docker: the image tag'},
    from: {type: 'string', minLength: 1, description: 'derive from this source of the file: inherit its kind, location and tag; path is then relative to its path'},
    path: {type: 'string', minLength: 1, description: 'sub-path inside the location'},
    pin: {type: 'string', pattern: '^([a-z0-9]+:)?[0-9a-f]{4,}$', description: 'the version the source is pinned to (sha1:…, md5:…, or a unique prefix of 4+ hex digits)'},
    paused: {type: 'boolean', description: 'no automatic updates (dkt source pause)'},
    host: {
      type: 'string',
      minLength: 1,
      description: 'the machine a path source lives on (DKT_HOST or its host name): only there is it followed and do the nodes that read or write it run; default: as stored, this machine for a new path source, the parent\'s for a derived one',
    },
  },
  not: {type: 'object', properties: {from: true, location: true}, required: ['from', 'location']},
}

const node = {
  type: 'object',
  description: 'A compute node (`dkt node run`), keyed by its name; its ID is the hash of everything but the name.',
  additionalProperties: false,
  properties: {
    command: {...stringList, minItems: 1, description: 'the program and its arguments, run without a shell: [make, test]'},
    script: {type: 'string', minLength: 1, description: 'a script of the project (relative to its root), stored with the node'},
    args: {...stringList, description: 'arguments of the script'},
    inputs: {...stringList, description: 'sources the node reads'},
    outputs: {...stringList, description: 'sources the node writes'},
    labels: {...stringList, description: 'labels a worker must have'},
    image: {type: 'string', minLength: 1, description: 'run in a container of this image (a reference, or a docker source)'},
    network: {type: 'string', minLength: 1, description: 'docker network mode for image runs (host, bridge, a network name)'},
    'on-success': {type: 'string', minLength: 1, description: 'command run after a successful run'},
    'on-failure': {type: 'string', minLength: 1, description: 'command run after a failed run'},
  },
  anyOf: [{properties: {command: true}, required: ['command']}, {properties: {script: true}, required: ['script']}],
  not: {
    anyOf: [
      {properties: {command: true, script: true}, required: ['command', 'script']},
      {properties: {command: true, args: true}, required: ['command', 'args']},
    ],
  },
}

/** Names are checked by dkt's own rules (core/names.ts) after the schema, with a sentence that says why. */
export const PIPELINE_SCHEMA = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  $id: 'https://dkt.dev/schemas/dkt-yml.json',
  title: 'dkt pipeline file (dkt apply, dkt export)',
  type: 'object',
  additionalProperties: false,
  properties: {
    format: {const: 1, description: 'the version of this file format'},
    // `nodes:` with nothing under it is no node, and a source with nothing under it (`scratch:`) a new temporary folder.
    sources: {type: ['object', 'null'], additionalProperties: source},
    nodes: {type: ['object', 'null'], additionalProperties: node},
  },
}
