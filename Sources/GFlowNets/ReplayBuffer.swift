import EditDistance
import Foundation
import Tensors

/// One stored trajectory: its latent (non-⊤ tokens only), decoded text, and raw (T = 1)
/// log-rewards, terminal and per prefix (docs/method.md §3.4).
public struct ReplayItem: Codable, Equatable, Sendable {
    /// Raw terminal log-reward log R(s_n) at T = 1: the heap key.
    public var logReward: Double
    /// The decoded latent, the key for exact de-duplication.
    public var text: String
    /// The latent's actions (tokens without ⊤).
    public var tokens: [Int]
    /// Tokens an environment inserted after action t, by t: replay re-scores the same states the
    /// rewards were computed on.
    public var insertions: [Int: [Int]]
    /// Raw log R(s_t) for t = 0 … n (n + 1 values).
    public var prefixLogRewards: [Double]

    public init(logReward: Double, text: String, tokens: [Int], insertions: [Int: [Int]] = [:], prefixLogRewards: [Double]) {
        self.logReward = logReward
        self.text = text
        self.tokens = tokens
        self.insertions = insertions
        self.prefixLogRewards = prefixLogRewards
    }

    enum CodingKeys: String, CodingKey { case logReward, text, tokens, insertions, prefixLogRewards }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        logReward = try c.decode(Double.self, forKey: .logReward)
        text = try c.decode(String.self, forKey: .text)
        tokens = try c.decode([Int].self, forKey: .tokens)
        insertions = try c.decodeIfPresent([Int: [Int]].self, forKey: .insertions) ?? [:]
        prefixLogRewards = try c.decode([Double].self, forKey: .prefixLogRewards)
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(logReward, forKey: .logReward)
        try c.encode(text, forKey: .text)
        try c.encode(tokens, forKey: .tokens)
        if !insertions.isEmpty { try c.encode(insertions, forKey: .insertions) }
        try c.encode(prefixLogRewards, forKey: .prefixLogRewards)
    }

    /// The trajectory to replay.
    func latent(maxLength: Int) -> SampledLatent {
        SampledLatent(tokens: tokens, insertions: insertions, forced: tokens.count == maxLength)
    }
}

/// How replayed items are drawn from a prompt's sub-buffer.
public enum ReplaySampling: String, Codable, Sendable, CaseIterable {
    /// Uniform with replacement (next sentence).
    case uniform
    /// With replacement, probability ∝ exp(raw log R − max raw log R) (infill, arithmetic, subjectivity).
    case rewardSoftmax
}

/// What `ReplayBuffer.add` did with an item.
public enum ReplayInsertion: Equatable, Sendable {
    case inserted
    /// Inserted, and the lowest-reward item was evicted to keep the capacity.
    case insertedEvicting(lowest: Double)
    /// Replaced a near-duplicate with a lower reward.
    case replacedNearDuplicate
    case rejectedExactDuplicate
    /// A near-duplicate with a reward ≥ this one's is stored.
    case rejectedNearDuplicate
    /// The buffer was full and this item had the lowest reward.
    case rejectedBelowMinimum
}

/// A replay buffer with one sub-buffer per prompt key (docs/method.md §3.4): each is a min-heap by raw
/// terminal log-reward holding at most `capacity` items; a new item is rejected if its text is
/// already stored, and compared with every stored item by token-level Levenshtein distance:
/// distance < τ·(len_new + len_old) makes it a near-duplicate, which replaces the stored one only
/// when its reward is higher. Rewards are stored at T = 1; divide by the current T when replaying.
public struct ReplayBuffer: Codable, Equatable, Sendable {
    public var capacity: Int
    /// τ of the near-duplicate test (0 disables it; exact duplicates are still rejected).
    public var duplicateThreshold: Double
    public var sampling: ReplaySampling
    /// Sub-buffers by prompt key; each array is a binary min-heap on `logReward`.
    public private(set) var buffers: [String: [ReplayItem]]

    public init(capacity: Int = 50, duplicateThreshold: Double = 0.25, sampling: ReplaySampling = .uniform) throws {
        guard capacity >= 1 else { throw GFlowNetError("ReplayBuffer", "capacity must be at least 1, got \(capacity)") }
        guard duplicateThreshold >= 0, duplicateThreshold.isFinite else {
            throw GFlowNetError("ReplayBuffer", "the near-duplicate threshold τ must be ≥ 0, got \(duplicateThreshold)")
        }
        self.capacity = capacity
        self.duplicateThreshold = duplicateThreshold
        self.sampling = sampling
        buffers = [:]
    }

    /// The number of items stored for `key`.
    public func count(for key: String) -> Int { buffers[key]?.count ?? 0 }

    /// The items stored for `key`, highest reward first.
    public func items(for key: String) -> [ReplayItem] {
        (buffers[key] ?? []).sorted { $0.logReward > $1.logReward }
    }

    /// Offers `item` to the sub-buffer of `key`.
    @discardableResult
    public mutating func add(_ item: ReplayItem, key: String) throws -> ReplayInsertion {
        guard item.logReward.isFinite || item.logReward == -.infinity, !item.logReward.isNaN else {
            throw GFlowNetError("ReplayBuffer.add", "the log-reward of \"\(item.text)\" is not a number")
        }
        guard item.prefixLogRewards.count == item.tokens.count + 1 else {
            throw GFlowNetError("ReplayBuffer.add", "\"\(item.text)\": \(item.tokens.count) tokens need \(item.tokens.count + 1) prefix log-rewards, got \(item.prefixLogRewards.count)")
        }
        var heap = buffers[key] ?? []
        defer { buffers[key] = heap }
        if heap.contains(where: { $0.text == item.text }) { return .rejectedExactDuplicate }
        if duplicateThreshold > 0 {
            for i in heap.indices {
                let old = heap[i]
                let limit = duplicateThreshold * Double(item.tokens.count + old.tokens.count)
                guard Double(editDistance(item.tokens, old.tokens)) < limit else { continue }
                if old.logReward >= item.logReward { return .rejectedNearDuplicate }
                heap[i] = item
                Self.siftDown(&heap, from: i)   // the key grew: it can only move down
                return .replacedNearDuplicate
            }
        }
        if heap.count < capacity {
            heap.append(item)
            Self.siftUp(&heap, from: heap.count - 1)
            return .inserted
        }
        // Full: push, then pop the minimum (which may be the new item itself).
        guard let lowest = heap.first, item.logReward > lowest.logReward else { return .rejectedBelowMinimum }
        heap[0] = item
        Self.siftDown(&heap, from: 0)
        return .insertedEvicting(lowest: lowest.logReward)
    }

    /// Seeds the sub-buffer of `key` with given trajectories (e.g. known good answers), through
    /// the same de-duplication as `add`. Returns how many were kept.
    @discardableResult
    public mutating func seed(_ items: [ReplayItem], key: String) throws -> Int {
        var kept = 0
        for item in items {
            switch try add(item, key: key) {
            case .inserted, .insertedEvicting, .replacedNearDuplicate: kept += 1
            default: break
            }
        }
        return kept
    }

    /// Draws up to `k` items for `key` with replacement, by `sampling`; with fewer than `k`
    /// stored and `allWhenFewer` (the default, as the infill code does), returns all of them
    /// (a smaller batch). Empty when nothing is stored.
    public func sample(_ k: Int, key: String, using rng: inout RandomGenerator, allWhenFewer: Bool = true) throws -> [ReplayItem] {
        guard k >= 0 else { throw GFlowNetError("ReplayBuffer.sample", "k must be ≥ 0, got \(k)") }
        let stored = items(for: key)   // sorted, so draws do not depend on the heap's layout
        guard !stored.isEmpty, k > 0 else { return [] }
        if allWhenFewer && stored.count < k { return stored }
        switch sampling {
        case .uniform:
            return (0..<k).map { _ in stored[Int(rng.next() % UInt64(stored.count))] }
        case .rewardSoftmax:
            let top = stored.map(\.logReward).max() ?? 0
            let weights = stored.map { Float(Foundation.exp($0.logReward - top)) }
            return try (0..<k).map { _ in stored[try rng.categorical(weights)] }
        }
    }

    // MARK: persistence

    /// Writes the buffer as JSON, atomically (a temporary file, then a rename).
    public func save(to url: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        let data = try encoder.encode(self)
        try data.write(to: url, options: .atomic)
    }

    /// Reads a buffer written by `save(to:)`.
    public static func load(from url: URL) throws -> ReplayBuffer {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw GFlowNetError("ReplayBuffer.load", "cannot read \(url.path): \(error.localizedDescription)")
        }
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        let buffer: ReplayBuffer
        do { buffer = try decoder.decode(ReplayBuffer.self, from: data) } catch {
            throw GFlowNetError("ReplayBuffer.load", "\(url.path) is not a replay buffer: \(decodingFailureMessage(error))")
        }
        guard buffer.capacity >= 1 else { throw GFlowNetError("ReplayBuffer.load", "\(url.path): capacity \(buffer.capacity) < 1") }
        return buffer
    }

    // MARK: heap

    private static func siftUp(_ heap: inout [ReplayItem], from index: Int) {
        var child = index
        while child > 0 {
            let parent = (child - 1) / 2
            guard heap[child].logReward < heap[parent].logReward else { return }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    private static func siftDown(_ heap: inout [ReplayItem], from index: Int) {
        var parent = index
        while true {
            let left = 2 * parent + 1, right = left + 1
            var smallest = parent
            if left < heap.count && heap[left].logReward < heap[smallest].logReward { smallest = left }
            if right < heap.count && heap[right].logReward < heap[smallest].logReward { smallest = right }
            guard smallest != parent else { return }
            heap.swapAt(parent, smallest)
            parent = smallest
        }
    }
}
