// What a trainer needs to split one optimizer step's micro-batches across the ranks of a run
// (`mpirun -np N gfn …`, docs/scaling.md) and still take exactly the step one process would:
// micro-batch m runs on rank m mod N with a generator of its own, its outcome travels to every
// rank, and the gradients are summed across ranks before the (identical) optimizer update.

import Foundation
import ProcessGroups
import Randomness
import Tensors

/// The generator of micro-batch `microBatch` of optimizer step `step`: a function of (seed, step,
/// micro-batch) alone, so a micro-batch draws the same numbers on whichever rank runs it, with any
/// number of ranks, and a resumed run draws what the uninterrupted one drew.
public func microBatchGenerator(seed: UInt64, step: Int, microBatch: Int) -> RandomGenerator {
    var mixer = SplitMix64(seed: seed ^ (UInt64(truncatingIfNeeded: step) &* 0x9E37_79B9_7F4A_7C15)
                           ^ (UInt64(truncatingIfNeeded: microBatch + 1) &* 0xD1B5_4A32_D192_ED03))
    return RandomGenerator(seed: mixer.next())
}

extension ProcessGroup {
    /// The micro-batches of a step of `count` that this rank runs: m with m mod size = rank.
    func microBatches(of count: Int) -> StrideTo<Int> { stride(from: rank, to: count, by: size) }

    /// Sums the gradients of `tensors` over the ranks, so every rank holds what one process that ran
    /// every micro-batch would have accumulated (up to the order of the float additions). A tensor
    /// keeps no gradient only if no rank gave it one (an optimizer treats nil and zero differently).
    func allreduceGradients(_ tensors: [Tensor]) throws {
        guard size > 1, !tensors.isEmpty else { return }
        var flat: [Float] = []
        flat.reserveCapacity(tensors.reduce(tensors.count) { $0 + $1.count })
        for t in tensors {
            if let g = t.grad { flat.append(1); flat += g.scalars } else { flat.append(0); flat += repeatElement(0, count: t.count) }
        }
        try allreduceSum(&flat)
        var offset = 0
        for t in tensors {
            let present = flat[offset] > 0
            let start = offset + 1
            offset = start + t.count
            t.grad = present ? try Tensor(shape: t.shape, scalars: Array(flat[start..<offset])) : nil
        }
    }

    /// Each phase's seconds as the slowest rank spent them (the step waits for it).
    func slowest(_ seconds: [String: Double]) throws -> [String: Double] {
        guard size > 1 else { return seconds }
        let keys = seconds.keys.sorted()
        var values = keys.map { seconds[$0] ?? 0 }
        try allreduceMax(&values)
        return Dictionary(uniqueKeysWithValues: zip(keys, values))
    }
}
