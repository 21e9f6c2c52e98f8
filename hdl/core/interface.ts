// Interface values: a signature's leaves made into signals of one module, as one typed object
// (`s.valid`, `s.ready`, `s.addr`), and connect(), which wires two of them in one call with every
// field's width, signedness and direction checked.
//
// A view is seen from the module that holds it. Its role says which leaves that module reads:
//   producer  the interface comes into this module's logic (an instance's output stream, or this
//             module's own input port seen from inside): `out` leaves are read, `in` leaves driven;
//   consumer  the interface leaves through it (this module's output port, an instance's input
//             stream): `out` leaves are driven, `in` leaves read;
//   wire      internal wires, either way round; connect() decides by the other side.
import type { Expr } from './expr.ts';
import type { Signal } from './signal.ts';
import type { Module } from './module.ts';
import type { Instance } from './instance.ts';
import { type BundleSig, type Flow, type LeafSig, type Signature, leavesOf } from './signature.ts';
import { type HdlType, typeName } from './types.ts';
import { type SourceLoc, callerLocation } from './source.ts';
import { reportError } from './errors.ts';

export type Role = 'producer' | 'consumer' | 'wire';

/** The typed value of a signature: every leaf a Signal, every bundle an object of its fields. */
export type View<S extends Signature> = S extends LeafSig ? Signal : S extends BundleSig<infer F> ? ViewOf<F> : never;
type ViewOf<F> = { readonly [K in keyof F]: F[K] extends Signature ? View<F[K]> : never } & { readonly [META]: ViewMeta };

const META: unique symbol = Symbol('interface');

export interface ViewMeta {
  readonly sig: BundleSig;
  readonly role: Role;
  /** The port or wire name prefix of this (sub-)bundle, for messages: `in`, `axi_ar`. */
  readonly name: string;
  /** The module whose signals the leaves are. */
  readonly owner: Module;
}

/** Any interface value, whatever its signature. */
export type AnyView = { readonly [META]: ViewMeta };

export function isView(x: unknown): x is AnyView {
  return typeof x === 'object' && x !== null && META in x;
}

export function viewMeta(v: AnyView): ViewMeta {
  return v[META];
}

/** Port or wire name of a leaf: prefix_field_sub. */
export function leafName(prefix: string, path: readonly string[]): string {
  return [prefix, ...path].join('_');
}

function buildView(sig: BundleSig, role: Role, name: string, owner: Module, leaf: (path: string[]) => Signal, path: string[] = []): AnyView {
  const obj: Record<string, unknown> = {};
  for (const [k, f] of Object.entries(sig.fields)) {
    obj[k] = f.kind === 'leaf' ? leaf([...path, k]) : buildView(f, role, leafName(name, [k]), owner, leaf, [...path, k]);
  }
  Object.defineProperty(obj, META, { value: { sig, role, name, owner } satisfies ViewMeta, enumerable: false });
  return Object.freeze(obj) as AnyView;
}

/** The leaf signals of a view with their paths, in declaration order. */
export function viewLeaves(v: AnyView): { path: string[]; leaf: LeafSig; signal: Signal }[] {
  return leavesOf(viewMeta(v).sig).map(({ path, leaf }) => {
    let node: unknown = v;
    for (const k of path) node = (node as Record<string, unknown>)[k];
    return { path, leaf, signal: node as Signal };
  });
}

export interface PortOptions {
  /** Outgoing leaves are registers (set in m.sync); by default they are wires (driven by assign/comb). */
  reg?: boolean;
  /** Reset values of registered leaves by path (`{ valid: 0 }`); leaves not named have no reset. */
  reset?: Readonly<Record<string, number | bigint>>;
}

/**
 * Ports of `m` for a signature this module produces: `out` leaves are outputs, `in` leaves inputs.
 * A module that consumes an interface declares flip(sig).
 */
export function declarePorts<S extends BundleSig>(m: Module, sig: S, prefix: string, opts: PortOptions = {}): View<S> {
  const known = new Set(leavesOf(sig).map((l) => l.path.join('.')));
  for (const k of Object.keys(opts.reset ?? {})) {
    if (!known.has(k)) reportError(`port ${prefix}: reset names '${k}', which is not a field of ${prefix}`, callerLocation());
  }
  const byPath = new Map<string, Signal>();
  for (const { path, leaf } of leavesOf(sig)) {
    const name = leafName(prefix, path);
    const reset = opts.reset?.[path.join('.')];
    byPath.set(
      path.join('.'),
      leaf.flow === 'in' ? m.input(name, leaf.type) : m.output(name, leaf.type, opts.reg ? (reset === undefined ? { reg: true } : { reg: true, reset }) : {}),
    );
  }
  return buildView(sig, 'consumer', prefix, m, (p) => byPath.get(p.join('.'))!) as View<S>;
}

/** Internal wires of `m` for a signature: connect them either way round, or drive them in logic. */
export function declareWires<S extends BundleSig>(m: Module, sig: S, prefix: string): View<S> {
  const byPath = new Map<string, Signal>();
  for (const { path, leaf } of leavesOf(sig)) byPath.set(path.join('.'), m.wire(leafName(prefix, path), leaf.type));
  return buildView(sig, 'wire', prefix, m, (p) => byPath.get(p.join('.'))!) as View<S>;
}

/** A child module's ports for a signature under a prefix, and which side of it the child is on. */
export interface ChildPorts {
  /** producer: the child outputs the `out` leaves (so the parent reads them). */
  role: 'producer' | 'consumer';
  ports: Map<string, Signal>;
}

/**
 * Match a signature against a child module's ports `prefix_*`: every leaf must exist with the same
 * type, and the child must be on one side of all of them. Errors are reported; undefined if any.
 */
export function childPorts(def: Module, sig: BundleSig, prefix: string, side: string, what: string, loc: SourceLoc): ChildPorts | undefined {
  const ports = new Map<string, Signal>();
  const missing: { name: string; field: string }[] = [];
  let ok = true;
  const outputsOut: string[] = [];
  const inputsOut: string[] = [];
  for (const { path, leaf } of leavesOf(sig)) {
    const name = leafName(prefix, path);
    const p = def.signals.find((s) => s.name === name && s.dir !== 'internal');
    if (!p) {
      missing.push({ name, field: path.join('.') });
      continue;
    }
    if (!sameType(p.type, leaf.type)) {
      const kind = p.type.width === leaf.type.width ? 'signedness' : 'width';
      reportError(`${what}: ${kind} mismatch: ${def.name} port '${name}' is ${typeName(p.type)} but ${side}.${path.join('.')} is ${typeName(leaf.type)}`, loc);
      ok = false;
    }
    // An output carrying an `out` leaf, or an input carrying an `in` one, means the child produces.
    ((p.dir === 'output') === (leaf.flow === 'out') ? outputsOut : inputsOut).push(name);
    ports.set(path.join('.'), p);
  }
  if (missing.length > 0) {
    const s = missing.length > 1 ? 's' : '';
    reportError(`${what}: missing field${s}: ${def.name} has no port${s} ${missing.map((x) => `'${x.name}'`).join(', ')} for ${missing.map((x) => `${side}.${x.field}`).join(', ')}`, loc);
    ok = false;
  }
  if (outputsOut.length > 0 && inputsOut.length > 0) {
    const [few, many] = outputsOut.length < inputsOut.length ? [outputsOut, inputsOut] : [inputsOut, outputsOut];
    const fmt = (names: string[]) => names.map((n) => `${def.port(n).dir} '${n}'`).join(', ');
    reportError(`${what}: direction mismatch: on ${def.name}, ${fmt(few)} ${few.length > 1 ? 'disagree' : 'disagrees'} with ${fmt(many)} about which side produces ${side}`, loc);
    ok = false;
  }
  if (!ok) return undefined;
  return { role: inputsOut.length === 0 ? 'producer' : 'consumer', ports };
}

/** The parent's view of an instance's interface: child outputs are their parent wires, inputs the wires left to drive. */
export function instanceView<S extends BundleSig>(parent: Module, inst: Instance, sig: S, prefix: string): View<S> {
  const loc = callerLocation();
  const what = `instance ${inst.name}`;
  const child = childPorts(inst.def, sig, prefix, prefix, what, loc);
  const byPath = new Map<string, Signal>();
  for (const { path, leaf } of leavesOf(sig)) {
    const port = child?.ports.get(path.join('.'));
    const s = port && (port.dir === 'output' ? inst.outputs.get(port.name) : inst.deferred.get(port.name));
    if (port && !s) reportError(`${what}: input '${port.name}' was connected when ${inst.name} was placed; connect '${prefix}' in one place`, loc);
    // A stand-in keeps the view whole after an error (the module will not elaborate anyway).
    byPath.set(path.join('.'), s ?? parent.wire(`${inst.name}_${leafName(prefix, path)}_unconnected`, leaf.type));
  }
  return buildView(sig, child?.role ?? 'producer', `${inst.name}.${prefix}`, parent, (p) => byPath.get(p.join('.'))!) as View<S>;
}

function sameType(a: HdlType, b: HdlType): boolean {
  return a.width === b.width && a.signed === b.signed;
}

/** Does the holding module read this leaf (rather than drive it)? Undefined for wires. */
function reads(role: Role, flow: Flow): boolean | undefined {
  return role === 'wire' ? undefined : (role === 'producer') === (flow === 'out');
}

export interface LeafPair {
  path: string[];
  /** The side the value comes from ('a' or 'b'), read by the module; the other side is driven. */
  from: 'a' | 'b';
}

export interface Side {
  sig: BundleSig;
  role: Role;
  name: string;
}

/**
 * Pair two interfaces leaf by leaf: same fields, same types, and on every leaf exactly one side is
 * the source. Mismatches are reported (one error per kind) and their leaves left out of the result.
 */
export function pairLeaves(a: Side, b: Side, what: string, loc: SourceLoc): LeafPair[] {
  const aLeaves = new Map(leavesOf(a.sig).map((l) => [l.path.join('.'), l]));
  const bLeaves = new Map(leavesOf(b.sig).map((l) => [l.path.join('.'), l]));
  const onlyA = [...aLeaves.keys()].filter((k) => !bLeaves.has(k));
  const onlyB = [...bLeaves.keys()].filter((k) => !aLeaves.has(k));
  if (onlyA.length > 0) reportError(`${what}: missing field${onlyA.length > 1 ? 's' : ''} ${onlyA.map((k) => `'${k}'`).join(', ')} on ${b.name} (${a.name} has ${onlyA.length > 1 ? 'them' : 'it'})`, loc);
  if (onlyB.length > 0) reportError(`${what}: missing field${onlyB.length > 1 ? 's' : ''} ${onlyB.map((k) => `'${k}'`).join(', ')} on ${a.name} (${b.name} has ${onlyB.length > 1 ? 'them' : 'it'})`, loc);

  const common = [...aLeaves.keys()].filter((k) => bLeaves.has(k));
  // A wire bundle takes whichever side makes the first common field flow; two wire bundles flow a -> b.
  let aRole = a.role;
  let bRole = b.role;
  const first = common[0];
  if (first !== undefined) {
    const fa = aLeaves.get(first)!.leaf.flow;
    const fb = bLeaves.get(first)!.leaf.flow;
    if (aRole === 'wire' && bRole === 'wire') aRole = 'producer';
    if (aRole === 'wire') aRole = reads(bRole, fb) ? (fa === 'out' ? 'consumer' : 'producer') : fa === 'out' ? 'producer' : 'consumer';
    if (bRole === 'wire') bRole = reads(aRole, fa) ? (fb === 'out' ? 'consumer' : 'producer') : fb === 'out' ? 'producer' : 'consumer';
  }

  const pairs: LeafPair[] = [];
  const typeErrors: { k: string; ta: HdlType; tb: HdlType }[] = [];
  const bothRead: string[] = [];
  const bothDrive: string[] = [];
  for (const k of common) {
    const la = aLeaves.get(k)!.leaf;
    const lb = bLeaves.get(k)!.leaf;
    if (!sameType(la.type, lb.type)) {
      typeErrors.push({ k, ta: la.type, tb: lb.type });
      continue;
    }
    const ra = reads(aRole, la.flow)!;
    const rb = reads(bRole, lb.flow)!;
    if (ra === rb) {
      (ra ? bothRead : bothDrive).push(`'${k}'`);
      continue;
    }
    pairs.push({ path: aLeaves.get(k)!.path, from: ra ? 'a' : 'b' });
  }
  for (const { k, ta, tb } of typeErrors) {
    reportError(`${what}: ${ta.width === tb.width ? 'signedness' : 'width'} mismatch: '${k}' is ${typeName(ta)} on ${a.name} but ${typeName(tb)} on ${b.name}`, loc);
  }
  if (bothRead.length > 0) reportError(`${what}: direction mismatch: ${bothRead.join(', ')} ${bothRead.length > 1 ? 'come' : 'comes'} out of both ${a.name} and ${b.name}; one side must take ${bothRead.length > 1 ? 'them' : 'it'} in (flip one signature?)`, loc);
  if (bothDrive.length > 0) reportError(`${what}: direction mismatch: ${bothDrive.join(', ')} ${bothDrive.length > 1 ? 'go' : 'goes'} into both ${a.name} and ${b.name}; nothing drives ${bothDrive.length > 1 ? 'them' : 'it'} (flip one signature?)`, loc);
  return pairs;
}

export function leafAt(v: AnyView, path: readonly string[]): Signal {
  let node: unknown = v;
  for (const k of path) node = (node as Record<string, unknown>)[k];
  return node as Signal;
}

/**
 * Connect two interfaces of `m` in one call: every `out` leaf from the producing side to the consuming
 * side, every `in` leaf back. Order does not matter; two wire bundles connect a -> b.
 */
export function connect(m: Module, a: AnyView, b: AnyView): void {
  const loc = callerLocation();
  if (!isView(a) || !isView(b)) {
    reportError('connect: both sides must be interfaces (from m.port, m.wires or inst.io)', loc);
    return;
  }
  const ma = viewMeta(a);
  const mb = viewMeta(b);
  const what = `connect ${ma.name} and ${mb.name}`;
  for (const meta of [ma, mb]) {
    if (meta.owner !== m) {
      reportError(`${what}: ${meta.name} belongs to ${meta.owner.name}, not ${m.name}`, loc);
      return;
    }
  }
  for (const { path, from } of pairLeaves(ma, mb, what, loc)) {
    const [src, dst] = from === 'a' ? [leafAt(a, path), leafAt(b, path)] : [leafAt(b, path), leafAt(a, path)];
    drive(m, dst, src, what, loc);
  }
}

/** `assign dst = src` for a connection, refusing a register target with a message that says why. */
export function drive(m: Module, dst: Signal, src: Expr, what: string, loc: SourceLoc): void {
  if (dst.storage === 'reg') {
    reportError(`${what}: ${dst.name} is a register; set it in m.sync, or connect a wire`, loc);
    return;
  }
  m.assign(dst, src);
}
