// The hardware options shared by gen-rtl and sim: --target and --lanes, checked into an AccelConfig.
import type { Command } from 'commander';
import { intOption } from './options.ts';
import { DEFAULT_CONFIG, PACKINGS, TARGETS, checkConfig, type AccelConfig, type Target } from '../accel/config.ts';

export function addHardwareOptions(cmd: Command, defaultTarget: Target = 'up5k'): Command {
  return cmd
    .option(`--target <${TARGETS.join('|')}>`, `hardware target: ${TARGETS.join(', ')}`, defaultTarget)
    .option('--lanes <P>', 'ternary weights per cycle (default 32; up5k needs 32)')
    .option('--packing <2bit|5trit>', 'external target: weights in DRAM at 2 bits, or five to a byte (1.6 bits), decoded in logic', '2bit')
    .option('--row-lanes <R>', 'elements the row side takes per cycle (external target; default: 1 where the row work hides behind the weight stream, else the parameter words a port word holds (lanes / 8 at 2 bits) dividing the model\'s widths)');
}

export function hardwareConfig(o: { target: string; lanes?: string; rowLanes?: string; packing?: string }): AccelConfig {
  if (!(TARGETS as readonly string[]).includes(o.target)) throw new Error(`--target must be one of ${TARGETS.join(', ')}, got '${o.target}'`);
  const target = o.target as Target;
  const lanes = o.lanes === undefined ? DEFAULT_CONFIG[target].lanes : intOption(o.lanes, '--lanes', { min: 1 });
  const rowLanes = o.rowLanes === undefined ? undefined : intOption(o.rowLanes, '--row-lanes', { min: 1 });
  if (o.packing !== undefined && !(PACKINGS as readonly string[]).includes(o.packing)) throw new Error(`--packing must be one of ${PACKINGS.join(', ')}, got '${o.packing}'`);
  if (o.packing !== undefined && o.packing !== '2bit' && target !== 'external') throw new Error(`--packing ${o.packing} is for the external target (--target external)`);
  const config: AccelConfig = { target, lanes, ...(rowLanes !== undefined ? { rowLanes } : {}), ...(o.packing === '5trit' ? { packing: '5trit' as const } : {}) };
  try {
    checkConfig(config);
  } catch (e) {
    throw new Error(`${rowLanes !== undefined && /row lanes/.test((e as Error).message) ? '--row-lanes' : '--lanes'}: ${(e as Error).message}`);
  }
  return config;
}
