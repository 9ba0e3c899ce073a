// Bounded capture of a run's output: stdout and stderr interleaved in arrival order, cut at a size limit.
export const DEFAULT_CAPTURE_LIMIT = 1024 * 1024

export class BoundedCapture {
  private readonly chunks: Buffer[] = []
  private size = 0
  truncated = false

  constructor(private readonly limit = DEFAULT_CAPTURE_LIMIT) {}

  add(chunk: Buffer): void {
    if (this.size >= this.limit) {
      this.truncated = true
      return
    }
    const room = this.limit - this.size
    const kept = chunk.length > room ? chunk.subarray(0, room) : chunk
    if (kept.length < chunk.length) this.truncated = true
    this.chunks.push(kept)
    this.size += kept.length
  }

  text(): string {
    return Buffer.concat(this.chunks).toString('utf8')
  }
}
