// mmf parity: compare an engine with the upstream reference outputs beside a checkpoint.
import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { defaultText, engineKind, makeEngine, openModel } from '../../model/open.ts';
import { promptParity, type ReferencePrompt } from '../../model/run/parity.ts';
import { validationWindows } from '../../model/run/validation.ts';
import { validationLossParallel } from '../../model/run/validation-pool.ts';
import { readSafetensors, tensorToFloat32 } from '../../model/checkpoint/safetensors.ts';
import { progress } from './progress.ts';
import { readInputFile } from '../options.ts';

interface ReferenceJson {
  prompts: ReferencePrompt[];
  val?: { loss_nats_per_byte?: number };
}

export function registerParity(program: Command): void {
  program
    .command('parity')
    .description('compare with <model>/reference.json and reference.safetensors (upstream PyTorch outputs)')
    .option('--model <dir>', 'checkpoint directory holding the reference files (default: the embedded tiny model)')
    .option('--engine <float|fixed>', 'engine', 'float')
    .option('--text <file>', 'text for the validation loss (default: ../shared/data/tinyshakespeare.txt when present)')
    .option('--json', 'print one JSON object')
    .action(async (o: { model?: string; engine: string; text?: string; json?: boolean }) => {
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
      if (textPath) {
        const count = validationWindows(readInputFile(textPath, '--text'), m.tokenizer).length;
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
      if (valLoss !== null) console.log(`  validation loss ${valLoss.toFixed(6)} vs reference ${refValLoss} (${(100 * (result.valLossRelDiff ?? NaN)).toFixed(4)}%)`);
      else console.log('  validation loss: skipped (no --text and no ../shared/data/tinyshakespeare.txt)');
    });
}
