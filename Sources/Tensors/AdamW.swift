import Glibc

/// Adam with decoupled weight decay (Loshchilov & Hutter), computed as PyTorch's `AdamW`:
///   p ← p·(1 − lr·wd)
///   m ← β1·m + (1 − β1)·g,   v ← β2·v + (1 − β2)·g²
///   p ← p − (lr / (1 − β1ᵗ)) · m / (√v / √(1 − β2ᵗ) + ε)
/// with t counting this optimizer's steps from 1 (bias correction).
public final class AdamW: Optimizer {
    public let parameters: [Tensor]
    public var learningRate: Float
    public let beta1: Float, beta2: Float, epsilon: Float, weightDecay: Float
    /// Steps taken so far.
    public internal(set) var stepCount = 0
    var moments: [(m: Tensor, v: Tensor)?]

    public init(parameters: [Tensor], learningRate: Float = 1e-3, beta1: Float = 0.9, beta2: Float = 0.999,
                epsilon: Float = 1e-8, weightDecay: Float = 0.01) throws {
        try validateParameters(parameters, "AdamW")
        guard (0..<1).contains(beta1), (0..<1).contains(beta2), epsilon >= 0, weightDecay >= 0 else {
            throw TensorError("AdamW", "needs 0 ≤ β1, β2 < 1 and ε, weight decay ≥ 0 (got β1 \(beta1), β2 \(beta2), ε \(epsilon), wd \(weightDecay))")
        }
        self.parameters = parameters
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.weightDecay = weightDecay
        moments = Array(repeating: nil, count: parameters.count)
    }

    public func step() throws {
        let t = Double(stepCount + 1)
        let bias1 = 1 - Glibc.pow(Double(beta1), t), bias2 = 1 - Glibc.pow(Double(beta2), t)
        let stepSize = Float(Double(learningRate) / bias1)
        let invSqrtBias2 = Float(1 / bias2.squareRoot())
        let decay = 1 - learningRate * weightDecay
        let (b1, b2, eps) = (beta1, beta2, epsilon)
        // Check every gradient before changing anything, so a bad one leaves the optimizer and parameters as they were.
        var updates: [(i: Int, p: Tensor, g: Tensor, m: Tensor, v: Tensor)] = []
        for (i, p) in parameters.enumerated() {
            guard let grad = p.grad else { continue }
            guard grad.shape == p.shape else { throw TensorError.shapes("AdamW", "gradient shape differs from its parameter's", grad.shape, p.shape) }
            let state = moments[i] ?? (Tensor(shape: p.shape, repeating: 0), Tensor(shape: p.shape, repeating: 0))
            updates.append((i, p, grad.contiguous(), state.m, state.v))
        }
        for u in updates { moments[u.i] = (u.m, u.v) }
        // Parameters are independent: LoRA's are hundreds of small matrices (each under the size worth
        // splitting), so the kernel threads take whole parameters, or pieces of a large one.
        let pieces = updates.enumerated().flatMap { index, u in
            stride(from: 0, to: u.p.count, by: adamChunk).map { (index, $0..<Swift.min(u.p.count, $0 + adamChunk)) }
        }
        stepCount += 1
        let total = updates.reduce(0) { $0 + $1.p.count }
        let box = UncheckedSendable(updates.map { ($0.p.pointer, $0.g.pointer, $0.m.pointer, $0.v.pointer) })
        pieces.withUnsafeBufferPointer { piecesBuffer in
            let list = UncheckedSendable(piecesBuffer)
            parallelChunks(piecesBuffer.count, work: total * 4) { range in
                for (index, r) in list.value[range] {
                    let (pp, gp, mp, vp) = box.value[index]
                    for j in r {
                        let gj = gp[j]
                        let m = b1 * mp[j] + (1 - b1) * gj
                        let v = b2 * vp[j] + (1 - b2) * gj * gj
                        mp[j] = m
                        vp[j] = v
                        pp[j] = pp[j] * decay - stepSize * m / (v.squareRoot() * invSqrtBias2 + eps)
                    }
                }
            }
        }
        withExtendedLifetime(updates) {}
    }
}

/// Elements per piece of AdamW's work (a parameter larger than this is split).
let adamChunk = 1 << 16
