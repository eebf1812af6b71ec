import Foundation

/// What a reward knows of the micro-batch it scores: the policy's prompt, the training example it
/// came from, and how to turn tokens into text.
public struct RewardContext {
    /// The prompt X as tokens (what the policy is conditioned on).
    public let promptTokens: [Int]
    /// The prompt's key in the replay buffer and log Z table.
    public let key: String
    /// The example's position in the dataset (nil: a plain prompt).
    public let exampleIndex: Int?
    /// The dataset row (see `TrainingPrompt.example`), for rewards that build their context or the
    /// observed continuation from it.
    public let example: AnyObject?
    /// Decodes latent tokens (never including ⊤) to text.
    public let decode: ([Int]) throws -> String

    public init(promptTokens: [Int], key: String, exampleIndex: Int? = nil, example: AnyObject? = nil,
                decode: @escaping ([Int]) throws -> String) {
        self.promptTokens = promptTokens
        self.key = key
        self.exampleIndex = exampleIndex
        self.example = example
        self.decode = decode
    }

    /// The context of a micro-batch of `prompt`.
    public init(_ prompt: TrainingPrompt, decode: @escaping ([Int]) throws -> String) {
        self.init(promptTokens: prompt.tokens, key: prompt.key, exampleIndex: prompt.exampleIndex, example: prompt.example,
                  decode: decode)
    }
}

/// A reward in log space for every prefix of every latent: `logRewards(...)[b][t]` is the raw
/// (T = 1) log R(s_t) of latent b cut after t tokens, t = 0…n_b (docs/method.md §1.3). The trainer divides
/// by the current reward temperature. Rewards run without gradients.
public protocol RewardFunction: AnyObject {
    func logRewards(latents: [[Int]], context: RewardContext) throws -> [[Double]]

    /// The same for latents whose states hold environment insertions: entry t is the log-reward of
    /// s_t, the first t actions with their insertions (`SampledLatent.stateTokens(upTo:)`). The
    /// default reads `logRewards(latents:)` of the state tokens at the ends of the states, which is
    /// right for a reward of the state's tokens; rewards that count actions (a minimum length)
    /// implement it themselves.
    func logRewards(trajectories: [SampledLatent], context: RewardContext) throws -> [[Double]]
}

extension RewardFunction {
    public func logRewards(trajectories: [SampledLatent], context: RewardContext) throws -> [[Double]] {
        if trajectories.allSatisfy({ $0.insertions.isEmpty }) {
            return try logRewards(latents: trajectories.map(\.tokens), context: context)
        }
        let all = try logRewards(latents: trajectories.map(\.stateTokens), context: context)
        return try zip(trajectories, all).map { latent, rewards in
            let ends = latent.stateLengths
            guard rewards.count == latent.stateTokens.count + 1 else {
                throw GFlowNetError("reward", "returned \(rewards.count) prefix log-rewards for a state of \(latent.stateTokens.count) tokens (needs \(latent.stateTokens.count + 1))")
            }
            return ends.map { rewards[$0] }
        }
    }
}

/// The log R of a latent is a function of its decoded text, or of its text and the training
/// example (`perExample`), called once per prefix and cached (across calls, up to `cacheLimit`
/// entries) by text, or by example key and text: the form rewards written in the language take
/// (the Bindings layer adapts a script function into `function`).
public final class TextReward: RewardFunction {
    /// The log-reward of a decoded prefix; the context is nil when a text is evaluated on its own.
    public let function: (String, RewardContext?) throws -> Double
    /// Whether `function` reads the example (then the cache is per example).
    public let perExample: Bool
    public let cacheLimit: Int
    private var cache: [String: Double] = [:]
    /// How many times `function` ran (the rest came from the cache).
    public private(set) var evaluations = 0

    /// A reward of the text alone.
    public convenience init(cacheLimit: Int = 100_000, _ function: @escaping (String) throws -> Double) {
        self.init(cacheLimit: cacheLimit, perExample: false) { text, _ in try function(text) }
    }

    public init(cacheLimit: Int = 100_000, perExample: Bool, _ function: @escaping (String, RewardContext?) throws -> Double) {
        self.function = function
        self.perExample = perExample
        self.cacheLimit = cacheLimit
    }

    public func logReward(text: String, context: RewardContext? = nil) throws -> Double {
        let cacheKey = perExample ? (context?.key ?? "") + "\u{0}" + text : text
        if let hit = cache[cacheKey] { return hit }
        let value = try function(text, context)
        // log R = +inf is no reward a balance loss can match (−inf, a reward of 0, is fine).
        guard !value.isNaN, value != .infinity else { throw GFlowNetError("text reward", "returned \(value) for \"\(text)\"") }
        evaluations += 1
        if cache.count >= cacheLimit { cache.removeAll(keepingCapacity: true) }
        cache[cacheKey] = value
        return value
    }

    public func logRewards(latents: [[Int]], context: RewardContext) throws -> [[Double]] {
        try latents.map { latent in
            try (0...latent.count).map { t in try logReward(text: context.decode(Array(latent[..<t])), context: context) }
        }
    }

    /// The text of each state (insertions included), evaluated only there.
    public func logRewards(trajectories: [SampledLatent], context: RewardContext) throws -> [[Double]] {
        try trajectories.map { latent in
            let state = latent.stateTokens
            return try latent.stateLengths.map { try logReward(text: context.decode(Array(state[..<$0])), context: context) }
        }
    }
}

/// A table of target probabilities over strings: log R(text) = log p(text) for a listed text
/// (after trimming whitespace when `trimming`), `otherwise` for the rest (a prefix of a valid
/// answer is usually not one). Its normalised optimum is the table itself.
public final class TargetTableReward: RewardFunction {
    public let logProbabilities: [String: Double]
    public let otherwise: Double
    public let trimming: Bool

    public init(probabilities: [String: Double], otherwise: Double = -99, trimming: Bool = true) throws {
        guard !probabilities.isEmpty else { throw GFlowNetError("target table", "needs at least one string with a probability") }
        for (text, p) in probabilities where !(p > 0 && p.isFinite) {
            throw GFlowNetError("target table", "the probability of \"\(text)\" must be positive, got \(p)")
        }
        let total = probabilities.values.reduce(0, +)
        logProbabilities = probabilities.mapValues { Foundation.log($0 / total) }
        self.otherwise = otherwise
        self.trimming = trimming
    }

    public func logReward(text: String) -> Double {
        let key = trimming ? text.trimmingCharacters(in: .whitespacesAndNewlines) : text
        return logProbabilities[key] ?? otherwise
    }

    public func logRewards(latents: [[Int]], context: RewardContext) throws -> [[Double]] {
        try latents.map { latent in
            try (0...latent.count).map { t in logReward(text: try context.decode(Array(latent[..<t]))) }
        }
    }
}

/// Combinations of rewards, all in log space.
public final class CombinedReward: RewardFunction {
    public enum Combination {
        /// Σ log R_i (a product of rewards).
        case sum([RewardFunction])
        /// factor · log R (a power of the reward).
        case scaled(RewardFunction, Double)
        /// log R clamped to [low, high].
        case clamped(RewardFunction, low: Double, high: Double)
        /// min_i log R_i.
        case minimum([RewardFunction])
        /// log R where `isValid(text)`, else `penalty` (a hard constraint on the decoded prefix).
        case validated(RewardFunction, isValid: (String) throws -> Bool, penalty: Double)
        /// log R for prefixes of at least `minimum` tokens, `substitute` below (the −99 rule of docs/method.md §1.2).
        case minimumLength(RewardFunction, minimum: Int, substitute: Double)
    }

    public let combination: Combination

    public init(_ combination: Combination) throws {
        switch combination {
        case .sum(let parts), .minimum(let parts):
            guard !parts.isEmpty else { throw GFlowNetError("reward combinator", "needs at least one reward") }
        case .clamped(_, let low, let high):
            guard low <= high else { throw GFlowNetError("reward clamp", "needs low ≤ high, got [\(low), \(high)]") }
        case .minimumLength(_, let minimum, _):
            guard minimum >= 0 else { throw GFlowNetError("minimum length", "must be ≥ 0, got \(minimum)") }
        case .scaled, .validated:
            break
        }
        self.combination = combination
    }

    public func logRewards(latents: [[Int]], context: RewardContext) throws -> [[Double]] {
        try logRewards(trajectories: latents.map { SampledLatent(tokens: $0, forced: false) }, context: context)
    }

    /// Each part sees the trajectories; lengths count actions, texts are those of the states.
    public func logRewards(trajectories: [SampledLatent], context: RewardContext) throws -> [[Double]] {
        func elementwise(_ parts: [RewardFunction], _ f: ([Double]) -> Double) throws -> [[Double]] {
            let all = try parts.map { try $0.logRewards(trajectories: trajectories, context: context) }
            return trajectories.indices.map { b in (0...trajectories[b].tokens.count).map { t in f(all.map { $0[b][t] }) } }
        }
        switch combination {
        case .sum(let parts):
            return try elementwise(parts) { $0.reduce(0, +) }
        case .minimum(let parts):
            return try elementwise(parts) { $0.min() ?? -.infinity }
        case .scaled(let r, let factor):
            return try r.logRewards(trajectories: trajectories, context: context).map { $0.map { $0 * factor } }
        case .clamped(let r, let low, let high):
            return try r.logRewards(trajectories: trajectories, context: context).map { $0.map { min(high, max(low, $0)) } }
        case .validated(let r, let isValid, let penalty):
            let inner = try r.logRewards(trajectories: trajectories, context: context)
            return try trajectories.indices.map { b in
                try (0...trajectories[b].tokens.count).map { t in
                    try isValid(context.decode(trajectories[b].stateTokens(upTo: t))) ? inner[b][t] : penalty
                }
            }
        case .minimumLength(let r, let minimum, let substitute):
            return try r.logRewards(trajectories: trajectories, context: context).map { row in
                row.enumerated().map { t, v in t < minimum ? substitute : v }
            }
        }
    }
}
