// mmf sim (and npm run sim): run the generated accelerator in Verilator against the fixed-point engine.
import type { Command } from 'commander';
import { openModel } from '../../model/open.ts';
import { simulateAccel } from '../../sim/accel-sim.ts';
import { addHardwareOptions, hardwareConfig } from '../hardware-options.ts';
import { positiveInt } from './generate.ts';
import { outputFile } from '../options.ts';

interface SimOptions {
  model?: string;
  prompt: string;
  tokens: string;
  trace?: string;
  gates?: boolean;
  json?: boolean;
  target: string;
  lanes?: string;
}

export function registerSim(program: Command): void {
  const cmd = program
    .command('sim')
    .description('co-simulate the generated RTL in Verilator against the fixed-point golden engine, bit for bit')
    .option('--model <dir|file>', 'checkpoint directory or packed model (default: the embedded tiny model)')
    .option('--prompt <text>', 'the prompt', 'ROMEO:')
    .option('--tokens <n>', 'tokens to generate', '16')
    .option('--trace <file.fst>', 'write an FST waveform')
    .option('--gates', 'simulate the netlist yosys synth_ice40 makes (iCE40 cell models), not the RTL')
    .option('--json', 'print one JSON object instead of text');
  addHardwareOptions(cmd).action(async (o: SimOptions) => {
    const tokens = positiveInt(o.tokens, '--tokens');
    const config = hardwareConfig(o);
    if (o.trace !== undefined) outputFile(o.trace, '--trace'); // an unwritable waveform fails now, not silently after the run
    const m = openModel(o.model);
    const prompt = m.tokenizer.encode(o.prompt);
    if (prompt.length === 0) throw new Error('--prompt is empty');
    const r = await simulateAccel({
      weights: m.weights,
      config,
      prompt,
      tokens,
      ...(o.trace ? { trace: o.trace } : {}),
      ...(o.gates ? { gates: true } : {}),
      log: (msg) => {
        if (!o.json && (msg.startsWith('verilator') || msg.startsWith('yosys') || process.env.MMF_VERBOSE)) process.stderr.write(msg + '\n');
      },
    });
    const summary = {
      model: m.label,
      target: config.target,
      lanes: config.lanes,
      netlist: o.gates ? 'gates (yosys synth_ice40)' : 'rtl',
      prompt: o.prompt,
      promptTokens: prompt,
      tokens: r.tokens,
      goldenTokens: r.goldenTokens,
      text: m.tokenizer.decode(r.tokens),
      bitExact: r.bitExact,
      compared: r.compared,
      mismatchCount: r.mismatchCount,
      mismatches: r.mismatches,
      cyclesPerToken: r.cyclesPerToken,
      boundCycles: r.boundCycles,
      boundRatio: r.cyclesPerToken / r.boundCycles,
      stepCycles: r.stepCycles,
      loadCycles: r.loadCycles,
      simulatedCycles: r.simulatedCycles,
      wallSeconds: r.wallSeconds,
      cyclesPerSecond: r.cyclesPerSecond,
      tokensPerSecond: r.tokensPerSecond,
      verilatorCache: r.cached ? 'hit' : 'built',
    };
    if (o.json) {
      process.stdout.write(JSON.stringify(summary) + '\n');
    } else {
      process.stdout.write(`${o.prompt}${summary.text}\n`);
      process.stderr.write(
        [
          `verilator model: ${r.cached ? 'from the cache' : 'built'}`,
          `${r.stepCycles.length} steps, ${r.cyclesPerToken.toFixed(0)} cycles per token (weight-bandwidth bound ${r.boundCycles}: ${summary.boundRatio.toFixed(2)}x)`,
          `weight load: ${r.loadCycles} cycles; ${(r.cyclesPerSecond / 1e6).toFixed(2)} M simulated cycles/s, ${r.tokensPerSecond.toFixed(1)} tokens/s`,
          r.bitExact
            ? `bit-exact: ${r.compared} values (layer inputs, states, logits, argmax) match the fixed-point engine`
            : `MISMATCH: ${r.mismatchCount} of ${r.compared} values differ; first: ${r.mismatches.map((x) => `step ${x.step} ${x.what}${x.layer >= 0 ? ` layer ${x.layer}` : ''}[${x.index}] rtl ${x.rtl} golden ${x.golden}`).join('; ')}`,
        ].join('\n') + '\n',
      );
    }
    if (!r.bitExact) process.exitCode = 2;
  });
}
