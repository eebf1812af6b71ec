/// A compiled function: shared by every closure made from the same `fn`. Immutable, so the
/// call path reads it without exclusivity checks.
final class FunctionProto {
    struct Param {
        let name: String
        let kind: ParameterDecl.Kind
        let defaultValue: EvalBox?
    }
    let name: String
    let params: [Param]
    let frameSize: Int
    /// The body, compiled to return the function's value.
    let body: Eval
    /// Slot that holds the running function itself (for its captured cells), or -1.
    let selfSlot: Int
    /// Parameter slots that nested functions capture: boxed into cells on entry.
    let cellSlots: [Int]
    let hasCellSlots: Bool
    /// The number of arguments for the fast call path, or -1 when binding needs the general path.
    let fastArity: Int
    /// Positional parameters only, no captured cells and no upvalues: a call is "put the
    /// arguments in the frame and run the body", and needs nothing from the closure object.
    let isPlain: Bool
    let doc: String?
    let loc: SourceLoc

    init(name: String, params: [Param], frameSize: Int, body: @escaping Eval, selfSlot: Int?,
         cellSlots: [Int], doc: String?, loc: SourceLoc) {
        self.name = name
        self.params = params
        self.frameSize = frameSize
        self.body = body
        self.selfSlot = selfSlot ?? -1
        self.cellSlots = cellSlots
        self.hasCellSlots = !cellSlots.isEmpty
        self.fastArity = params.allSatisfy { $0.kind == .positional && $0.defaultValue == nil } ? params.count : -1
        self.isPlain = fastArity >= 0 && self.selfSlot < 0 && cellSlots.isEmpty
        self.doc = doc
        self.loc = loc
    }

    var signature: String {
        let ps = params.map { p -> String in
            switch p.kind {
            case .rest: return "*" + p.name
            case .restNamed: return "**" + p.name
            default: return p.defaultValue == nil ? p.name : p.name + "=…"
            }
        }
        return "\(name)(\(ps.joined(separator: ", ")))"
    }
}
