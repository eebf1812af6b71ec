// Host errors (model loading, training) turned into script errors that keep their hint.
import LanguageModels
import Scripting

protocol HintedHostError { var messageText: String { get }; var hintText: String? { get } }
extension LanguageModelError: HintedHostError {
    var messageText: String { "\(context): \(message)" }
    var hintText: String? { hint }
}

/// Turns host errors into script errors, keeping their hint ("run scripts/setup").
func scriptError(_ error: Error) -> Error {
    if error is RuntimeError || error is ScriptError { return error }
    if let e = error as? HintedHostError { return RuntimeError(e.messageText, hint: e.hintText) }
    return RuntimeError(String(describing: error))
}

/// Runs host code, mapping its errors to `RuntimeError`.
func host<T>(_ body: () throws -> T) throws -> T {
    do { return try body() } catch { throw scriptError(error) }
}
