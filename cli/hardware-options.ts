// The hardware options shared by gen-rtl and sim: --target and --lanes, checked into an AccelConfig.
import type { Command } from 'commander';
import { intOption } from './options.ts';
import { DEFAULT_CONFIG, PACKINGS, TARGETS, checkConfig, type AccelConfig, type Target } from '../accel/config.ts';
import type { OverlapOption } from '../accel/overlap.ts';

export function addHardwareOptions(cmd: Command, defaultTarget: Target = 'up5k'): Command {
  return cmd
    .option(`--target <${TARGETS.join('|')}>`, `hardware target: ${TARGETS.join(', ')}`, defaultTarget)
    .option('--lanes <P>', 'ternary weights per cycle (default 32; up5k needs 32)')
    .option('--packing <2bit|5trit>', 'external target: weights in DRAM at 2 bits, or five to a byte (1.6 bits), decoded in logic', '2bit')
    .option('--row-lanes <R>', 'elements the row side takes per cycle (external target; default: 1 where the row work hides behind the weight stream, else the parameter words a port word holds (lanes / 8 at 2 bits) dividing the model\'s widths)')
    .option('--port-bits <W>', 'external target at 5trit: the memory port\'s width when it is wider than the lanes need (default: the widest power of two up to 1.6 x lanes, at least 64)')
    .option('--column-lanes <A>', 'FFF models: outputs of node_out taken at a time (a power of two up to the lanes; default the lanes; fewer save logic cells, cost cycles)')
    .option('--overlap', 'on-chip targets: start the next instructions while a matrix streams where the data allow (accel/overlap.ts; off by default: it does not fit the UP5K)');
}

export function hardwareConfig(o: { target: string; lanes?: string; rowLanes?: string; packing?: string; portBits?: string; columnLanes?: string; overlap?: boolean }): AccelConfig & OverlapOption {
  if (!(TARGETS as readonly string[]).includes(o.target)) throw new Error(`--target must be one of ${TARGETS.join(', ')}, got '${o.target}'`);
  const target = o.target as Target;
  const lanes = o.lanes === undefined ? DEFAULT_CONFIG[target].lanes : intOption(o.lanes, '--lanes', { min: 1 });
  const rowLanes = o.rowLanes === undefined ? undefined : intOption(o.rowLanes, '--row-lanes', { min: 1 });
  if (o.packing !== undefined && !(PACKINGS as readonly string[]).includes(o.packing)) throw new Error(`--packing must be one of ${PACKINGS.join(', ')}, got '${o.packing}'`);
  if (o.packing !== undefined && o.packing !== '2bit' && target !== 'external') throw new Error(`--packing ${o.packing} is for the external target (--target external)`);
  const portBits = o.portBits === undefined ? undefined : intOption(o.portBits, '--port-bits', { min: 1 });
  const columnLanes = o.columnLanes === undefined ? undefined : intOption(o.columnLanes, '--column-lanes', { min: 1 });
  if (o.overlap === true && target === 'external') throw new Error('--overlap is for the on-chip targets (up5k, generic): the external target prefetches its weight stream instead');
  const config: AccelConfig & OverlapOption = {
    target,
    lanes,
    ...(rowLanes !== undefined ? { rowLanes } : {}),
    ...(o.packing === '5trit' ? { packing: '5trit' as const } : {}),
    ...(portBits !== undefined ? { portBits } : {}),
    ...(columnLanes !== undefined ? { columnLanes } : {}),
    ...(o.overlap === true ? { overlap: true } : {}),
  };
  try {
    checkConfig(config);
  } catch (e) {
    const msg = (e as Error).message;
    const option = rowLanes !== undefined && /row lanes/.test(msg) ? '--row-lanes' : portBits !== undefined && /port/.test(msg) ? '--port-bits' : columnLanes !== undefined && /column lanes/.test(msg) ? '--column-lanes' : '--lanes';
    throw new Error(`${option}: ${msg}`);
  }
  return config;
}
