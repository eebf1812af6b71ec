/// AdamW's state as plain numbers, for checkpoints: restoring it into an optimizer over the same
/// parameters makes the following steps identical to those of the uninterrupted run.
public struct AdamWState: Sendable, Equatable {
    /// Steps taken (the bias-correction counter).
    public var stepCount: Int
    /// Per parameter, the first and second moments (row-major), or nil before its first update.
    public var moments: [(m: [Float], v: [Float])?]

    public init(stepCount: Int, moments: [(m: [Float], v: [Float])?]) {
        self.stepCount = stepCount
        self.moments = moments
    }

    public static func == (a: AdamWState, b: AdamWState) -> Bool {
        guard a.stepCount == b.stepCount, a.moments.count == b.moments.count else { return false }
        return zip(a.moments, b.moments).allSatisfy { x, y in
            switch (x, y) {
            case (nil, nil): true
            case let (x?, y?): x.m == y.m && x.v == y.v
            default: false
            }
        }
    }
}

extension AdamW {
    /// A copy of the step counter and moments.
    public var state: AdamWState {
        AdamWState(stepCount: stepCount, moments: moments.map { $0.map { ($0.m.scalars, $0.v.scalars) } })
    }

    /// Replaces the step counter and moments with `state`, checked against the parameters' sizes.
    public func restore(_ state: AdamWState) throws {
        guard state.moments.count == parameters.count, state.stepCount >= 0 else {
            throw TensorError("AdamW.restore", "state for \(state.moments.count) parameters at step \(state.stepCount), optimizer has \(parameters.count)")
        }
        var restored: [(m: Tensor, v: Tensor)?] = []
        for (i, entry) in state.moments.enumerated() {
            guard let entry else { restored.append(nil); continue }
            let shape = parameters[i].shape
            guard entry.m.count == parameters[i].count, entry.v.count == parameters[i].count else {
                throw TensorError("AdamW.restore", "parameter \(i) of shape \(shape) has \(parameters[i].count) values, state has \(entry.m.count) and \(entry.v.count)")
            }
            restored.append((try Tensor(shape: shape, scalars: entry.m), try Tensor(shape: shape, scalars: entry.v)))
        }
        moments = restored
        stepCount = state.stepCount
    }
}
