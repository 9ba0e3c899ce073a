import {Flags} from '@oclif/core'

import {DktCommand, errorSentence} from '../cli/base-command.js'
import {startServer} from '../web/server.js'

export default class Serve extends DktCommand {
  static override summary = 'Serve a web view of the project: runs, live logs, nodes, sources, provenance, metrics (foreground).'
  static override description = `Prints its URL as its first line. Binds 127.0.0.1 unless --host says otherwise; a host other than a
loopback one needs --token. Every page has a JSON twin: add ?format=json. Read-only unless --allow-actions.`
  static override examples = ['<%= config.bin %> serve', '<%= config.bin %> serve --port 0', '<%= config.bin %> serve --host 0.0.0.0 --token s3cret --allowed-host ci.example.org']
  static override enableJsonFlag = false
  static override flags = {
    port: Flags.integer({description: 'port to listen on (0: any free port)', default: 7480, min: 0, max: 65535}),
    host: Flags.string({description: 'address to listen on', default: '127.0.0.1'}),
    'allowed-host': Flags.string({description: 'a host name requests may use besides loopback names (repeatable)', multiple: true}),
    'allow-actions': Flags.boolean({description: 'allow rerunning and cancelling runs from the pages (each behind a confirmation page)'}),
    token: Flags.string({description: 'a secret every request must carry (?token=T once, or Authorization: Bearer T)', env: 'DKT_SERVE_TOKEN'}),
  }

  async run() {
    const {flags} = await this.parse(Serve)
    const server = await startServer({
      repo: this.repo,
      host: flags.host,
      port: flags.port,
      allowedHosts: flags['allowed-host'] ?? [],
      token: flags.token,
      allowActions: flags['allow-actions'],
      dktVersion: this.config.version,
      onError: (error) => this.logToStderr(`Error: ${errorSentence(error)}`),
    })
    this.log(server.url)
    await new Promise<void>((resolve) => {
      const stop = () => resolve()
      process.once('SIGINT', stop)
      process.once('SIGTERM', stop)
    })
    await server.close()
  }
}
