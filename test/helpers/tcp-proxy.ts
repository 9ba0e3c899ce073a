// A TCP proxy on 127.0.0.1 in front of a test server, to play a slow or a hanging server: it can delay every
// answer, and it can go silent once the clients have sent a given number of bytes (it then forwards nothing more
// in either direction and answers nothing, but keeps every connection open, as a server that hangs does). It can
// also cut the network: close every connection and stop listening (connections are refused), then listen again.
import * as net from 'node:net'

export interface TcpProxy {
  /** `http://127.0.0.1:PORT` */
  endpoint: string
  port: number
  /** Holds back everything the server sends for `ms` milliseconds (a `100 Continue` arrives late). */
  delayAnswers(ms: number): void
  /** Goes silent once the clients have sent `bytes` more bytes (counted from now). */
  stallAfter(bytes: number): void
  /** Whether it has gone silent. */
  readonly stalled: boolean
  /** A network cut: every open connection is closed and new ones are refused (the port no longer listens). */
  cut(): Promise<void>
  /** Ends a cut: listens again on the same port. */
  restore(): Promise<void>
  stop(): Promise<void>
}

export async function startTcpProxy(targetPort: number): Promise<TcpProxy> {
  let budget = Number.POSITIVE_INFINITY
  let delayMs = 0
  let stalled = false
  const sockets = new Set<net.Socket>()
  const server = net.createServer((client) => {
    const upstream = net.connect(targetPort, '127.0.0.1')
    for (const socket of [client, upstream]) {
      sockets.add(socket)
      socket.on('error', () => {})
      socket.on('close', () => sockets.delete(socket))
    }
    client.on('data', (chunk: Buffer) => {
      if (!stalled && chunk.length > budget) {
        stalled = true
        // Stop reading too: the client's writes pile up unanswered.
        client.pause()
      }
      if (stalled) return
      budget -= chunk.length
      upstream.write(chunk)
    })
    // Equal delays keep the chunks in order.
    const later = (action: () => void) => (delayMs > 0 ? setTimeout(action, delayMs) : action())
    upstream.on('data', (chunk: Buffer) => later(() => !stalled && client.write(chunk)))
    client.on('end', () => !stalled && upstream.end())
    upstream.on('end', () => later(() => !stalled && client.end()))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const {port} = server.address() as net.AddressInfo
  const closeAll = async () => {
    for (const socket of sockets) socket.destroy()
    if (server.listening) await new Promise<void>((resolve) => server.close(() => resolve()))
  }
  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    delayAnswers(ms) {
      delayMs = ms
    },
    stallAfter(bytes) {
      budget = bytes
    },
    get stalled() {
      return stalled
    },
    cut: closeAll,
    async restore() {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject)
        server.listen(port, '127.0.0.1', () => {
          server.off('error', reject)
          resolve()
        })
      })
    },
    stop: closeAll,
  }
}
