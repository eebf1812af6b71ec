import Tensors

/// The learned log Z of trajectory balance, one scalar per prompt key (docs/method.md §2.2; an extension,
/// not part of the reference method), initialised to `initialValue` on first use and updated by
/// its own AdamW at its own learning rate (the reference declares 1.0), without weight decay.
public final class LogPartitionTable {
    public let learningRate: Float
    public let initialValue: Float
    private var entries: [String: (value: Tensor, optimizer: AdamW)] = [:]

    public init(learningRate: Float = 1, initialValue: Float = 0) throws {
        guard learningRate > 0, learningRate.isFinite else {
            throw GFlowNetError("log Z", "its learning rate must be positive, got \(learningRate)")
        }
        self.learningRate = learningRate
        self.initialValue = initialValue
    }

    /// The one-element parameter tensor for `key` (gradients accumulate into it).
    public func parameter(for key: String) throws -> Tensor {
        if let entry = entries[key] { return entry.value }
        let value = Tensor([initialValue])
        value.requiresGrad = true
        entries[key] = (value, try AdamW(parameters: [value], learningRate: learningRate, weightDecay: 0))
        return value
    }

    /// The current values, by key.
    public var values: [String: Float] {
        entries.mapValues { $0.value.scalars[0] }
    }

    /// Sets the values (from a checkpoint); their optimizer moments start afresh.
    public func restore(_ values: [String: Float]) throws {
        for (key, v) in values {
            let p = try parameter(for: key)
            try p.assign(Tensor([v]))
        }
    }

    /// One optimizer step for every entry that has a gradient, then clears the gradients.
    public func step(learningRateMultiplier: Float = 1) throws {
        for (_, entry) in entries where entry.value.grad != nil {
            entry.optimizer.learningRate = learningRate * learningRateMultiplier
            try entry.optimizer.step()
            entry.optimizer.zeroGrad()
        }
    }
}
