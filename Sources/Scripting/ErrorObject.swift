/// The error object a `catch` receives.
final class ErrorObject: PropertyTableObject {
    let failure: Failure
    init(_ failure: Failure) { self.failure = failure }
    var typeName: String { "error" }
    var description: String { failure.message }
    var summary: String { "error: what a `catch` receives" }
    static let methods: [NativeFunction] = []
    static let properties: [NativeProperty<ErrorObject>] = [
        NativeProperty("message", "the error message") { .string($0.failure.message) },
        NativeProperty("value", "the value given to error(…), or the message") { $0.failure.value ?? .string($0.failure.message) },
        NativeProperty("line", "the line where it happened") { $0.failure.loc.map { .int($0.line) } ?? .null },
        NativeProperty("column", "the column where it happened") { $0.failure.loc.map { .int($0.column) } ?? .null },
        NativeProperty("file", "the file where it happened") { $0.failure.loc.map { .string($0.file.name) } ?? .null },
    ]
}
