// Compiled code: an expression compiles to an `Eval`, a statement to an `Exec`, a condition to a
// `Test` (see Compiler.swift). Each receives the frame pointer, so a local variable is `fp[slot]`,
// with no lookup by name at run time.

typealias Eval = (Frame) throws -> Value
typealias Exec = (Frame) throws -> Flow
typealias Test = (Frame) throws -> Bool

/// Compiled code kept in arrays goes in these boxes: a function type stored directly in an
/// Array or Optional is kept at its most general abstraction, and every call then goes through
/// reabstraction thunks; inside a concrete struct it keeps its natural calling convention.
struct EvalBox { let run: Eval }
struct ExecBox { let run: Exec }

/// How a statement ended.
enum Flow { case next, breakLoop, continueLoop, returned }
