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
        // pass 1, its last operand read (1); S -> rsqrt -> latched (1); pass 2, its last operand read (1);
        // the last q -> q_done (1) -> matvec start; the matvec; the output scale; its last row counted in
        // bl_count (1) and seen by the controller (1).
        const stats = 1 + bitLinearQuantStatsLatency() + rsqrtUnitLatency() + 1;
        const mv = (ins.rows ?? 0) * matvecChunks(n, P) + matvecOverhead({ lanes: P, maxRows: 1, maxCols: 1 });
        c += n + stats + n + 1 + bitLinearQuantLatency() + 1 + mv + bitLinearScaleLatency() + 2;
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
