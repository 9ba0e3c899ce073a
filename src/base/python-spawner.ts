// The scheduler's process starter in Python: on some machines fork() costs ~10 ms of CPU per process (the kernel
// copies and then tears down page tables), and Node's spawn always forks; Python's subprocess (3.10 and later) starts
// a process with vfork, which copies nothing, at a quarter of that CPU. (os.posix_spawn costs the same, but glibc's
// leaves signals 32 and 33 ignored in the command.) A small Python program, started once, starts the commands and
// git, and relays their output and end over a pipe in binary frames.
import {type ChildProcess, spawn} from 'node:child_process'
import {closeSync, openSync, readSync} from 'node:fs'
import * as path from 'node:path'

import {type Launch, type LaunchRequest, SpawnHelper, exitOf, exitedOrAfter} from './launch.js'

// Frames, both ways: a 9-byte header (kind: u8, id: u32 LE, payload length: u32 LE) and the payload.
// To the helper: E (environment and grace, JSON; first), R (start a process, JSON), K (signal it: its name).
// From it: Y (ready), S (started), 1 and 2 (a chunk of stdout / stderr), F (failed to start: {code, message}),
// C (closed: [exit code, signal name]).
const HEADER_BYTES = 9
const Kind = {ready: 0x59, started: 0x53, stdout: 0x31, stderr: 0x32, failed: 0x46, closed: 0x43, env: 0x45, run: 0x52, kill: 0x4b}

// The helper's whole program (run with `python3 -c`: no file to ship). It is single-threaded: subprocess.Popen
// starts each program (in the request's folder, looked up in the PATH of its environment, signals Python ignores
// restored), with /bin/sh for a script without #! as execvp (Node's spawn) does; it reaps every child itself on
// SIGCHLD. Output is relayed as it comes, batched per wake-up into one write; a "started" frame waits up to 20 ms to go
// with the next. When its input closes (the scheduler exited or was killed) it stops the processes still running
// (SIGTERM, SIGKILL after the grace) and ends: it never outlives its scheduler. Nothing in it may contain a backslash,
// a backquote or a dollar-brace (it is a template literal).
const HELPER_SOURCE = `import sys
if sys.version_info < (3, 10):
    sys.exit(3)
import errno, json, os, select, signal, struct, subprocess, time
HEADER = struct.Struct('<BII')
base = dict(os.environ)
grace = 5.0
devnull = os.open(os.devnull, os.O_RDONLY)
wake_r, wake_w = os.pipe()
os.set_blocking(wake_r, False)
os.set_blocking(wake_w, False)
signal.signal(signal.SIGCHLD, lambda number, frame: None)
signal.set_wakeup_fd(wake_w, warn_on_full_buffer=False)
poller = select.poll()
poller.register(0, select.POLLIN)
poller.register(wake_r, select.POLLIN)
children, streams, pids = {}, {}, {}
frames = [HEADER.pack(0x59, 0, 0)]
urgent = True
received = bytearray()
orphaned_at = None

class Child:
    __slots__ = ('id', 'process', 'group', 'open', 'status')

def frame(kind, id, payload=b''):
    global urgent
    urgent = urgent or kind != 0x53
    frames.append(HEADER.pack(kind, id, len(payload)))
    if payload:
        frames.append(payload)

def signal_child(child, number):
    try:
        if child.group:
            os.killpg(child.process.pid, number)
        elif child.status is None:
            os.kill(child.process.pid, number)
    except OSError:
        pass

def finish(child):
    if child.open or child.status is None:
        return
    del children[child.id]
    status = child.status
    if os.WIFSIGNALED(status):
        try:
            name = signal.Signals(os.WTERMSIG(status)).name
        except ValueError:
            name = 'SIG' + str(os.WTERMSIG(status))
        frame(0x43, child.id, json.dumps([None, name]).encode())
    else:
        frame(0x43, child.id, json.dumps([os.WEXITSTATUS(status), None]).encode())

def script(file, env, cwd):
    # What execvp runs in /bin/sh when the program is a script without #!: the file it found.
    if '/' in file:
        return file
    for folder in os.get_exec_path(env):
        program = os.path.join(cwd, folder, file)
        if os.access(program, os.X_OK):
            return os.path.join(folder, file)
    return file

def popen(argv, request, env, out_w, err_w):
    return subprocess.Popen(argv, stdin=devnull, stdout=out_w, stderr=err_w, cwd=request['cwd'], env=env, close_fds=False, start_new_session=request['detached'])

def run(id, request):
    changes = request['env']
    env = dict(base) if changes else base
    for name, value in changes.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    file = request['file']
    out_r, out_w = os.pipe()
    err_r, err_w = os.pipe()
    try:
        try:
            process = popen([file] + request['args'], request, env, out_w, err_w)
        except OSError as error:
            if error.errno != errno.ENOEXEC:
                raise
            process = popen(['/bin/sh', script(file, env, request['cwd'])] + request['args'], request, env, out_w, err_w)
    except (OSError, ValueError, TypeError, subprocess.SubprocessError) as error:
        for fd in (out_r, err_r):
            os.close(fd)
        code = errno.errorcode.get(getattr(error, 'errno', None) or 0)
        frame(0x46, id, json.dumps({'code': code, 'message': 'spawn ' + file + ' ' + code if code else str(error)}).encode())
        return
    finally:
        os.close(out_w)
        os.close(err_w)
    child = Child()
    child.id, child.process, child.group, child.open, child.status = id, process, request['detached'], 2, None
    children[id] = pids[process.pid] = child
    streams[out_r] = (child, 0x31)
    streams[err_r] = (child, 0x32)
    poller.register(out_r, select.POLLIN)
    poller.register(err_r, select.POLLIN)
    frame(0x53, id)

def receive(kind, id, payload):
    global base, grace
    if kind == 0x52:
        run(id, json.loads(payload))
    elif kind == 0x4b:
        child = children.get(id)
        if child:
            signal_child(child, signal.Signals[payload.decode()])
    elif kind == 0x45:
        message = json.loads(payload)
        base, grace = message['env'], message['grace'] / 1000

def read_requests():
    data = os.read(0, 65536)
    if not data:
        orphan()
        return
    received.extend(data)
    at = 0
    while len(received) - at >= 9:
        kind, id, length = HEADER.unpack_from(received, at)
        if len(received) - at - 9 < length:
            break
        receive(kind, id, bytes(received[at + 9:at + 9 + length]))
        at += 9 + length
    del received[:at]

def reap():
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        child = pids.pop(pid, None)
        if child:
            child.status = status
            # Popen would otherwise wait for it once more, and could reap another process with its pid.
            child.process.returncode = status
            finish(child)

def orphan():
    global orphaned_at
    if orphaned_at is None:
        orphaned_at = time.monotonic()
        poller.unregister(0)
        for child in children.values():
            signal_child(child, signal.SIGTERM)

def flush():
    global urgent
    data = memoryview(b''.join(frames))
    frames.clear()
    urgent = False
    try:
        while data and orphaned_at is None:
            data = data[os.write(1, data):]
    except OSError:
        orphan()

while True:
    timeout = None
    if urgent:
        flush()
    elif frames:
        # Only "started" frames: they go with the next frame (the output or end of a command, often soon).
        timeout = 20
    if orphaned_at is not None:
        if not children:
            break
        timeout = max(0, orphaned_at + grace - time.monotonic()) * 1000
        if timeout == 0:
            for child in children.values():
                signal_child(child, signal.SIGKILL)
            break
    ready = poller.poll(timeout)
    if not ready and frames:
        flush()
    for fd, events in ready:
        if fd == 0:
            read_requests()
        elif fd == wake_r:
            try:
                while os.read(wake_r, 512):
                    pass
            except BlockingIOError:
                pass
            reap()
        else:
            child, kind = streams[fd]
            data = os.read(fd, 65536)
            if data:
                frame(kind, child.id, data)
            else:
                poller.unregister(fd)
                os.close(fd)
                del streams[fd]
                child.open -= 1
                finish(child)
`

/** Reads the first bytes of a file; undefined when it cannot be read (missing, a folder, no permission). */
function firstBytes(file: string): Buffer | undefined {
  let fd: number | undefined
  try {
    fd = openSync(file, 'r')
    const head = Buffer.alloc(2)
    return head.subarray(0, readSync(fd, head, 0, 2, 0))
  } catch {
    return undefined
  } finally {
    if (fd !== undefined) closeSync(fd)
  }
}

/**
 * The helper's Python 3 (3.10 or later, else it ends at once and Node's helper serves): `DKT_PYTHON` when set (empty:
 * none), else the first python3 on the PATH that is a program, not a script: a version manager's shim (pyenv, asdf)
 * is a shell script that costs half a second of CPU to start. Only on Linux: elsewhere Node's own spawn does not fork
 * (libuv uses posix_spawn on macOS).
 */
export function pythonProgram(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.DKT_PYTHON !== undefined) return env.DKT_PYTHON || undefined
  if (process.platform !== 'linux') return undefined
  for (const folder of (env.PATH ?? '').split(path.delimiter)) {
    if (!path.isAbsolute(folder)) continue
    const candidate = path.join(folder, 'python3')
    const head = firstBytes(candidate)
    if (head && head.length > 0 && head.toString('latin1') !== '#!') return candidate
  }
  return undefined
}

/** A Python helper process (see above); `unavailable` is called once if it turns out not to run (no Python 3.10). */
export class PythonSpawner extends SpawnHelper {
  private readonly helper: ChildProcess
  private readonly exited: Promise<void>
  private ready = false
  private closing = false
  private went = false
  private received: Buffer | undefined

  constructor(
    python: string,
    killGraceMs: number,
    private readonly unavailable: () => Launch,
  ) {
    super()
    // -I -S: nothing of the user's Python set-up is read (PYTHON* variables, site-packages); -X utf8: names and
    // values in the environment are UTF-8 whatever the locale, as in Node.
    this.helper = spawn(python, ['-I', '-S', '-X', 'utf8', '-c', HELPER_SOURCE], {
      // Its own process group: a Ctrl-C at the terminal is the scheduler's to handle, not the helper's.
      detached: true,
      stdio: ['pipe', 'pipe', 'ignore'],
    })
    this.exited = exitOf(this.helper)
    this.helper.stdout?.on('data', (chunk: Buffer) => this.receive(chunk))
    this.helper.on('error', () => this.gone())
    this.helper.on('close', () => this.gone())
    // A broken pipe is a helper gone, reported by 'close'.
    this.helper.stdin?.on('error', () => {})
    // The commands get this process's environment, sent once (Python's own could differ: its locale coercion).
    this.send(Kind.env, 0, JSON.stringify({env: process.env, grace: killGraceMs}))
    this.helper.unref()
    this.busy(false)
  }

  async close(waitMs = 2000): Promise<void> {
    if (this.alive) {
      this.alive = false
      this.closing = true
      this.helper.stdin?.end()
    }
    await exitedOrAfter(this.exited, waitMs)
  }

  protected sendRun(id: number, request: LaunchRequest): void {
    const {file, args, cwd, env, detached} = request
    this.send(Kind.run, id, JSON.stringify({file, args, cwd: path.resolve(cwd), env, detached}))
  }

  protected sendKill(id: number, signal: 'SIGTERM' | 'SIGKILL'): void {
    this.send(Kind.kill, id, signal)
  }

  protected busy(busy: boolean): void {
    for (const stream of [this.helper.stdout, this.helper.stdin] as Array<{ref(): void; unref(): void} | null>) {
      if (busy) stream?.ref()
      else stream?.unref()
    }
  }

  private send(kind: number, id: number, payload: string): void {
    if (!this.alive && !this.closing) return
    const length = Buffer.byteLength(payload)
    const frame = Buffer.allocUnsafe(HEADER_BYTES + length)
    frame.writeUInt8(kind, 0)
    frame.writeUInt32LE(id, 1)
    frame.writeUInt32LE(length, 5)
    frame.write(payload, HEADER_BYTES)
    this.helper.stdin?.write(frame)
  }

  /** Frames from the helper, as many as are whole; the rest waits for the next chunk. */
  private receive(chunk: Buffer): void {
    const data = this.received ? Buffer.concat([this.received, chunk]) : chunk
    let at = 0
    while (data.length - at >= HEADER_BYTES) {
      const length = data.readUInt32LE(at + 5)
      const end = at + HEADER_BYTES + length
      if (end > data.length) break
      this.dispatch(data[at], data.readUInt32LE(at + 1), data.subarray(at + HEADER_BYTES, end))
      at = end
    }
    this.received = at < data.length ? data.subarray(at) : undefined
  }

  private dispatch(kind: number, id: number, payload: Buffer): void {
    if (kind === Kind.stdout) this.output(id, 'stdout', payload)
    else if (kind === Kind.stderr) this.output(id, 'stderr', payload)
    else if (kind === Kind.started) this.started(id)
    else if (kind === Kind.closed) {
      const [exitCode, signal] = JSON.parse(payload.toString()) as [number | null, string | null]
      this.closed(id, exitCode, signal)
    } else if (kind === Kind.failed) {
      const {code, message} = JSON.parse(payload.toString()) as {code: string | null; message: string}
      this.failedToStart(id, code ?? undefined, message)
    } else if (kind === Kind.ready) this.ready = true
  }

  /** The helper ended or could not start: before it was ready, there is no usable Python, and another helper serves. */
  private gone(): void {
    if (this.went) return
    this.went = true
    this.lost(this.ready || this.closing ? undefined : this.unavailable())
  }
}
