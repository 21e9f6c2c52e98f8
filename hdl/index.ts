// The HDL's public surface: build modules with these, elaborate, then print Verilog.
export { UInt, SInt, Bool, clog2, type HdlType } from './core/types.ts';
export { Expr, lit, cat, mux, repeat, type ExprLike } from './core/expr.ts';
export { Signal } from './core/signal.ts';
export { Module, type RegOptions } from './core/module.ts';
export { Memory } from './core/memory.ts';
export { Instance } from './core/instance.ts';
export { stream, bundle, flip, Out, In, type Signature, type BundleSig, type LeafSig } from './core/signature.ts';
export { connect, type View, type AnyView, type PortOptions } from './core/interface.ts';
export { Fsm } from './core/fsm.ts';
export { defineModule, buildModule } from './core/generator.ts';
export { HdlError, ElaborationError } from './core/errors.ts';
export { hdlHelper, type SourceLoc } from './core/source.ts';
export { elaborate, type Design } from './ir/elaborate.ts';
export { emitVerilog, writeVerilog } from './verilog/emit.ts';
export { printModule, signalNames } from './verilog/module-printer.ts';
