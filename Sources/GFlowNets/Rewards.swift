import Foundation

/// The prompt a micro-batch continues, and how to turn tokens into text.
public struct RewardContext {
    /// The prompt X as tokens (what the policy is conditioned on).
    public let promptTokens: [Int]
    /// The prompt's key in the replay buffer and log Z table.
    public let key: String
    /// Decodes latent tokens (never including ⊤) to text.
    public let decode: ([Int]) throws -> String

    public init(promptTokens: [Int], key: String, decode: @escaping ([Int]) throws -> String) {
        self.promptTokens = promptTokens
        self.key = key
        self.decode = decode
    }
}

/// A reward in log space for every prefix of every latent: `logRewards(...)[b][t]` is the raw
/// (T = 1) log R(s_t) of latent b cut after t tokens, t = 0…n_b (spec §1.3). The trainer divides
/// by the current reward temperature. Rewards run without gradients.
public protocol RewardFunction: AnyObject {
    func logRewards(latents: [[Int]], context: RewardContext) throws -> [[Double]]
}

/// The log R of a latent is a function of its decoded text, called once per prefix and cached
/// by text (across calls, up to `cacheLimit` entries): the form rewards written in the language
/// take (the Bindings layer adapts a script function into `function`).
public final class TextReward: RewardFunction {
    public let function: (String) throws -> Double
    public let cacheLimit: Int
    private var cache: [String: Double] = [:]
    /// How many times `function` ran (the rest came from the cache).
    public private(set) var evaluations = 0

    public init(cacheLimit: Int = 100_000, _ function: @escaping (String) throws -> Double) {
        self.function = function
        self.cacheLimit = cacheLimit
    }

    public func logReward(text: String) throws -> Double {
        if let hit = cache[text] { return hit }
        let value = try function(text)
        // log R = +inf is no reward a balance loss can match (−inf, a reward of 0, is fine).
        guard !value.isNaN, value != .infinity else { throw GFlowNetError("text reward", "returned \(value) for \"\(text)\"") }
        evaluations += 1
        if cache.count >= cacheLimit { cache.removeAll(keepingCapacity: true) }
        cache[text] = value
        return value
    }

    public func logRewards(latents: [[Int]], context: RewardContext) throws -> [[Double]] {
        try latents.map { latent in
            try (0...latent.count).map { t in try logReward(text: context.decode(Array(latent[..<t]))) }
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
        /// log R for prefixes of at least `minimum` tokens, `substitute` below (the spec's −99 rule).
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
        func elementwise(_ parts: [RewardFunction], _ f: ([Double]) -> Double) throws -> [[Double]] {
            let all = try parts.map { try $0.logRewards(latents: latents, context: context) }
            return latents.indices.map { b in (0...latents[b].count).map { t in f(all.map { $0[b][t] }) } }
        }
        switch combination {
        case .sum(let parts):
            return try elementwise(parts) { $0.reduce(0, +) }
        case .minimum(let parts):
            return try elementwise(parts) { $0.min() ?? -.infinity }
        case .scaled(let r, let factor):
            return try r.logRewards(latents: latents, context: context).map { $0.map { $0 * factor } }
        case .clamped(let r, let low, let high):
            return try r.logRewards(latents: latents, context: context).map { $0.map { min(high, max(low, $0)) } }
        case .validated(let r, let isValid, let penalty):
            let inner = try r.logRewards(latents: latents, context: context)
            return try latents.indices.map { b in
                try (0...latents[b].count).map { t in
                    try isValid(context.decode(Array(latents[b][..<t]))) ? inner[b][t] : penalty
                }
            }
        case .minimumLength(let r, let minimum, let substitute):
            return try r.logRewards(latents: latents, context: context).map { row in
                row.enumerated().map { t, v in t < minimum ? substitute : v }
            }
        }
    }
}
