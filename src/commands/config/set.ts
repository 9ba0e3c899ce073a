import {Args} from '@oclif/core'

import {DktCommand} from '../../cli/base-command.js'
import {setConfig} from '../../core/config.js'

export default class ConfigSet extends DktCommand {
  static override summary = 'Set a private field in .dkt/config (never committed, never printed).'
  static override description = `Fields are available to commands as \${KEY}. Settings read by dkt itself:
  github.url             base URL of \`github\` sources (GitHub Enterprise, any git server)
  github.api-url         GitHub's REST API (default https://api.github.com, or GITHUB_URL/api/v3 for GitHub Enterprise)
  github.statuses        true/false: runs of nodes with github inputs set commit statuses (default false)
  serve.url              public URL of \`dkt serve\`: commit statuses link to the run's page there
  docker.insecure        registries spoken to over http (HOST[:PORT],…; 127.0.0.1 and localhost always are)
  s3.endpoint            S3 API endpoint (MinIO, any S3 API; unset = AWS)
  s3.region              S3 region (default us-east-1)
  s3.path-style          true/false: path-style bucket URLs (default true when s3.endpoint is set)
  s3.timeout             seconds an S3 request may go without a byte moving before it fails (default 60)
  hockeyapp.url          HockeyApp API base (default https://rink.hockeyapp.net)
  scheduler.poll.KIND    seconds between two checks of a remote source of KIND by the scheduler
  sync.push              true/false: every command that writes pushes the metadata after its commit (default false)
  sync.remote            the remote \`dkt sync\` and sync.push use (default origin)`
  static override examples = ['<%= config.bin %> config set ESX_USER alice', '<%= config.bin %> config set github.url https://github.example.com']
  static override args = {
    key: Args.string({required: true, description: 'field name'}),
    value: Args.string({required: true, description: 'field value'}),
  }

  async run() {
    const {args} = await this.parse(ConfigSet)
    const result = await setConfig(this.repo.project, {key: args.key, value: args.value})
    this.log(`${result.key} set`)
    return result
  }
}
