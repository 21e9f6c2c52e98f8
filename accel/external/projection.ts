// Cycles per token of the external target (top.ts) with its weights streaming from a memory of a given
// rate and latency, without simulating the RTL: a projection for models and memories too large to
// co-simulate. The controller's own work is the cycle model of accel/timing.ts (predictCycles, phase by
// phase); the stream is the weight streamer's (weight-streamer.ts): word w is commanded no sooner than
// 1 / rate cycles after word w - 1 and than word w - depth was popped (its credit), arrives `latency`
// cycles later and can be popped STREAMER_FALL_THROUGH cycles after that. The controller pops in the
// order the image lays the words out (stream-image.ts):
//   fetch                 an instruction's words, one a cycle as they are there
//   parameter pass        waits until all of its words are there, then takes n cycles
//   embedding row         its scale word, then (all of its codes there) the pass
//   matvec                a word a cycle as they are there
// A memory's sustained rate (refresh, row misses: sim/dram-presets.ts expectedSequentialEfficiency) is
// the caller's to fold into `wordsPerCycle`. Every token starts with an empty prefetch FIFO (the next
// token is not known before the argmax), so the latency is paid once per token at least.
import type { AccelProgram } from '../program.ts';
import { bitlinearPhases, instructionOverhead, predictCycles } from '../timing.ts';
import { externalImage, inlineWords, matrixWords, type ExternalImage } from './stream-image.ts';
import { prefetchDepth } from './top.ts';
import { STREAMER_FALL_THROUGH } from './weight-streamer.ts';

export interface StreamRate {
  /** Port words the memory delivers per cycle, sustained (at most 1: the port's width). */
  wordsPerCycle: number;
  /** Cycles from a command to its word. */
  latency: number;
}

export interface ExternalProjection {
  /** Projected cycles per token. */
  cycles: number;
  /** The controller's own cycles (the weights on chip: predictCycles). */
  computeCycles: number;
  /** Cycles spent waiting for words (cycles - computeCycles). */
  streamStalls: number;
  /** Port words a token reads, and the cycles the memory needs for them at its rate. */
  words: number;
  streamCycles: number;
}

/** The word stream of one token: its words are issued in index order, popped in index order. */
class Stream {
  private readonly pops: Float64Array;
  private issued = 0;
  private lastIssue = -Infinity;
  private readonly avail: number[] = [];
  private popped = 0;
  constructor(
    private readonly rate: StreamRate,
    private readonly depth: number,
    private readonly start: number,
  ) {
    this.pops = new Float64Array(depth);
  }

  /** The cycle word w can be popped. */
  availAt(w: number): number {
    while (this.issued <= w) {
      const k = this.issued;
      // the credit: word k - depth popped (the FIFO's room), then the command goes out a cycle later
      const credit = k >= this.depth ? this.pops[k % this.depth]! + 1 : this.start;
      const t = Math.max(this.start, this.lastIssue + 1 / this.rate.wordsPerCycle, credit);
      this.lastIssue = t;
      this.avail[k % (2 * this.depth)] = Math.ceil(t) + this.rate.latency + STREAMER_FALL_THROUGH;
      this.issued++;
    }
    return this.avail[w % (2 * this.depth)]!;
  }

  /** Pop the next word at cycle t (the caller has waited for it). */
  pop(t: number): void {
    if (this.popped >= this.issued) this.availAt(this.popped);
    this.pops[this.popped % this.depth] = t;
    this.popped++;
  }

  get next(): number {
    return this.popped;
  }
}

export function projectExternalCycles(prog: AccelProgram, rate: StreamRate, img: ExternalImage = externalImage(prog)): ExternalProjection {
  if (!(rate.wordsPerCycle > 0 && rate.wordsPerCycle <= 1)) throw new RangeError(`projection: wordsPerCycle must be in (0, 1], got ${rate.wordsPerCycle}`);
  if (!(Number.isInteger(rate.latency) && rate.latency >= 1)) throw new RangeError(`projection: latency must be a whole number of cycles >= 1, got ${rate.latency}`);
  const g = prog.geometry;
  const B = g.banks;
  const iw = prog.instructionWideWords;
  const s = new Stream(rate, prefetchDepth(img), 0);
  let t = 1; // step_cycles counts from 1 in the cycle the token is taken (top.ts)

  // Pop one word as soon as it is there, then go on a cycle later.
  const popNow = () => {
    t = Math.max(t, s.availAt(s.next));
    s.pop(t);
    t++;
  };
  // A pass of `cycles` over `words` words that waits for all of them first; its pops spread over the pass.
  const pass = (words: number, cycles: number) => {
    if (words > 0) t = Math.max(t, s.availAt(s.next + words - 1));
    for (let k = 0; k < words; k++) s.pop(t + Math.floor(((k + 1) * cycles) / words) - 1);
    t += cycles;
  };
  const overhead = instructionOverhead(prog) - iw; // decode, next and the rest besides the fetch's words

  for (const ins of prog.instructions) {
    for (let k = 0; k < iw; k++) popNow();
    const n = ins.n ?? 0;
    const work = predictCycles({ ...prog, instructions: [ins] }).total - instructionOverhead(prog);
    switch (ins.op) {
      case 'embed':
        popNow(); // the row's scale word
        pass(g.embedRowWords, work - 1);
        break;
      case 'element':
        pass(inlineWords(ins, g), work);
        break;
      case 'bitlinear': {
        const b = bitlinearPhases(prog, ins);
        const paramWords = Math.ceil(n / B);
        pass(paramWords, b.pass1 + b.stats);
        pass(paramWords, b.pass2);
        // the matrix's words as they come, one a cycle; at 5 trits the gearbox may also hold them to the lanes' pace
        const from = t;
        for (let k = 0; k < matrixWords(ins, g); k++) popNow();
        t = Math.max(t, from + b.matvecWords);
        t += b.matvecTail + b.tail;
        break;
      }
      default:
        t += work;
    }
    t += overhead;
  }
  const computeCycles = predictCycles(prog).total;
  const cycles = t - 1;
  return { cycles, computeCycles, streamStalls: cycles - computeCycles, words: img.wordsPerToken, streamCycles: img.wordsPerToken / rate.wordsPerCycle };
}
