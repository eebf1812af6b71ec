/// Limits that keep a script from taking the host down.
public struct Limits: Sendable {
    /// Nested script calls before "recursion depth limit exceeded".
    public var maxCallDepth = 4000
    /// Elements in one list, dict or materialized range.
    public var maxElements = 50_000_000
    /// Bytes in one string.
    public var maxStringBytes = 1 << 30
    public init() {}
}
