// The protocol engine's version-2 fields and its VERIFY, in Verilator: the engine alone, its bytes driven
// straight into rx (no UART), its replies taken from tx at a UART-like pace, behind a fake weight store
// (a load index that counts words, seeks, and takes verify_ok as `loaded`, as the ECPIX-5's logic does)
// and a fake read-back source that answers verify_start after `verify_delay` cycles with the CRC on
// `fake_crc`. Images of a few hundred words and of a 370M model's 46 M words (26-bit load index); the
// engine with and without read-back.
import { describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { elaborate } from '../hdl/ir/elaborate.ts';
import { writeVerilog } from '../hdl/verilog/emit.ts';
import { buildVerilatorModel, runModel, StimulusScript, type PortSpec } from '../flow/verilator.ts';
import { protocolEngine } from './protocol-engine.ts';
import { SlipDecoder, slipEncode } from '../protocol/slip.ts';
import { buildFrame, decodeReply, encodeRequest, type Reply, type Request } from '../protocol/frame.ts';
import { crc16 } from '../protocol/crc16.ts';
import { CRC16, ERROR_CODE, PROTOCOL_VERSION, REQUEST } from '../protocol/spec.ts';
import { haveVerilator, testTempDir } from '../flow/verilator-test-support.ts';

const tmp = testTempDir('engine-verify-test-');

const VOCAB = 300;
const bench = (engineName: string, liW: number, words: number, verify: boolean) => `
module pe_bench (
  input wire clk, input wire rst,
  input wire rx_valid, input wire [7:0] rx_data,
  input wire [15:0] fake_crc, input wire [15:0] verify_delay,
  output wire tx_valid, output wire [7:0] tx_data, output wire tx_fire,
  output wire loaded, output wire [${liW - 1}:0] load_index, output wire [7:0] starts
);
  // The UART takes a byte every 16 cycles (the engine's serial CRCs need 8 per byte).
  reg [3:0] pace;
  wire tx_ready = pace == 4'd0;
  assign tx_fire = tx_valid && tx_ready;
  reg [${liW - 1}:0] idx;
  reg verified;
  wire load_valid, load_seek;
  wire [15:0] load_data;
  wire [${liW - 1}:0] load_seek_addr;
  assign load_index = verified ? ${liW}'d${words} : idx;
  assign loaded = verified || idx == ${liW}'d${words};
  reg [7:0] n_starts;
  assign starts = n_starts;
${
  verify
    ? `  wire verify_start, verify_ok;
  reg verify_done;
  reg [15:0] verify_crc, left;
  always @(posedge clk) begin
    verify_done <= 1'b0;
    if (rst) begin left <= 16'd0; n_starts <= 8'd0; verify_crc <= 16'd0; end
    else if (verify_start) begin left <= verify_delay; n_starts <= n_starts + 8'd1; end
    else if (left == 16'd1) begin left <= 16'd0; verify_done <= 1'b1; verify_crc <= fake_crc; end
    else if (left != 16'd0) left <= left - 16'd1;
  end`
    : `  wire verify_ok = 1'b0;
  always @(posedge clk) n_starts <= 8'd0;
  wire unused = &{1'b0, fake_crc, verify_delay};`
}
  always @(posedge clk) begin
    pace <= rst ? 4'd0 : pace + 4'd1;
    if (rst) begin idx <= ${liW}'d0; verified <= 1'b0; end
    else begin
      if (load_seek) begin idx <= load_seek_addr; verified <= 1'b0; end
      else if (load_valid) idx <= idx + ${liW}'d1;
      if (verify_ok) verified <= 1'b1;
    end
  end
  wire busy, tok_in_valid, tok_in_clear, tok_out_ready;
  wire [8:0] tok_in_data;
  wire unused_engine = &{1'b0, load_data, busy, tok_in_valid, tok_in_clear, tok_out_ready, tok_in_data};
  ${engineName} u (.clk(clk), .rst(rst), .rx_valid(rx_valid), .rx_data(rx_data), .tx_valid(tx_valid), .tx_ready(tx_ready),
    .tx_data(tx_data), .load_valid(load_valid), .load_data(load_data), .load_seek(load_seek), .load_seek_addr(load_seek_addr),
    .load_index(load_index), .loaded(loaded), .tok_in_valid(tok_in_valid), .tok_in_ready(1'b0), .tok_in_data(tok_in_data),
    .tok_in_clear(tok_in_clear), .tok_out_valid(1'b0), .tok_out_ready(tok_out_ready), .tok_out_data(9'd0), .busy(busy)${
      verify ? ', .verify_start(verify_start), .verify_ok(verify_ok), .verify_done(verify_done), .verify_crc(verify_crc)' : ''
    });
endmodule
`;

async function model(words: number, verify: boolean) {
  const liW = Math.max(1, Math.ceil(Math.log2(words + 1)));
  const dir = fs.mkdtempSync(path.join(tmp(), 'pe-'));
  const engine = protocolEngine({ imageWords: words, loadIndexBits: liW, vocabSize: VOCAB, tokenBits: 9, modelHash: 0xc0ffee, verify });
  const files = writeVerilog(elaborate(engine), dir);
  const b = path.join(dir, 'pe_bench.v');
  fs.writeFileSync(b, bench(engine.name, liW, words, verify));
  const p = (name: string, width: number, dir: 'input' | 'output'): PortSpec => ({ name, width, dir });
  const ports = [
    p('clk', 1, 'input'), p('rst', 1, 'input'), p('rx_valid', 1, 'input'), p('rx_data', 8, 'input'), p('fake_crc', 16, 'input'),
    p('verify_delay', 16, 'input'), p('tx_valid', 1, 'output'), p('tx_data', 8, 'output'), p('tx_fire', 1, 'output'), p('loaded', 1, 'output'),
    p('load_index', liW, 'output'), p('starts', 8, 'output'),
  ];
  return buildVerilatorModel({ top: 'pe_bench', sources: [b, ...files], ports, cacheDir: path.join(tmp(), 'cache') });
}

type Step = { frame: Uint8Array; crc?: number; delay?: number; wait?: number };

/** Sends each frame's bytes (12 cycles apart), waits, and returns the replies the engine sent, in order. */
async function exchange(words: number, verify: boolean, steps: Step[]): Promise<Reply[]> {
  const m = await model(words, verify);
  const s = new StimulusScript(m.ports).set('rst', 1).set('rx_valid', 0).set('fake_crc', 0).set('verify_delay', 1).tick(3).set('rst', 0);
  s.monitor('tx', 'tx_fire', 'tx_data');
  s.tick(1200); // the boot announcement
  for (const st of steps) {
    if (st.crc !== undefined) s.set('fake_crc', st.crc);
    if (st.delay !== undefined) s.set('verify_delay', st.delay);
    for (const b of slipEncode(st.frame)) s.set('rx_valid', 1).set('rx_data', b).tick(1).set('rx_valid', 0).tick(11);
    s.tick(st.wait ?? 1500);
  }
  const r = await runModel(m, s, { timeoutMs: 120_000 });
  const replies: Reply[] = [];
  const dec = new SlipDecoder((f) => replies.push(decodeReply(f)));
  dec.push(Uint8Array.from((r.monitors.get('tx') ?? []).map(Number)));
  return replies;
}

const req = (r: Request, seq: number) => encodeRequest(r, seq);
const FRESH = { loaded: 0, position: 0, token: 0, next: 0, imageCrc: CRC16.init };

describe.skipIf(!haveVerilator)('the protocol engine, version 2 and VERIFY (Verilator, fake read-back)', () => {
  for (const words of [300, 46_137_344]) {
    it(`${words} image words: HELLO, VERIFY found and not found, 32-bit offsets, a frame during a verify`, { timeout: 300_000 }, async () => {
      const good = 0x5a3c;
      const bad = 0x0f0f;
      const load3 = [0x1234, 0xc0db, 0x00dd];
      const crc3 = crc16(load3.flatMap((w) => [w & 0xff, w >> 8]));
      const big = 2 ** 24 + 77; // past the 24 bits of version 1
      const rs = await exchange(words, true, [
        { frame: req({ type: 'hello' }, 1) },
        { frame: req({ type: 'verify', crc: bad }, 2), crc: 0x4242, delay: 40 },
        { frame: req({ type: 'status' }, 3) },
        { frame: req({ type: 'load', offset: 0, words: load3 }, 4) },
        { frame: req({ type: 'load', offset: big, words: [1] }, 5) },
        // A failed VERIFY sends the load back to word 0.
        { frame: req({ type: 'verify', crc: bad }, 6), crc: 0x4243 },
        { frame: req({ type: 'status' }, 7) },
        { frame: req({ type: 'verify', crc: good }, 8), crc: good },
        { frame: req({ type: 'status' }, 9) },
        { frame: req({ type: 'load', offset: words, words: [1] }, 10) },
        // A LOAD while the reader runs is busy (answered once the VERIFY is); a STATUS waits for the VERIFY's reply.
        { frame: req({ type: 'verify', crc: good }, 11), crc: good, delay: 3000, wait: 10 },
        { frame: req({ type: 'load', offset: 0, words: [5] }, 12), wait: 5000 },
        { frame: req({ type: 'verify', crc: good }, 13), wait: 10 },
        { frame: req({ type: 'status' }, 14), wait: 5000 },
        { frame: buildFrame(REQUEST.verify, 15, [1]) },
        { frame: req({ type: 'prompt', token: 1 }, 16) },
      ]);
      const loadedState = { loaded: 1, position: 0, token: 0, next: words, imageCrc: good };
      const bySeq = new Map(rs.map((r) => [r.seq, r]));
      expect(rs.map((r) => r.seq)).toEqual([0, ...Array.from({ length: 16 }, (_, i) => i + 1)]);
      expect(rs[0]).toMatchObject({ type: 'hello', seq: 0 });
      expect(bySeq.get(1)!.fields).toMatchObject({ ...FRESH, version: PROTOCOL_VERSION, imageWords: words, modelHash: 0xc0ffee });
      expect(bySeq.get(2)).toMatchObject({ type: 'error', fields: { ...FRESH, code: ERROR_CODE.verify, arg: 0x4242 } });
      expect(bySeq.get(3)).toMatchObject({ type: 'status', fields: FRESH });
      expect(bySeq.get(4)).toMatchObject({ type: 'load', fields: { loaded: 0, next: 3, imageCrc: crc3 } });
      // Past the image (the small one) is range, unless the offset is simply not `next` (the large one).
      expect(bySeq.get(5)).toMatchObject({ type: 'error', fields: { code: ERROR_CODE.offset, arg: 3 } });
      expect(bySeq.get(6)).toMatchObject({ type: 'error', fields: { ...FRESH, code: ERROR_CODE.verify, arg: 0x4243 } });
      expect(bySeq.get(7)).toMatchObject({ type: 'status', fields: FRESH });
      expect(bySeq.get(8)).toMatchObject({ type: 'verify', fields: loadedState });
      expect(bySeq.get(9)).toMatchObject({ type: 'status', fields: loadedState });
      expect(bySeq.get(10)).toMatchObject({ type: 'error', fields: { ...loadedState, code: ERROR_CODE.range, arg: words } });
      expect(bySeq.get(11)).toMatchObject({ type: 'verify', fields: loadedState });
      expect(bySeq.get(12)).toMatchObject({ type: 'error', fields: { code: ERROR_CODE.busy } });
      expect(bySeq.get(13)).toMatchObject({ type: 'verify', fields: loadedState });
      expect(bySeq.get(14)).toMatchObject({ type: 'status', fields: loadedState });
      expect(bySeq.get(15)).toMatchObject({ type: 'error', fields: { code: ERROR_CODE.length, arg: 5 } });
      // Loaded by VERIFY, the states still need a RESET (as after a LOAD).
      expect(bySeq.get(16)).toMatchObject({ type: 'error', fields: { code: ERROR_CODE.noReset } });
    });
  }

  it('without read-back, VERIFY is an unknown type and the engine has no verify ports', { timeout: 300_000 }, async () => {
    const rs = await exchange(300, false, [{ frame: req({ type: 'verify', crc: 0x1234 }, 1) }, { frame: req({ type: 'status' }, 2) }]);
    expect(rs.slice(1)).toMatchObject([
      { type: 'error', seq: 1, fields: { ...FRESH, code: ERROR_CODE.type, arg: REQUEST.verify } },
      { type: 'status', seq: 2, fields: FRESH },
    ]);
    const e = protocolEngine({ imageWords: 300, loadIndexBits: 9, vocabSize: VOCAB, tokenBits: 9, modelHash: 1 });
    expect(e.ports.map((p) => p.name).filter((n) => n.startsWith('verify'))).toEqual([]);
  });
});
