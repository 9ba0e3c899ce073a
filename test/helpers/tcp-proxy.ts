// A TCP proxy on 127.0.0.1 in front of a test server, to play a slow or a hanging server: it can delay every
// answer, and it can go silent once the clients have sent a given number of bytes (it then forwards nothing more
// in either direction and answers nothing, but keeps every connection open, as a server that hangs does).
import * as net from 'node:net'

export interface TcpProxy {
  /** `http://127.0.0.1:PORT` */
  endpoint: string
  /** Holds back everything the server sends for `ms` milliseconds (a `100 Continue` arrives late). */
  delayAnswers(ms: number): void
  /** Goes silent once the clients have sent `bytes` more bytes (counted from now). */
  stallAfter(bytes: number): void
  /** Whether it has gone silent. */
  readonly stalled: boolean
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
  return {
    endpoint: `http://127.0.0.1:${port}`,
    delayAnswers(ms) {
      delayMs = ms
    },
    stallAfter(bytes) {
      budget = bytes
    },
    get stalled() {
      return stalled
    },
    async stop() {
      for (const socket of sockets) socket.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
