// `ppo(lm, reward=...)`, `reinforce(lm, reward=...)` and `sft(lm, data=...)`: the paper's baselines
// as tuners with the same step, fit and save as `gflownet(...)`.
import Foundation
import GFlowNets
import LanguageModels
import Scripting

enum BaselineBindings {
    static let ppoSignature = "ppo(lm, reward, prompt, examples=nil, weights=nil, order=nil, stop=nil, n_samples=8, kl_coef=0.05, target_kl=nil, kl_horizon=10000, clip=0.2, ppo_epochs=4, lr=0.0001, " +
        "max_len=20, min_len=1, baseline=\"group\", normalize=true, decay=0.9, entropy_coef=0.0, reward_scale=\"log\", " +
        "banned=nil, allowed=nil, penalty=-50.0, environment=nil, prompts_per_step=1, warmup=0, weight_decay=0.01, max_grad_norm=1.0, seed=0, run=nil)"
    static let reinforceSignature = "reinforce(lm, reward, prompt, examples=nil, weights=nil, order=nil, stop=nil, n_samples=8, kl_coef=0.05, target_kl=nil, kl_horizon=10000, lr=0.0001, max_len=20, " +
        "min_len=1, baseline=\"group\", normalize=false, decay=0.9, entropy_coef=0.0, reward_scale=\"log\", banned=nil, allowed=nil, penalty=-50.0, environment=nil, prompts_per_step=1, " +
        "warmup=0, weight_decay=0.01, max_grad_norm=1.0, seed=0, run=nil)"
    static let sftSignature = "sft(lm, data=nil, prompt=nil, completions=nil, stop=nil, lr=0.0001, epochs=1, batch_size=8, " +
        "teach_stop=true, warmup=0, weight_decay=0.01, max_grad_norm=1.0, seed=0, run=nil)"

    static let ppoFunction = NativeFunction(
        ppoSignature,
        summary: "A PPO fine-tuner of lm's LoRA adapters (attach them with lm.lora first) that maximises the reward of latents sampled after prompt.",
        details: "Each step samples n_samples latents per prompt (prompts_per_step prompts), scores each by log R (reward_scale=\"log\") " +
            "or R (\"exp\"), adds the per-token penalty −kl_coef·(log q − log p_base) (p_base: the same model with adapters off) and " +
            "−entropy_coef·log q (with target_kl, kl_coef adapts after each step: ×(1 + clip(KL/target_kl − 1, ±0.2)·n/kl_horizon)), and makes ppo_epochs AdamW updates on the clipped surrogate (ratio clipped to [1 − clip, 1 + clip]). " +
            "baseline is \"group\" (the mean return of the prompt's samples; normalize divides by their std), \"moving\" " +
            "(a moving average with decay) or \"none\". There is no learned value head. Latents end with stop; prompt, examples, weights and order are those of gflownet(...); " +
            "banned and allowed (token lists, or for allowed a function of a token's text) put the additive penalty on tokens as in gflownet(...): the penalised distribution is the policy. " +
            "environment= (calculator(...) or a function of the state text) inserts tokens between actions as in gflownet(...).",
        example: "lm = model(\"smollm2\")\nlm.lora(r=2, target_modules=[\"q_proj\"])\n" +
            "t = ppo(lm, reward=reward.text(fn(s) { return -len(s) }), prompt=\"A number:\", stop=\"\\n\", n_samples=2, max_len=2, ppo_epochs=2)\n" +
            "print(len(t.fit(steps=1)), t.steps, t.method)  # expect: 1 1 ppo",
        category: "ml") { args in
        let clip = try args.double("clip"), epochs = try args.int("ppo_epochs")
        guard clip > 0, clip.isFinite else { throw args.badArgument("clip", "must be positive, got \(clip)") }
        guard epochs >= 1 else { throw args.badArgument("ppo_epochs", "must be ≥ 1, got \(epochs)") }
        return try policyGradientTuner(args, algorithm: .ppo(clip: clip, epochs: epochs))
    }

    static let reinforceFunction = NativeFunction(
        reinforceSignature,
        summary: "A REINFORCE fine-tuner (with a baseline) of lm's LoRA adapters that maximises the reward of latents sampled after prompt.",
        details: "One AdamW update per step on −Σ_t A_t log q(a_t), averaged over sequences; rewards, the KL penalty, the entropy " +
            "bonus, the baselines, banned/allowed/penalty and environment are those of ppo(...).",
        example: "lm = model(\"smollm2\")\nlm.lora(r=2, target_modules=[\"q_proj\"])\n" +
            "t = reinforce(lm, reward=reward.text(fn(s) { return -len(s) }), prompt=\"A number:\", stop=\"\\n\", n_samples=2, max_len=2, baseline=\"moving\")\n" +
            "m = t.step()\nprint(t.steps, m[\"kl\"] == 0)  # expect: 1 true",
        category: "ml") { args in
        try policyGradientTuner(args, algorithm: .reinforce)
    }

    static func policyGradientTuner(_ args: Arguments, algorithm: PolicyGradientAlgorithm) throws -> Value {
        let lm = try TunerBindings.model(args)
        let reward = try TunerBindings.rewardArgument(args)
        let prompts = try TunerBindings.trainingPrompts(lm, args)
        let stop = try TunerBindings.terminationToken(lm, args)
        var c = PolicyGradientConfiguration()
        c.algorithm = algorithm
        c.exampleOrder = try TunerBindings.exampleOrder(args, prompts)
        let normalize = try args.bool("normalize"), decay = try args.double("decay")
        switch try args.string("baseline") {
        case "group": c.baseline = .groupMean(normalize: normalize)
        case "moving":
            guard (0..<1).contains(decay) else { throw args.badArgument("decay", "must be in [0, 1), got \(decay)") }
            c.baseline = .movingAverage(decay: decay)
        case "none": c.baseline = .none
        case let other: throw args.badArgument("baseline", "\"group\", \"moving\" or \"none\" expected, got \"\(other)\"")
        }
        let scale = try args.string("reward_scale")
        guard let rewardScale = RewardScale(rawValue: scale) else {
            throw args.badArgument("reward_scale", "\"log\" (maximise log R) or \"exp\" (maximise R) expected, got \"\(scale)\"")
        }
        c.rewardScale = rewardScale
        c.klCoefficient = try nonNegative(args, "kl_coef")
        if let target = try args.optionalDouble("target_kl") {
            guard target > 0, target.isFinite else { throw args.badArgument("target_kl", "must be positive, got \(target)") }
            guard c.klCoefficient > 0 else { throw args.badArgument("target_kl", "needs kl_coef > 0 (the starting coefficient)") }
            c.klTarget = target
        }
        let horizon = try args.double("kl_horizon")
        guard horizon > 0, horizon.isFinite else { throw args.badArgument("kl_horizon", "must be positive, got \(horizon)") }
        c.klHorizon = horizon
        c.entropyCoefficient = try nonNegative(args, "entropy_coef")
        c.samplesPerPrompt = try atLeast(1, args, "n_samples")
        c.promptsPerStep = try atLeast(1, args, "prompts_per_step")
        c.maxLength = try atLeast(1, args, "max_len")
        c.minLength = try atLeast(0, args, "min_len")
        guard c.minLength <= c.maxLength else { throw args.badArgument("min_len", "must be ≤ max_len (\(c.maxLength)), got \(c.minLength)") }
        try optimization(&c.optimization, args)
        let config = c
        let tokenPenalties = try penalties(lm, args, exempt: stop)
        let environment = try samplingEnvironment(lm, args)
        let runDirectory = try TunerBindings.runDirectoryArgument(args)
        return try host {
            let policy = try LanguageModelPolicy(model: lm.model.transformer, terminationToken: stop, penalties: tokenPenalties,
                                                 environment: environment, decode: { [lm] ids in try lm.decode(ids) })
            let trainer = try PolicyGradientTrainer(policy: policy, reward: reward.function, prompts: prompts, configuration: config)
            return .native(try TunerObject(trainer: trainer, runDirectory: runDirectory))
        }
    }

    static let sftFunction = NativeFunction(
        sftSignature,
        summary: "A supervised fine-tuner (maximum likelihood) of lm's LoRA adapters on given completions.",
        details: "data is a list of [prompt, completion] pairs or {\"prompt\": ..., \"completion\": ...} dicts; or give one prompt " +
            "with a list of completions. The loss is the mean token negative log-likelihood of the completions (and of stop after " +
            "each, with teach_stop=true; stop defaults to the model's end token) over batches of batch_size, AdamW at lr with " +
            "warmup steps. fit() without steps runs the rest of `epochs` epochs.",
        example: "lm = model(\"smollm2\")\nlm.lora(r=2, target_modules=[\"q_proj\"])\n" +
            "t = sft(lm, prompt=\"A number:\", completions=[\" 7\", \" 42\", \" 3\"], stop=\"\\n\", batch_size=2, lr=0.001)\n" +
            "losses = t.fit()\nprint(len(losses), losses[0] > 0)  # expect: 2 true",
        category: "ml") { args in
        let lm = try TunerBindings.model(args)
        let stop = try TunerBindings.terminationToken(lm, args)
        var pairs: [(String, String, String)] = []   // (prompt, completion, argument at fault)
        let source = args["data"].isNil ? "completions" : "data"
        switch (!args["data"].isNil, !args["prompt"].isNil, !args["completions"].isNil) {
        case (true, false, false):
            for (i, item) in try args.list("data").items.enumerated() {
                if let l = item.listValue, l.items.count == 2, let p = l.items[0].stringValue, let c = l.items[1].stringValue {
                    pairs.append((p, c, "data"))
                } else if case .dict(let d) = item, let p = d["prompt"]?.stringValue, let c = d["completion"]?.stringValue {
                    pairs.append((p, c, "data"))
                } else {
                    throw args.badArgument("data", "element \(i) is not a [prompt, completion] pair of strings or a {prompt, completion} dict")
                }
            }
        case (false, true, true):
            let prompt = try args.string("prompt")
            for (i, item) in try args.list("completions").items.enumerated() {
                guard let c = item.stringValue else { throw args.badArgument("completions", "element \(i) is \(item.typeName), a string is needed") }
                pairs.append((prompt, c, "completions"))
            }
        default:
            throw args.badArgument("data", "give either data=[[prompt, completion], ...] or prompt= with completions=[...]")
        }
        guard !pairs.isEmpty else { throw args.badArgument(source, "no examples given (the list is empty)") }
        let examples = try pairs.map { prompt, completion, name -> SupervisedExample in
            let p = try lm.encode(prompt)
            guard !p.isEmpty else { throw args.badArgument(name, "the prompt \"\(prompt)\" encodes to no tokens") }
            var c = try lm.encode(completion)
            if c.last == stop { c.removeLast() }   // the stop token is taught by teach_stop, not as text
            return SupervisedExample(prompt: p, completion: c)
        }
        var c = SupervisedConfiguration()
        c.batchSize = try atLeast(1, args, "batch_size")
        c.epochs = try atLeast(1, args, "epochs")
        c.teachTermination = try args.bool("teach_stop")
        try optimization(&c.optimization, args)
        for (i, e) in examples.enumerated() where e.completion.isEmpty && !c.teachTermination {
            throw args.badArgument(source, "example \(i) has an empty completion and teach_stop is false: nothing to learn")
        }
        let config = c
        let runDirectory = try TunerBindings.runDirectoryArgument(args)
        return try host {
            let policy = try LanguageModelPolicy(model: lm.model.transformer, terminationToken: stop, decode: { [lm] ids in try lm.decode(ids) })
            let trainer = try SupervisedTrainer(policy: policy, examples: examples, configuration: config)
            return .native(try TunerObject(trainer: trainer, defaultSteps: { [trainer] in max(0, trainer.totalSteps - trainer.step) },
                                           runDirectory: runDirectory))
        }
    }

    /// lr, warmup, weight_decay, max_grad_norm and seed, shared by every baseline.
    static func optimization(_ o: inout OptimizerSettings, _ args: Arguments) throws {
        let lr = try args.double("lr")
        guard lr >= 0, lr.isFinite else { throw args.badArgument("lr", "must be a number ≥ 0, got \(lr)") }
        o.learningRate = Float(lr)
        let warmup = try atLeast(0, args, "warmup")
        o.learningRateSchedule = warmup > 0 ? .linearWarmup(warmupSteps: warmup) : .constant
        o.weightDecay = Float(try nonNegative(args, "weight_decay"))
        o.maxGradientNorm = try maxGradientNorm(args)
        o.seed = UInt64(truncatingIfNeeded: try args.int("seed"))
    }

    /// `max_grad_norm`: a positive number, or nil for no clipping.
    static func maxGradientNorm(_ args: Arguments) throws -> Float? {
        guard !args["max_grad_norm"].isNil else { return nil }
        let v = try args.double("max_grad_norm")
        guard v > 0, v.isFinite else { throw args.badArgument("max_grad_norm", "must be a positive number, or nil for no clipping, got \(v)") }
        return Float(v)
    }

    static func atLeast(_ low: Int, _ args: Arguments, _ name: String) throws -> Int {
        let v = try args.int(name)
        guard v >= low else { throw args.badArgument(name, "must be ≥ \(low), got \(v)") }
        return v
    }

    static func nonNegative(_ args: Arguments, _ name: String) throws -> Double {
        let v = try args.double(name)
        guard v >= 0, v.isFinite else { throw args.badArgument(name, "must be a number ≥ 0, got \(v)") }
        return v
    }

    static let functions = [ppoFunction, reinforceFunction, sftFunction, ClassifierBindings.function]

    static func install(into interpreter: Interpreter) {
        for f in functions { interpreter.register(f) }
    }
}
