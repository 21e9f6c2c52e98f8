// The external target's DRAM image: every word a token reads, in the order it is read. Checked by walking
// the program as the controller does and reading each word back from the image.
import { describe, expect, it } from 'vitest';
import { compileProgram } from '../program.ts';
import { fixedParams } from '../../model/fixed/fixed-model.ts';
import { randomModel } from '../../sim/random-model.ts';
import { WSEL } from '../isa.ts';
import { externalImage, inlineWords } from './stream-image.ts';
import { trit5MatrixWords, unpackTrit5Matrix } from './trit5-matrix.ts';
import { portBits } from '../config.ts';

const SHAPES = [
  { hiddenSize: 40, intermediateSize: 72, numLayers: 2, vocabSize: 100, useLowerBound: false },
  { hiddenSize: 64, intermediateSize: 256, numLayers: 1, vocabSize: 256 },
  { hiddenSize: 24, intermediateSize: 40, numLayers: 3, vocabSize: 37 },
];

describe('the external DRAM image', () => {
  for (const shape of SHAPES) {
    for (const [lanes, packing] of [[8, '2bit'], [32, '2bit'], [256, '2bit'], [32, '5trit'], [64, '5trit'], [256, '5trit']] as const) {
      it(`holds each instruction's words after it, d=${shape.hiddenSize} I=${shape.intermediateSize} L=${shape.numLayers} V=${shape.vocabSize}, ${lanes} lanes, ${packing}`, () => {
        const config = { target: 'external', lanes, packing } as const;
        const prog = compileProgram(fixedParams(randomModel(shape, 3)), config);
        const img = externalImage(prog);
        const B = prog.geometry.banks;
        const wb = img.wordBytes;
        expect(wb * 8).toBe(portBits(config));
        const word = (a: number) => img.bytes.subarray(a * wb, (a + 1) * wb);
        const u16 = (a: number, k: number) => img.bytes[a * wb + 2 * k]! | (img.bytes[a * wb + 2 * k + 1]! << 8);
        // Walk the token routine: instruction words, then what the instruction consumes.
        let at = img.body.start;
        const iw = prog.instructionWideWords;
        for (const [k, ins] of prog.instructions.entries()) {
          if (k === 0) continue; // EMBED is the head
          // the instruction's words are its ROM word
          let rom = 0n;
          for (let j = iw * wb - 1; j >= 0; j--) rom = (rom << 8n) | BigInt(img.bytes[at * wb + j]!);
          expect(rom).toBe(prog.rom[k]);
          at += iw;
          const n = ins.n ?? 0;
          const params = (): number[] => {
            const out: number[] = [];
            for (let j = 0; j < n; j++) out.push(u16(at + Math.floor(j / B), j % B));
            at += Math.ceil(n / B);
            return out;
          };
          const expected = Array.from(prog.image.subarray(ins.param ?? 0, (ins.param ?? 0) + n));
          if (ins.op === 'element' && (ins.wsel ?? WSEL.param) === WSEL.param) expect(params()).toEqual(expected);
          if (ins.op === 'bitlinear') {
            expect(params()).toEqual(expected);
            expect(params()).toEqual(expected);
            const rows = ins.rows ?? 0;
            if (packing === '2bit') {
              const words = rows * Math.ceil(n / lanes);
              for (let j = 0; j < words; j++) {
                const g = (ins.wbase! + j) * wb;
                expect(word(at + j)).toEqual(new Uint8Array(prog.image.buffer, prog.image.byteOffset + g, wb));
              }
              at += words;
            } else {
              // the 5-trit run decodes to the 2-bit image's codes, row by row
              const words = trit5MatrixWords(rows, n, lanes, wb);
              const codes = unpackTrit5Matrix(img.bytes.subarray(at * wb, (at + words) * wb), rows, n, lanes, wb);
              const chunkHalves = lanes / 8;
              const perRow = Math.ceil(n / lanes);
              const two = (r: number, c: number) => {
                const i = (r * perRow + Math.floor(c / lanes)) * chunkHalves * 8 + (c % lanes);
                const v = (prog.image[ins.wbase! * B + (i >> 3)]! >> (2 * (i & 7))) & 3;
                return v === 1 ? 1 : v === 3 ? -1 : 0;
              };
              for (let r = 0; r < rows; r += Math.max(1, Math.floor(rows / 7))) for (let c = 0; c < n; c++) expect(codes[r * n + c]).toBe(two(r, c));
              at += words;
            }
          }
        }
        expect(at).toBe(img.body.start + img.body.words);
        expect(img.body.words).toBe(prog.instructions.slice(1).reduce((s, ins) => s + iw + inlineWords(ins, prog.geometry), 0));
        // Each embedding row: its scale word, then the int8 codes.
        const emb = prog.instructions[0]!;
        const fixed = fixedParams(randomModel(shape, 3));
        for (const v of [0, 1, shape.vocabSize - 1]) {
          const row = img.embeddings.start + v * img.embeddings.rowWords;
          expect(u16(row, 0)).toBe(prog.image[emb.param! + v]);
          for (let j = 0; j < shape.hiddenSize; j++) {
            const byte = img.bytes[(row + 1) * wb + j]!;
            expect((byte << 24) >> 24).toBe(fixed.embeddings.codes[v * shape.hiddenSize + j]);
          }
        }
        expect(img.wordsPerToken).toBe(img.head.words + img.embeddings.rowWords + img.body.words);
        expect(img.words).toBe(img.embeddings.start + shape.vocabSize * img.embeddings.rowWords);
      });
    }
  }
});
