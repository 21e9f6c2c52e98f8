// The module builder: ports, wires, registers, comb and sync blocks with if/switch, memories and
// instances. A Module records what the generator says; the IR checks (hdl/ir) and the Verilog printer
// (hdl/verilog) read it afterwards. Errors found while building are collected on the module.
import { Expr, type ExprLike, ConstExpr, checkCondition, toBig, toExpr } from './expr.ts';
import { Signal, type Direction, type SignalOwner, type Storage } from './signal.ts';
import type { AssignStmt, IfStmt, Process, Stmt, SwitchStmt } from './statements.ts';
import { Memory, type MemoryOwner } from './memory.ts';
import { Instance, type ParamValue } from './instance.ts';
import { type HdlType, Bool, typeName, typeRange } from './types.ts';
import { type SourceLoc, callerLocation } from './source.ts';
import { HdlError, type ErrorSink, reportError } from './errors.ts';
import type { BundleSig } from './signature.ts';
import { type AnyView, type PortOptions, type View, childPorts, connect, declarePorts, declareWires, drive, isView, leafAt, pairLeaves, viewMeta } from './interface.ts';

export interface RegOptions {
  /** Value loaded by the module's synchronous reset `rst`; omit for datapath registers with no reset. */
  reset?: number | bigint;
}

export interface BlackboxPort {
  name: string;
  dir: 'input' | 'output';
  width: number;
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;
export const CLOCK_NAME = 'clk';
export const RESET_NAME = 'rst';

export class Module implements SignalOwner, MemoryOwner, ErrorSink {
  readonly signals: Signal[] = [];
  readonly continuous: AssignStmt[] = [];
  readonly processes: Process[] = [];
  readonly memories: Memory[] = [];
  readonly instances: Instance[] = [];
  /** Values the designer declared as intentionally unused (so lint stays quiet about them). */
  readonly sinks: { value: Expr; loc: SourceLoc }[] = [];
  readonly errors: HdlError[] = [];
  /** Verilog parameters with defaults; only vendor black boxes have them. */
  readonly params: Record<string, ParamValue> = {};
  /** Black boxes: for each output, the inputs it depends on combinationally (default: none). */
  readonly combPaths = new Map<string, string[]>();
  /** A free-form note printed in the module header (what the generator parameters were). */
  description = '';

  private readonly names = new Map<string, SourceLoc>();
  private readonly blocks: Stmt[][] = [];
  private blockKind: 'comb' | 'sync' | undefined;
  private frozen = false;
  private clock: Signal | undefined;
  private reset: Signal | undefined;

  constructor(
    readonly name: string,
    readonly loc: SourceLoc = callerLocation(),
    readonly blackbox = false,
  ) {
    if (!IDENT.test(name)) throw new HdlError(`module name '${name}' is not a valid identifier`, loc);
  }

  report(err: HdlError): void {
    this.errors.push(err);
  }

  /** Called once the generator has returned: later changes are errors. */
  freeze(): void {
    this.frozen = true;
  }

  // ---- declarations ---------------------------------------------------------------------------

  input(name: string, type: HdlType): Signal {
    return this.declare(name, type, 'input', 'wire', undefined, callerLocation());
  }

  /** An output port. With `{ reg: true }` it is a register driven by sync blocks. */
  output(name: string, type: HdlType, opts: { reg?: boolean } & RegOptions = {}): Signal {
    const loc = callerLocation();
    return this.declare(name, type, 'output', opts.reg ? 'reg' : 'wire', this.resetOf(opts, type, loc), loc);
  }

  wire(name: string, type: HdlType): Signal {
    return this.declare(name, type, 'internal', 'wire', undefined, callerLocation());
  }

  reg(name: string, type: HdlType, opts: RegOptions = {}): Signal {
    const loc = callerLocation();
    return this.declare(name, type, 'internal', 'reg', this.resetOf(opts, type, loc), loc);
  }

  /** Name a value: declares a wire of the value's type driven by it. Readable Verilog starts here. */
  let(name: string, value: Expr): Signal {
    const loc = callerLocation();
    const w = this.declare(name, value.type, 'internal', 'wire', undefined, loc);
    this.continuous.push({ kind: 'assign', target: w, value, loc });
    return w;
  }

  /** The module's clock input, created on first use. */
  get clk(): Signal {
    this.clock ??= this.declare(CLOCK_NAME, Bool, 'input', 'wire', undefined, callerLocation());
    return this.clock;
  }

  /** The synchronous, active-high reset input, created on first use (by the first reset register). */
  get rst(): Signal {
    this.reset ??= this.declare(RESET_NAME, Bool, 'input', 'wire', undefined, callerLocation());
    return this.reset;
  }

  get hasClock(): boolean {
    return this.clock !== undefined;
  }

  get hasReset(): boolean {
    return this.reset !== undefined;
  }

  /** Ports in Verilog order: clock and reset first, then in declaration order. */
  get ports(): Signal[] {
    const ps = this.signals.filter((s) => s.dir !== 'internal');
    const rank = (s: Signal) => (s === this.clock ? 0 : s === this.reset ? 1 : 2);
    return ps.map((s, i) => ({ s, i })).sort((a, b) => rank(a.s) - rank(b.s) || a.i - b.i).map((x) => x.s);
  }

  /**
   * `port(name)`: look up a port by name. `port(sig, prefix)`: declare an interface this module
   * produces (its `out` leaves are outputs `prefix_field`, its `in` leaves inputs); a module that
   * consumes one declares `port(flip(sig), prefix)`. Returns the typed interface value.
   */
  port(name: string): Signal;
  port<S extends BundleSig>(sig: S, prefix: string, opts?: PortOptions): View<S>;
  port<S extends BundleSig>(nameOrSig: string | S, prefix?: string, opts?: PortOptions): Signal | View<S> {
    if (typeof nameOrSig !== 'string') return declarePorts(this, nameOrSig, prefix ?? '', opts);
    const p = this.signals.find((s) => s.name === nameOrSig && s.dir !== 'internal');
    if (!p) throw new HdlError(`module ${this.name} has no port '${nameOrSig}'`, callerLocation());
    return p;
  }

  /** Internal wires `prefix_field` for a signature, connectable either way round. */
  wires<S extends BundleSig>(sig: S, prefix: string): View<S> {
    return declareWires(this, sig, prefix);
  }

  /** Connect two interfaces in one call; widths, signedness and directions are checked per field. */
  connect(a: AnyView, b: AnyView): void {
    connect(this, a, b);
  }

  memory(name: string, type: HdlType, depth: number, opts: { init?: readonly (number | bigint)[]; style?: 'logic' } = {}): Memory {
    const loc = callerLocation();
    this.claim(name, loc);
    const mem = new Memory(this, name, type, depth, opts.init, loc, opts.style);
    this.memories.push(mem);
    return mem;
  }

  newReadRegister(name: string, type: HdlType, loc: SourceLoc): Signal {
    void this.clk;
    return this.declare(name, type, 'internal', 'reg', undefined, loc);
  }

  /**
   * Place `def` here. Inputs are connected from `conns`; `clk`/`rst` default to this module's own.
   * Each output drives a new wire `<name>_<port>` (see Instance.out). An interface value under a key
   * connects the child's ports `<key>_*` to it, both ways (`{ in: upstream }`). Inputs left out get
   * a wire `<name>_<port>` to be driven later, through inst.io(); undriven, it is an error.
   */
  instance(name: string, def: Module, conns: Record<string, ExprLike | AnyView>, params: Record<string, ParamValue> = {}): Instance {
    const loc = callerLocation();
    this.claim(name, loc);
    const inputs = new Map<string, Expr>();
    const outputs = new Map<string, Signal>();
    const deferred = new Map<string, Signal>();
    const flat = new Map<string, ExprLike>();
    // Parent leaves the child's outputs drive, assigned once the output wires exist.
    const fromChild: { leaf: Signal; port: string; what: string }[] = [];
    const setConn = (port: string, v: ExprLike) => {
      if (flat.has(port)) reportError(`instance ${name}: input '${port}' of ${def.name} is connected twice`, loc);
      flat.set(port, v);
    };
    for (const [key, v] of Object.entries(conns)) {
      if (!isView(v)) continue;
      const meta = viewMeta(v);
      const what = `instance ${name}: connect ${meta.name} to ${key}`;
      if (meta.owner !== this) {
        reportError(`${what}: ${meta.name} belongs to ${meta.owner.name}, not ${this.name}`, loc);
        continue;
      }
      const child = childPorts(def, meta.sig, key, meta.name, `instance ${name}`, loc);
      if (!child) continue;
      for (const { path, from } of pairLeaves(meta, { sig: meta.sig, role: child.role, name: `${name}.${key}` }, what, loc)) {
        const port = child.ports.get(path.join('.'))!;
        if (from === 'a') setConn(port.name, leafAt(v, path));
        else fromChild.push({ leaf: leafAt(v, path), port: port.name, what });
      }
    }
    for (const [key, v] of Object.entries(conns)) {
      if (isView(v)) continue;
      setConn(key, v);
      const p = def.signals.find((s) => s.name === key && s.dir !== 'internal');
      if (!p) reportError(`instance ${name}: ${def.name} has no port '${key}'`, loc);
      else if (p.dir === 'output') reportError(`instance ${name}: '${key}' is an output of ${def.name}; read it with .out('${key}')`, loc);
    }
    for (const p of def.ports) {
      if (p.dir === 'output') {
        outputs.set(p.name, this.declare(`${name}_${p.name}`, p.type, 'internal', 'wire', undefined, loc));
        continue;
      }
      let v: ExprLike | undefined = flat.get(p.name);
      if (v === undefined && p.name === CLOCK_NAME) v = this.clk;
      if (v === undefined && p.name === RESET_NAME) v = this.rst;
      if (v === undefined) {
        // Driven later through inst.io(); the checks report it as unconnected if nothing does.
        const w = this.declare(`${name}_${p.name}`, p.type, 'internal', 'wire', undefined, loc);
        deferred.set(p.name, w);
        inputs.set(p.name, w);
        continue;
      }
      inputs.set(p.name, this.fit(p, toExpr(v, p.type), loc, `instance ${name} port '${p.name}'`));
    }
    for (const k of Object.keys(params)) {
      if (!(k in def.params)) reportError(`instance ${name}: ${def.name} has no parameter '${k}'`, loc);
    }
    const inst = new Instance(name, def, inputs, outputs, params, loc, this, deferred);
    this.instances.push(inst);
    for (const c of fromChild) drive(this, c.leaf, outputs.get(c.port)!, c.what, loc);
    return inst;
  }

  /** Declare values as intentionally unused, e.g. the high bits of an instance output. */
  sink(...values: Expr[]): void {
    const loc = callerLocation();
    this.assertOpen(loc);
    for (const value of values) this.sinks.push({ value, loc });
  }

  // ---- behaviour ------------------------------------------------------------------------------

  /** A continuous assignment: `assign target = value;`. */
  assign(target: Signal, value: ExprLike): void {
    const loc = callerLocation();
    this.checkOpen(loc);
    if (this.blockKind) reportError(`m.assign inside a ${this.blockKind} block; use ${target.name}.set()`, loc);
    if (target.owner !== this) reportError(`${target} belongs to another module`, loc);
    else if (target.dir === 'input' || target.storage === 'reg') reportError(`cannot assign to ${target.storage === 'reg' ? 'register' : 'input'} ${target.name}`, loc);
    this.continuous.push({ kind: 'assign', target, value: this.fit(target, toExpr(value, target.type), loc, target.name), loc });
  }

  /** A combinational block (`always @(*)`): every signal it sets must be set on every path. */
  comb(body: () => void): void {
    this.process('comb', body, callerLocation());
  }

  /** A clocked block on the module's clock; registers with a reset value are reset by `rst`. */
  sync(body: () => void): void {
    void this.clk;
    this.process('sync', body, callerLocation());
  }

  if(cond: Expr, body: () => void): IfBuilder {
    const loc = callerLocation();
    const stmt: IfStmt = { kind: 'if', branches: [], elseBody: undefined, loc };
    this.push(stmt, loc);
    return new IfBuilder(this, stmt).elif(cond, body, loc);
  }

  switch(sel: Expr): SwitchBuilder {
    const loc = callerLocation();
    const stmt: SwitchStmt = { kind: 'switch', sel, cases: [], defaultBody: undefined, loc };
    this.push(stmt, loc);
    return new SwitchBuilder(this, stmt);
  }

  /** Run `body` collecting its statements into a fresh list (used by the if/switch builders). */
  collect(body: () => void): Stmt[] {
    const list: Stmt[] = [];
    this.blocks.push(list);
    try {
      body();
    } finally {
      this.blocks.pop();
    }
    return list;
  }

  recordSet(target: Signal, value: ExprLike, loc: SourceLoc): void {
    const kind = this.blockKind;
    if (!kind) {
      reportError(`${target.name}.set() outside m.comb/m.sync; use m.assign for a continuous assignment`, loc);
      return;
    }
    if (target.owner !== this) reportError(`${target} belongs to another module`, loc);
    else if (target.dir === 'input') reportError(`cannot set input ${target.name}`, loc);
    else if (kind === 'comb' && target.storage === 'reg') reportError(`register ${target.name} set in a comb block; registers are set in m.sync`, loc);
    else if (kind === 'sync' && target.storage === 'wire') reportError(`wire ${target.name} set in a sync block; declare it with m.reg`, loc);
    this.push({ kind: 'assign', target, value: this.fit(target, toExpr(value, target.type), loc, target.name), loc }, loc);
  }

  // ---- internals ------------------------------------------------------------------------------

  private process(kind: 'comb' | 'sync', body: () => void, loc: SourceLoc): void {
    this.checkOpen(loc);
    if (this.blockKind) {
      reportError(`m.${kind} inside a ${this.blockKind} block`, loc);
      return;
    }
    this.blockKind = kind;
    try {
      this.processes.push({ kind, body: this.collect(body), loc });
    } finally {
      this.blockKind = undefined;
    }
  }

  private push(stmt: Stmt, loc: SourceLoc): void {
    const list = this.blocks[this.blocks.length - 1];
    if (!list) {
      reportError(`${stmt.kind} statement outside m.comb/m.sync`, loc);
      return;
    }
    list.push(stmt);
  }

  /** Width and signedness rule for every assignment: narrower values extend, wider ones are errors. */
  private fit(target: { name: string; type: HdlType }, value: Expr, loc: SourceLoc, what: string): Expr {
    if (value.width > target.type.width) {
      reportError(`width mismatch: ${what} is ${typeName(target.type)} but the value is ${typeName(value.type)}; use .trunc(${target.type.width}) if intended`, loc);
      return value;
    }
    if (value.signed !== target.type.signed) {
      reportError(`signedness mismatch: ${what} is ${typeName(target.type)} but the value is ${typeName(value.type)}; cast explicitly`, loc);
      return value;
    }
    return value.ext(target.type.width);
  }

  private resetOf(opts: RegOptions, type: HdlType, loc: SourceLoc): bigint | undefined {
    if (opts.reset === undefined) return undefined;
    const v = toBig(opts.reset, loc);
    const r = typeRange(type);
    if (v < r.min || v > r.max) reportError(`reset value ${v} does not fit ${typeName(type)}`, loc);
    void this.rst;
    return v;
  }

  private declare(name: string, type: HdlType, dir: Direction, storage: Storage, resetValue: bigint | undefined, loc: SourceLoc): Signal {
    this.claim(name, loc);
    if (dir === 'input' && this.blocks.length > 0) reportError(`port ${name} declared inside a block`, loc);
    const s = new Signal(this, name, type, dir, storage, resetValue, loc);
    this.signals.push(s);
    return s;
  }

  private claim(name: string, loc: SourceLoc): void {
    this.checkOpen(loc);
    if (!IDENT.test(name)) reportError(`'${name}' is not a valid identifier`, loc);
    const prev = this.names.get(name);
    if (prev) reportError(`'${name}' is already declared in ${this.name} (at ${prev.file}:${prev.line})`, loc);
    this.names.set(name, loc);
  }

  assertOpen(loc: SourceLoc): void {
    this.checkOpen(loc);
  }

  private checkOpen(loc: SourceLoc): void {
    if (this.frozen) throw new HdlError(`module ${this.name} is already built; it cannot change`, loc);
  }
}

export class IfBuilder {
  constructor(
    private readonly m: Module,
    private readonly stmt: IfStmt,
  ) {}

  elif(cond: Expr, body: () => void, loc: SourceLoc = callerLocation()): IfBuilder {
    if (this.stmt.elseBody) reportError('else-if after else', loc);
    checkCondition(cond, 'if condition', loc);
    this.stmt.branches.push({ cond, body: this.m.collect(body), loc });
    return this;
  }

  else(body: () => void): void {
    if (this.stmt.elseBody) reportError('second else', callerLocation());
    this.stmt.elseBody = this.m.collect(body);
  }
}

export class SwitchBuilder {
  constructor(
    private readonly m: Module,
    private readonly stmt: SwitchStmt,
  ) {}

  /** One arm; `values` are constants of the selector's type (plain numbers are typed for you). */
  case(values: ExprLike | ExprLike[], body: () => void): SwitchBuilder {
    const loc = callerLocation();
    if (this.stmt.defaultBody) reportError('case after default', loc);
    const vs = (Array.isArray(values) ? values : [values]).map((v) => {
      const c = v instanceof Expr ? v : toExpr(v, this.stmt.sel.type);
      if (!(c instanceof ConstExpr)) {
        reportError('case values must be constants', loc);
        return new ConstExpr(0n, this.stmt.sel.type, loc);
      }
      const r = typeRange(this.stmt.sel.type);
      if (c.value < r.min || c.value > r.max || c.signed !== this.stmt.sel.signed) {
        reportError(`case value ${c.value} does not fit the selector's ${typeName(this.stmt.sel.type)}`, loc);
      }
      return new ConstExpr(c.value, this.stmt.sel.type, loc, c.label);
    });
    this.stmt.cases.push({ values: vs, body: this.m.collect(body), loc });
    return this;
  }

  default(body: () => void): void {
    this.stmt.defaultBody = this.m.collect(body);
  }
}
