// `reward.text(fn)` and `reward.likelihood(lm)`: the rewards a GFlowNet tuner trains towards.
import GFlowNets
import LanguageModels
import Scripting

/// A reward seen from gfn as `Reward`; the tuner reads `function`.
final class RewardObject: NativeObject {
    let function: RewardFunction
    let kind: String
    /// The text reward's script callback, for `r("text")` evaluation from scripts.
    let textReward: TextReward?
    init(_ function: RewardFunction, kind: String, textReward: TextReward? = nil) {
        self.function = function
        self.kind = kind
        self.textReward = textReward
    }
    var typeName: String { "Reward" }
    var description: String { "<Reward \(kind)>" }
    var help: String { "Reward (\(kind)): pass it to gflownet(lm, reward=...). Methods: " + Self.methods.map(\.signature.text).joined(separator: ", ") }
    var members: [MemberInfo] { Self.methods.map(\.memberInfo) }
    func method(_ name: String) -> NativeFunction? { Self.methods.first { $0.name == name } }

    static let methods: [NativeFunction] = [
        NativeFunction("log_reward(text)", summary: "The log-reward of a decoded text (text rewards only).",
                       example: "r = reward.text(fn(t) { return len(t) })\nprint(r.log_reward(\"abc\"))  # expect: 3.0") { args in
            let me = try args.receiver(RewardObject.self)
            guard let t = me.textReward else { throw RuntimeError("log_reward needs a text reward; this is a \(me.kind) reward") }
            let text = try args.string("text")
            return .float(try host { try t.logReward(text: text) })
        },
    ]
}

/// The `reward` namespace: constructors of rewards.
final class RewardNamespace: NativeObject {
    var typeName: String { "module" }
    var description: String { "<module reward>" }
    var help: String { "reward: constructors of GFlowNet rewards: " + Self.methods.map(\.signature.text).joined(separator: ", ") }
    var members: [MemberInfo] { Self.methods.map(\.memberInfo) }
    func method(_ name: String) -> NativeFunction? { Self.methods.first { $0.name == name } }

    static let methods: [NativeFunction] = [
        NativeFunction("reward.text(f)",
                       summary: "A reward from a function of the decoded text: f(text) returns the log-reward (a number).",
                       details: "f is called once per distinct prefix text (results are cached); the tuner divides by the reward temperature.",
                       example: "r = reward.text(fn(t) { return -len(t) })\nprint(r.log_reward(\"ab\"))  # expect: -2.0") { args in
            let f = try args.callable("f")
            let interpreter = args.interpreter
            let text = TextReward { [unowned interpreter] t in
                let v = try interpreter.call(f, [.string(t)])
                guard let d = v.doubleValue else { throw RuntimeError("the reward function returned \(v.typeName) for \"\(t)\", a number is needed") }
                return d
            }
            return .native(RewardObject(text, kind: "text", textReward: text))
        },
        NativeFunction("reward.likelihood(lm, stop=nil, min_len=1)",
                       summary: "The base model's likelihood of the latent (adapters off), terminated by `stop` (a token id or one-token string; default the model's end token).",
                       example: "r = reward.likelihood(lm, stop=\".\")") { args in
            guard case .native(let o) = args["lm"], let lm = o as? ModelObject else { throw args.badArgument("lm", "a Model expected") }
            let stop = try TunerBindings.terminationToken(lm, args)
            let r = LikelihoodReward(model: lm.model.transformer, terminationToken: stop, minLength: try args.int("min_len"))
            return .native(RewardObject(r, kind: "likelihood"))
        },
    ]
}

enum RewardBindings {
    static func install(into interpreter: Interpreter) {
        interpreter.define("reward", .native(RewardNamespace()), help: Help(
            summary: "Reward constructors for gflownet(): reward.text(f), reward.likelihood(lm).",
            example: "r = reward.text(fn(t) { return 0.0 })"))
    }
}
