// `reward.text(fn)` and `reward.likelihood(lm)`: the rewards a GFlowNet tuner trains towards.
import GFlowNets
import LanguageModels
import Scripting
import Tensors

/// A reward seen from gfn as `Reward`; the tuner reads `function`.
final class RewardObject: MethodTableObject {
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
    var summary: String { "Reward (\(kind)): pass it to gflownet(lm, reward=...)" }

    static let methods: [NativeFunction] = [
        NativeFunction("score(lm, prompt, latents)",
                       summary: "The log-reward (T = 1) of each latent after prompt: a list of numbers, one per latent.",
                       details: "latents are strings (tokenised with lm's tokenizer) or lists of token ids, without the termination token. " +
                           "This is the evaluation metric of the sentence-continuation table: for reward.likelihood(lm, stop=\".\") it is log p̃(Z \".\" | X).",
                       example: "r = reward.likelihood(lm, stop=\".\")\ns = r.score(lm, \"The sky is\", [\" blue\", \" a potato\"])\nprint(len(s), s[0] > s[1])  # expect: 2 true") { args in
            let me = try args.receiver(RewardObject.self)
            let lm = try model(args)
            let promptText = try args.string("prompt")
            let prompt = try lm.encode(promptText)
            guard !prompt.isEmpty else { throw args.badArgument("prompt", "the prompt encodes to no tokens") }
            let latents = try args.list("latents").items.enumerated().map { i, v -> [Int] in
                if let text = v.stringValue { return try lm.encode(text) }
                if let l = v.listValue {
                    return try l.items.map { guard let id = $0.intValue else { throw args.badArgument("latents", "element \(i) holds \($0.typeName), token ids are ints") }; return id }
                }
                throw args.badArgument("latents", "element \(i) is \(v.typeName): a string or a list of token ids is needed")
            }
            guard !latents.isEmpty else { return .makeList([]) }
            let context = RewardContext(promptTokens: prompt, key: promptText, decode: { [lm] ids in try lm.decode(ids) })
            let function = me.function
            let rewards = try host { try withNoGrad { try function.logRewards(latents: latents, context: context) } }
            return .makeList(zip(latents, rewards).map { latent, r in .float(r.count > latent.count ? r[latent.count] : .nan) })
        },
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
final class RewardNamespace: MethodTableObject {
    var typeName: String { "module" }
    var description: String { "<module reward>" }
    var summary: String { "reward: constructors of GFlowNet rewards" }

    static let methods: [NativeFunction] = [
        NativeFunction("reward.text(f, with_example=false)",
                       summary: "A reward from a function of the decoded text: f(text) returns the log-reward (a number); with with_example=true, f(text, example).",
                       details: "f is called once per distinct prefix text (results are cached, per example with with_example=true); the tuner divides by " +
                           "the reward temperature. With with_example=true the tuner needs examples=; the example is the dict the micro-batch trains on " +
                           "(nil when the reward is evaluated on its own, as by r.log_reward).",
                       example: "r = reward.text(fn(t) { return -len(t) })\nprint(r.log_reward(\"ab\"))  # expect: -2.0\n" +
                           "r2 = reward.text(fn(t, ex) { return if t == ex[\"answer\"] { 0.0 } else { -5.0 } }, with_example=true)\nprint(r2)  # expect: <Reward text>") { args in
            let f = try args.callable("f")
            let withExample = try args.bool("with_example")
            let interpreter = args.interpreter
            let text = TextReward(perExample: withExample) { [unowned interpreter] t, context in
                let example = (context?.example as? ExampleBox)?.value ?? .null
                let v = try interpreter.call(f, withExample ? [.string(t), example] : [.string(t)])
                guard let d = v.doubleValue else { throw RuntimeError("the reward function returned \(v.typeName) for \"\(t)\", a number is needed") }
                return d
            }
            return .native(RewardObject(text, kind: "text", textReward: text))
        },
        NativeFunction("reward.likelihood(lm, stop=nil, min_len=1, banned=nil, allowed=nil, penalty=-50.0, substitute=-99.0)",
                       summary: "The base model's log-likelihood of the latent followed by the termination token `stop` (adapters off): the next-sentence reward (docs/method.md §4.2).",
                       details: "stop is a token id or a one-token string (default the model's end token). banned lists token ids or one-token strings whose logits get the additive `penalty` (−inf bans them), as the policy does with gflownet(banned=...). Prefixes shorter than min_len tokens get `substitute` instead. The tuner divides by the reward temperature.",
                       example: "r = reward.likelihood(lm, stop=\".\")\nprint(r)  # expect: <Reward likelihood>") { args in
            let lm = try model(args)
            let stop = try TunerBindings.terminationToken(lm, args)
            let r = LikelihoodReward(model: lm.model.transformer, terminationToken: stop, penalties: try penalties(lm, args, exempt: stop),
                                     minLength: try nonNegative(args, "min_len"), substitute: try args.double("substitute"))
            return .native(RewardObject(r, kind: "likelihood"))
        },
        NativeFunction("reward.continuation(lm, continuation, context=nil, min_len=0, banned=nil, allowed=nil, penalty=-50.0, substitute=-99.0, adapters=false)",
                       summary: "The log-likelihood of the latent Z followed by an observed text Y under a model: log p(Z | X') + log p(Y | X' Z), the infilling and chain-of-thought reward (docs/method.md §1.3).",
                       details: "continuation (Y) and context (X', default the policy's prompt) are strings, templates with {field}s of the training example " +
                           "(r\"{ending}\"), or functions of the example: the reward model may see another text than the policy (infilling scores the " +
                           "plain story order). banned/allowed/penalty as in gflownet (arithmetic's allow-list: penalty=-99.0). lm scores with its LoRA adapters off (adapters=false: the policy's base model when lm is the policy) or on; " +
                           "it may be another loaded model. The termination probability is not part of this reward. banned/penalty apply to latent " +
                           "positions only; prefixes shorter than min_len tokens get `substitute`. Each micro-batch's context and latents run once " +
                           "through the model and Y is scored after every prefix from that cache.",
                       example: "r = reward.continuation(lm, \" and that was the end of the story.\")\nprint(r)  # expect: <Reward continuation>\n" +
                           "infill = reward.continuation(lm, r\" {ending}\", context=r\"{beginning}\", min_len=5)\nprint(infill)  # expect: <Reward continuation>") { args in
            let lm = try model(args)
            guard let y = try ExampleText.argument(args, "continuation") else { throw args.badArgument("continuation", "the observed text Y is needed") }
            let x = try ExampleText.argument(args, "context")
            let interpreter = args.interpreter
            if case .template(let t) = y, y.fields.isEmpty, try lm.encode(t).isEmpty {
                throw args.badArgument("continuation", "\"\(t)\" encodes to no tokens")
            }
            let yTokens = ExampleTokens(y, lm: lm, interpreter: interpreter, what: "reward.continuation continuation")
            let xTokens = x.map { ExampleTokens($0, lm: lm, interpreter: interpreter, what: "reward.continuation context") }
            let r = ContinuationLikelihoodReward(model: lm.model.transformer, continuation: { try yTokens.tokens($0) },
                                                 context: xTokens.map { source in { try source.tokens($0) } },
                                                 penalties: try penalties(lm, args), minLength: try nonNegative(args, "min_len"),
                                                 substitute: try args.double("substitute"), useAdapters: try args.bool("adapters"))
            return .native(RewardObject(r, kind: "continuation"))
        },
        NativeFunction("reward.label(lm, labels, label, context=nil, penalty=-50.0, adapters=false)",
                       summary: "The E-step reward of a classifier with a latent rationale Z: log p(Z Y_true | X), plus `penalty` where the model given X Z prefers another label's text (docs/method.md §4.4).",
                       details: "labels lists the label texts Y_c in class order, e.g. [\", so it is objective.\", \", so it is subjective.\"]; label names the " +
                           "example's field holding its class index (an int), or is a function of the example returning it: the tuner needs examples=. " +
                           "For every prefix of a latent the reward is log p(z_1…z_t | X) + log p(Y_true | X z_1…z_t), and `penalty` (the reference: −50) is " +
                           "added where some other label's text is strictly more likely after X z_1…z_t. X is the policy's prompt, or `context` (a " +
                           "template or a function of the example). lm scores with its adapters off (the policy's base model) unless adapters=true. " +
                           "No ⊤ probability and no minimum length; the tuner divides the whole log-reward, penalty included, by the reward temperature.",
                       example: "r = reward.label(lm, [\", so it is objective.\", \", so it is subjective.\"], \"label\")\nprint(r)  # expect: <Reward label>") { args in
            let lm = try model(args)
            let labelTexts = try args.list("labels").items.enumerated().map { i, v -> String in
                guard let s = v.stringValue else { throw args.badArgument("labels", "element \(i) is \(v.typeName), a string is needed") }
                return s
            }
            guard labelTexts.count >= 2 else { throw args.badArgument("labels", "needs at least two label texts, got \(labelTexts.count)") }
            let labelTokens = try labelTexts.map { text -> [Int] in
                let ids = try lm.encode(text)
                guard !ids.isEmpty else { throw args.badArgument("labels", "\"\(text)\" encodes to no tokens") }
                return ids
            }
            let source = args["label"]
            switch source {
            case .string, .function, .builtin: break
            default: throw args.badArgument("label", "the name of the example's field holding its class index, or a function of the example, expected; got \(source.typeName)")
            }
            let penalty = try args.double("penalty")
            guard penalty <= 0 else { throw args.badArgument("penalty", "must be ≤ 0 (added to the log-reward of a mismatched rationale), got \(penalty)") }
            let x = try ExampleText.argument(args, "context")
            let interpreter = args.interpreter
            let xTokens = x.map { ExampleTokens($0, lm: lm, interpreter: interpreter, what: "reward.label context") }
            let count = labelTokens.count
            let truth: (RewardContext) throws -> Int = { [unowned interpreter] context in
                guard let example = context.example as? ExampleBox else {
                    throw RuntimeError("reward.label: the label comes from the training example; give examples= to the tuner")
                }
                let value: Value
                if case .string(let field) = source {
                    guard case .dict(let d) = example.value, let v = d[field] else {
                        throw RuntimeError("reward.label: example \(example.index) has no field '\(field)'")
                    }
                    value = v
                } else {
                    value = try interpreter.call(source, [example.value])
                }
                guard let index = value.intValue, (0..<count).contains(index) else {
                    throw RuntimeError("reward.label: the label of example \(example.index) is \(value), not a class index 0…\(count - 1)")
                }
                return index
            }
            let r = try host {
                try LabelMismatchReward(model: lm.model.transformer, labels: labelTokens, truth: truth,
                                        context: xTokens.map { source in { try source.tokens($0) } },
                                        penalty: penalty, useAdapters: try args.bool("adapters"))
            }
            return .native(RewardObject(r, kind: "label"))
        },
        NativeFunction("reward.table(probabilities, otherwise=-99.0)",
                       summary: "A target distribution over strings: log R(text) = log probabilities[text] (text stripped of surrounding whitespace), `otherwise` for any other text.",
                       example: "r = reward.table({\"heads\": 0.5, \"tails\": 0.5})\nprint(r)  # expect: <Reward table>") { args in
            let d = try args.dict("probabilities")
            var table: [String: Double] = [:]
            for (k, v) in d.pairs {
                guard case .string(let key) = k else { throw args.badArgument("probabilities", "keys must be strings, got \(k)") }
                guard let p = v.doubleValue, p > 0, p.isFinite else { throw args.badArgument("probabilities", "the probability of \"\(key)\" must be a positive number") }
                table[key] = p
            }
            let otherwise = try args.double("otherwise")
            return .native(RewardObject(try host { try TargetTableReward(probabilities: table, otherwise: otherwise) }, kind: "table"))
        },
        NativeFunction("reward.sum(rewards)", summary: "The sum of several log-rewards (a product of rewards), prefix by prefix.",
                       example: "r = reward.sum([reward.text(fn(t) { return 1.0 }), reward.text(fn(t) { return -len(t) })])\nprint(r)  # expect: <Reward sum>") { args in
            .native(RewardObject(try host { try CombinedReward(.sum(try rewardList(args, "rewards"))) }, kind: "sum"))
        },
        NativeFunction("reward.min(rewards)", summary: "The smallest of several log-rewards, prefix by prefix.",
                       example: "r = reward.min([reward.text(fn(t) { return 1.0 }), reward.text(fn(t) { return -len(t) })])\nprint(r)  # expect: <Reward min>") { args in
            .native(RewardObject(try host { try CombinedReward(.minimum(try rewardList(args, "rewards"))) }, kind: "min"))
        },
        NativeFunction("reward.scale(r, factor)", summary: "factor × log R (a power of the reward; a fixed temperature is scale(r, 1/T)).",
                       example: "r = reward.scale(reward.text(fn(t) { return -len(t) }), 0.5)\nprint(r)  # expect: <Reward scale>") { args in
            let factor = try args.double("factor")
            guard factor.isFinite else { throw args.badArgument("factor", "must be finite") }
            return .native(RewardObject(try host { try CombinedReward(.scaled(try reward(args, "r"), factor)) }, kind: "scale"))
        },
        NativeFunction("reward.clamp(r, low, high)", summary: "log R clamped to [low, high] (bounds the loss when a reward can explode).",
                       example: "r = reward.clamp(reward.text(fn(t) { return -len(t) }), -10.0, 0.0)\nprint(r)  # expect: <Reward clamp>") { args in
            let low = try args.double("low"), high = try args.double("high")
            guard low <= high else { throw args.badArgument("high", "must be ≥ low (\(low)), got \(high)") }
            return .native(RewardObject(try host { try CombinedReward(.clamped(try reward(args, "r"), low: low, high: high)) }, kind: "clamp"))
        },
        NativeFunction("reward.valid(r, check, penalty=-99.0)",
                       summary: "log R where check(text) is true, `penalty` where it is false: a hard validity constraint on the decoded prefix.",
                       example: "r = reward.valid(reward.text(fn(t) { return 0.0 }), fn(t) { return not t.contains(\"\\n\") })\nprint(r)  # expect: <Reward valid>") { args in
            let check = try args.callable("check")
            let interpreter = args.interpreter
            let isValid: (String) throws -> Bool = { [unowned interpreter] t in
                let v = try interpreter.call(check, [.string(t)])
                guard case .bool(let b) = v else { throw RuntimeError("the check function returned \(v.typeName) for \"\(t)\", true or false is needed") }
                return b
            }
            let penalty = try args.double("penalty")
            return .native(RewardObject(try host { try CombinedReward(.validated(try reward(args, "r"), isValid: isValid, penalty: penalty)) }, kind: "valid"))
        },
        NativeFunction("reward.min_length(r, min_len, substitute=-99.0)",
                       summary: "log R for prefixes of at least min_len tokens, `substitute` for shorter ones (the spec's −99 rule).",
                       example: "r = reward.min_length(reward.text(fn(t) { return 0.0 }), 2)\nprint(r)  # expect: <Reward min_length>") { args in
            let minimum = try nonNegative(args, "min_len")
            let substitute = try args.double("substitute")
            return .native(RewardObject(try host { try CombinedReward(.minimumLength(try reward(args, "r"), minimum: minimum, substitute: substitute)) }, kind: "min_length"))
        },
    ]
}

// Argument readers shared by the reward constructors.
private func model(_ args: Arguments) throws -> ModelObject {
    guard case .native(let o) = args["lm"], let lm = o as? ModelObject else { throw args.badArgument("lm", "a Model expected (from model(...))") }
    return lm
}

private func reward(_ args: Arguments, _ name: String) throws -> RewardFunction {
    guard case .native(let o) = args[name], let r = o as? RewardObject else { throw args.badArgument(name, "a Reward expected (from reward.text(...) or another reward.* constructor)") }
    return r.function
}

private func rewardList(_ args: Arguments, _ name: String) throws -> [RewardFunction] {
    let items = try args.list(name).items
    guard !items.isEmpty else { throw args.badArgument(name, "needs at least one reward") }
    return try items.enumerated().map { i, v in
        guard case .native(let o) = v, let r = o as? RewardObject else { throw args.badArgument(name, "element \(i) is \(v.typeName), a Reward is needed") }
        return r.function
    }
}

private func nonNegative(_ args: Arguments, _ name: String) throws -> Int {
    let v = try args.int(name)
    guard v >= 0 else { throw args.badArgument(name, "must be ≥ 0, got \(v)") }
    return v
}

/// `banned=[…]` and `allowed=…` with `penalty=α` as token penalties (none when both are nil);
/// shared with gflownet(...). `allowed` (a list of tokens, or a function of a token's text) puts
/// α on every other token except `exempt` (the termination token, which must stay possible).
func penalties(_ lm: ModelObject, _ args: Arguments, exempt: Int? = nil) throws -> [TokenPenalty] {
    let vocabulary = lm.model.transformer.config.vocabularySize
    var penalised: [Int] = []
    if !args["banned"].isNil {
        penalised = try args.list("banned").items.map { v -> Int in
            let id = try lm.token(v, args, "banned")
            guard (0..<vocabulary).contains(id) else { throw args.badArgument("banned", "token id \(id) is outside the vocabulary of \(vocabulary)") }
            return id
        }
    }
    if !args["allowed"].isNil {
        var allowed = try allowedTokens(lm, args)
        if let exempt { allowed.insert(exempt) }
        penalised += (0..<vocabulary).filter { !allowed.contains($0) }
    }
    let alpha = try args.double("penalty")
    guard alpha <= 0 else { throw args.badArgument("penalty", "must be ≤ 0 (an additive logit penalty; -inf bans), got \(alpha)") }
    return penalised.isEmpty ? [] : [TokenPenalty(tokens: Array(Set(penalised)).sorted(), penalty: Float(alpha))]
}

/// The tokens of `args["allowed"]`: a list of token ids or one-token strings, or a function of a
/// token's text returning true or false (called once per vocabulary entry).
func allowedTokens(_ lm: ModelObject, _ args: Arguments) throws -> Set<Int> {
    let vocabulary = lm.model.transformer.config.vocabularySize
    var allowed = Set<Int>()
    switch args["allowed"] {
    case .function, .builtin:
        let f = args["allowed"]
        for id in 0..<vocabulary {
            let text = try lm.decode([id])
            switch try args.call(f, .string(text)) {
            case .bool(true): allowed.insert(id)
            case .bool(false): break
            case let other: throw args.badArgument("allowed", "the function returned \(other.typeName) for token \(id) (\"\(text)\"), true or false is needed")
            }
        }
    default:
        for v in try args.list("allowed").items {
            let id = try lm.token(v, args, "allowed")
            guard (0..<vocabulary).contains(id) else { throw args.badArgument("allowed", "token id \(id) is outside the vocabulary of \(vocabulary)") }
            allowed.insert(id)
        }
    }
    guard !allowed.isEmpty else { throw args.badArgument("allowed", "allows no token at all") }
    return allowed
}

enum RewardBindings {
    static func install(into interpreter: Interpreter) {
        for f in RewardObject.methods { interpreter.registerMethod(f, on: "Reward") }
        for f in RewardNamespace.methods { interpreter.registerMethod(f, on: "reward") }
        interpreter.define("reward", .native(RewardNamespace()), help: Help(
            summary: "Reward constructors for gflownet(): reward.text(f), reward.likelihood(lm), reward.continuation(lm, text), reward.label(lm, labels, label), reward.table(probabilities), and the combinators reward.sum, reward.min, reward.scale, reward.clamp, reward.valid, reward.min_length.",
            example: "r = reward.text(fn(t) { return 0.0 })"))
    }
}
