// Environments that take part in sampling: `calculator(...)` and script functions
// `(state_text) -> text or nil`, given to gflownet/ppo/reinforce/generate as `environment=`.

import GFlowNets
import LanguageModels
import Scripting

/// `calculator(...)` as scripts see it.
final class EnvironmentObject: MethodTableObject {
    let calculator: Calculator
    init(_ calculator: Calculator) { self.calculator = calculator }

    var typeName: String { "Environment" }
    var description: String {
        "<Environment calculator, \(calculator.operandLimit.map { "\($0) operands" } ?? "no operand limit"), over the limit: \(calculator.limitBehaviour.rawValue)>"
    }
    var summary: String { "Environment (the calculator): pass it to gflownet, ppo, reinforce or Model.generate as environment=" }

    static let methods: [NativeFunction] = [
        NativeFunction("respond(state_text)",
                       summary: "What the calculator inserts after state_text (which ends with the \"=\" just written): \" <value>\", or nil.",
                       example: "calc = calculator()\nprint(calc.respond(\"Question: 6 - 0 - 4 - 8 = ? Answer: 6 - 0 = 6, 6 - 4 =\"))  # expect:  2") { args in
            let me = try args.receiver(EnvironmentObject.self)
            return me.calculator.insertion(after: try args.string("state_text")).map { .string($0) } ?? .null
        },
        NativeFunction("fill(rationale, prompt=\"\")",
                       summary: "A tool-style rationale with the calculator's results written in after each \"=\", as sampling with the tool makes it.",
                       details: "prompt is the text before the rationale (e.g. the question ending in \"Answer:\"): expressions start after its last " +
                           "\"Answer:\", and its own \"=\" signs are not calls. This writes demonstrations from tool-style rationales.",
                       example: "calc = calculator()\nprint(calc.fill(\" 6 - 0 =, 6 - 4 =, 2 - 8 =\", prompt=\"Question: 6 - 0 - 4 - 8 = ? Answer:\"))  # expect:  6 - 0 = 6, 6 - 4 = 2, 2 - 8 = -6") { args in
            let me = try args.receiver(EnvironmentObject.self)
            return .string(me.calculator.fill(try args.string("rationale"), after: try args.string("prompt")))
        },
    ]

    static let calculatorFunction = NativeFunction(
        "calculator(operands=2, over_limit=\"truncate\")",
        summary: "The arithmetic task's calculator as a sampling environment: after an action \"=\" it evaluates the expression just written and inserts \" <value>\" into the state.",
        details: "The expression is the state text after the last \"Answer:\", then after the last \",\", then after the last \".\", up to the " +
            "first \"=\"; integers with + and −. The inserted tokens are not actions: no log P_F, no gradient, not counted toward max_len. " +
            "Nothing is inserted when evaluation fails. An expression with more than `operands` operands (nil: no limit) is truncated " +
            "to its last operator and operand as the reference does (\" 6 - 0 - 4 \" gives -4: one operation per call), or with " +
            "over_limit=\"refuse\" gets nothing. Any function (state_text) -> text or nil works as an environment too (docs/method.md §4.5).",
        example: "calc = calculator()\nprint(calc.respond(\"Answer: 6 - 0 - 4 =\"), calculator(over_limit=\"refuse\").respond(\"Answer: 6 - 0 - 4 =\"))  # expect:  -4 nil",
        category: "ml") { args in
        let operands = try args.optionalInt("operands")
        if let operands, operands < 1 { throw args.badArgument("operands", "must be ≥ 1 (or nil: no limit), got \(operands)") }
        let over = try args.string("over_limit")
        guard let behaviour = Calculator.LimitBehaviour(rawValue: over) else {
            throw args.badArgument("over_limit", "\"truncate\" (the reference: keep the last operator and operand) or \"refuse\" (insert nothing) expected, got \"\(over)\"")
        }
        return .native(EnvironmentObject(Calculator(operandLimit: operands, limitBehaviour: behaviour)))
    }

    static func install(into interpreter: Interpreter) {
        for f in methods { interpreter.registerMethod(f, on: "Environment") }
        interpreter.register(calculatorFunction)
    }
}

/// The environment of `args[name]` for `lm`: nil, a calculator, or a script function of the state text.
func samplingEnvironment(_ lm: ModelObject, _ args: Arguments, _ name: String = "environment") throws -> (any SamplingEnvironment)? {
    let value = args[name]
    switch value {
    case .null:
        return nil
    case .native(let object as EnvironmentObject):
        return TextEnvironment.calculator(object.calculator, decode: { [lm] in try lm.decode($0) }, encode: { [lm] in try lm.encode($0) })
    case .function, .builtin:
        let interpreter = args.interpreter
        return TextEnvironment(decode: { [lm] in try lm.decode($0) }, encode: { [lm] in try lm.encode($0) }) { [unowned interpreter] state in
            switch try interpreter.call(value, [.string(state)]) {
            case .null: return nil
            case .string(let s): return s
            case let other: throw RuntimeError("\(name): the function returned \(other.typeName) for the state \"\(state.suffix(60))\"; text to insert or nil is needed")
            }
        }
    default:
        throw args.badArgument(name, "calculator(...) or a function (state_text) -> text or nil expected, got \(value.typeName)")
    }
}
