// `gflownet(lm, reward=...)`: a GFlowNet fine-tuner of a model's LoRA adapters, with step, fit, save.
import Foundation
import GFlowNets
import LanguageModels
import ProcessGroups
import Scripting
import Tensors

/// A trainer of a model's LoRA adapters seen from gfn as `Tuner`, whatever its method (the trainer's
/// `TrainingMethod`): the same step, fit and save, and every step's metrics kept for
/// `tuner.losses`, so experiment scripts treat the methods alike.
final class TunerObject: PropertyTableObject {
    let trainer: any FineTuner
    var method: TrainingMethod { trainer.method }
    /// The steps `fit()` runs when no steps are given (sft: the rest of its epochs); nil: steps are needed.
    let defaultSteps: (() -> Int)?
    var history: [StepMetrics] = []
    /// runs/<name>/<timestamp>/ when the tuner was made with run=: metrics.jsonl and checkpoint/ go there.
    let runDirectory: URL?
    /// The adapter tensors this tuner was made on: after lm.remove_adapters() (and perhaps a new lm.lora)
    /// its optimizer state belongs to tensors the model no longer has.
    let adapterTensors: [ObjectIdentifier]
    init(trainer: any FineTuner, defaultSteps: (() -> Int)? = nil, runDirectory: URL? = nil) throws {
        self.trainer = trainer
        adapterTensors = trainer.policy.trainableParameters.map(ObjectIdentifier.init)
        self.defaultSteps = defaultSteps
        self.runDirectory = runDirectory
        // Rank 0 alone keeps the log of a run across processes (every rank has the same metrics).
        if let runDirectory, trainer.processGroup.isPrimary { trainer.listeners.append(try MetricsLog(directory: runDirectory)) }
    }
    var checkpointDirectory: URL? { runDirectory?.appendingPathComponent("checkpoint") }
    var typeName: String { "Tuner" }
    var description: String { "<Tuner \(method.rawValue) step \(trainer.step)>" }
    /// Every method's name, in `TrainingMethod` order: "gflownet, ppo, … or classifier" (quoted: each in quotes).
    static func methodNames(quoted: Bool) -> String {
        let names = TrainingMethod.allCases.map { quoted ? "\"\($0.rawValue)\"" : $0.rawValue }
        return names.dropLast().joined(separator: ", ") + " or " + (names.last ?? "")
    }
    var summary: String { "Tuner: \(method.rawValue) fine-tuning of a model's LoRA adapters (made by \(Self.methodNames(quoted: false)))" }
    static let properties: [NativeProperty<TunerObject>] = [
        NativeProperty("steps", "optimizer steps taken") { .int($0.trainer.step) },
        NativeProperty("losses", "the loss of every step taken, in order") { .makeList($0.history.map { .float($0.loss) }) },
        NativeProperty("log_rewards", "the mean log-reward of every step taken (nan for sft)") { .makeList($0.history.map { .float($0.logReward) }) },
        NativeProperty("method", methodNames(quoted: true)) { .string($0.method.rawValue) },
        NativeProperty("metrics", "every step's metrics dict (as tuner.step() returns), in order") { .makeList($0.history.map { record($0) }) },
        NativeProperty("run_dir", "runs/<run>/<timestamp> when made with run=, else nil") { me in me.runDirectory.map { .string($0.path) } ?? .null },
    ]

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
        for (short, key) in [("reward", MetricKey.reward), ("kl", MetricKey.kl)] { if let v = m.extra[key] { d[short] = .float(v) } }
        return .dict(d)
    }

    /// Training with the adapters switched off, or on adapters the model no longer has, would update
    /// nothing the model uses: say so.
    func checkAdaptersOn() throws {
        guard trainer.policy.trainableParameters.map(ObjectIdentifier.init) == adapterTensors else {
            throw RuntimeError("this \(method.rawValue) tuner's LoRA adapters were removed from the model",
                               hint: "make a new tuner for the adapters the model has now")
        }
        if let p = trainer.policy as? LanguageModelPolicy, !p.model.adaptersEnabled {
            throw RuntimeError("the model's LoRA adapters are switched off", hint: "call lm.adapters(enabled=true) before training")
        }
    }

    /// The progress line of `fit(every=k)` for the baselines: the step, its loss, and the numbers this method has.
    static func progressLine(_ m: StepMetrics) -> String {
        var line = String(format: "step %d  loss %.4f", m.step, m.loss)
        if m.logReward.isFinite { line += String(format: "  logR %.3f", m.logReward) }
        if let r = m.extra[.reward], r != m.logReward { line += String(format: "  reward %.3f", r) }
        if let kl = m.extra[.kl] { line += String(format: "  kl %.3f", kl) }
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
                           "Ctrl-C stops at the next step boundary (the step under way finishes, its reward function included; a second Ctrl-C stops at once): the model keeps the adapters trained so far, the checkpoint is written, and the script stops with \"interrupted\". Under mpirun every rank stops after the same step.",
                       example: "lm = model(\"smollm2\")\nlm.lora(r=2, target_modules=[\"q_proj\"])\ntuner = sft(lm, prompt=\"Q:\", completions=[\" yes\"], stop=\"\\n\")\nlosses = tuner.fit(steps=3, callback=fn(m) { return m[\"step\"] < 2 })\nprint(len(losses), tuner.losses == losses)  # expect: 2 true") { args in
            let me = try args.receiver(TunerObject.self)
            let steps: Int
            if let given = try args.optionalInt("steps") { steps = given }
            else if let remaining = me.defaultSteps { steps = remaining() }
            else { throw args.badArgument("steps", "is needed for a \(me.method.rawValue) tuner (only sft knows its length: epochs × batches)") }
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
            let printer = every > 0 && me.method == .gflownet ? ProgressPrinter(every: every, totalSteps: me.trainer.step + steps, output: { interpreter.write($0 + "\n") }) : nil
            let progress = ProgressReporter(interpreter, title: me.method.rawValue, total: steps)
            defer { progress.finish() }
            var losses: [Value] = []
            var skipped = 0
            let trainer = me.trainer
            // The script's side of each step, as a listener of the engine's own fit loop.
            let caller = args
            let listener = CallbackListener { [me] event in
                guard case .step(let m) = event else { return .continue }
                me.history.append(m)
                losses.append(.float(m.loss))
                if every > 0, me.method != .gflownet, m.step % every == 0 || losses.count == steps { interpreter.write(progressLine(m)) }
                if m.skipped { skipped += 1 }
                let metric = skipped > 0 ? "loss (\(skipped) skipped)" : "loss"
                do { try progress.advance(to: losses.count, metric: metric, value: m.loss) } catch { trainer.stopRequest.request(); return .continue }
                if let callback, case .bool(false) = try caller.call(callback, record(m)) { return .stop }
                return .continue
            }
            let added: [TrainingListener] = (printer.map { [$0 as TrainingListener] } ?? []) + [listener]
            trainer.listeners += added
            trainer.checkpointDirectory = me.checkpointDirectory
            trainer.checkpointEvery = checkpointEvery
            // Ctrl-C (or, under mpirun, the SIGTERM mpirun sends) while a step runs is held until the
            // step ends, so that the reward function (script code) finishes the step; fit polls it at
            // every step boundary, where the ranks agree to stop together.
            let flag = interpreter.interrupt
            trainer.controls.interruptRequested = { flag.isRequested || flag.isHeld }
            trainer.stopRequest.reset()
            defer {
                trainer.listeners.removeAll { l in added.contains { $0 === l } }
                trainer.checkpointDirectory = nil
                trainer.checkpointEvery = 0
                trainer.controls.interruptRequested = { false }
                trainer.stopRequest.reset()
            }
            // Skipped steps change nothing, so a run of them must not pass for training.
            defer { if skipped > 0 { interpreter.write(skippedStepsSummary(skipped, of: losses.count)) } }
            try host { _ = try flag.holdingRequests { try trainer.fit(steps: steps) } }
            if trainer.controls.interrupted {
                // Every rank stops here (they agreed at the step boundary): the run ends on all of them alike.
                trainer.processGroup.markStoppedTogether()
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
            // Every rank holds the same adapters: rank 0 writes them, the others wait (they may load them next).
            let group = me.trainer.processGroup
            try host {
                if group.isPrimary {
                    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
                    try me.trainer.policy.saveAdapters(to: URL(fileURLWithPath: path))
                }
                try group.barrier()
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
        let local = MetricsLog.runDirectory(root: URL(fileURLWithPath: FileManager.default.currentDirectoryPath), name: name)
        // Ranks started a moment apart must agree on one folder: rank 0's timestamp.
        return URL(fileURLWithPath: try host { try ProcessGroup.world.broadcast(local.path) })
    }

    /// `args["reward"]` as a reward.
    static func rewardArgument(_ args: Arguments) throws -> RewardObject {
        guard case .native(let r) = args["reward"], let reward = r as? RewardObject else {
            throw args.badArgument("reward", "a Reward expected (from reward.text(...))")
        }
        return reward
    }

    /// The training items: with `examples=`, one per example, its prompt rendered from the `prompt`
    /// template or function, weighted by `weights`; otherwise `prompt`, a string or a list of strings.
    static func trainingPrompts(_ lm: ModelObject, _ args: Arguments) throws -> [TrainingPrompt] {
        guard !args["examples"].isNil else {
            guard args["weights"].isNil else { throw args.badArgument("weights", "weighs examples: give examples= too") }
            return try plainPrompts(lm, args)
        }
        let rows = try args.list("examples").items
        guard !rows.isEmpty else { throw args.badArgument("examples", "the list is empty") }
        guard let template = try ExampleText.argument(args, "prompt") else {
            throw args.badArgument("prompt", "is needed with examples: a template such as r\"Question: {question}\" or a function of the example")
        }
        let weights = try exampleWeights(args, rows)
        return try rows.enumerated().map { i, row in
            let box = ExampleBox(index: i, value: row)
            let text = try template.render(box, interpreter: args.interpreter, what: "prompt")
            let tokens = try lm.encode(text)
            guard !tokens.isEmpty else { throw args.badArgument("prompt", "example \(i) gives \"\(text)\", which encodes to no tokens") }
            return TrainingPrompt(tokens: tokens, key: "\(i): \(text)", weight: weights[i], exampleIndex: i, example: box)
        }
    }

    static func plainPrompts(_ lm: ModelObject, _ args: Arguments) throws -> [TrainingPrompt] {
        var texts: [String] = []
        if let s = args["prompt"].stringValue { texts = [s] }
        else if let l = args["prompt"].listValue {
            texts = try l.items.map { guard let s = $0.stringValue else { throw args.badArgument("prompt", "a list of strings expected") }; return s }
        } else { throw args.badArgument("prompt", "a string or a list of strings expected (or a template with examples=)") }
        guard !texts.isEmpty else { throw args.badArgument("prompt", "the list is empty") }
        return try texts.map { text in
            let tokens = try lm.encode(text)
            guard !tokens.isEmpty else { throw args.badArgument("prompt", "\"\(text)\" encodes to no tokens") }
            return TrainingPrompt(tokens: tokens, key: text)
        }
    }

    /// `weights=`: nil (all 1), a list with one number per example, a field name, or a function of the example.
    static func exampleWeights(_ args: Arguments, _ rows: [Value]) throws -> [Double] {
        func number(_ v: Value, _ i: Int) throws -> Double {
            guard let d = v.doubleValue ?? v.stringValue.flatMap(Double.init), d >= 0, d.isFinite else {
                throw args.badArgument("weights", "the weight of example \(i) must be a finite number ≥ 0, got \(v)")
            }
            return d
        }
        switch args["weights"] {
        case .null:
            return rows.map { _ in 1 }
        case .list(let l):
            guard l.items.count == rows.count else {
                throw args.badArgument("weights", "has \(l.items.count) numbers for \(rows.count) examples")
            }
            return try l.items.enumerated().map { i, v in try number(v, i) }
        case .string(let field):
            return try rows.enumerated().map { i, row in
                guard case .dict(let d) = row, let v = d[field] else { throw args.badArgument("weights", "example \(i) has no field '\(field)'") }
                return try number(v, i)
            }
        case .function, .builtin:
            return try rows.enumerated().map { i, row in try number(try args.call(args["weights"], row), i) }
        case let other:
            throw args.badArgument("weights", "a list of numbers, a field name or a function of the example expected, got \(other.typeName)")
        }
    }

    /// `order=`: "epoch" or "random"; nil picks "random" when the weights differ, else "epoch".
    static func exampleOrder(_ args: Arguments, _ prompts: [TrainingPrompt]) throws -> ExampleOrder {
        guard let name = try args.optionalString("order") else {
            return prompts.allSatisfy({ $0.weight == prompts[0].weight }) ? .epochs : .random
        }
        guard let order = ExampleOrder(rawValue: name) else {
            throw args.badArgument("order", "\"epoch\" (each example once per epoch, shuffled) or \"random\" (independent draws ∝ weights) expected, got \"\(name)\"")
        }
        return order
    }

    /// The termination token of `args["stop"]`: an id, a one-token string, or nil for the model's end token.
    static func terminationToken(_ lm: ModelObject, _ args: Arguments) throws -> Int {
        if !args["stop"].isNil { return try lm.token(args["stop"], args, "stop") }
        guard let eos = lm.model.tokenizer?.eosTokenID ?? lm.model.transformer.config.eosTokenID else {
            throw args.badArgument("stop", "the model has no end-of-sequence token; give stop=")
        }
        return eos
    }

    static let signature = "gflownet(lm, reward, prompt, examples=nil, weights=nil, order=nil, buffer_seed=nil, stop=nil, " +
        "loss=\"subtb\", subtb_lambda=1.0, masking=\"clean\", forced_termination=\"certain\", lr=0.0001, adam_beta1=0.9, adam_beta2=0.999, " +
        "warmup=20, lr_schedule=\"constant\", decay_steps=nil, n_samples=8, max_len=20, min_len=1, pf_temp_high=2.0, pf_temp_low=0.5, " +
        "pf_temp_prob=0.0, use_buffer_prob=0.0, explore_shares=nil, empty_buffer=\"proportional\", reward_temp_start=1.0, " +
        "reward_temp_end=1.0, reward_temp_horizon=0, buffer_size=50, buffer_tau=0.25, buffer_sampling=\"uniform\", banned=nil, " +
        "allowed=nil, penalty=-50.0, environment=nil, prompts_per_step=1, accumulation=\"mean\", weight_decay=0.01, max_grad_norm=nil, seed=0, run=nil)"

    static let gflownetFunction = NativeFunction(
        signature,
        summary: "A GFlowNet fine-tuner of lm's LoRA adapters (attach them with lm.lora first) towards reward, sampling latents after prompt.",
        details: "prompt is a string or a list of strings; or, with examples= (a list of dicts, e.g. from read_jsonl or read_csv), a template " +
            "such as r\"Question: {q}\" (fields of the example) or a function of the example, and each micro-batch trains on one example: " +
            "the reward sees it (reward.continuation's context and continuation, reward.text(f, with_example=true)). weights= (a list, " +
            "a field name or a function) makes draws independent and ∝ weight; order=\"epoch\" (the default with equal weights) shows " +
            "every example once per epoch in a fresh shuffle, \"random\" draws independently. buffer_seed= (a template or function of " +
            "the example giving a latent text or a list of them) fills an example's replay buffer the first time it is drawn (latents " +
            "longer than max_len are left out). Latents end with `stop` (a token id or one-token string; default the model's end token). " +
            "loss is \"subtb\", \"tb\" or \"db\"; masking=\"clean\" leaves the transition into the terminal state out of SubTB, " +
            "\"after_first\" keeps it (the infill/arithmetic reference); forced_termination=\"certain\" gives the ⊤ that the sampler forces " +
            "at max_len probability 1, \"model\" keeps the model's own log P_term there (the next-sentence reference). " +
            "Exploration: with probability use_buffer_prob a step replays the buffer, with pf_temp_prob it samples at a temperature " +
            "drawn in [pf_temp_low, pf_temp_high]; or explore_shares=[on_policy, tempered, replay] (summing to 1) picks one of the three, " +
            "and empty_buffer says what replay becomes when the example's buffer is empty: \"proportional\", \"tempered\" (infilling, " +
            "arithmetic) or \"skip\" (the micro-batch is skipped: subjectivity). Replay draws buffer_sampling=\"uniform\" or \"softmax\" " +
            "(∝ exp(log R − max)), and a new latent within edit distance buffer_tau·(both lengths) of a stored one is a near-duplicate. " +
            "The reward temperature goes from reward_temp_start to reward_temp_end over reward_temp_horizon steps. The learning rate warms " +
            "up linearly over warmup steps, then stays (lr_schedule=\"constant\") or decays to 0 at step decay_steps (\"linear\", \"cosine\"). " +
            "AdamW with adam_beta1, adam_beta2 and weight_decay; the global gradient norm is clipped to max_grad_norm (nil, the default, as the reference " +
            "code: no clipping). An optimizer step takes prompts_per_step micro-batches (one prompt and its n_samples latents each) and " +
            "combines their losses by accumulation=\"mean\" (the next-sentence reference) or \"sum\" (RNG, infilling). run=\"name\" logs " +
            "every step to runs/name/<UTC timestamp>/metrics.jsonl and keeps checkpoints there (see fit). banned lists token ids or " +
            "one-token strings whose logits get the additive penalty (−inf bans them); allowed (a list, or a function of a token's text " +
            "returning true or false, e.g. fn(t) { t.strip() == \"\" or all(map(c => c in \"0123456789+-=,.\", t.strip())) }) puts the " +
            "penalty on every other token but stop (arithmetic's allow-list with penalty=-99.0). The penalised distribution is the " +
            "policy; give the reward the same lists. environment= (calculator(...) or a function (state_text) -> text or nil) " +
            "inserts tokens into the state after actions while sampling: they are not actions (no log P_F, not counted toward " +
            "max_len), the reward and replay see the states with them, and buffer_seed latents are unrolled through it.",
        example: "lm = model(\"smollm2\")\nlm.lora(r=4)\nr = reward.text(fn(t) { return 0.0 })\ntuner = gflownet(lm, reward=r, prompt=\"A number:\", stop=\"\\n\", max_len=3, n_samples=2)\nprint(tuner.step()[\"loss\"] >= 0)  # expect: true",
        category: "ml") { args in
        let lm = try model(args)
        let reward = try rewardArgument(args)
        let prompts = try trainingPrompts(lm, args)
        let stop = try terminationToken(lm, args)
        var c = GFlowNetConfiguration()
        let masking: TerminationMasking
        switch try args.string("masking") {
        case "clean": masking = .clean
        case "after_first": masking = .strictlyAfterFirstTermination
        case let other: throw args.badArgument("masking", "\"clean\" or \"after_first\" expected, got \"\(other)\"")
        }
        switch try args.string("loss") {
        case "subtb": c.loss = .subTrajectory(lambda: Float(try args.double("subtb_lambda")), masking: masking)
        case "tb": c.loss = .trajectory
        case "db", "modified_db": c.loss = .detailed
        case let other: throw args.badArgument("loss", "\"subtb\", \"tb\" or \"db\" expected, got \"\(other)\"")
        }
        switch try args.string("forced_termination") {
        case "certain": c.forcedTermination = .certain
        case "model": c.forcedTermination = .modelProbability
        case let other: throw args.badArgument("forced_termination", "\"certain\" (log P_term = 0 at max_len) or \"model\" (the model's own) expected, got \"\(other)\"")
        }
        c.learningRate = Float(try args.double("lr"))
        (c.beta1, c.beta2) = try betas(args)
        c.learningRateSchedule = try learningRateSchedule(args)
        c.samplesPerPrompt = try args.int("n_samples")
        c.maxLength = try args.int("max_len")
        c.minLength = try args.int("min_len")
        c.replayCapacity = try args.int("buffer_size")
        c.replayDuplicateThreshold = try BaselineBindings.nonNegative(args, "buffer_tau")
        switch try args.string("buffer_sampling") {
        case "uniform": c.replaySampling = .uniform
        case "softmax": c.replaySampling = .rewardSoftmax
        case let other: throw args.badArgument("buffer_sampling", "\"uniform\" or \"softmax\" (∝ exp(log R)) expected, got \"\(other)\"")
        }
        c.microBatchesPerStep = try BaselineBindings.atLeast(1, args, "prompts_per_step")
        switch try args.string("accumulation") {
        case "mean": c.accumulation = .mean
        case "sum": c.accumulation = .sum
        case let other: throw args.badArgument("accumulation", "\"mean\" or \"sum\" expected, got \"\(other)\"")
        }
        c.weightDecay = Float(try BaselineBindings.nonNegative(args, "weight_decay"))
        c.maxGradientNorm = try BaselineBindings.maxGradientNorm(args)
        c.seed = UInt64(truncatingIfNeeded: try args.int("seed"))
        c.exampleOrder = try exampleOrder(args, prompts)
        let behaviour = try behaviourPolicy(args)
        let seeds = try ExampleText.argument(args, "buffer_seed")
        if seeds != nil && args["examples"].isNil { throw args.badArgument("buffer_seed", "seeds each example's buffer: give examples= too") }
        let runDirectory = try runDirectoryArgument(args)
        let tokenPenalties = try penalties(lm, args, exempt: stop)   // argument errors outside host, so they name the argument
        let environment = try samplingEnvironment(lm, args)
        let tunerArgs = args
        let interpreter = args.interpreter
        return try host {
            c.behaviour = try behaviour()
            c.rewardTemperature = try RewardTemperatureSchedule(start: try tunerArgs.double("reward_temp_start"),
                                                                end: try tunerArgs.double("reward_temp_end"),
                                                                horizon: try tunerArgs.int("reward_temp_horizon"))
            let policy = try LanguageModelPolicy(model: lm.model.transformer, terminationToken: stop, penalties: tokenPenalties,
                                                 environment: environment, decode: { [lm] ids in try lm.decode(ids) })
            let trainer = try GFlowNetTrainer(policy: policy, reward: reward.function, prompts: prompts, configuration: c)
            if let seeds {
                trainer.bufferSeeds = { [unowned interpreter, lm] prompt in
                    try seedTexts(seeds, prompt.example as? ExampleBox, interpreter).map { try lm.encode($0) }
                }
            }
            return .native(try TunerObject(trainer: trainer, runDirectory: runDirectory))
        }
    }

    /// The latent texts `buffer_seed` gives for an example: a string, a list of strings, or nil (none).
    static func seedTexts(_ seeds: ExampleText, _ example: ExampleBox?, _ interpreter: Interpreter) throws -> [String] {
        if case .function(let f) = seeds, let example {
            switch try interpreter.call(f, [example.value]) {
            case .null: return []
            case .string(let s): return [s]
            case .list(let l):
                return try l.items.map { v in
                    guard let s = v.stringValue else { throw RuntimeError("buffer_seed: the list for example \(example.index) holds \(v.typeName), strings are needed") }
                    return s
                }
            case let other: throw RuntimeError("buffer_seed: the function returned \(other.typeName) for example \(example.index); a string, a list of strings or nil is needed")
            }
        }
        return [try seeds.render(example, interpreter: interpreter, what: "buffer_seed")]
    }

    /// `adam_beta1` and `adam_beta2` (Hugging Face's names), each in [0, 1).
    static func betas(_ args: Arguments) throws -> (Float, Float) {
        let b1 = try args.double("adam_beta1"), b2 = try args.double("adam_beta2")
        for (name, b) in [("adam_beta1", b1), ("adam_beta2", b2)] where !(0..<1).contains(b) {
            throw args.badArgument(name, "must be in [0, 1), got \(b)")
        }
        return (Float(b1), Float(b2))
    }

    /// `warmup`, `lr_schedule` and `decay_steps` as a schedule.
    static func learningRateSchedule(_ args: Arguments) throws -> LearningRateSchedule {
        let warmup = try BaselineBindings.atLeast(0, args, "warmup")
        let decaySteps = try args.optionalInt("decay_steps")
        switch try args.string("lr_schedule") {
        case "constant":
            guard decaySteps == nil else { throw args.badArgument("decay_steps", "needs lr_schedule=\"linear\" or \"cosine\"") }
            return warmup > 0 ? .linearWarmup(warmupSteps: warmup) : .constant
        case let name where name == "linear" || name == "cosine":
            guard let total = decaySteps else { throw args.badArgument("decay_steps", "is needed with lr_schedule=\"\(name)\": the step at which the rate reaches 0") }
            guard total > warmup else { throw args.badArgument("decay_steps", "must be greater than warmup (\(warmup)), got \(total)") }
            return name == "linear" ? .linearDecay(warmupSteps: warmup, totalSteps: total) : .cosine(warmupSteps: warmup, totalSteps: total)
        case let other:
            throw args.badArgument("lr_schedule", "\"constant\", \"linear\" or \"cosine\" expected, got \"\(other)\"")
        }
    }

    /// The behaviour policy of `use_buffer_prob`/`pf_temp_prob` or of `explore_shares` + `empty_buffer`
    /// (made later, inside `host`, since its errors are engine errors).
    static func behaviourPolicy(_ args: Arguments) throws -> () throws -> BehaviourPolicy {
        let low = try args.double("pf_temp_low"), high = try args.double("pf_temp_high")
        guard let fallback = EmptyBufferFallback(rawValue: try args.string("empty_buffer")) else {
            throw args.badArgument("empty_buffer", "\"proportional\", \"tempered\" or \"skip\" expected, got \"\(try args.string("empty_buffer"))\"")
        }
        if args["explore_shares"].isNil {
            let replay = try args.double("use_buffer_prob"), tempered = try args.double("pf_temp_prob")
            return { try BehaviourPolicy(useBufferProbability: replay, temperedProbability: tempered, temperatureLow: low, temperatureHigh: high) }
        }
        guard args["use_buffer_prob"].doubleValue == 0, args["pf_temp_prob"].doubleValue == 0 else {
            throw args.badArgument("explore_shares", "replaces use_buffer_prob and pf_temp_prob: give one or the other")
        }
        let items = try args.sequence("explore_shares")
        guard items.count == 3, let on = items[0].doubleValue, let tempered = items[1].doubleValue, let replay = items[2].doubleValue else {
            throw args.badArgument("explore_shares", "three numbers expected: [on_policy, tempered, replay], e.g. [0.25, 0.5, 0.25]")
        }
        return { try BehaviourPolicy(shares: .init(onPolicy: on, tempered: tempered, replay: replay), emptyBuffer: fallback,
                                     temperatureLow: low, temperatureHigh: high) }
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
