import LanguageModels

/// A sampling environment written over text (docs/method.md §4.5): after an action it reads the
/// decoded state (prompt and everything generated so far) and answers with text to insert, or
/// nil. The calculator is one; a script's function `(state_text) -> text or nil` is another.
/// The answer is tokenized on its own and placed after the action, outside the action count.
public final class TextEnvironment: SamplingEnvironment {
    /// Which actions (by their own text) make the environment look at the state; nil: every action.
    let trigger: ((String) -> Bool)?
    let respond: (String) throws -> String?
    let decode: ([Int]) throws -> String
    let encode: (String) throws -> [Int]

    public init(trigger: ((String) -> Bool)? = nil, decode: @escaping ([Int]) throws -> String,
                encode: @escaping (String) throws -> [Int], respond: @escaping (String) throws -> String?) {
        self.trigger = trigger
        self.decode = decode
        self.encode = encode
        self.respond = respond
    }

    /// The calculator as an environment: it looks at the state only after an action "=" or " =".
    public static func calculator(_ calculator: Calculator, decode: @escaping ([Int]) throws -> String,
                                  encode: @escaping (String) throws -> [Int]) -> TextEnvironment {
        TextEnvironment(trigger: Calculator.triggers, decode: decode, encode: encode) { calculator.insertion(after: $0) }
    }

    public func insertion(prompt: [Int], generated: [Int]) throws -> [Int] {
        guard let action = generated.last else { return [] }
        if let trigger, !trigger(try decode([action])) { return [] }
        guard let text = try respond(try decode(prompt + generated)), !text.isEmpty else { return [] }
        return try encode(text)
    }
}
