/// A box for a local variable that a nested function captures. It lives in the frame slot as a
/// native value that scripts never see.
final class Cell: NativeObject {
    /// Unchecked, like `ListObject.items`, to skip exclusivity checks.
    @exclusivity(unchecked) var value: Value
    init(_ value: Value) {
        self.value = value
    }
    var typeName: String { "cell" }
}

@inline(__always) func cell(_ v: Value) -> Cell {
    if case .native(let o) = v { return unsafeDowncast(o as AnyObject, to: Cell.self) }
    preconditionFailure("internal: captured slot holds no cell")
}
