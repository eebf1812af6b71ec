import Glibc
import Tensors

/// What a sampler step knows about the row it is shaping.
public struct SamplingState: Sendable {
    /// The row's index in the batch being generated.
    public let row: Int
    /// The tokens this row has generated so far (not the prompt).
    public let generated: [Int]
}

/// One link of a sampler chain (llama.cpp style): it rewrites a row of logits in place.
///
/// A step either shapes the **policy** (`shapesPolicy = true`: its effect is part of the
/// distribution whose log-probabilities are reported, e.g. a vocabulary penalty) or only the
/// **behaviour** used to draw the token (temperature, top-k, top-p, the minimum-length ban of stop
/// tokens): reported log-probabilities never see behaviour steps, which is what off-policy
/// GFlowNet training needs (docs/method.md §1.2, §3.1).
public protocol SamplerStep: Sendable {
    var shapesPolicy: Bool { get }
    func apply(to logits: UnsafeMutableBufferPointer<Float>, state: SamplingState) throws
}

/// Adds `penalty` to the logits of `tokens` (α = −50 in the paper's next-sentence task), or bans them
/// with `-.infinity`. Part of the policy.
public struct TokenPenalty: SamplerStep {
    public let tokens: [Int]
    public let penalty: Float
    public var shapesPolicy: Bool { true }

    public init(tokens: [Int], penalty: Float) {
        self.tokens = tokens
        self.penalty = penalty
    }

    /// Bans `tokens` outright (logit −∞).
    public static func ban(_ tokens: [Int]) -> TokenPenalty { TokenPenalty(tokens: tokens, penalty: -.infinity) }

    public func apply(to logits: UnsafeMutableBufferPointer<Float>, state: SamplingState) throws {
        for t in tokens {
            guard t >= 0, t < logits.count else {
                throw LanguageModelError("TokenPenalty", "token \(t) is outside the vocabulary of \(logits.count)")
            }
            logits[t] += penalty
        }
    }
}

/// Forbids `tokens` (the stop tokens) until `count` tokens have been generated. Behaviour only: the
/// reported log-probabilities keep the model's own termination probability (docs/method.md §1.2, m_min).
public struct MinNewTokens: SamplerStep {
    public let count: Int
    public let tokens: [Int]
    public var shapesPolicy: Bool { false }

    public init(count: Int, tokens: [Int]) {
        self.count = count
        self.tokens = tokens
    }

    public func apply(to logits: UnsafeMutableBufferPointer<Float>, state: SamplingState) throws {
        guard state.generated.count < count else { return }
        for t in tokens where t >= 0 && t < logits.count { logits[t] = -.infinity }
    }
}

/// Divides the logits by a temperature (GFlowNet's tempered exploration: T ~ U[0.5, 2]). Behaviour only.
public struct Temperature: SamplerStep {
    public let value: Float
    public var shapesPolicy: Bool { false }

    public init(_ value: Float) { self.value = value }

    public func apply(to logits: UnsafeMutableBufferPointer<Float>, state: SamplingState) throws {
        guard value > 0, value.isFinite else { throw LanguageModelError("Temperature", "\(value) must be a positive number") }
        if value == 1 { return }
        let inv = 1 / value
        for i in logits.indices { logits[i] *= inv }
    }
}

/// Keeps the `k` largest logits (ties at the k-th value are kept too); the rest become −∞.
public struct TopK: SamplerStep {
    public let k: Int
    public var shapesPolicy: Bool { false }

    public init(_ k: Int) { self.k = k }

    public func apply(to logits: UnsafeMutableBufferPointer<Float>, state: SamplingState) throws {
        guard k > 0 else { throw LanguageModelError("TopK", "k = \(k) must be at least 1") }
        guard k < logits.count else { return }
        // The k-th largest value, by a min-heap of size k.
        var heap = [Float]()
        heap.reserveCapacity(k)
        for x in logits {
            if heap.count < k {
                heap.append(x)
                var i = heap.count - 1
                while i > 0 {
                    let p = (i - 1) / 2
                    if heap[p] <= heap[i] { break }
                    heap.swapAt(p, i)
                    i = p
                }
            } else if x > heap[0] {
                heap[0] = x
                var i = 0
                while true {
                    let l = 2 * i + 1, r = l + 1
                    var m = i
                    if l < k, heap[l] < heap[m] { m = l }
                    if r < k, heap[r] < heap[m] { m = r }
                    if m == i { break }
                    heap.swapAt(m, i)
                    i = m
                }
            }
        }
        let threshold = heap[0]
        for i in logits.indices where logits[i] < threshold { logits[i] = -.infinity }
    }
}

/// Nucleus sampling: keeps the most probable tokens whose probabilities first reach `p` in total.
public struct TopP: SamplerStep {
    public let p: Float
    public var shapesPolicy: Bool { false }

    public init(_ p: Float) { self.p = p }

    public func apply(to logits: UnsafeMutableBufferPointer<Float>, state: SamplingState) throws {
        guard p > 0, p <= 1 else { throw LanguageModelError("TopP", "p = \(p) must be in (0, 1]") }
        if p == 1 { return }
        let probabilities = softmax(logits)
        // Candidates above a threshold form a prefix of the sorted order; when their mass reaches p the
        // nucleus lies inside them, so only they need sorting. Lower the threshold until it does.
        var threshold = 1 / Float(logits.count)
        var candidates: [Int] = []
        while true {
            candidates = probabilities.indices.filter { probabilities[$0] >= threshold }
            let mass = candidates.reduce(Float(0)) { $0 + probabilities[$1] }
            if mass >= p || threshold == 0 { break }
            threshold = threshold < 1e-30 ? 0 : threshold / 16
        }
        candidates.sort { probabilities[$0] > probabilities[$1] || (probabilities[$0] == probabilities[$1] && $0 < $1) }
        var keep = Set<Int>()
        var total: Float = 0
        for i in candidates {
            keep.insert(i)
            total += probabilities[i]
            if total >= p { break }
        }
        for i in logits.indices where !keep.contains(i) { logits[i] = -.infinity }
    }
}

/// softmax of a row (max-shifted); all −∞ gives zeros.
func softmax(_ logits: UnsafeMutableBufferPointer<Float>) -> [Float] {
    RowMath.softmax(UnsafeBufferPointer(logits))
}
