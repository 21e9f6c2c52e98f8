// The host side of every board top: the UART (rx, tx at the pins) and the protocol engine between it and
// the board's weight store and accelerator. The engine's inputs that those drive (loaded, load_index,
// tok_in_ready, tok_out_*) are returned as wires for the top to assign; its outputs are the engine's.
import type { Expr } from '../hdl/core/expr.ts';
import type { Instance } from '../hdl/core/instance.ts';
import type { Module } from '../hdl/core/module.ts';
import type { Signal } from '../hdl/core/signal.ts';
import { Bool, UInt } from '../hdl/core/types.ts';
import { uartRx } from '../hdl/lib/uart-rx.ts';
import { uartTx, type UartParams } from '../hdl/lib/uart-tx.ts';

export interface HostInterface {
  /** The protocol engine: load_*, tok_in_*, tok_out_ready are its outputs. */
  eng: Instance;
  loaded: Signal;
  loadIndex: Signal;
  tokInReady: Signal;
  tokOutValid: Signal;
  tokOutData: Signal;
}

/** `engineInputs`: the engine's further inputs (a board with read-back: verify_done, verify_crc). */
export function placeHostInterface(m: Module, o: { engine: Module; uart: UartParams; rst: Expr; rxPin: Expr; txPin: Signal; loadIndexBits: number; tokenBits: number; engineInputs?: Record<string, Expr> }): HostInterface {
  const { rst } = o;
  const rx = m.instance('u_uart_rx', uartRx(o.uart), { rst, rx: o.rxPin });
  m.sink(rx.out('frame_error'));
  const txValid = m.wire('tx_valid', Bool);
  const txData = m.wire('tx_data', UInt(8));
  const tx = m.instance('u_uart_tx', uartTx(o.uart), { rst, in_valid: txValid, in_data: txData });
  m.assign(o.txPin, tx.out('tx'));

  const loaded = m.wire('loaded', Bool);
  const loadIndex = m.wire('load_index', UInt(o.loadIndexBits));
  const tokInReady = m.wire('tok_in_ready', Bool);
  const tokOutValid = m.wire('tok_out_valid', Bool);
  const tokOutData = m.wire('tok_out_data', UInt(o.tokenBits));
  const eng = m.instance('u_engine', o.engine, {
    rst,
    rx_valid: rx.out('out_valid'),
    rx_data: rx.out('out_data'),
    tx_ready: tx.out('in_ready'),
    loaded,
    load_index: loadIndex,
    tok_in_ready: tokInReady,
    tok_out_valid: tokOutValid,
    tok_out_data: tokOutData,
    ...o.engineInputs,
  });
  m.assign(txValid, eng.out('tx_valid'));
  m.assign(txData, eng.out('tx_data'));
  return { eng, loaded, loadIndex, tokInReady, tokOutValid, tokOutData };
}
