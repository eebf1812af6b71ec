/// A tokenizer file that cannot be used, or a request the tokenizer cannot serve.
public struct TokenizerError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The file at fault (or "" for in-memory input).
    public let file: String
    /// The field at fault: "merges line 12", "model.vocab", "token id 70000", …
    public let field: String
    public let detail: String

    public init(file: String, field: String, _ detail: String) {
        self.file = file
        self.field = field
        self.detail = detail
    }

    public var description: String {
        file.isEmpty ? "\(field): \(detail)" : "\(file): \(field): \(detail)"
    }
}
