import Foundation
import LanguageModels
import ModelFormats
import Tensors

/// A transformer with LoRA adapters as a GFlowNet policy: KV-cache sampling for the behaviour
/// policy, one teacher-forced pass for the differentiable log P_F and log P_term, the vocabulary
/// penalty (α added to banned tokens' logits) as part of the policy, adapters saved in PEFT's
/// layout. The reward model is the same network with its adapters switched off.
public final class LanguageModelPolicy: GFlowNetPolicy {
    public let model: Transformer
    /// ⊤: the token that ends a latent (it is never part of one).
    public let terminationToken: Int
    /// Additive logit penalties on banned tokens (docs/method.md §1.2); part of the policy and the reward.
    public let penalties: [TokenPenalty]
    /// What inserts tokens between actions while sampling (the calculator), or nil.
    public let environment: (any SamplingEnvironment)?
    let decoder: ([Int]) throws -> String

    public init(model: Transformer, terminationToken: Int, penalties: [TokenPenalty] = [],
                environment: (any SamplingEnvironment)? = nil, decode: @escaping ([Int]) throws -> String) throws {
        guard (0..<model.config.vocabularySize).contains(terminationToken) else {
            throw GFlowNetError("policy", "termination token \(terminationToken) is outside the vocabulary of \(model.config.vocabularySize)")
        }
        self.model = model
        self.terminationToken = terminationToken
        self.penalties = penalties
        self.environment = environment
        decoder = decode
    }

    public var trainableParameters: [Tensor] { model.trainableParameters }

    public func sample(prompt: [Int], count: Int, temperature: Double, minLength: Int, maxLength: Int,
                       using rng: inout RandomGenerator) throws -> [SampledLatent] {
        var steps: [any SamplerStep] = penalties
        if temperature != 1 { steps.append(Temperature(Float(temperature))) }
        let options = GenerationOptions(maxNewTokens: maxLength, minNewTokens: minLength, stopTokens: [terminationToken],
                                        terminationToken: terminationToken, samplesPerPrompt: count, scoreFinalState: false)
        let rows = try model.generate(prompts: [prompt], sampler: Sampler(steps), options: options, environment: environment,
                                      using: &rng)
        return rows.map { row in
            row.stopped ? SampledLatent(tokens: Array(row.tokens.dropLast()), insertions: row.insertions, forced: false)
                        : SampledLatent(tokens: row.tokens, insertions: row.insertions, forced: true)
        }
    }

    public func score(prompt: [Int], latents: [[Int]]) throws -> (logForward: Tensor, logTermination: Tensor) {
        try score(prompt: prompt, trajectories: latents.map { SampledLatent(tokens: $0, forced: false) })
    }

    public func score(prompt: [Int], trajectories: [SampledLatent]) throws -> (logForward: Tensor, logTermination: Tensor) {
        let insertions = trajectories.contains { !$0.insertions.isEmpty } ? trajectories.map(\.insertions) : nil
        let s = try model.scoreTensors(prompts: [prompt], continuations: trajectories.map(\.tokens), insertions: insertions,
                                       terminationToken: terminationToken, penalties: penalties, training: true)
        return (s.tokenLogProbs, s.terminationLogProbs)
    }

    public func unroll(prompt: [Int], actions: [Int]) throws -> SampledLatent {
        var latent = SampledLatent(tokens: [], forced: false)
        guard let environment else { return SampledLatent(tokens: actions, forced: false) }
        for action in actions {
            latent.tokens.append(action)
            let inserted = try environment.insertion(prompt: prompt, generated: latent.stateTokens)
            if !inserted.isEmpty { latent.insertions[latent.tokens.count - 1] = inserted }
        }
        return latent
    }

    public func decode(_ tokens: [Int]) throws -> String { try decoder(tokens) }

    /// PEFT's layout: adapter_model.safetensors with `base_model.model.<module>.lora_A.weight` /
    /// `lora_B.weight`, and adapter_config.json.
    public func saveAdapters(to directory: URL) throws {
        guard let configuration = model.loraConfiguration else {
            throw GFlowNetError("save adapters", "the model has no LoRA adapters")
        }
        var tensors: [SafetensorsWriter.Tensor] = []
        for adapter in model.adapters {
            tensors.append(.init(name: "base_model.model.\(adapter.modulePath).lora_A.weight", shape: adapter.a.shape, values: adapter.a.scalars))
            tensors.append(.init(name: "base_model.model.\(adapter.modulePath).lora_B.weight", shape: adapter.b.shape, values: adapter.b.scalars))
        }
        try SafetensorsWriter.write(tensors, metadata: ["format": "pt"], to: directory.appendingPathComponent("adapter_model.safetensors").path)
        let config: [String: Any] = [
            "peft_type": "LORA", "task_type": "CAUSAL_LM", "r": configuration.rank, "lora_alpha": Double(configuration.alpha),
            "lora_dropout": Double(configuration.dropout), "target_modules": configuration.targetModules, "bias": "none",
            "fan_in_fan_out": false, "inference_mode": false,
        ]
        try JSONSerialization.data(withJSONObject: config, options: [.prettyPrinted, .sortedKeys])
            .write(to: directory.appendingPathComponent("adapter_config.json"))
    }

    /// Reads adapter values written by `saveAdapters` into the attached adapters (same modules and ranks).
    public func loadAdapters(from directory: URL) throws {
        try checkAdapterConfiguration(in: directory)
        let path = directory.appendingPathComponent("adapter_model.safetensors").path
        let file = try SafetensorsFile(path: path)
        for adapter in model.adapters {
            for (tensor, part) in [(adapter.a, "lora_A"), (adapter.b, "lora_B")] {
                let name = "base_model.model.\(adapter.modulePath).\(part).weight"
                guard let info = file.tensorInfo(name) else { throw GFlowNetError("load adapters", "\(path) has no \(name)") }
                guard info.shape == tensor.shape else {
                    throw GFlowNetError("load adapters", "\(name) is \(info.shape) in \(path), the model's is \(tensor.shape)")
                }
                let values = try file.floats(name)
                if let bad = values.first(where: { !$0.isFinite }) {
                    throw GFlowNetError("load adapters", "\(name) in \(path) holds \(bad): the file is damaged")
                }
                try tensor.assign(Tensor(shape: tensor.shape, scalars: values))
            }
        }
    }
}

extension LanguageModelPolicy {
    /// adapter_config.json must be readable and describe the attached adapters (rank and
    /// modules): values saved for another configuration would fit these shapes only by accident.
    func checkAdapterConfiguration(in directory: URL) throws {
        let url = directory.appendingPathComponent("adapter_config.json")
        func fail(_ detail: String) -> GFlowNetError { GFlowNetError("load adapters", "\(url.path): \(detail)") }
        guard let data = try? Data(contentsOf: url) else { throw fail("cannot read the adapter configuration") }
        guard let root = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else { throw fail("not a JSON object") }
        guard let configuration = model.loraConfiguration else { throw fail("the model has no LoRA adapters to load into") }
        guard let r = root["r"] as? NSNumber, String(cString: r.objCType) != "c", r.doubleValue == Double(configuration.rank) else {
            throw fail("\"r\" is \(root["r"].map { String(String(describing: $0).prefix(60)) } ?? "missing"), the attached adapters have rank \(configuration.rank)")
        }
        let targets = (root["target_modules"] as? [String]).map(Set.init) ?? (root["target_modules"] as? String).map { [$0] }
        guard targets == Set(configuration.targetModules) else {
            throw fail("\"target_modules\" is \(root["target_modules"].map { String(String(describing: $0).prefix(80)) } ?? "missing"), the attached adapters target \(configuration.targetModules.sorted())")
        }
    }
}

/// The next-sentence reward (docs/method.md §4.2): for every prefix,
///   log R(s_t) = Σ_{k≤t} log p̃(z_k | X z_{<k}) + log p̃(⊤ | X z_{1:t}),
/// p̃ the base model (the policy's network with adapters off) with the same vocabulary penalty,
/// and `substitute` (−99) for prefixes shorter than `minLength`. One batched pass, no gradients.
/// The trainer divides by the reward temperature.
public final class LikelihoodReward: RewardFunction {
    public let model: Transformer
    public let terminationToken: Int
    public let penalties: [TokenPenalty]
    public let minLength: Int
    public let substitute: Double

    public init(model: Transformer, terminationToken: Int, penalties: [TokenPenalty] = [], minLength: Int = 1, substitute: Double = -99) {
        self.model = model
        self.terminationToken = terminationToken
        self.penalties = penalties
        self.minLength = minLength
        self.substitute = substitute
    }

    public func logRewards(latents: [[Int]], context: RewardContext) throws -> [[Double]] {
        try logRewards(trajectories: latents.map { SampledLatent(tokens: $0, forced: false) }, context: context)
    }

    /// With insertions, the state's inserted tokens count in the likelihood like the actions, and
    /// the minimum length counts actions.
    public func logRewards(trajectories: [SampledLatent], context: RewardContext) throws -> [[Double]] {
        let scored = try withNoGrad {
            try model.withAdapters(enabled: false) {
                try model.score(prompts: [context.promptTokens], continuations: trajectories.map(\.stateTokens),
                                terminationToken: terminationToken, penalties: penalties)
            }
        }
        return zip(trajectories, scored).map { latent, s in
            var prefix = [0.0]
            for lp in s.tokenLogProbs { prefix.append(prefix[prefix.count - 1] + Double(lp)) }
            return latent.stateLengths.enumerated().map { t, end in
                t < minLength ? substitute : prefix[end] + Double(s.terminationLogProbs[end])
            }
        }
    }
}

/// The "explain Y" reward (docs/method.md §1.3: infilling, chain of thought): for every prefix,
///   log R(s_t) = Σ_{k≤t} log p̃(z_k | X' z_{<k}) + Σ_j log p(y_j | X' z_{1:t} y_{<j}),
/// without the ⊤ probability; the penalty applies to latent positions only; `substitute` below
/// `minLength`. X' is the reward's own context, by default the policy's prompt; both X' and the
/// observed continuation Y may be built from the training example, so the reward model can see
/// another text than the policy (infilling scores the plain story order). The model scores with its
/// adapters off (the policy's base LM) unless `useAdapters`; it may be another loaded model.
public final class ContinuationLikelihoodReward: RewardFunction {
    /// Tokens read off a micro-batch's context (its example, or its prompt).
    public typealias TokenSource = (RewardContext) throws -> [Int]
    public let model: Transformer
    public let continuation: TokenSource
    /// X' (nil: the policy's prompt).
    public let context: TokenSource?
    public let penalties: [TokenPenalty]
    public let minLength: Int
    public let substitute: Double
    public let useAdapters: Bool

    public init(model: Transformer, continuation: @escaping TokenSource, context: TokenSource? = nil, penalties: [TokenPenalty] = [],
                minLength: Int = 0, substitute: Double = -99, useAdapters: Bool = false) {
        self.model = model
        self.continuation = continuation
        self.context = context
        self.penalties = penalties
        self.minLength = minLength
        self.substitute = substitute
        self.useAdapters = useAdapters
    }

    /// A fixed observed continuation Y after the policy's prompt.
    public convenience init(model: Transformer, continuation: [Int], penalties: [TokenPenalty] = [], minLength: Int = 0,
                            substitute: Double = -99) throws {
        guard !continuation.isEmpty else { throw GFlowNetError("continuation reward", "the observed continuation Y is empty") }
        self.init(model: model, continuation: { _ in continuation }, penalties: penalties, minLength: minLength, substitute: substitute)
    }

    public func logRewards(latents: [[Int]], context rewardContext: RewardContext) throws -> [[Double]] {
        try logRewards(trajectories: latents.map { SampledLatent(tokens: $0, forced: false) }, context: rewardContext)
    }

    /// With insertions, the state's inserted tokens count in log p̃ like the actions, Y is scored
    /// after each whole state, and the minimum length counts actions.
    public func logRewards(trajectories: [SampledLatent], context rewardContext: RewardContext) throws -> [[Double]] {
        guard !trajectories.isEmpty else { return [] }
        let x = try context?(rewardContext) ?? rewardContext.promptTokens
        let y = try continuation(rewardContext)
        guard !x.isEmpty else { throw GFlowNetError("continuation reward", "the reward's context for \(rewardContext.key) is empty") }
        guard !y.isEmpty else { throw GFlowNetError("continuation reward", "the observed continuation Y for \(rewardContext.key) is empty") }
        let ends = trajectories.map(\.stateLengths)
        let plain = trajectories.allSatisfy { $0.insertions.isEmpty }
        let scores = try model.withAdapters(enabled: useAdapters && model.adaptersEnabled) {
            try model.scoreContinuationAfterPrefixes(
                contexts: [x], latents: trajectories.map(\.stateTokens), continuations: [y], penalties: penalties,
                firstPrefix: plain ? minLength : 0,
                onlyPrefixes: plain ? nil : ends.map { Set($0.dropFirst(min(minLength, $0.count))) })
        }
        return zip(ends, scores).map { ends, s in
            var prefix = [0.0]
            for lp in s.latentLogProbs { prefix.append(prefix[prefix.count - 1] + Double(lp)) }
            return ends.enumerated().map { t, end in
                t < minLength ? substitute : prefix[end] + s.continuationLogLikelihoods[end]
            }
        }
    }
}
