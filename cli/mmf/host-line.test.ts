// `mmf host --port` on a serial line with no board behind it (a pseudo-terminal whose other end stays
// silent, or answers every write with noise, as a wrong baud rate does): one line on stderr at the first
// handshake, saying what came back, exit 1, no "recovering" rounds.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { runMmf } from './program.ts';

const HAVE_PYTHON = spawnSync('python3', ['-c', 'import pty'], { encoding: 'utf8' }).status === 0;

// The far end of the line: a pty pair; prints the terminal's path, then stays silent or answers noise.
const FAR_END = `
import os, pty, random, select, sys
m, s = pty.openpty()
print(os.ttyname(s), flush=True)
rnd = random.Random(3)
while True:
    ready, _, _ = select.select([m, 0], [], [], 0.05)
    if 0 in ready and not os.read(0, 100):
        break
    if m in ready:
        os.read(m, 4096)
        if sys.argv[1] == 'noise':
            os.write(m, bytes(rnd.randrange(256) for _ in range(48)))
`;

async function farEnd(mode: 'silent' | 'noise'): Promise<{ path: string; child: ChildProcess }> {
  const child = spawn('python3', ['-c', FAR_END, mode], { stdio: ['pipe', 'pipe', 'inherit'] });
  const path = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      if (out.includes('\n')) resolve(out.trim());
    });
    child.once('exit', (c) => reject(new Error(`the pty helper exited (${c})`)));
  });
  return { path, child };
}

async function mmf(argv: string[]): Promise<{ code: number; stderr: string }> {
  let stderr = '';
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => ((stderr += String(s)), true));
  const out = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  try {
    return { code: await runMmf(argv), stderr };
  } finally {
    err.mockRestore();
    out.mockRestore();
  }
}

describe.skipIf(!HAVE_PYTHON)('mmf host on a line with no board', { timeout: 60_000 }, () => {
  let child: ChildProcess | undefined;
  afterEach(() => {
    child?.stdin?.end();
    child?.kill();
  });

  for (const [mode, says] of [
    ['silent', /nothing came back \(is the board's bitstream loaded, and is this its UART\?\)$/],
    ['noise', /\d+ bytes came back( \(\d+ damaged frames\))? but no reply \(a wrong baud rate, or another device on this line\?\)$/],
  ] as const) {
    it(`${mode}: one line naming the port and the HELLO's tries, exit 1`, async () => {
      const end = await farEnd(mode);
      child = end.child;
      const r = await mmf(['host', '--port', end.path, '--timeout', '100', '--tokens', '2', '--json']);
      expect(r.code).toBe(1);
      const lines = r.stderr.split('\n').filter(Boolean);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(new RegExp(`^mmf: no board answered on ${end.path}: no answer from ${end.path} to HELLO after 4 tries of 100 ms; `));
      expect(lines[0]).toMatch(says);
    });
  }

  it('a path that is no serial port: one line naming it', async () => {
    for (const port of ['/dev/null', '/nonexistent/ttyUSB9', '']) {
      const r = await mmf(['host', '--port', port, '--timeout', '100', '--tokens', '2', '--json']);
      expect(r.code).toBe(1);
      const lines = r.stderr.split('\n').filter(Boolean);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^mmf: /);
      expect(lines[0]).toContain(port || '--port');
    }
  });
});
