// TAG patterns of git sources (`*`, `release/*`, `v[0-9]*`, `pull/*`): which refs of a remote they follow. Pure.

/**
 * Whether a TAG is a pattern rather than one branch or tag. `*`, `?` and `[` cannot appear in a git ref name
 * (git check-ref-format), so no TAG that names a ref is ever taken for a pattern.
 */
export function isRefPattern(tag: string | undefined): tag is string {
  return tag !== undefined && /[*?[]/.test(tag)
}

const escape = (char: string) => char.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&')

/**
 * A glob as GitHub Actions reads branch filters: `*` any run of characters but `/`, `**` any run at all, `?` one
 * character but `/`, `[…]` one of a set (`[!…]` or `[^…]` none of it); everything else literal.
 */
export function globRegExp(glob: string): RegExp {
  let source = ''
  for (let i = 0; i < glob.length; i++) {
    const char = glob[i]
    if (char === '*' && glob[i + 1] === '*') {
      source += '.*'
      i++
    } else if (char === '*') source += '[^/]*'
    else if (char === '?') source += '[^/]'
    else if (char === '[') {
      const end = glob.indexOf(']', i + 2)
      if (end < 0) {
        source += '\\['
        continue
      }
      let set = glob.slice(i + 1, end)
      const negated = set.startsWith('!') || set.startsWith('^')
      if (negated) set = set.slice(1)
      source += `[${negated ? '^' : ''}${set.replace(/[\\\]^]/g, '\\$&')}]`
      i = end
    } else source += escape(char)
  }
  return new RegExp(`^${source}$`)
}

const HEADS = 'refs/heads/'
const TAGS = 'refs/tags/'
const PULL = /^refs\/pull\/([^/]+)\/head$/

/**
 * Whether a full ref name is one a pattern follows:
 * - `*` alone: every branch (`refs/heads/…`, slashes included);
 * - `pull/…`: pull requests, matched as `pull/N` against `refs/pull/N/head` (GitHub's refs; any server with them);
 * - `refs/…`: the full ref name itself (`refs/tags/v*` for tags only);
 * - anything else: the short name of a branch or a tag (`release/*`, `v[0-9]*`).
 */
export function refMatches(pattern: string, ref: string): boolean {
  if (pattern === '*') return ref.startsWith(HEADS)
  if (pattern.startsWith('refs/')) return globRegExp(pattern).test(ref)
  if (pattern.startsWith('pull/')) {
    const pull = PULL.exec(ref)
    return pull !== null && globRegExp(pattern).test(`pull/${pull[1]}`)
  }
  const short = ref.startsWith(HEADS) ? ref.slice(HEADS.length) : ref.startsWith(TAGS) ? ref.slice(TAGS.length) : undefined
  return short !== undefined && globRegExp(pattern).test(short)
}

/** The refs (full names) a pattern follows among `refs`, sorted. */
export function matchRefs(pattern: string, refs: Iterable<string>): string[] {
  return [...refs].filter((ref) => refMatches(pattern, ref)).sort()
}

/** `main` for `refs/heads/main`, `v1.0` for `refs/tags/v1.0`, `pull/3` for `refs/pull/3/head`; others as they are. */
export function shortRefName(ref: string): string {
  if (ref.startsWith(HEADS)) return ref.slice(HEADS.length)
  if (ref.startsWith(TAGS)) return ref.slice(TAGS.length)
  const pull = PULL.exec(ref)
  return pull ? `pull/${pull[1]}` : ref
}

/**
 * The full ref a user's text names among `refs`: the full name itself, else a branch, a tag or a pull request
 * (`main`, `v1.0`, `pull/3`), in that order. Undefined when none does.
 */
export function findRef(text: string, refs: Iterable<string>): string | undefined {
  const known = new Set(refs)
  const pull = /^pull\/([^/]+)$/.exec(text)
  const candidates = [text, `${HEADS}${text}`, `${TAGS}${text}`, ...(pull ? [`refs/pull/${pull[1]}/head`] : [])]
  return candidates.find((candidate) => known.has(candidate))
}

/** A ref as `git ls-remote` lists it: its object, and the commit an annotated tag points to. */
export interface RemoteRef {
  /** The object the ref names (a commit, or an annotated tag's own object). */
  object: string
  /** The commit (the peeled tag for an annotated tag). */
  commit: string
}

/** Parses `git ls-remote` output (`SHA<TAB>REF` lines; `REF^{}` for a peeled tag). `HEAD` is left out. */
export function parseLsRemote(stdout: string): Map<string, RemoteRef> {
  const refs = new Map<string, RemoteRef>()
  const peeled = new Map<string, string>()
  for (const line of stdout.split('\n')) {
    const [sha, name] = line.trim().split(/\s+/)
    if (!sha || !name || !name.startsWith('refs/')) continue
    if (name.endsWith('^{}')) peeled.set(name.slice(0, -3), sha)
    else refs.set(name, {object: sha, commit: sha})
  }
  for (const [name, commit] of peeled) {
    const ref = refs.get(name)
    if (ref) ref.commit = commit
  }
  return refs
}
