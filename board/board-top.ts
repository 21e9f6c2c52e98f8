// The board's top level: the accelerator behind a UART and the protocol engine, a power-on reset, the
// user button as a reset, and two LEDs. The same module runs on a board and, built by Verilator with
// its UART pins bridged to a TCP socket (sim/board-sim.ts), as the simulated board; only the UART's
// cycles per bit differ.
//
//   pins   clk (the board's oscillator), uart_rx, uart_tx, btn_n (active low; boards without a button
//          leave it out), led_loaded_n and led_busy_n (active low; left out where a board has none)
//
// With `pll` the design runs from an SB_PLL40_PAD on the clk pin instead of the oscillator itself: the
// top is then a shell (the PLL and the same pins) around the board logic as `<name>_core`, whose
// power-on reset also waits for the PLL's LOCK (two flip-flops bring it into the PLL's clock).
import { buildModule } from '../hdl/core/generator.ts';
import type { Module } from '../hdl/core/module.ts';
import { Bool, UInt } from '../hdl/core/types.ts';
import { lit, type Expr } from '../hdl/core/expr.ts';
import { accelTop, loadIndexBits } from '../accel/top.ts';
import type { AccelProgram } from '../accel/program.ts';
import { modelHash } from '../protocol/model-hash.ts';
import { protocolEngine } from './protocol-engine.ts';
import { placeHostInterface } from './host-interface.ts';
import { SB_PLL40_PAD } from '../hdl/vendor/ice40.ts';
import { pllParams, type PllSettings } from './pll.ts';

export interface BoardTopOptions {
  /** The board's oscillator. */
  clockHz: number;
  baud: number;
  /** A btn_n pin that resets the board (the protocol engine then announces itself again). */
  button: boolean;
  /** led_loaded_n and led_busy_n pins. */
  leds: boolean;
  /** Run the design at pll.outHz from the PLL (the UART divides that clock). */
  pll?: PllSettings;
}

/** Cycles the power-on reset holds: the flip-flops start at 0 after configuration, so a counter can count them. */
const POR_BITS = 4;

/** The clock the board logic runs at: the PLL's output, or the oscillator. */
export function designClockHz(o: Pick<BoardTopOptions, 'clockHz' | 'pll'>): number {
  return o.pll?.outHz ?? o.clockHz;
}

export function boardTop(prog: AccelProgram, o: BoardTopOptions, name = 'mmf_board'): Module {
  if (!o.pll) return boardLogic(prog, o, name);
  const pll = o.pll;
  const core = boardLogic(prog, o, `${name}_core`);
  return buildModule(name, (m) => {
    const zero = lit(0, Bool);
    const u = m.instance(
      'u_pll',
      SB_PLL40_PAD,
      { PACKAGEPIN: m.clk, RESETB: lit(1, Bool), BYPASS: zero, EXTFEEDBACK: zero, DYNAMICDELAY: lit(0, UInt(8)), LATCHINPUTVALUE: zero, SCLK: zero, SDI: zero },
      pllParams(pll),
    );
    m.sink(u.out('PLLOUTCORE'), u.out('SDO'));
    const conns: Record<string, Expr> = { clk: u.out('PLLOUTGLOBAL'), pll_lock: u.out('LOCK'), uart_rx: m.input('uart_rx', Bool) };
    if (o.button) conns.btn_n = m.input('btn_n', Bool);
    const c = m.instance('u_core', core, conns);
    m.assign(m.output('uart_tx', Bool), c.out('uart_tx'));
    if (o.leds) {
      m.assign(m.output('led_loaded_n', Bool), c.out('led_loaded_n'));
      m.assign(m.output('led_busy_n', Bool), c.out('led_busy_n'));
    }
  });
}

/** `value` brought into this module's clock through two flip-flops, `<name>_meta` and `<name>_sync`. */
function synchronised(m: Module, name: string, value: Expr): Expr {
  const meta = m.reg(`${name}_meta`, Bool);
  const sync = m.reg(`${name}_sync`, Bool);
  m.sync(() => {
    meta.set(value);
    sync.set(meta);
  });
  return sync;
}

/** The board logic at its design clock; with a PLL it also takes the PLL's LOCK (pll_lock). */
function boardLogic(prog: AccelProgram, o: BoardTopOptions, name: string): Module {
  const accel = accelTop(prog);
  const engine = protocolEngine({
    imageWords: prog.image.length,
    loadIndexBits: loadIndexBits(prog),
    vocabSize: prog.geometry.V,
    tokenBits: prog.geometry.tokenBits,
    modelHash: modelHash(prog.image),
  });
  const uart = { clockHz: designClockHz(o), baud: o.baud };
  return buildModule(name, (m) => {
    const uartRxPin = m.input('uart_rx', Bool);
    const uartTxPin = m.output('uart_tx', Bool);
    // No register here has a reset (that would make `rst` a pin): the power-on counter counts up from the
    // 0 the FPGA's flip-flops hold after configuration (and Verilator's models start with).
    const por = m.reg('por_count', UInt(POR_BITS));
    const porDone = m.let('por_done', por.andR());
    const button: Expr = o.button ? synchronised(m, 'btn', m.input('btn_n', Bool).not()) : lit(0, Bool);
    const unlocked: Expr = o.pll ? synchronised(m, 'lock', m.input('pll_lock', Bool)).not() : lit(0, Bool);
    m.sync(() => {
      m.if(porDone.not(), () => por.set(por.add(1).trunc(POR_BITS)));
      m.if(button.or(unlocked), () => por.set(0));
    });
    const rst = m.let('rst_board', porDone.not());

    const { eng, loaded, loadIndex, tokInReady, tokOutValid, tokOutData } = placeHostInterface(m, { engine, uart, rst, rxPin: uartRxPin, txPin: uartTxPin, loadIndexBits: loadIndexBits(prog), tokenBits: prog.geometry.tokenBits });
    const acc = m.instance('u_accel', accel, {
      rst,
      load_valid: eng.out('load_valid'),
      load_data: eng.out('load_data'),
      load_seek: eng.out('load_seek'),
      load_seek_addr: eng.out('load_seek_addr'),
      tok_in_valid: eng.out('tok_in_valid'),
      tok_in_data: eng.out('tok_in_data'),
      tok_in_clear: eng.out('tok_in_clear'),
      tok_out_ready: eng.out('tok_out_ready'),
      debug_en: lit(0, Bool),
    });
    m.assign(loaded, acc.out('loaded'));
    m.assign(loadIndex, acc.out('load_index'));
    m.assign(tokInReady, acc.out('tok_in_ready'));
    m.assign(tokOutValid, acc.out('tok_out_valid'));
    m.assign(tokOutData, acc.out('tok_out_data'));
    // The load stream never waits (load_ready is 1 until the image is complete, and the engine writes no
    // word past it); the debug read-out is off on a board.
    m.sink(acc.out('load_ready'), acc.out('dbg_valid'), acc.out('dbg_data'), acc.out('step_cycles'));
    if (o.leds) {
      m.assign(m.output('led_loaded_n', Bool), loaded.not());
      m.assign(m.output('led_busy_n', Bool), eng.out('busy').not());
    } else m.sink(eng.out('busy'));
  });
}
