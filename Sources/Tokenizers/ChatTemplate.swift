import Foundation

/// One turn of a conversation.
public struct ChatMessage: Sendable, Equatable {
    public var role: String
    public var content: String

    public init(role: String, content: String) {
        self.role = role
        self.content = content
    }

    public static func system(_ content: String) -> ChatMessage { ChatMessage(role: "system", content: content) }
    public static func user(_ content: String) -> ChatMessage { ChatMessage(role: "user", content: content) }
    public static func assistant(_ content: String) -> ChatMessage { ChatMessage(role: "assistant", content: content) }
}

/// The ChatML rendering of SmolLM2-Instruct's chat template.
///
/// The GGUF's `tokenizer.chat_template` is this Jinja program:
///
///     {% for message in messages %}
///       {% if loop.first and messages[0]['role'] != 'system' %}
///         {{ '<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n' }}
///       {% endif %}
///       {{ '<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n' }}
///     {% endfor %}
///     {% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}
///
/// (whitespace added here for reading; the template has none outside its strings). So: a default system
/// turn when the conversation does not start with one, then `<|im_start|>ROLE\nCONTENT<|im_end|>\n` per
/// message, then `<|im_start|>assistant\n` to ask for a reply. The rendered text is tokenised with special
/// tokens parsed, so the markers become single ids (1 and 2). No BOS token is added.
public struct ChatTemplate: Sendable, Equatable {
    public var startMarker: String
    public var endMarker: String
    /// The system message inserted when the first message is not a system message (nil: none).
    public var defaultSystemMessage: String?

    public init(startMarker: String = "<|im_start|>", endMarker: String = "<|im_end|>", defaultSystemMessage: String?) {
        self.startMarker = startMarker
        self.endMarker = endMarker
        self.defaultSystemMessage = defaultSystemMessage
    }

    /// SmolLM2-Instruct's template (see above).
    public static let smolLM2 = ChatTemplate(
        defaultSystemMessage: "You are a helpful AI assistant named SmolLM, trained by Hugging Face")

    /// Plain ChatML with no default system message.
    public static let chatML = ChatTemplate(defaultSystemMessage: nil)

    /// Recognises the ChatML family in a Jinja template: SmolLM2's (with its default system message, read
    /// from the template text) or plain ChatML; nil for a template this helper does not render.
    public init?(jinja: String) {
        guard jinja.contains("<|im_start|>"), jinja.contains("<|im_end|>"),
              jinja.contains("message['role']"), jinja.contains("message['content']") else { return nil }
        let prefix = "<|im_start|>system\\n"
        let prefixRaw = "<|im_start|>system\n"
        var system: String? = nil
        if jinja.contains("messages[0]['role'] != 'system'") {
            for p in [prefix, prefixRaw] {
                if let start = jinja.range(of: p), let end = jinja[start.upperBound...].range(of: "<|im_end|>") {
                    system = String(jinja[start.upperBound..<end.lowerBound])
                    break
                }
            }
            if system == nil { return nil }
        }
        self.init(defaultSystemMessage: system)
    }

    /// The prompt text for `messages`, ending with the assistant's opening marker when `addGenerationPrompt`.
    public func render(_ messages: [ChatMessage], addGenerationPrompt: Bool = true) -> String {
        var out = ""
        if let system = defaultSystemMessage, !messages.isEmpty, messages[0].role != "system" {
            out += "\(startMarker)system\n\(system)\(endMarker)\n"
        }
        for m in messages {
            out += "\(startMarker)\(m.role)\n\(m.content)\(endMarker)\n"
        }
        if addGenerationPrompt { out += "\(startMarker)assistant\n" }
        return out
    }
}
