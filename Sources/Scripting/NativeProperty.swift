// Properties of host objects declared once, like their methods: a `PropertyTableObject` lists each
// property with its summary and accessors in one static table, and `help`, completion, reading and
// assigning all come from that table, so they cannot drift apart.

/// One property of a native object: its name and summary (for `help(x)` and completion after `.`),
/// how to read it and, when scripts may assign it, how to write it.
public struct NativeProperty<Object: AnyObject>: @unchecked Sendable {
    public let name: String
    public let summary: String
    let get: (Object) throws -> Value
    let set: ((Object, Value) throws -> Void)?

    /// `set` nil: the property is read-only (assigning it is an error of the interpreter's, naming it).
    public init(_ name: String, _ summary: String, get: @escaping (Object) throws -> Value,
                set: ((Object, Value) throws -> Void)? = nil) {
        self.name = name
        self.summary = summary
        self.get = get
        self.set = set
    }

    public var memberInfo: MemberInfo { MemberInfo(name: name, kind: .property, summary: summary) }
}

/// A `MethodTableObject` whose properties are one static table too:
///
/// ```swift
/// static let properties: [NativeProperty<Counter>] = [
///     NativeProperty("n", "the count") { .int($0.n) },
/// ]
/// ```
public protocol PropertyTableObject: MethodTableObject {
    static var properties: [NativeProperty<Self>] { get }
}

extension PropertyTableObject {
    public var propertyMembers: [MemberInfo] { Self.properties.map(\.memberInfo) }

    public func property(_ name: String) throws -> Value? {
        guard let p = Self.properties.first(where: { $0.name == name }) else { return nil }
        return try p.get(self)
    }

    public func setProperty(_ name: String, _ value: Value) throws -> Bool {
        guard let set = Self.properties.first(where: { $0.name == name })?.set else { return false }
        try set(self, value)
        return true
    }
}
