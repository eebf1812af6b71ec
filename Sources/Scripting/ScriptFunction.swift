/// A function written in gfn, with the cells it captured.
public final class ScriptFunction {
    let proto: FunctionProto
    let captures: [Cell]
    init(proto: FunctionProto, captures: [Cell]) {
        self.proto = proto
        self.captures = captures
    }
    public var name: String { proto.name }
    /// `name(a, b=…, *rest)`.
    public var signature: String { proto.signature }
    /// The `##` doc comment above the declaration.
    public var doc: String? { proto.doc }
    public var location: SourceLoc { proto.loc }
}
