// `gflownet(lm, reward=...)`: a GFlowNet fine-tuner of a model's LoRA adapters, with step, fit, save.
import Foundation
import GFlowNets
import LanguageModels
import Scripting

/// A trainer of a model's LoRA adapters seen from gfn as `Tuner`, whatever its method (gflownet,
/// ppo, reinforce, sft): the same step, fit and save, and every step's metrics kept for
/// `tuner.losses`, so experiment scripts treat the methods alike.
final class TunerObject: MethodTableObject {
    let trainer: any FineTuner
    /// "gflownet", "ppo", "reinforce" or "sft".
    let method: String
    /// The steps `fit()` runs when no steps are given (sft: the rest of its epochs); nil: steps are needed.
    let defaultSteps: (() -> Int)?
    var history: [StepMetrics] = []
    /// runs/<name>/<timestamp>/ when the tuner was made with run=: metrics.jsonl and checkpoint/ go there.
    let runDirectory: URL?
    init(trainer: any FineTuner, method: String, defaultSteps: (() -> Int)? = nil, runDirectory: URL? = nil) throws {
        self.trainer = trainer
        self.method = method
        self.defaultSteps = defaultSteps
        self.runDirectory = runDirectory
        if let runDirectory { trainer.listeners.append(try MetricsLog(directory: runDirectory)) }
    }
    var checkpointDirectory: URL? { runDirectory?.appendingPathComponent("checkpoint") }
    var typeName: String { "Tuner" }
    var description: String { "<Tuner \(method) step \(trainer.step)>" }
    var summary: String { "Tuner: \(method) fine-tuning of a model's LoRA adapters (made by gflownet, ppo, reinforce or sft)" }
    var propertyMembers: [MemberInfo] {
        [
            MemberInfo(name: "steps", kind: .property, summary: "optimizer steps taken"),
            MemberInfo(name: "losses", kind: .property, summary: "the loss of every step taken, in order"),
            MemberInfo(name: "log_rewards", kind: .property, summary: "the mean log-reward of every step taken (nan for sft)"),
            MemberInfo(name: "method", kind: .property, summary: "\"gflownet\", \"ppo\", \"reinforce\" or \"sft\""),
            MemberInfo(name: "metrics", kind: .property, summary: "every step's metrics dict (as tuner.step() returns), in order"),
            MemberInfo(name: "run_dir", kind: .property, summary: "runs/<run>/<timestamp> when made with run=, else nil"),
        ]
    }
    func property(_ name: String) throws -> Value? {
        switch name {
        case "steps": return .int(trainer.step)
        case "losses": return .makeList(history.map { .float($0.loss) })
        case "log_rewards": return .makeList(history.map { .float($0.logReward) })
        case "method": return .string(method)
        case "metrics": return .makeList(history.map { Self.record($0) })
        case "run_dir": return runDirectory.map { .string($0.path) } ?? .null
        default: return nil
        }
    }

    static func record(_ m: StepMetrics) -> Value {
        let d = DictObject()
        for (k, v) in m.record.sorted(by: { $0.key < $1.key }) { d[k] = .float(v) }
        d["step"] = .int(m.step)
        // Short names for the common ones.
        d["loss"] = .float(m.loss)
        d["logR"] = .float(m.logReward)
        d["lr"] = .float(m.learningRate)
        d["length"] = .float(m.meanLength)
        d["skipped"] = .bool(m.skipped)
        for (short, key) in [("reward", "train/reward"), ("kl", "train/kl")] { if let v = m.extra[key] { d[short] = .float(v) } }
        return .dict(d)
    }

    /// Training with the adapters switched off would update nothing: say so.
    func checkAdaptersOn() throws {
        if let p = trainer.policy as? LanguageModelPolicy, !p.model.adaptersEnabled {
            throw RuntimeError("the model's LoRA adapters are switched off", hint: "call lm.adapters(enabled=true) before training")
        }
    }

    /// The progress line of `fit(every=k)` for the baselines: the step, its loss, and the numbers this method has.
    static func progressLine(_ m: StepMetrics) -> String {
        var line = String(format: "step %d  loss %.4f", m.step, m.loss)
        if m.logReward.isFinite { line += String(format: "  logR %.3f", m.logReward) }
        if let r = m.extra["train/reward"], r != m.logReward { line += String(format: "  reward %.3f", r) }
        if let kl = m.extra["train/kl"] { line += String(format: "  kl %.3f", kl) }
        if m.skipped { line += "  (skipped: non-finite)" }
        return line + "\n"
    }

    static let methods: [NativeFunction] = [
        NativeFunction("step()", summary: "Runs one optimizer step; returns its metrics as a dict (loss, logR, lr, ...).",
                       example: "lm = model(\"smollm2\")\nlm.lora(r=2, target_modules=[\"q_proj\"])\ntuner = sft(lm, prompt=\"Q:\", completions=[\" yes\"], stop=\"\\n\")\nm = tuner.step()\nprint(m[\"step\"], m[\"loss\"] > 0)  # expect: 1 true") { args in
            let me = try args.receiver(TunerObject.self)
            try me.checkAdaptersOn()
            let m = try host { try me.trainer.trainStep() }
            me.history.append(m)
            return record(m)
        },
        NativeFunction("fit(steps=nil, every=0, callback=nil, checkpoint_every=0)",
                       summary: "Runs `steps` optimizer steps; returns the list of their losses (also kept in tuner.losses).",
                       details: "A progress bar shows on a terminal. every=k > 0 also prints the step, loss, log R, Var(log R − log q), reward temperature, learning rate and seconds every k steps. An sft tuner without steps runs the rest of its epochs; the others need steps. " +
                           "callback(metrics) is called after every step with the dict tuner.step() returns; returning false stops training. " +
                           "With run= on gflownet(...) (or ppo, reinforce, sft), every step is appended to run_dir/metrics.jsonl, and a checkpoint (adapters, optimizer, replay buffer, step) is written to run_dir/checkpoint every checkpoint_every steps and at the end. " +
                           "A step whose loss or gradient is not finite (e.g. a reward of 1e308) is skipped, with no update: the progress bar counts skipped steps and fit ends with a line saying how many. " +
                           "Ctrl-C stops at the next step boundary: the model keeps the adapters trained so far, the checkpoint is written, and the script stops with \"interrupted\".",
                       example: "lm = model(\"smollm2\")\nlm.lora(r=2, target_modules=[\"q_proj\"])\ntuner = sft(lm, prompt=\"Q:\", completions=[\" yes\"], stop=\"\\n\")\nlosses = tuner.fit(steps=3, callback=fn(m) { return m[\"step\"] < 2 })\nprint(len(losses), tuner.losses == losses)  # expect: 2 true") { args in
            let me = try args.receiver(TunerObject.self)
            let steps: Int
            if let given = try args.optionalInt("steps") { steps = given }
            else if let remaining = me.defaultSteps { steps = remaining() }
            else { throw args.badArgument("steps", "is needed for a \(me.method) tuner (only sft knows its length: epochs × batches)") }
            let every = try args.int("every")
            let checkpointEvery = try args.int("checkpoint_every")
            guard steps >= 0 else { throw args.badArgument("steps", "must be ≥ 0, got \(steps)") }
            try me.checkAdaptersOn()
            guard checkpointEvery >= 0 else { throw args.badArgument("checkpoint_every", "must be ≥ 0, got \(checkpointEvery)") }
            let callback = args["callback"].isNil ? nil : args["callback"]
            if let callback {
                switch callback { case .function, .builtin: break; default: throw args.badArgument("callback", "a function expected, got \(callback.typeName)") }
            }
            let interpreter = args.interpreter
            // GFlowNet steps print the balance diagnostics; the baselines their own numbers (progressLine).
            let printer = every > 0 && me.method == "gflownet" ? ProgressPrinter(every: every, totalSteps: me.trainer.step + steps, output: { interpreter.write($0 + "\n") }) : nil
            let progress = ProgressReporter(interpreter, title: me.method, total: steps)
            defer { progress.finish() }
            var losses: [Value] = []
            var skipped = 0
            var interrupted = false
            // The script's side of each step, as a listener of the engine's own fit loop.
            let caller = args
            let listener = CallbackListener { [me] event in
                guard case .step(let m) = event else { return .continue }
                me.history.append(m)
                losses.append(.float(m.loss))
                if every > 0, me.method != "gflownet", m.step % every == 0 || losses.count == steps { interpreter.write(progressLine(m)) }
                if m.skipped { skipped += 1 }
                let metric = skipped > 0 ? "loss (\(skipped) skipped)" : "loss"
                do { try progress.advance(to: losses.count, metric: metric, value: m.loss) } catch { interrupted = true; return .stop }
                if let callback, case .bool(false) = try caller.call(callback, record(m)) { return .stop }
                // Ctrl-C during the callback (or the step) stops before the next step.
                if interpreter.interrupt.isRequested { interrupted = true; return .stop }
                return .continue
            }
            let trainer = me.trainer
            let added: [TrainingListener] = (printer.map { [$0 as TrainingListener] } ?? []) + [listener]
            trainer.listeners += added
            trainer.checkpointDirectory = me.checkpointDirectory
            trainer.checkpointEvery = checkpointEvery
            defer {
                trainer.listeners.removeAll { l in added.contains { $0 === l } }
                trainer.checkpointDirectory = nil
                trainer.checkpointEvery = 0
            }
            if interpreter.interrupt.isRequested { interrupted = true }
            // Skipped steps change nothing, so a run of them must not pass for training.
            defer { if skipped > 0 { interpreter.write(skippedStepsSummary(skipped, of: losses.count)) } }
            try host { _ = try trainer.fit(steps: interrupted ? 0 : steps) }
            if interrupted {
                interpreter.write("interrupted at step \(trainer.step): training stopped; the model keeps the adapters trained so far" +
                                  (me.checkpointDirectory.map { " (checkpoint: \($0.path))" } ?? "") + "\n")
                interpreter.interrupt.request()
                try interpreter.checkInterrupt()
            }
            return .makeList(losses)
        },
        NativeFunction("resume(path)", summary: "Restores a checkpoint written by fit (adapters, optimizer, replay buffer, step), so training continues exactly where it stopped.",
                       details: "path is a checkpoint folder, e.g. tuner.run_dir + \"/checkpoint\". The tuner must have been made with the same model, adapters and settings.",
                       example: "lm = model(\"smollm2\")\nlm.lora(r=2, target_modules=[\"q_proj\"])\nt = sft(lm, prompt=\"Q:\", completions=[\" yes\"], stop=\"\\n\", run=\"example\")\nt.fit(steps=1)\nt.resume(t.run_dir + \"/checkpoint\")\nprint(t.steps)  # expect: 1") { args in
            let me = try args.receiver(TunerObject.self)
            let path = try args.string("path")
            try host { try me.trainer.resume(from: URL(fileURLWithPath: path)) }
            return .null
        },
        NativeFunction("save(path)", summary: "Writes the LoRA adapters (PEFT layout: adapter_model.safetensors, adapter_config.json) to the folder path.",
                       example: "lm = model(\"smollm2\")\nlm.lora(r=2, target_modules=[\"q_proj\"])\ntuner = sft(lm, prompt=\"Q:\", completions=[\" yes\"], stop=\"\\n\")\ntuner.fit(steps=1)\ntuner.save(\"runs/sft_example\")\nlm.load_adapter(\"runs/sft_example\")\nprint(tuner.steps)  # expect: 1") { args in
            let me = try args.receiver(TunerObject.self)
            let path = try args.string("path")
            try host {
                try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
                try me.trainer.policy.saveAdapters(to: URL(fileURLWithPath: path))
            }
            return .null
        },
    ]
}

enum TunerBindings {
    /// `args["lm"]` as a model.
    static func model(_ args: Arguments) throws -> ModelObject {
        guard case .native(let o) = args["lm"], let lm = o as? ModelObject else { throw args.badArgument("lm", "a Model expected (from model(...))") }
        return lm
    }

    /// `run="name"` as runs/<name>/<UTC timestamp>/ under the working directory (nil without run=).
    static func runDirectoryArgument(_ args: Arguments) throws -> URL? {
        guard !args["run"].isNil else { return nil }
        let name = try args.string("run")
        guard !name.isEmpty, !name.contains("/"), name != ".", name != ".." else {
            throw args.badArgument("run", "a plain name such as \"rng\" expected (it becomes runs/<name>/<timestamp>), got \"\(name)\"")
        }
        return MetricsLog.runDirectory(root: URL(fileURLWithPath: FileManager.default.currentDirectoryPath), name: name)
    }

    /// `args["reward"]` as a reward.
    static func rewardArgument(_ args: Arguments) throws -> RewardObject {
        guard case .native(let r) = args["reward"], let reward = r as? RewardObject else {
            throw args.badArgument("reward", "a Reward expected (from reward.text(...))")
        }
        return reward
    }

    /// `args["prompt"]`, a string or a list of strings, as training prompts (each must encode to tokens).
    static func trainingPrompts(_ lm: ModelObject, _ args: Arguments) throws -> [TrainingPrompt] {
        var texts: [String] = []
        if let s = args["prompt"].stringValue { texts = [s] }
        else if let l = args["prompt"].listValue {
            texts = try l.items.map { guard let s = $0.stringValue else { throw args.badArgument("prompt", "a list of strings expected") }; return s }
        } else { throw args.badArgument("prompt", "a string or a list of strings expected") }
        guard !texts.isEmpty else { throw args.badArgument("prompt", "the list is empty") }
        return try texts.map { text in
            let tokens = try lm.encode(text)
            guard !tokens.isEmpty else { throw args.badArgument("prompt", "\"\(text)\" encodes to no tokens") }
            return TrainingPrompt(tokens: tokens, key: text)
        }
    }

    /// The termination token of `args["stop"]`: an id, a one-token string, or nil for the model's end token.
    static func terminationToken(_ lm: ModelObject, _ args: Arguments) throws -> Int {
        if !args["stop"].isNil { return try lm.token(args["stop"], args, "stop") }
        guard let eos = lm.model.tokenizer?.eosTokenID ?? lm.model.transformer.config.eosTokenID else {
            throw args.badArgument("stop", "the model has no end-of-sequence token; give stop=")
        }
        return eos
    }

    static let signature = "gflownet(lm, reward, prompt, stop=nil, loss=\"subtb\", subtb_lambda=1.0, lr=0.0001, n_samples=8, " +
        "max_len=20, min_len=1, pf_temp_high=2.0, pf_temp_low=0.5, pf_temp_prob=0.0, use_buffer_prob=0.0, " +
        "reward_temp_start=1.0, reward_temp_end=1.0, reward_temp_horizon=0, warmup=20, buffer_size=50, banned=nil, penalty=-50.0, prompts_per_step=1, accumulation=\"mean\", " +
        "weight_decay=0.01, max_grad_norm=1.0, seed=0, run=nil)"

    static let gflownetFunction = NativeFunction(
        signature,
        summary: "A GFlowNet fine-tuner of lm's LoRA adapters (attach them with lm.lora first) towards reward, sampling latents after prompt.",
        details: "prompt is a string or a list of strings. Latents end with `stop` (a token id or one-token string; default the model's end token). " +
            "loss is \"subtb\", \"tb\" or \"db\". Exploration: with probability use_buffer_prob a step replays the buffer, " +
            "with pf_temp_prob it samples at a temperature drawn in [pf_temp_low, pf_temp_high]. The reward temperature goes " +
            "from reward_temp_start to reward_temp_end over reward_temp_horizon steps. run=\"name\" logs every step to " +
            "runs/name/<UTC timestamp>/metrics.jsonl (train/loss, train/logR, train/var_logR_minus_logPF, lr, reward_temperature, time/<phase>, …) " +
            "and keeps checkpoints there (see fit). banned lists token ids or one-token strings whose logits get the additive penalty (−inf bans them): " +
            "the penalised distribution is the policy, as in the spec (§1.2); give the reward the same list. " +
            "An optimizer step takes prompts_per_step micro-batches (one prompt and its n_samples latents each) and combines " +
            "their losses by accumulation=\"mean\" (the next-sentence reference) or \"sum\" (the RNG reference); AdamW with " +
            "weight_decay, the global gradient norm clipped to max_grad_norm (nil: no clipping).",
        example: "lm = model(\"smollm2\")\nlm.lora(r=4)\nr = reward.text(fn(t) { return 0.0 })\ntuner = gflownet(lm, reward=r, prompt=\"A number:\", stop=\"\\n\", max_len=3, n_samples=2)\nprint(tuner.step()[\"loss\"] >= 0)  # expect: true",
        category: "ml") { args in
        let lm = try model(args)
        let reward = try rewardArgument(args)
        let prompts = try trainingPrompts(lm, args)
        let stop = try terminationToken(lm, args)
        var c = GFlowNetConfiguration()
        switch try args.string("loss") {
        case "subtb": c.loss = .subTrajectory(lambda: Float(try args.double("subtb_lambda")))
        case "tb": c.loss = .trajectory
        case "db", "modified_db": c.loss = .detailed
        case let other: throw args.badArgument("loss", "\"subtb\", \"tb\" or \"db\" expected, got \"\(other)\"")
        }
        c.learningRate = Float(try args.double("lr"))
        c.learningRateSchedule = .linearWarmup(warmupSteps: try args.int("warmup"))
        c.samplesPerPrompt = try args.int("n_samples")
        c.maxLength = try args.int("max_len")
        c.minLength = try args.int("min_len")
        c.replayCapacity = try args.int("buffer_size")
        c.microBatchesPerStep = try BaselineBindings.atLeast(1, args, "prompts_per_step")
        switch try args.string("accumulation") {
        case "mean": c.accumulation = .mean
        case "sum": c.accumulation = .sum
        case let other: throw args.badArgument("accumulation", "\"mean\" or \"sum\" expected, got \"\(other)\"")
        }
        c.weightDecay = Float(try BaselineBindings.nonNegative(args, "weight_decay"))
        c.maxGradientNorm = try BaselineBindings.maxGradientNorm(args)
        c.seed = UInt64(truncatingIfNeeded: try args.int("seed"))
        let runDirectory = try runDirectoryArgument(args)
        let tunerArgs = args
        return try host {
            c.behaviour = try BehaviourPolicy(useBufferProbability: try tunerArgs.double("use_buffer_prob"),
                                              temperedProbability: try tunerArgs.double("pf_temp_prob"),
                                              temperatureLow: try tunerArgs.double("pf_temp_low"),
                                              temperatureHigh: try tunerArgs.double("pf_temp_high"))
            c.rewardTemperature = try RewardTemperatureSchedule(start: try tunerArgs.double("reward_temp_start"),
                                                                end: try tunerArgs.double("reward_temp_end"),
                                                                horizon: try tunerArgs.int("reward_temp_horizon"))
            let policy = try LanguageModelPolicy(model: lm.model.transformer, terminationToken: stop, penalties: try penalties(lm, tunerArgs),
                                                 decode: { [lm] ids in try lm.decode(ids) })
            let trainer = try GFlowNetTrainer(policy: policy, reward: reward.function, prompts: prompts, configuration: c)
            return .native(try TunerObject(trainer: trainer, method: "gflownet", runDirectory: runDirectory))
        }
    }

    static func install(into interpreter: Interpreter) {
        for f in TunerObject.methods { interpreter.registerMethod(f, on: "Tuner") }
        interpreter.register(gflownetFunction)
    }
}

/// The line `fit` ends with when steps were skipped.
func skippedStepsSummary(_ skipped: Int, of steps: Int) -> String {
    "fit: \(skipped) of \(steps) step\(steps == 1 ? "" : "s") skipped (non-finite loss or gradient: nothing was learned from \(skipped == 1 ? "it" : "them")); " +
        "check the reward for huge or infinite values, or lower the learning rate\n"
}
