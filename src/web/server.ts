// Starts the web view on a host and port (0: any free one) and answers its URL, or an error in one sentence.
import type {AddressInfo} from 'node:net'
import {serve} from '@hono/node-server'

import {InvalidArgumentError} from '../base/errors.js'
import {type AppOptions, createApp} from './app.js'
import {assertBindable} from './guard.js'

export interface ServerOptions extends AppOptions {
  host: string
  port: number
}

export interface RunningServer {
  url: string
  close: () => Promise<void>
}

function urlOf(host: string, port: number): string {
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}/`
}

export async function startServer(options: ServerOptions): Promise<RunningServer> {
  assertBindable(options.host, options.token)
  // The bound name is a host a user types: it is allowed besides loopback names (unless it means every interface).
  const wildcard = ['0.0.0.0', '::', '[::]'].includes(options.host)
  const allowedHosts = [...(options.allowedHosts ?? []), ...(wildcard ? [] : [options.host])]
  const app = createApp({...options, allowedHosts})
  return new Promise((resolve, reject) => {
    const server = serve({fetch: app.fetch, hostname: options.host, port: options.port}, (info: AddressInfo) => {
      resolve({
        url: urlOf(options.host, info.port),
        close: () =>
          new Promise((done) => {
            server.close(() => done())
            // Live log streams never end by themselves.
            if ('closeAllConnections' in server) server.closeAllConnections()
          }),
      })
    })
    server.once('error', (error: NodeJS.ErrnoException) => {
      const why = error.code === 'EADDRINUSE' ? `port ${options.port} is in use; pass --port 0 for any free port` : error.message
      reject(new InvalidArgumentError(`cannot listen on ${options.host}:${options.port}: ${why}`))
    })
  })
}
