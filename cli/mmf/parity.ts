// mmf parity: compare an engine with the upstream reference outputs beside a checkpoint.
import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { defaultText, engineKind, makeEngine, openModel } from '../../model/open.ts';
import { parityWindows, promptParity, type ReferencePrompt, type ReferenceVal } from '../../model/run/parity.ts';
import { availableWindows, VAL } from '../../model/run/validation.ts';
import { validationLossParallel } from '../../model/run/validation-pool.ts';
import { readSafetensors, tensorToFloat32 } from '../../model/checkpoint/safetensors.ts';
import { progress } from './progress.ts';
import { intOption, readInputFile } from '../options.ts';

interface ReferenceJson {
  prompts: ReferencePrompt[];
  val?: ReferenceVal;
}

export function registerParity(program: Command): void {
  program
    .command('parity')
    .description('compare with <model>/reference.json and reference.safetensors (upstream PyTorch outputs)')
    .option('--model <dir>', 'checkpoint directory holding the reference files (default: the embedded tiny model)')
    .option('--engine <float|fixed>', 'engine', 'float')
    .option('--text <file>', 'text for the validation loss (default: data/tinyshakespeare.txt, shipped)')
    .option('--windows <n>', 'validation windows (default: what reference.json val states, else all the text holds, at most 256)')
    .option('--json', 'print one JSON object')
    .action(async (o: { model?: string; engine: string; text?: string; windows?: string; json?: boolean }) => {
      const requested = o.windows === undefined ? undefined : intOption(o.windows, '--windows', { min: 1 });
      const m = openModel(o.model);
      const engine = makeEngine(engineKind(o.engine), m.weights);
      const refJsonPath = path.join(m.dir, 'reference.json');
      const refTensorsPath = path.join(m.dir, 'reference.safetensors');
      for (const p of [refJsonPath, refTensorsPath]) if (!fs.existsSync(p)) throw new Error(`${p}: missing; parity needs the reference files beside the model`);
      let ref: ReferenceJson;
      try {
        ref = JSON.parse(fs.readFileSync(refJsonPath, 'utf8')) as ReferenceJson;
      } catch (e) {
        throw new Error(`${refJsonPath}: not valid JSON (${(e as Error).message})`);
      }
      if (!Array.isArray(ref.prompts)) throw new Error(`${refJsonPath}: no "prompts" array`);
      const tensors = readSafetensors(refTensorsPath);
      const prompts = ref.prompts.map((p, i) => {
        if (!Array.isArray(p.ids) || !Array.isArray(p.greedy_ids)) throw new Error(`${refJsonPath}: prompts[${i}] needs "ids" and "greedy_ids"`);
        const name = `logits.${i}`;
        if (!tensors.tensors.has(name)) throw new Error(`${refTensorsPath}: no tensor ${name}`);
        return { text: p.text, ...promptParity(engine, p, tensorToFloat32(tensors, name)) };
      });
      const textPath = o.text ?? defaultText();
      let valLoss: number | null = null;
      let windows: { windows: number; source: string } | null = null;
      if (textPath) {
        const picked = parityWindows(ref.val, availableWindows(readInputFile(textPath, '--text'), m.tokenizer), VAL.length, VAL.windows, requested);
        if ('error' in picked) {
          const who = picked.error.startsWith('val.') ? `${refJsonPath}: ` : picked.error.startsWith('--windows') ? '' : `${textPath}: `;
          throw new Error(`${who}${picked.error}`);
        }
        windows = picked;
        const count = picked.windows;
        const bar = progress(`validation loss (${engine.kind})`, count);
        valLoss = (await validationLossParallel({ model: o.model, engine: engine.kind, textPath, windows: count }, undefined, (d) => bar.update(d))).loss;
        bar.stop();
      }
      const agree = prompts.reduce((s, p) => s + p.teacherForcedAgree, 0);
      const total = prompts.reduce((s, p) => s + p.teacherForcedTotal, 0);
      const refValLoss = ref.val?.loss_nats_per_byte ?? null;
      const result = {
        engine: engine.kind,
        model: m.label,
        valLoss,
        refValLoss,
        valLossRelDiff: valLoss !== null && refValLoss !== null ? (valLoss - refValLoss) / refValLoss : null,
        windows: windows?.windows ?? null,
        windowsFrom: windows?.source ?? null,
        teacherForcedAgreement: agree / total,
        maxAbsLogitDiff: Math.max(...prompts.map((p) => p.maxAbsLogitDiff)),
        meanAbsLogitDiff: prompts.reduce((s, p) => s + p.meanAbsLogitDiff, 0) / prompts.length,
        freeRunMatched: prompts.map((p) => p.freeRunMatched),
        prompts,
      };
      if (o.json) {
        console.log(JSON.stringify(result));
        return;
      }
      console.log(`${engine.kind} engine vs upstream reference (${m.label})`);
      for (const p of prompts) {
        console.log(`  ${JSON.stringify(p.text)}: max|dlogit| ${p.maxAbsLogitDiff.toExponential(2)}, mean ${p.meanAbsLogitDiff.toExponential(2)}, teacher-forced ${p.teacherForcedAgree}/${p.teacherForcedTotal}, free-run ${p.freeRunMatched} tokens`);
      }
      console.log(`  teacher-forced agreement ${(100 * result.teacherForcedAgreement).toFixed(2)}%`);
      if (valLoss !== null) console.log(`  validation loss ${valLoss.toFixed(6)} over ${windows!.windows} windows (${windows!.source}) vs reference ${refValLoss} (${(100 * (result.valLossRelDiff ?? NaN)).toFixed(4)}%)`);
      else console.log('  validation loss: skipped (no --text and no data/tinyshakespeare.txt)');
    });
}
