// Parsing the JSON and JSON-lines files of `.dkt/`: an unreadable file is an error that names it and says how to
// restore it; a torn last line (what a writer killed mid-append leaves) is not an error.
import {BrokenMetadataError} from '../base/errors.js'

/** Where a JSON.parse error points, as line and column (1-based) of `text`. */
function errorPlace(text: string, error: unknown): {line: number; column: number} {
  const position = /position (\d+)/.exec(String((error as Error).message))
  const at = position ? Number(position[1]) : text.length
  const before = text.slice(0, at).split('\n')
  return {line: before.length, column: (before.at(-1)?.length ?? 0) + 1}
}

function restoreHint(relPath: string): string {
  return `fix it or restore it with \`git -C .dkt checkout -- ${relPath}\``
}

/**
 * The parsed content of the metadata file `relPath` (as `.dkt/`-relative path), or BrokenMetadataError, whose
 * message ends with `hint` (by default, how git restores a committed file).
 */
export function parseMetadataJson<T>(relPath: string, text: string, hint = restoreHint(relPath)): T {
  try {
    return JSON.parse(text) as T
  } catch (error) {
    const {line, column} = errorPlace(text, error)
    throw new BrokenMetadataError(`\`.dkt/${relPath}\` is not valid JSON (line ${line}, column ${column}); ${hint}`, {data: {file: relPath, line, column}})
  }
}

/** Whether `text` is one JSON value. */
export function parses(text: string): boolean {
  try {
    JSON.parse(text)
    return true
  } catch {
    return false
  }
}

/**
 * The complete lines of a JSON-lines file: a last line without its newline that does not parse is torn (a writer
 * died mid-append) and is left out, reported through `onTorn`; a broken line before it is an error naming the line.
 */
export function completeLines(text: string, onTorn?: () => void): string[] {
  const lines = text.split('\n')
  const last = lines.pop() as string
  if (last.trim() !== '') {
    if (parses(last)) lines.push(last)
    else onTorn?.()
  }
  return lines
}

export function parseMetadataLines<T>(relPath: string, text: string, onTorn?: () => void): T[] {
  const values: T[] = []
  for (const [index, line] of completeLines(text, onTorn).entries()) {
    if (line.trim() === '') continue
    try {
      values.push(JSON.parse(line) as T)
    } catch (error) {
      const {column} = errorPlace(line, error)
      throw new BrokenMetadataError(`\`.dkt/${relPath}\` line ${index + 1} is not valid JSON (column ${column}); ${restoreHint(relPath)}`, {data: {file: relPath, line: index + 1, column}})
    }
  }
  return values
}
