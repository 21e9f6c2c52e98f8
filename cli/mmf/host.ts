// mmf host: generate text on a board (a serial port, a PCIe board's XDMA devices) or on the simulated
// board, through the same host code: handshake, weight upload (skipped when the board already holds
// them), RESET, the prompt, then the tokens as they arrive.
import type { Command } from 'commander';
import { openModel } from '../../model/open.ts';
import { modelHash } from '../../protocol/model-hash.ts';
import type { SimBoard } from '../../sim/board-sim.ts';
import { hostTarget, HOST_TARGET_NAMES, SIM_PRELOAD_WORDS } from './host-target.ts';
import { openTcp } from '../../host/transport-tcp.ts';
import { openSerial } from '../../host/transport-serial.ts';
import { openXdma, xdmaPaths } from '../../host/transport-xdma.ts';
import type { Transport } from '../../host/transport.ts';
import { Link } from '../../host/link.ts';
import { Board } from '../../host/board.ts';
import { generateOnBoard } from '../../host/session.ts';
import { positiveInt } from './generate.ts';
import { progress } from './progress.ts';
import { outputDecoder, promptTokens, PROMPT_IDS_HELP } from './prompt.ts';

interface HostOptions {
  port?: string;
  sim?: boolean;
  xdma?: string;
  board?: string;
  model?: string;
  prompt?: string;
  promptIds?: string;
  tokens: string;
  baud?: string;
  timeout?: string;
  json?: boolean;
  preload?: boolean;
}

export function registerHost(program: Command): void {
  program
    .command('host')
    .description('generate on a board over UART (or PCIe XDMA), or on the simulated board, through the same host code')
    .option('--port <device>', 'the board\'s serial port (the iCEBreaker\'s UART is /dev/ttyUSB1)')
    .option('--sim', 'start the simulated board (the board\'s RTL in Verilator, its UART on a TCP socket)')
    .option('--xdma <device>', 'a PCIe board through the XDMA driver: xdma0 means /dev/xdma0_h2c_0 and /dev/xdma0_c2h_0')
    .option(
      '--board <name>',
      `the board the bitstream was built for: ${HOST_TARGET_NAMES.join(', ')} (default: icebreaker on a serial port, ` +
        'generic through XDMA; with --sim icebreaker when the model fits its SPRAMs, else generic)',
    )
    .option('--model <dir|file>', 'checkpoint directory or packed model (default: the embedded tiny model)')
    .option('--prompt <text>', 'the prompt (default: ROMEO:)')
    .option('--prompt-ids <ids>', PROMPT_IDS_HELP)
    .option('--tokens <n>', 'tokens to generate', '32')
    .option('--baud <rate>', 'serial baud rate (default: the board\'s)')
    .option('--timeout <ms>', 'how long one reply may take (default 2000; on the simulated board 20000, more for a large model on the simulated ECPIX-5)')
    .option('--json', 'print one JSON object instead of text')
    .option('--preload', `with --sim --board ecpix5: start the simulated board with the image in its DRAM (default above ${SIM_PRELOAD_WORDS / 1e6} M words, whose upload over the simulated UART would take long)`)
    .option('--no-preload', 'with --sim --board ecpix5: upload the image over the simulated UART whatever its size')
    .action(async (o: HostOptions) => {
      const chosen = [o.port !== undefined, !!o.sim, o.xdma !== undefined].filter(Boolean).length;
      if (chosen !== 1) throw new Error('give exactly one of --port DEVICE, --sim or --xdma DEVICE');
      const tokens = positiveInt(o.tokens, '--tokens');
      // Checked before anything starts: an empty --baud or --timeout is refused, not taken as the default.
      const baud = o.baud !== undefined ? positiveInt(o.baud, '--baud') : undefined;
      const timeoutOption = o.timeout !== undefined ? positiveInt(o.timeout, '--timeout') : undefined;
      const m = openModel(o.model);
      const vocab = m.weights.config.vocabSize;
      const promptText = o.prompt ?? (o.promptIds === undefined ? 'ROMEO:' : undefined);
      const prompt = promptTokens({ prompt: promptText, promptIds: o.promptIds }, m.tokenizer, vocab);
      const decoder = outputDecoder(o, m.tokenizer, vocab);
      const say = (msg: string) => {
        if (!o.json) process.stderr.write(msg + '\n');
      };
      const target = hostTarget(o.board, o.sim ? 'sim' : o.xdma !== undefined ? 'xdma' : 'serial', m.weights);
      const spec = target.board;
      if (target.note) say(target.note);
      if (o.preload !== undefined && !(o.sim && spec.name === 'ecpix5')) throw new Error('--preload and --no-preload are for the simulated ECPIX-5 (--sim --board ecpix5)');
      const image = target.image;
      let sim: SimBoard | undefined;
      let transport: Transport;
      if (o.sim) {
        const started = await target.startSim({ ...(o.preload !== undefined ? { preload: o.preload } : {}), log: (msg) => msg.startsWith('verilator') && say(msg) });
        sim = started.sim;
        if (started.note) say(started.note);
        say(`simulated ${spec.name} board (${m.label}) on 127.0.0.1:${sim.port}${sim.cached ? ', Verilator model from the cache' : ''}`);
        transport = await openTcp('127.0.0.1', sim.port, `the simulated board at 127.0.0.1:${sim.port}`);
      } else if (o.xdma !== undefined) transport = await openXdma(xdmaPaths(o.xdma));
      else transport = await openSerial(o.port!, baud ?? spec.baud);
      const timeoutMs = timeoutOption ?? (o.sim ? target.simTimeoutMs : 2_000);
      const link = new Link(transport, { timeoutMs, attempts: 4, ...(process.env.MMF_VERBOSE ? { log: (s: string) => process.stderr.write(`link: ${s}\n`) } : {}) });
      const bar = o.json ? undefined : progress('uploading weights', image.length, { bytesPerUnit: 2 });
      if (!o.json) process.stdout.write(promptText ?? `${prompt.join(' ')} `);
      try {
        const r = await generateOnBoard(new Board(link), { image, modelHash: modelHash(image) }, {
          prompt,
          tokens,
          onProgress: (w) => bar?.update(w),
          onToken: (t) => {
            if (!o.json) process.stdout.write(decoder.push(t));
          },
          log: (msg) => {
            bar?.stop();
            say(msg);
          },
        });
        bar?.stop();
        const summary = {
          model: m.label,
          board: spec.name,
          transport: transport.name,
          prompt: promptText,
          promptTokens: prompt,
          tokens: r.tokens,
          text: m.tokenizer.decode(r.tokens),
          tokensPerSecond: r.tokensPerSecond,
          uploaded: r.uploaded,
          uploadSeconds: r.uploadSeconds,
          recoveries: r.recoveries,
          link: link.stats,
          // The simulated board's own count of each step's cycles (the ECPIX-5 reports them), and what they
          // make at the board's clock: the prompt's steps and then the generated ones.
          ...(sim && sim.stepCycles.length > 0 ? simulatedRate(sim.stepCycles, r.tokens.length, target.clockHz) : {}),
        };
        if (o.json) process.stdout.write(JSON.stringify(summary) + '\n');
        else {
          process.stdout.write(decoder.flush() + '\n');
          say(`${r.tokens.length} tokens, ${r.tokensPerSecond.toFixed(1)} tokens/s${r.uploaded ? `; weights uploaded in ${r.uploadSeconds.toFixed(1)} s` : '; weights were already on the board'}${r.recoveries ? `; ${r.recoveries} recoveries` : ''}`);
        }
      } finally {
        bar?.stop();
        await transport.close().catch(() => {});
        await sim?.close();
      }
    });
}

/**
 * Cycles per generated token as the simulated board counted them (its steps: the RESET's CLEAR, the
 * prompt, then one per generated token but the last), and tokens/s at the board's clock.
 */
function simulatedRate(steps: readonly number[], generatedTokens: number, clockHz: number | undefined): Record<string, unknown> {
  const generated = steps.slice(-Math.max(1, generatedTokens - 1));
  const per = generated.reduce((a, b) => a + b, 0) / generated.length;
  return { stepCycles: steps, cyclesPerToken: per, ...(clockHz !== undefined ? { clockMHz: clockHz / 1e6, tokensPerSecondAtClock: clockHz / per } : {}) };
}
