// Predicted cycles per token of the controller in accel/top.ts, op by op (with debug read-out off).
// The constants are the controller's own sequencing plus the units' published latencies; the
// co-simulation measures the same count (the top's step_cycles) and a test holds the two equal.
import { matvecChunks, matvecOverhead } from './units/matvec-unit.ts';
import { elementwiseLatency } from './units/elementwise-unit.ts';
import { bitLinearQuantLatency, bitLinearQuantStatsLatency } from './units/bitlinear-quant.ts';
import { bitLinearScaleLatency } from './units/bitlinear-scale.ts';
import { rsqrtUnitLatency } from './units/scalar-unit.ts';
import type { AccelProgram } from './program.ts';
import type { OpName } from './isa.ts';

/** fetch, decode and next: the cost of any instruction before and after its own work. */
export const INSTRUCTION_OVERHEAD = 3;

export interface CyclePrediction {
  total: number;
  byOp: Partial<Record<OpName, { count: number; cycles: number }>>;
}

export function predictCycles(prog: AccelProgram): CyclePrediction {
  const P = prog.geometry.lanes;
  const byOp: CyclePrediction['byOp'] = {};
  let total = 0;
  for (const ins of prog.instructions) {
    const n = ins.n ?? 0;
    let c = INSTRUCTION_OVERHEAD;
    switch (ins.op) {
      case 'embed':
        c += 2 + n + 1 + elementwiseLatency() + 1;
        break;
      case 'prescale':
      case 'residual':
      case 'mlgru':
      case 'glu':
        c += n + 1 + elementwiseLatency() + 1;
        break;
      case 'bitlinear': {
        // pass 1; S -> rsqrt -> latched (the later of the two scalars); pass 2; the last q; matvec; scale.
        const stats = bitLinearQuantStatsLatency() + rsqrtUnitLatency() + 1;
        const mv = (ins.rows ?? 0) * matvecChunks(n, P) + matvecOverhead({ lanes: P, maxRows: 1, maxCols: 1 });
        c += n + stats + n + bitLinearQuantLatency() + 1 + mv + bitLinearScaleLatency() + 1;
        break;
      }
      case 'dump':
      case 'end':
        break;
    }
    const e = (byOp[ins.op] ??= { count: 0, cycles: 0 });
    e.count++;
    e.cycles += c;
    total += c;
  }
  return { total, byOp };
}
