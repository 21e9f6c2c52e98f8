// The statements inside comb and sync blocks, as recorded by the module builder. The IR checks and
// the Verilog printer both walk these.
import type { Expr, ConstExpr } from './expr.ts';
import type { Signal } from './signal.ts';
import type { SourceLoc } from './source.ts';

export interface AssignStmt {
  readonly kind: 'assign';
  readonly target: Signal;
  /** Already extended to the target's width. */
  readonly value: Expr;
  readonly loc: SourceLoc;
}

export interface IfStmt {
  readonly kind: 'if';
  /** if / else if ... in order; `elseBody` when an else was given. */
  readonly branches: { cond: Expr; body: Stmt[]; loc: SourceLoc }[];
  elseBody: Stmt[] | undefined;
  readonly loc: SourceLoc;
}

export interface SwitchStmt {
  readonly kind: 'switch';
  readonly sel: Expr;
  readonly cases: { values: ConstExpr[]; body: Stmt[]; loc: SourceLoc }[];
  defaultBody: Stmt[] | undefined;
  readonly loc: SourceLoc;
}

export type Stmt = AssignStmt | IfStmt | SwitchStmt;

export interface Process {
  readonly kind: 'comb' | 'sync';
  readonly body: Stmt[];
  readonly loc: SourceLoc;
}

/** Every assignment in a statement list, at any depth. */
export function* assignmentsIn(stmts: readonly Stmt[]): Generator<AssignStmt> {
  for (const s of stmts) {
    if (s.kind === 'assign') yield s;
    else if (s.kind === 'if') {
      for (const b of s.branches) yield* assignmentsIn(b.body);
      if (s.elseBody) yield* assignmentsIn(s.elseBody);
    } else {
      for (const c of s.cases) yield* assignmentsIn(c.body);
      if (s.defaultBody) yield* assignmentsIn(s.defaultBody);
    }
  }
}

/** Every expression read by a statement list: values, conditions and case selectors. */
export function* expressionsIn(stmts: readonly Stmt[]): Generator<Expr> {
  for (const s of stmts) {
    if (s.kind === 'assign') yield s.value;
    else if (s.kind === 'if') {
      for (const b of s.branches) {
        yield b.cond;
        yield* expressionsIn(b.body);
      }
      if (s.elseBody) yield* expressionsIn(s.elseBody);
    } else {
      yield s.sel;
      for (const c of s.cases) yield* expressionsIn(c.body);
      if (s.defaultBody) yield* expressionsIn(s.defaultBody);
    }
  }
}
