import {Args, Flags} from '@oclif/core'

import {DktCommand} from '../../cli/base-command.js'
import {executeOptions} from '../../cli/run-options.js'
import {shortId} from '../../core/ids.js'
import {runNode} from '../../core/node/run.js'

const list = (values: string[] | undefined) => (values ?? []).flatMap((value) => value.split(',')).map((v) => v.trim()).filter(Boolean)

export default class NodeRun extends DktCommand {
  static override summary = 'Define a compute node (prints its ID) and run it now on its inputs’ current versions.'
  static override description = `CMD may be a script in the project: its content is stored with the node and is part of its ID.
\${NAME:FIELD} (fields of inputs and outputs: ROOT, COMMIT…) and \${KEY} (private fields of .dkt/config) are expanded
in CMD, ARGS and the stored script, and exported as environment variables (NAME_FIELD, KEY). Values are passed as
data, never as code. Put -- before CMD when its arguments look like flags.

With --image, the command runs in a container (DOCKER_HOST or the default socket): inputs are mounted read-only at
/dkt/in/NAME, outputs read-write at /dkt/out/NAME (\${NAME:ROOT} points there), the working folder is /dkt/work, there
is no network unless --network says so, and the command runs as your uid:gid. IMG may name a docker source: the run
then uses and records its current (or pinned) version, and a new version makes the node due again.`
  static override examples = [
    '<%= config.bin %> node run --labels=test,linux --input=dmg,pitfall --output=tests test.sh',
    "<%= config.bin %> node run --input data --output report -- sh -c 'wc -l \"$data_ROOT\"/* > \"$report_ROOT/count\"'",
    '<%= config.bin %> node run --input app --output build --on-failure "notify ${run:ID} ${run:STATUS}" make',
    "<%= config.bin %> node run --image web --input data --output report -- sh -c 'wc -l \"$data_ROOT\"/* > \"$report_ROOT/count\"'",
  ]
  static override strict = false
  static override args = {command: Args.string({required: true, description: 'command (a script in the project, or a program)'})}
  static override flags = {
    labels: Flags.string({description: 'labels a worker must have (comma-separated)', multiple: true, multipleNonGreedy: true}),
    input: Flags.string({description: 'input source(s), comma-separated or repeated', multiple: true, multipleNonGreedy: true}),
    output: Flags.string({description: 'output source(s), comma-separated or repeated', multiple: true, multipleNonGreedy: true}),
    image: Flags.string({description: 'run in a container of this image (a reference, or a docker source: then pinned by its digest)'}),
    network: Flags.string({description: 'docker network mode for --image runs (host, bridge, a network name); default none'}),
    'on-success': Flags.string({description: 'command run after a successful run (${run:ID}, ${run:STATUS} available)'}),
    'on-failure': Flags.string({description: 'command run after a failed run'}),
    detach: Flags.boolean({description: 'only define the node; the scheduler runs it'}),
  }

  async run() {
    const {raw, flags} = await this.parse(NodeRun)
    // The command's tokens in the order typed: oclif's non-strict argv is re-sorted by first occurrence, which
    // moves a word repeated from earlier on the line (`--input a -- ls a`).
    const command = raw.filter((token) => token.type === 'arg').map((token) => token.input)
    const definition = {
      command,
      labels: list(flags.labels),
      inputs: list(flags.input),
      outputs: list(flags.output),
      image: flags.image,
      network: flags.network,
      onSuccess: flags['on-success'],
      onFailure: flags['on-failure'],
      cwd: process.cwd(),
    }
    // Detached, nothing runs here: Ctrl-C keeps its default meaning.
    const options = flags.detach ? {dktVersion: this.config.version, dispose() {}} : executeOptions(this, this.jsonEnabled())
    try {
      const result = await runNode(this.repo, definition, {...options, detach: flags.detach, onNode: (node) => this.log(shortId(node.id))})
      if ((result.runs ?? (result.run ? [result.run] : [])).some((run) => run.status !== 'success')) process.exitCode = 1
      return result
    } finally {
      options.dispose()
    }
  }
}
