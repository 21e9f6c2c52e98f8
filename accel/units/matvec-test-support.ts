// Test support for the matvec unit's Verilator runs (matvec-unit.test.ts, matvec-columns.test.ts): what
// the unit puts out, watched and read back the same way by both.
import type { RunResult, StimulusScript } from '../../flow/verilator.ts';

/** Watch the results (acc_data and acc_row on acc_valid, done); sampleHandshake samples w_ready, busy and done of one cycle. */
export function watchMatvecOutputs(s: StimulusScript): { sampleHandshake: () => void } {
  s.monitor('acc', 'acc_valid', 'acc_data').monitor('row', 'acc_valid', 'acc_row').monitor('done', 'done', 'done');
  return { sampleHandshake: () => s.eval().get('r', 'w_ready').get('b', 'busy').get('d', 'done') };
}

/** What a run put out: the results, and the handshake cycle by cycle where it was sampled. */
export interface MatvecOutputs {
  /** acc_data as signed accW-bit values, and acc_row, in order; done's pulses. */
  acc: number[];
  rows: number[];
  dones: number;
  /** w_ready, busy and done, one sample a cycle (sessions that call sampleHandshake). */
  ready: number[];
  busy: number[];
  done: number[];
}

export function matvecOutputs(res: RunResult, accW: number): MatvecOutputs {
  const num = (tag: string) => (res.samples.get(tag) ?? []).map(Number);
  return {
    acc: (res.monitors.get('acc') ?? []).map((x) => Number(BigInt.asIntN(accW, x))),
    rows: (res.monitors.get('row') ?? []).map(Number),
    dones: (res.monitors.get('done') ?? []).length,
    ready: num('r'),
    busy: num('b'),
    done: num('d'),
  };
}
