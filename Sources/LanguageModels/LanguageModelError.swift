/// A failure of the language-model runtime, as a value: what was being done, and what was wrong.
///
/// Errors from the layers below (`ModelFormatError`, `TokenizerError`, `TensorError`) pass through
/// unchanged; this type covers what this module itself checks (missing weights, bad options,
/// token ids out of range, adapter files that do not fit the model).
public struct LanguageModelError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The operation or file at fault, e.g. "generate", "models/x/adapter_config.json".
    public let context: String
    public let message: String
    /// A suggestion for the user, e.g. "run scripts/setup".
    public let hint: String?

    public init(_ context: String, _ message: String, hint: String? = nil) {
        self.context = context
        self.message = message
        self.hint = hint
    }

    public var description: String {
        hint.map { "\(context): \(message) (\($0))" } ?? "\(context): \(message)"
    }
}
