// A synchronous first-word-fall-through FIFO on a block RAM. The RAM has a registered read port (what
// iCE40 EBR provides), so the head word is prefetched into the read register; capacity is depth + 1.
import { defineModule } from '../core/generator.ts';
import { UInt, clog2 } from '../core/types.ts';
import { flip, stream } from '../core/signature.ts';
import { fire } from './stream.ts';

export interface FifoParams {
  [k: string]: number;
  width: number;
  /** RAM words; a power of two so the pointers wrap by themselves. */
  depth: number;
}

export const fifo = defineModule('fifo', (m, p: FifoParams) => {
  if (!Number.isInteger(Math.log2(p.depth)) || p.depth < 2) throw new RangeError(`fifo depth must be a power of two >= 2, got ${p.depth}`);
  const aw = clog2(p.depth);
  const words = stream(UInt(p.width));
  const input = m.port(flip(words), 'in');
  const output = m.port(words, 'out');

  const mem = m.memory('ram', UInt(p.width), p.depth);
  const wptr = m.reg('wptr', UInt(aw), { reset: 0 });
  const rptr = m.reg('rptr', UInt(aw), { reset: 0 });
  // Words in the RAM, not counting the one waiting in the read register.
  const stored = m.reg('stored', UInt(clog2(p.depth + 1)), { reset: 0 });
  const headValid = m.reg('head_valid', UInt(1), { reset: 0 });

  m.assign(input.ready, stored.ne(p.depth));
  const push = m.let('push', fire(input));
  // Refill the read register when it is empty or being emptied this cycle.
  const fetch = m.let('fetch', stored.ne(0).and(headValid.not().or(output.ready)));

  mem.write(wptr, input.data, push);
  const head = mem.read(rptr, { enable: fetch, name: 'head' });
  m.assign(output.valid, headValid);
  m.assign(output.data, head);

  m.sync(() => {
    m.if(push, () => wptr.set(wptr.add(1).trunc(aw)));
    m.if(fetch, () => {
      rptr.set(rptr.add(1).trunc(aw));
      headValid.set(1);
    }).elif(output.ready, () => headValid.set(0));
    // Both counters move at most one step; the sum/difference stays in range by the ready logic.
    stored.set(stored.zext(stored.width + 1).add(push.zext(stored.width + 1)).sub(fetch.zext(stored.width + 1)).trunc(stored.width));
  });
});
