// Interface signatures: the shape of a bundle of signals as a value, so a valid/ready stream or a bus
// is declared, instantiated and connected as one thing (Amaranth's wiring.Signature, Chisel's Bundle).
// Every leaf has an HdlType and a flow: `out` goes from the side that produces the interface to the
// side that consumes it, `in` comes back (a stream's ready). Signatures nest: a bus is a bundle of
// streams, some flipped.
import { type HdlType, Bool, typeName } from './types.ts';

export type Flow = 'out' | 'in';

export interface LeafSig {
  readonly kind: 'leaf';
  readonly type: HdlType;
  readonly flow: Flow;
}

export interface BundleSig<F extends Fields = Fields> {
  readonly kind: 'bundle';
  readonly fields: F;
  /** Made by stream(): has valid (out), ready (in) and payload fields (out). */
  readonly stream: boolean;
}

export type Signature = LeafSig | BundleSig;
export type Fields = { readonly [name: string]: Signature };

/** What bundle() and stream() take for a field: a signature, or a bare type meaning Out(type). */
export type FieldSpec = Signature | HdlType;
type Normal<T extends FieldSpec> = T extends Signature ? T : LeafSig;
type NormalFields<F extends Record<string, FieldSpec>> = { readonly [K in keyof F]: Normal<F[K]> };

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** A leaf that flows from the producer to the consumer. */
export const Out = (type: HdlType): LeafSig => ({ kind: 'leaf', type, flow: 'out' });
/** A leaf that flows back, from the consumer to the producer. */
export const In = (type: HdlType): LeafSig => ({ kind: 'leaf', type, flow: 'in' });

function isSignature(x: FieldSpec): x is Signature {
  return 'kind' in x;
}

function normalise(spec: FieldSpec): Signature {
  return isSignature(spec) ? spec : Out(spec);
}

function checkNames(names: string[], what: string): void {
  if (names.length === 0) throw new Error(`${what} has no fields`);
  for (const n of names) if (!IDENT.test(n)) throw new Error(`${what} field '${n}' is not a valid identifier`);
}

/** A bundle of named fields, in the order given (which is the port order). */
export function bundle<F extends Record<string, FieldSpec>>(fields: F): BundleSig<NormalFields<F>> {
  checkNames(Object.keys(fields), 'bundle');
  const out: Record<string, Signature> = {};
  for (const [k, v] of Object.entries(fields)) out[k] = normalise(v);
  return { kind: 'bundle', fields: out as NormalFields<F>, stream: false };
}

type StreamFields<P> = P extends HdlType
  ? { readonly valid: LeafSig; readonly ready: LeafSig; readonly data: LeafSig }
  : P extends Record<string, FieldSpec>
    ? { readonly valid: LeafSig; readonly ready: LeafSig } & NormalFields<P>
    : never;

/**
 * A valid/ready stream: valid (out), ready (in), then the payload (out). A bare type is one payload
 * field named `data` (ports prefix_valid, prefix_ready, prefix_data); a record gives named payload
 * fields (prefix_addr, prefix_len, ... as AXI names them).
 */
export function stream<P extends HdlType | Record<string, FieldSpec>>(payload: P): BundleSig<StreamFields<P>> {
  const record: Record<string, FieldSpec> = 'width' in payload && 'signed' in payload && typeof payload.width === 'number' ? { data: payload as HdlType } : (payload as Record<string, FieldSpec>);
  checkNames(Object.keys(record), 'stream payload');
  const fields: Record<string, Signature> = { valid: Out(Bool), ready: In(Bool) };
  for (const [k, v] of Object.entries(record)) {
    if (k === 'valid' || k === 'ready') throw new Error(`stream payload field '${k}' clashes with the handshake`);
    const sig = normalise(v);
    const back = leavesOf(sig).find((l) => l.leaf.flow === 'in');
    if (back) throw new Error(`stream payload field '${[k, ...back.path].join('.')}' flows in; a payload flows with valid`);
    fields[k] = sig;
  }
  return { kind: 'bundle', fields: fields as unknown as StreamFields<P>, stream: true };
}

/** The same signature seen from the other side: every flow reversed. */
export function flip<S extends Signature>(sig: S): S {
  if (sig.kind === 'leaf') return { ...sig, flow: sig.flow === 'out' ? 'in' : 'out' };
  const fields: Record<string, Signature> = {};
  for (const [k, v] of Object.entries(sig.fields)) fields[k] = flip(v);
  return { ...sig, fields } as S;
}

export interface LeafAt {
  path: string[];
  leaf: LeafSig;
}

/** Every leaf with its path from the root, in declaration order (the port order). */
export function leavesOf(sig: Signature, path: string[] = []): LeafAt[] {
  if (sig.kind === 'leaf') return [{ path, leaf: sig }];
  return Object.entries(sig.fields).flatMap(([k, v]) => leavesOf(v, [...path, k]));
}

/** Payload field names of a stream signature (everything but valid and ready). */
export function payloadFields(sig: BundleSig): string[] {
  return Object.keys(sig.fields).filter((k) => k !== 'valid' && k !== 'ready');
}

/** A one-line description for error messages: `{valid: out UInt(1), ready: in UInt(1), data: out UInt(8)}`. */
export function describeSig(sig: Signature): string {
  if (sig.kind === 'leaf') return `${sig.flow} ${typeName(sig.type)}`;
  return `{${Object.entries(sig.fields).map(([k, v]) => `${k}: ${describeSig(v)}`).join(', ')}}`;
}
