// Running a native tool as a child process with its output captured.
import { spawn } from 'node:child_process';

export interface RunResult {
  code: number;
  /** stdout and stderr merged in arrival order, so the log reads like a terminal. */
  output: string;
}

export function runTool(cmd: string, args: string[]): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const chunks: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => chunks.push(c));
    child.stderr.on('data', (c: Buffer) => chunks.push(c));
    child.on('error', (err) => reject(new Error(`failed to start ${cmd}: ${err.message}`)));
    child.on('close', (code, signal) => {
      resolve({ code: code ?? (signal ? 128 : 1), output: Buffer.concat(chunks).toString('utf8') });
    });
  });
}
