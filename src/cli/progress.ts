// Draws transfer progress (an s3 fetch or upload) as one line on a terminal's stderr, rewritten in place.
import type {TransferProgress} from '../kinds/driver.js'

/** `3.4/10.0 MB`, in the unit of the total. Pure. */
export function progressLine(p: TransferProgress): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB']
  let unit = 0
  while (p.totalBytes / 1000 ** unit >= 1000 && unit < units.length - 1) unit++
  const scale = (n: number) => (unit === 0 ? String(n) : (n / 1000 ** unit).toFixed(1))
  const percent = p.totalBytes > 0 ? Math.floor((100 * p.doneBytes) / p.totalBytes) : 100
  return `${p.what}: ${p.doneFiles}/${p.totalFiles} files, ${scale(p.doneBytes)}/${scale(p.totalBytes)} ${units[unit]} (${percent}%)`
}

/**
 * A listener for `setTransferProgressListener` that writes to `stream` (a TTY). A transfer whose first report is
 * already its end was short: nothing is drawn for it.
 */
export function terminalProgress(stream: NodeJS.WriteStream): (p: TransferProgress) => void {
  const drawing = new Set<string>()
  return (p) => {
    const finished = p.doneFiles >= p.totalFiles && p.doneBytes >= p.totalBytes
    if (finished && !drawing.has(p.what)) return
    const line = progressLine(p).slice(0, Math.max(20, (stream.columns || 80) - 1))
    stream.write(`\r\u001B[K${line}`)
    if (finished) {
      stream.write('\r\u001B[K')
      drawing.delete(p.what)
    } else drawing.add(p.what)
  }
}
