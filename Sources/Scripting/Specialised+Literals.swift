// The specialiser (see Specialised+Operands.swift): list literals. The elements of a one- or
// two-element literal are compiled in their argument shapes (a constant, an uncaptured local,
// `local op constant`), so `[nil, nil]` or `[x, y]` reads its elements in place instead of
// calling a closure for each; the elements are evaluated left to right, as in the plain form.

extension Compiler {
    /// `[a]` or `[a, b]`, or nil for other lengths.
    func specialisedListLiteral(_ items: [Expr]) -> Eval? {
        switch items.count {
        case 1: return withArgument(items[0], SingleLiteral()).run
        case 2: return withArgument(items[0], PairLiteralFirst(compiler: self, second: items[1])).run
        default: return nil
        }
    }
}


/// `[a]`.
private struct SingleLiteral: ArgumentConsumer {
    func make<A: ArgumentCode>(_ a: A) -> EvalBox {
        EvalBox { fp in .list(ListObject.make(try a.value(fp))) }
    }
}


/// `[a, b]`: `a` in its shape, then `b` in its own.
private struct PairLiteralFirst: ArgumentConsumer {
    unowned let compiler: Compiler
    let second: Expr
    func make<A: ArgumentCode>(_ a: A) -> EvalBox { compiler.withArgument(second, PairLiteral(first: a)) }
}


private struct PairLiteral<F: ArgumentCode>: ArgumentConsumer {
    let first: F
    func make<B: ArgumentCode>(_ b: B) -> EvalBox {
        let first = first
        return EvalBox { fp in
            let x = try first.value(fp)
            return .list(ListObject.make(x, try b.value(fp)))
        }
    }
}
