import Tensors

/// How a trainer picks the training example of each micro-batch.
public enum ExampleOrder: String, Sendable, Codable, CaseIterable {
    /// Epochs: every example once per epoch, in an order shuffled anew for each epoch. The default:
    /// with few steps every example is still seen, and no example is seen twice before the rest.
    case epochs = "epoch"
    /// Independent draws with replacement, with probability ∝ the examples' weights (uniform without
    /// weights): what the reference code does (stories drawn uniformly; arithmetic's labelled items
    /// weigh 1 and homework items 0.2). Weights other than equal need this order.
    case random
}

/// Which example micro-batch `i` of a run uses (micro-batches are numbered across steps:
/// i = step · micro-batches per step + m), a pure function of (seed, i) so that a resumed run
/// draws what the uninterrupted one drew.
struct ExampleSchedule {
    let order: ExampleOrder
    let count: Int
    let seed: UInt64
    /// Cumulative normalised weights; nil when all weights are equal.
    let cumulative: [Double]?

    init(order: ExampleOrder, weights: [Double], seed: UInt64, context: String) throws {
        guard !weights.isEmpty else { throw GFlowNetError(context, "needs at least one training example") }
        for (i, w) in weights.enumerated() where !(w >= 0 && w.isFinite) {
            throw GFlowNetError(context, "the weight of example \(i) must be a finite number ≥ 0, got \(w)")
        }
        let total = weights.reduce(0, +)
        guard total > 0 else { throw GFlowNetError(context, "every example has weight 0: nothing can be drawn") }
        let equal = weights.allSatisfy { $0 == weights[0] }
        if !equal && order == .epochs {
            throw GFlowNetError(context, "examples with different weights are drawn independently: use order \"random\" (an epoch shows every example once, whatever its weight)")
        }
        self.order = order
        count = weights.count
        self.seed = seed
        if equal {
            cumulative = nil
        } else {
            var running = 0.0
            cumulative = weights.map { running += $0 / total; return running }
        }
    }

    /// The example of micro-batch `index`. Always takes exactly one number from `rng`, whatever the
    /// order, so the rest of the step's random stream does not depend on the order chosen.
    func example(atMicroBatch index: Int, using rng: inout RandomGenerator) -> Int {
        let draw = rng.next()
        switch order {
        case .random:
            guard let cumulative else { return Int(draw % UInt64(count)) }
            let u = Double(draw >> 11) * 0x1p-53
            var low = 0, high = cumulative.count - 1
            while low < high {
                let mid = (low + high) / 2
                if u < cumulative[mid] { high = mid } else { low = mid + 1 }
            }
            return low
        case .epochs:
            let epoch = index / count
            return permutation(epoch: epoch)[index % count]
        }
    }

    /// The order of the examples in `epoch`: a Fisher–Yates shuffle seeded by (seed, epoch).
    func permutation(epoch: Int) -> [Int] {
        var generator = stepGenerator(seed: seed ^ 0x5EED_0F_E90C4, step: epoch)
        var order = Array(0..<count)
        for i in stride(from: count - 1, to: 0, by: -1) {
            let j = Int(generator.next() % UInt64(i + 1))
            order.swapAt(i, j)
        }
        return order
    }
}
