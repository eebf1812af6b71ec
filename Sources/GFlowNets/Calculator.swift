/// The arithmetic task's calculator (docs/method.md §4.5): when the policy writes "=", the
/// environment reads the expression the policy just wrote, evaluates it on integers and inserts
/// " <value>" into the state. Inserted tokens are not actions: they carry no log P_F and do not
/// count toward m_max.
///
/// The expression is the decoded state after the last "Answer:", then after the last ",", then
/// after the last ".", up to the first "=". The calculator is deliberately weak: with more than
/// `operandLimit` operands the reference keeps only the last operator and the last operand
/// (" 6 - 0 - 4 " is read as "- 4", giving −4), so that the policy learns one binary operation per
/// call; `.refuse` inserts nothing instead. Nothing is inserted when evaluation fails.
public struct Calculator: Sendable, Equatable {
    /// What happens to an expression with more operands than `operandLimit`.
    public enum LimitBehaviour: String, Sendable, CaseIterable {
        /// Keep the last operator and operand, as the reference does (a wrong value on purpose).
        case truncate
        /// Insert nothing.
        case refuse
    }

    /// The most operands one call evaluates (nil: no limit).
    public var operandLimit: Int?
    public var limitBehaviour: LimitBehaviour

    public init(operandLimit: Int? = 2, limitBehaviour: LimitBehaviour = .truncate) {
        self.operandLimit = operandLimit
        self.limitBehaviour = limitBehaviour
    }

    /// Whether an action's text triggers the calculator: "=" or " =".
    public static func triggers(_ actionText: String) -> Bool { actionText == "=" || actionText == " =" }

    /// The expression of `stateText` (which ends with the "=" just written), by the reference's rule.
    public static func expression(in stateText: String) -> String {
        var text = Substring(stateText)
        if let r = text.range(of: "Answer:", options: .backwards) { text = text[r.upperBound...] }
        if let i = text.lastIndex(of: ",") { text = text[text.index(after: i)...] }
        if let i = text.lastIndex(of: ".") { text = text[text.index(after: i)...] }
        if let i = text.firstIndex(of: "=") { text = text[..<i] }
        return String(text)
    }

    /// The text to insert after `stateText`, " <value>", or nil when nothing is inserted.
    public func insertion(after stateText: String) -> String? {
        evaluate(Self.expression(in: stateText)).map { " \($0)" }
    }

    /// The integer value of `expression` (integers, + and −, a sign before a number), under the
    /// operand limit; nil when it is empty, malformed or overflows.
    public func evaluate(_ expression: String) -> Int? {
        guard var terms = Self.terms(expression), !terms.isEmpty else { return nil }
        if let limit = operandLimit, terms.count > limit {
            switch limitBehaviour {
            case .refuse: return nil
            case .truncate: terms = [terms[terms.count - 1]]
            }
        }
        var total = 0
        for term in terms {
            let (sum, overflow) = total.addingReportingOverflow(term)
            guard !overflow else { return nil }
            total = sum
        }
        return total
    }

    /// The signed operands of a sum: "6 - 0 - 4" → [6, −0, −4], "-6 + 3" → [−6, 3]. A binary
    /// operator may be followed by one sign of the next number ("2 - -3"). nil if malformed: two
    /// numbers without an operator between them, a dangling operator, any other character.
    static func terms(_ expression: String) -> [Int]? {
        var terms: [Int] = []
        var expectOperand = true, sign = 1, operators = 0
        var chars = Array(expression)[...]
        while let c = chars.first {
            switch c {
            case " ":
                chars = chars.dropFirst()
            case "+", "-", "−":
                if expectOperand {
                    // A sign: one before the first number, one after a binary operator.
                    operators += 1
                    guard operators <= (terms.isEmpty ? 1 : 2) else { return nil }
                } else {
                    operators = 1   // the binary operator
                    expectOperand = true
                }
                if c != "+" { sign = -sign }
                chars = chars.dropFirst()
            case "0"..."9":
                guard expectOperand else { return nil }   // two numbers with no operator between them
                let digits = chars.prefix { $0.isASCII && $0.isNumber }
                chars = chars.dropFirst(digits.count)
                guard let v = Int(String(digits)) else { return nil }
                terms.append(sign * v)
                sign = 1; operators = 0; expectOperand = false
            default:
                return nil
            }
        }
        guard !terms.isEmpty, !expectOperand else { return nil }
        return terms
    }
}

extension Calculator {
    /// `rationale` with the calculator's results written in after each "=", as sampling with the
    /// tool would make it: " 6 - 0 =, 6 - 4 =" after "… Answer:" gives " 6 - 0 = 6, 6 - 4 = 2".
    /// `prompt` is the text before the rationale (it decides where expressions start, and its
    /// own "=" signs are not calls). Used to write demonstrations from tool-style rationales.
    public func fill(_ rationale: String, after prompt: String = "") -> String {
        var state = prompt
        for c in rationale {
            state.append(c)
            if c == "=", let result = insertion(after: state) { state += result }
        }
        return String(state.dropFirst(prompt.count))
    }
}
