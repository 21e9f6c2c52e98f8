// mmf sim (and npm run sim): run the generated accelerator in Verilator against the fixed-point engine.
import type { Command } from 'commander';
import { openModel } from '../../model/open.ts';
import { simulateAccel } from '../../sim/accel-sim.ts';
import { addHardwareOptions, hardwareConfig } from '../hardware-options.ts';
import { accelGeometry, portBits } from '../../accel/config.ts';
import { positiveInt } from './generate.ts';
import { outputFile, intOption, numberOption } from '../options.ts';
import { PROMPT_IDS_HELP, promptTokens } from './prompt.ts';
import { DRAM_PRESET_NAMES, dramSetup, type DramSetup } from '../../sim/dram-presets.ts';

/** The external target's memory: a preset at the port's width, with the overrides given. */
function dramOptions(o: SimOptions, portBits: number): DramSetup {
  return dramSetup(o.dram, portBits, {
    ...(o.dramBytesPerCycle !== undefined ? { bytesPerCycle: numberOption(o.dramBytesPerCycle, '--dram-bytes-per-cycle', { min: 0.001 }) } : {}),
    ...(o.dramLatency !== undefined ? { latency: intOption(o.dramLatency, '--dram-latency', { min: 1 }) } : {}),
    backPressure: numberOption(o.dramBackpressure ?? '0', '--dram-backpressure', { min: 0, max: 0.9 }),
    seed: intOption(o.dramSeed ?? '1', '--dram-seed', { min: 0 }),
  });
}

interface SimOptions {
  model?: string;
  prompt?: string;
  promptIds?: string;
  dram: string;
  dramBytesPerCycle?: string;
  dramLatency?: string;
  dramBackpressure?: string;
  dramSeed?: string;
  tokens: string;
  trace?: string;
  gates?: boolean;
  json?: boolean;
  target: string;
  lanes?: string;
  rowLanes?: string;
  packing?: string;
}

export function registerSim(program: Command): void {
  const cmd = program
    .command('sim')
    .description('co-simulate the generated RTL in Verilator against the fixed-point golden engine, bit for bit')
    .option('--model <dir|file>', 'checkpoint directory or packed model (default: the embedded tiny model)')
    .option('--prompt <text>', "the prompt (default 'ROMEO:')")
    .option('--prompt-ids <ids>', PROMPT_IDS_HELP)
    .option('--dram <preset>', `external target: the memory behind the weight port (${DRAM_PRESET_NAMES.join(', ')}; docs/dram.md)`, 'ideal')
    .option('--dram-bytes-per-cycle <B>', "external target: the memory's peak bytes per cycle, in place of the preset's")
    .option('--dram-latency <C>', "external target: read latency in cycles, in place of the preset's")
    .option('--dram-backpressure <p>', 'external target: probability per cycle that the memory holds back a command or a word (seeded)', '0')
    .option('--dram-seed <s>', 'external target: seed of the back-pressure', '1')
    .option('--tokens <n>', 'tokens to generate', '16')
    .option('--trace <file.fst>', 'write an FST waveform')
    .option('--gates', 'simulate the netlist yosys synth_ice40 makes (iCE40 cell models), not the RTL')
    .option('--json', 'print one JSON object instead of text');
  addHardwareOptions(cmd).action(async (o: SimOptions) => {
    const tokens = positiveInt(o.tokens, '--tokens');
    const config = hardwareConfig(o);
    if (o.trace !== undefined) outputFile(o.trace, '--trace'); // an unwritable waveform fails now, not silently after the run
    const dram = config.target === 'external' ? dramOptions(o, portBits(config)) : undefined;
    if (!dram && o.dram !== 'ideal') throw new Error('--dram is for the external target (--target external)');
    const m = openModel(o.model);
    const promptText = o.promptIds === undefined ? (o.prompt ?? 'ROMEO:') : o.prompt;
    const prompt = promptTokens({ ...(promptText !== undefined ? { prompt: promptText } : {}), ...(o.promptIds !== undefined ? { promptIds: o.promptIds } : {}) }, m.tokenizer, m.weights.config.vocabSize);
    const r = await simulateAccel({
      ...(dram ? { dram } : {}),
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
      ...(config.target === 'external' ? (({ rowLanes, packing }) => ({ rowLanes, packing, portBits: portBits(config) }))(accelGeometry(m.weights.config, config)) : {}),
      netlist: o.gates ? 'gates (yosys synth_ice40)' : 'rtl',
      prompt: promptText ?? null,
      promptTokens: prompt,
      tokens: r.tokens,
      goldenTokens: r.goldenTokens,
      text: o.promptIds === undefined ? m.tokenizer.decode(r.tokens) : r.tokens.join(','),
      bitExact: r.bitExact,
      compared: r.compared,
      mismatchCount: r.mismatchCount,
      mismatches: r.mismatches,
      cyclesPerToken: r.cyclesPerToken,
      boundCycles: r.boundCycles,
      boundRatio: r.cyclesPerToken / r.boundCycles,
      ...(r.dram ? { weightBytesPerToken: r.weightBytesPerToken, streamBytesPerToken: r.streamBytesPerToken, dram: r.dram, dramStats: r.dramStats } : {}),
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
      process.stdout.write(o.promptIds === undefined ? `${promptText}${summary.text}\n` : `${summary.text}\n`);
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
