import Foundation

/// A `JSONDecoder` failure in words a user can act on ("field 'step' is missing", "field
/// 'optimizerHasMoments[2]' should be true or false"), instead of the raw `DecodingError` dump
/// with its coding keys and debug descriptions.
func decodingFailureMessage(_ error: Error) -> String {
    guard let failure = error as? DecodingError else { return "\(error)" }
    func path(_ context: DecodingError.Context, appending key: CodingKey? = nil) -> String {
        var text = ""
        for k in context.codingPath + (key.map { [$0] } ?? []) {
            if let i = k.intValue { text += "[\(i)]" } else { text += text.isEmpty ? k.stringValue : "." + k.stringValue }
        }
        return text.isEmpty ? "the top level" : "field '\(text)'"
    }
    func kind(_ type: Any.Type) -> String {
        switch type {
        case is Bool.Type: "true or false"
        case is String.Type: "a string"
        case is Int.Type, is UInt64.Type, is Int64.Type, is UInt32.Type: "a whole number"
        case is Double.Type, is Float.Type: "a number"
        case is [Any].Type: "a list"
        default: "\(type)".hasPrefix("Array") ? "a list" : ("\(type)".hasPrefix("Dictionary") ? "an object" : "an object (\(type))")
        }
    }
    switch failure {
    case .keyNotFound(let key, let context):
        return "\(path(context, appending: key)) is missing"
    case .valueNotFound(let type, let context):
        return "\(path(context)) is null; it should be \(kind(type))"
    case .typeMismatch(let type, let context):
        return "\(path(context)) should be \(kind(type))"
    case .dataCorrupted(let context):
        if context.codingPath.isEmpty { return "the file is not valid JSON" }
        return "\(path(context)) has an impossible value"
    @unknown default:
        return "the JSON does not have the expected shape"
    }
}
