// iCE40 PLL settings (SB_PLL40_*, feedback SIMPLE) for a wanted output clock, found as icepll finds them:
// every divider setting inside the PLL's ranges (Lattice iCE40 sysCLOCK PLL design guide), keeping the
// one closest to the wanted frequency from below, so the design never runs faster than it was asked to.
//   f_pfd = f_in / (DIVR + 1)   10 .. 133 MHz
//   f_vco = f_pfd (DIVF + 1)    533 .. 1066 MHz
//   f_out = f_vco / 2^DIVQ      16 .. 275 MHz, DIVQ 1 .. 6

export interface PllSettings {
  divr: number;
  divf: number;
  divq: number;
  /** The loop filter for f_pfd (icepll's table). */
  filterRange: number;
  /** What the PLL gives with these dividers. */
  outHz: number;
}

const MHZ = 1e6;

function filterRange(pfdHz: number): number {
  const f = pfdHz / MHZ;
  return f < 17 ? 1 : f < 26 ? 2 : f < 44 ? 3 : f < 66 ? 4 : f < 101 ? 5 : 6;
}

export function pllSettings(inHz: number, wantHz: number): PllSettings {
  let best: PllSettings | undefined;
  for (let divr = 0; divr <= 15; divr++) {
    const pfd = inHz / (divr + 1);
    if (pfd < 10 * MHZ || pfd > 133 * MHZ) continue;
    for (let divf = 0; divf <= 127; divf++) {
      const vco = pfd * (divf + 1);
      if (vco < 533 * MHZ || vco > 1066 * MHZ) continue;
      for (let divq = 1; divq <= 6; divq++) {
        const outHz = vco / 2 ** divq;
        if (outHz < 16 * MHZ || outHz > 275 * MHZ || outHz > wantHz) continue;
        if (!best || outHz > best.outHz) best = { divr, divf, divq, filterRange: filterRange(pfd), outHz };
      }
    }
  }
  if (!best) throw new RangeError(`no iCE40 PLL setting turns ${inHz / MHZ} MHz into at most ${wantHz / MHZ} MHz (the PLL gives 16 to 275 MHz)`);
  return best;
}

/** The SB_PLL40_PAD parameters, as Verilog binary literals. */
export function pllParams(s: PllSettings): Record<'DIVR' | 'DIVF' | 'DIVQ' | 'FILTER_RANGE', string> {
  const bin = (v: number, w: number) => `${w}'b${v.toString(2).padStart(w, '0')}`;
  return { DIVR: bin(s.divr, 4), DIVF: bin(s.divf, 7), DIVQ: bin(s.divq, 3), FILTER_RANGE: bin(s.filterRange, 3) };
}
