// Memories written the way yosys recognises them: an array with synchronous write ports and
// synchronous (registered) read ports maps to iCE40 EBR (SB_RAM40_4K), or with `synth_ice40 -spram`
// a 16K x 16 single-port array maps to SB_SPRAM256KA. ROMs are memories with init data and no write port.
// An asynchronous read is available for small tables that should become LUTs.
import { Expr, type ExprLike, checkCondition, toBig, toExpr } from './expr.ts';
import type { Signal } from './signal.ts';
import { type HdlType, clog2, typeName, typeRange } from './types.ts';
import { type SourceLoc, callerLocation } from './source.ts';
import { reportError } from './errors.ts';

export interface ReadPort {
  readonly addr: Expr;
  readonly enable: Expr | undefined;
  /** The registered read data: valid the cycle after the address. */
  readonly data: Signal;
  readonly loc: SourceLoc;
}

export interface WritePort {
  readonly addr: Expr;
  readonly data: Expr;
  readonly enable: Expr;
  readonly loc: SourceLoc;
}

/** What a memory needs from its module: a register for read data and the module's clock. */
export interface MemoryOwner {
  readonly name: string;
  newReadRegister(name: string, type: HdlType, loc: SourceLoc): Signal;
  /** Throws when the module is already built. */
  assertOpen(loc: SourceLoc): void;
  readonly clk: Signal;
}

export class Memory {
  readonly readPorts: ReadPort[] = [];
  readonly writePorts: WritePort[] = [];
  readonly addrWidth: number;
  /** Initial contents as unsigned bit patterns, one per word; undefined: no initial value. */
  readonly init: bigint[] | undefined;

  constructor(
    readonly owner: MemoryOwner,
    readonly name: string,
    readonly type: HdlType,
    readonly depth: number,
    init: readonly (number | bigint)[] | undefined,
    readonly loc: SourceLoc,
    /**
     * 'logic': the synthesis tool is asked to build it from LUTs, never block RAM (yosys's ram_style /
     * rom_style attribute), e.g. a small table whose read feeds a register the tool would otherwise fold
     * into a block RAM's read port.
     */
    readonly style?: 'logic',
  ) {
    if (!Number.isInteger(depth) || depth < 1) reportError(`memory ${name}: depth must be a positive integer, got ${depth}`, loc);
    this.addrWidth = Math.max(1, clog2(Math.max(1, depth)));
    this.init = init && this.checkInit(init);
  }

  private checkInit(init: readonly (number | bigint)[]): bigint[] {
    if (init.length > this.depth) reportError(`memory ${this.name}: ${init.length} init words for depth ${this.depth}`, this.loc);
    const r = typeRange(this.type);
    const mask = (1n << BigInt(this.type.width)) - 1n;
    const words = Array.from({ length: this.depth }, (_, i) => toBig(init[i] ?? 0, this.loc));
    return words.map((v, i) => {
      if (v < r.min || v > r.max) reportError(`memory ${this.name}: init word ${i} = ${v} does not fit ${typeName(this.type)}`, this.loc);
      return v & mask;
    });
  }

  private checkAddr(addr: Expr, loc: SourceLoc): Expr {
    if (addr.signed || addr.width > this.addrWidth) {
      reportError(`memory ${this.name}: address must be unsigned and at most ${this.addrWidth} bits, got ${typeName(addr.type)}`, loc);
    }
    return addr.width < this.addrWidth ? addr.ext(this.addrWidth) : addr;
  }

  /** A synchronous read port: data appears in the returned register one cycle after addr (when enable). */
  read(addr: Expr, opts: { enable?: Expr; name?: string } = {}): Signal {
    const loc = callerLocation();
    if (opts.enable) checkCondition(opts.enable, `memory ${this.name} read enable`, loc);
    const name = opts.name ?? `${this.name}_rdata${this.readPorts.length === 0 ? '' : this.readPorts.length}`;
    const data = this.owner.newReadRegister(name, this.type, loc);
    this.readPorts.push({ addr: this.checkAddr(addr, loc), enable: opts.enable, data, loc });
    return data;
  }

  /** A combinational read: becomes logic (LUTs), not block RAM. Meant for small tables. */
  readAsync(addr: Expr): Expr {
    const loc = callerLocation();
    return new MemReadExpr(this, this.checkAddr(addr, loc), loc);
  }

  /** A synchronous write port: on the clock edge where enable is 1, memory[addr] <= data. */
  write(addr: Expr, data: ExprLike, enable: Expr): void {
    const loc = callerLocation();
    this.owner.assertOpen(loc);
    checkCondition(enable, `memory ${this.name} write enable`, loc);
    const d = toExpr(data, this.type);
    if (d.width > this.type.width || d.signed !== this.type.signed) {
      reportError(`memory ${this.name}: write data ${typeName(d.type)} does not fit ${typeName(this.type)}`, loc);
    }
    void this.owner.clk; // a written memory is clocked: make sure the module has its clock
    this.writePorts.push({ addr: this.checkAddr(addr, loc), data: d.width < this.type.width ? d.ext(this.type.width) : d, enable, loc });
  }
}

export class MemReadExpr extends Expr {
  constructor(
    readonly memory: Memory,
    readonly addr: Expr,
    loc: SourceLoc,
  ) {
    super(memory.type, loc);
  }
}
