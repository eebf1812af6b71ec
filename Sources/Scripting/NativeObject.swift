// How the host shows its own objects to scripts: a model, a tensor, a figure. The Bindings layer
// conforms its wrapper classes to `NativeObject`; the interpreter asks them for properties and
// methods by name, and the REPL lists their members for tab completion after `.`.

/// A member of a native type, for help and completion.
public struct MemberInfo: Sendable {
    public enum Kind: String, Sendable { case property, method }
    public let name: String
    public let kind: Kind
    /// `sample(prompt, max_new_tokens=64, temperature=1.0)` for methods, the name for properties.
    public let signature: String
    public let summary: String

    public init(name: String, kind: Kind, signature: String? = nil, summary: String) {
        self.name = name
        self.kind = kind
        self.signature = signature ?? name
        self.summary = summary
    }
}

/// An opaque host object seen from gfn.
///
/// Conform a class and implement what applies; everything has a default. Methods are
/// `NativeFunction`s (so they get argument binding, named arguments and error messages for free),
/// properties `NativeProperty`s (NativeProperty.swift):
///
/// ```swift
/// final class Counter: PropertyTableObject {
///     var n = 0
///     var typeName: String { "Counter" }
///     var summary: String { "Counter: counts" }
///     static let properties: [NativeProperty<Counter>] = [NativeProperty("n", "the count") { .int($0.n) }]
///     static let methods: [NativeFunction] = [
///         NativeFunction("add(by=1)", summary: "Adds to the count.") { args in
///             let me = try args.receiver(Counter.self)
///             me.n += try args.int("by")
///             return .int(me.n)
///         },
///     ]
/// }
/// ```
public protocol NativeObject: AnyObject {
    /// The type name scripts see (`type(x)`, error messages): `Model`, `Tensor`, `Figure`.
    var typeName: String { get }
    /// Properties and methods, for `help(x)` and completion after `.`.
    var members: [MemberInfo] { get }
    /// The value of a property, or nil if there is no property of that name.
    func property(_ name: String) throws -> Value?
    /// Assigns a property (`x.name = v`); return false if there is no such settable property.
    func setProperty(_ name: String, _ value: Value) throws -> Bool
    /// The method of that name, called with this object as `args.receiverValue`.
    func method(_ name: String) -> NativeFunction?
    /// How `str(x)` and the REPL show the object.
    var description: String { get }
    /// Truthiness in `if x`; true by default.
    var isTruthy: Bool { get }
    /// Iteration in `for x in obj`: return the elements, or nil if the object is not iterable.
    func elements() throws -> [Value]?
    /// Indexing `x[i]`: the element, or nil if the object cannot be indexed.
    func item(_ index: Value) throws -> Value?
    /// Help text for `help(x)`.
    var help: String { get }
}

extension NativeObject {
    public var members: [MemberInfo] { [] }
    public func property(_ name: String) throws -> Value? { nil }
    public func setProperty(_ name: String, _ value: Value) throws -> Bool { false }
    public func method(_ name: String) -> NativeFunction? { nil }
    public var description: String { "<\(typeName)>" }
    public var isTruthy: Bool { true }
    public func elements() throws -> [Value]? { nil }
    public func item(_ index: Value) throws -> Value? { nil }
    public var help: String { "\(typeName): a native object" }
}

/// A native object whose methods are one static table, the usual case: `method(_:)` looks a name up in
/// it, `members` lists the methods and then `propertyMembers`, and `help` is `summary` followed by the
/// methods' signatures and the property names, each list left out when empty ("Model: a language model
/// loaded by model(name). Methods: generate(…), …. Properties: …").
public protocol MethodTableObject: NativeObject {
    static var methods: [NativeFunction] { get }
    /// The first sentence of `help(x)`, without its full stop.
    var summary: String { get }
    /// The object's properties, for `help(x)` and completion after `.` (none by default).
    var propertyMembers: [MemberInfo] { get }
}

extension MethodTableObject {
    public var propertyMembers: [MemberInfo] { [] }
    public var members: [MemberInfo] { Self.methods.map(\.memberInfo) + propertyMembers }
    public func method(_ name: String) -> NativeFunction? { Self.methods.first { $0.name == name } }
    public var help: String {
        let properties = propertyMembers.map(\.name)
        return summary + "."
            + (Self.methods.isEmpty ? "" : " Methods: " + Self.methods.map(\.signature.text).joined(separator: ", ") + ".")
            + (properties.isEmpty ? "" : " Properties: " + properties.joined(separator: ", ") + ".")
    }
}
