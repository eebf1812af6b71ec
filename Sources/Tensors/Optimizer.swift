import Glibc

/// Something that updates parameters from their accumulated gradients.
///
/// Usage per training step: forward, `loss.backward()`, optionally `clipGradientNorm`, then
/// `optimizer.step()` and `optimizer.zeroGrad()`. Parameters are updated in place (outside
/// autograd); they must be contiguous leaf tensors. A parameter whose `grad` is nil (it took
/// no part in the loss) is left as it is, as PyTorch does.
public protocol Optimizer: AnyObject {
    var parameters: [Tensor] { get }
    /// The rate used by the next `step()`; schedules set it before each step.
    var learningRate: Float { get set }
    func step() throws
}

extension Optimizer {
    /// Clears every parameter's gradient.
    public func zeroGrad() {
        for p in parameters { p.grad = nil }
    }
}

/// Checks that parameters can be updated in place.
func validateParameters(_ parameters: [Tensor], _ name: String) throws {
    for (i, p) in parameters.enumerated() where !p.isContiguous || !p.isLeaf {
        throw TensorError(name, "parameter \(i) of shape \(p.shape) must be a contiguous leaf tensor")
    }
}

/// The global L2 norm of all gradients; when it exceeds `maxNorm`, scales every gradient by
/// maxNorm / (norm + 1e-6) in place (PyTorch's `clip_grad_norm_`). Returns the norm before
/// clipping. A non-finite norm leaves the gradients unchanged, so the caller can skip the step.
@discardableResult
public func clipGradientNorm(_ parameters: [Tensor], maxNorm: Float) -> Float {
    var total: Double = 0
    for p in parameters {
        guard let g = p.grad else { continue }
        let c = g.contiguous()
        total += Double(vdot(c.pointer, c.pointer, c.count))
        withExtendedLifetime(c) {}
    }
    let norm = Float(total.squareRoot())
    guard norm.isFinite, norm > maxNorm else { return norm }
    let scale = maxNorm / (norm + 1e-6)
    for p in parameters {
        guard let g = p.grad else { continue }
        if g.isContiguous {
            let q = g.pointer
            for i in 0..<g.count { q[i] *= scale }
        } else {
            p.grad = g * scale
        }
    }
    return norm
}

/// Stochastic gradient descent with optional momentum and (coupled, L2) weight decay, as
/// PyTorch's `SGD`: g ← g + wd·p; b ← μ·b + g (b = g on the first step); p ← p − lr·b.
public final class SGD: Optimizer {
    public let parameters: [Tensor]
    public var learningRate: Float
    public let momentum: Float
    public let weightDecay: Float
    private var buffers: [Tensor?]

    public init(parameters: [Tensor], learningRate: Float, momentum: Float = 0, weightDecay: Float = 0) throws {
        try validateParameters(parameters, "SGD")
        self.parameters = parameters
        self.learningRate = learningRate
        self.momentum = momentum
        self.weightDecay = weightDecay
        buffers = Array(repeating: nil, count: parameters.count)
    }

    public func step() throws {
        for (i, p) in parameters.enumerated() {
            guard let grad = p.grad else { continue }
            guard grad.shape == p.shape else { throw TensorError.shapes("SGD", "gradient shape differs from its parameter's", grad.shape, p.shape) }
            let g = grad.contiguous()
            let n = p.count, pp = p.pointer, gp = g.pointer
            let lr = learningRate, wd = weightDecay, mu = momentum
            if mu == 0 {
                for j in 0..<n { pp[j] -= lr * (gp[j] + wd * pp[j]) }
            } else if let b = buffers[i] {
                let bp = b.pointer
                for j in 0..<n {
                    bp[j] = mu * bp[j] + gp[j] + wd * pp[j]
                    pp[j] -= lr * bp[j]
                }
            } else {
                let b = Tensor(uninitializedShape: p.shape)
                let bp = b.pointer
                for j in 0..<n {
                    bp[j] = gp[j] + wd * pp[j]
                    pp[j] -= lr * bp[j]
                }
                buffers[i] = b
            }
            withExtendedLifetime(g) {}
        }
    }
}
