/// Reverse-mode automatic differentiation.
///
/// Each differentiable operation computes its result, then calls `record` with its inputs and a
/// backward closure (written beside the forward, in the operation's own file). The closure maps
/// the gradient of the result to gradients of the inputs (nil where an input needs none), already
/// reduced to each input's shape. Closures must not capture the result tensor itself (that would
/// be a reference cycle): capture `result.detached()` instead.
///
/// `backward()` walks the graph once in reverse topological order, accumulates into the `grad` of
/// leaves that require it, and releases every node it passes (closures and saved tensors), so the
/// memory of the forward pass is freed as soon as backward is done.

final class GradFunction {
    let name: String
    var inputs: [Tensor]
    var backward: ((Tensor) throws -> [Tensor?])?
    /// For a view of its single input (a slice): adds the result's gradient into the input's gradient
    /// buffer (contiguous, the input's shape) in place. Backward then gives the three slices of a fused
    /// q/k/v projection one buffer, instead of a zero-filled full-size gradient each and two sums.
    var accumulate: ((_ gradient: Tensor, _ into: Tensor) -> Void)?

    init(name: String, inputs: [Tensor], backward: @escaping (Tensor) throws -> [Tensor?]) {
        self.name = name
        self.inputs = inputs
        self.backward = backward
    }
}

/// Whether operations record the autograd graph (true unless inside `withNoGrad`).
public enum GradMode {
    @TaskLocal static var recording = true

    /// True when operations on tensors that require gradients record a graph.
    public static var isEnabled: Bool { recording }
}

/// Runs `body` without recording any autograd graph: the results of operations inside do not
/// require gradients and keep nothing alive for a backward pass. Use it for inference, for
/// optimizer updates and for evaluation.
public func withNoGrad<R>(_ body: () throws -> R) rethrows -> R {
    try GradMode.$recording.withValue(false) { try body() }
}

/// The async form of `withNoGrad`.
public func withNoGrad<R>(_ body: () async throws -> R) async rethrows -> R {
    try await GradMode.$recording.withValue(false) { try await body() }
}

extension Tensor {
    /// Attaches a backward closure to `result` when grad mode is on and an input requires gradients.
    @inline(__always)
    static func record(_ result: Tensor, _ name: String, _ inputs: [Tensor],
                       _ backward: @escaping (Tensor) throws -> [Tensor?]) -> Tensor {
        guard GradMode.recording, inputs.contains(where: { $0.requiresGrad }) else { return result }
        result.requiresGrad = true
        result.isLeaf = false
        result.gradFunction = GradFunction(name: name, inputs: inputs, backward: backward)
        return result
    }

    /// `record` for a view of one input whose backward adds the result's gradient into part of the input's
    /// gradient buffer: `backward()` hands it that buffer (`GradFunction.accumulate`); the plain backward
    /// closure, derived here, starts from zeros.
    static func recordView(_ result: Tensor, _ name: String, of input: Tensor,
                           accumulate: @escaping (_ gradient: Tensor, _ into: Tensor) -> Void) -> Tensor {
        let inputShape = input.shape
        let out = record(result, name, [input]) { g in
            let full = Tensor(shape: inputShape, repeating: 0)
            accumulate(g, full)
            return [full]
        }
        out.gradFunction?.accumulate = accumulate
        return out
    }

    /// The name of the operation that produced this tensor, if its graph is still held.
    public var gradFunctionName: String? { gradFunction?.name }

    /// Back-propagates from this tensor. With no `gradient`, the tensor must hold one element and
    /// its gradient is 1. Gradients add up in the leaves' `grad` across calls (clear them with
    /// `grad = nil` or an optimizer's `zeroGrad()`). The graph is released afterwards.
    public func backward(gradient: Tensor? = nil) throws {
        guard requiresGrad else {
            throw TensorError("backward", "the tensor does not require gradients (no input had requiresGrad, or it was computed under withNoGrad)")
        }
        let seed: Tensor
        if let gradient {
            guard gradient.shape == shape else {
                throw TensorError.shapes("backward", "gradient shape differs from the tensor's", gradient.shape, shape)
            }
            seed = gradient
        } else {
            guard count == 1 else {
                throw TensorError("backward", "a tensor of shape \(shape) needs an explicit gradient (only one-element tensors default to 1)")
            }
            seed = Tensor(shape: shape, repeating: 1)
        }

        // Topological order by iterative depth-first search.
        var order: [Tensor] = []
        var visited = Set<ObjectIdentifier>()
        var stack: [(Tensor, Int)] = [(self, 0)]
        visited.insert(ObjectIdentifier(self))
        while let (node, start) = stack.popLast() {
            var next = start
            if !node.isLeaf && node.gradFunction == nil {
                throw TensorError("backward", "the graph through a tensor of shape \(node.shape) was already released by an earlier backward(); recompute the forward pass")
            }
            let inputs = node.gradFunction?.inputs ?? []
            var pushed = false
            while next < inputs.count {
                let input = inputs[next]
                next += 1
                if input.requiresGrad, visited.insert(ObjectIdentifier(input)).inserted {
                    stack.append((node, next))
                    stack.append((input, 0))
                    pushed = true
                    break
                }
            }
            if !pushed { order.append(node) }
        }

        try withNoGrad {
            var grads: [ObjectIdentifier: Tensor] = [ObjectIdentifier(self): seed]
            // Gradients in `grads` that this loop allocated (sums, buffers of slices) and no one else holds:
            // further contributions are added into them in place. A gradient returned by an operation's
            // backward may be shared (`+` returns its incoming gradient to both inputs), so it is never written.
            var owned = Set<ObjectIdentifier>()
            // Drop each node from `order` as it is processed, so intermediate activations are
            // freed during the backward pass rather than after it.
            var pending: [Tensor?] = order.reversed()
            order = []
            for index in pending.indices {
                guard let node = pending[index] else { continue }
                pending[index] = nil
                guard let g = grads.removeValue(forKey: ObjectIdentifier(node)) else { continue }
                owned.remove(ObjectIdentifier(node))
                if let fn = node.gradFunction, let accumulate = fn.accumulate, fn.inputs.count == 1 {
                    let input = fn.inputs[0]
                    if input.requiresGrad {
                        let key = ObjectIdentifier(input)
                        let buffer: Tensor
                        if let existing = grads[key] {
                            buffer = owned.contains(key) && existing.isContiguous ? existing : existing.materialize()
                        } else {
                            buffer = Tensor(shape: input.shape, repeating: 0)
                        }
                        accumulate(g, buffer)
                        grads[key] = buffer
                        owned.insert(key)
                    }
                    fn.backward = nil
                    fn.accumulate = nil
                    fn.inputs = []
                    node.gradFunction = nil
                } else if let fn = node.gradFunction {
                    let inputGrads = try fn.backward!(g)
                    for (input, ig) in zip(fn.inputs, inputGrads) {
                        guard input.requiresGrad, let ig else { continue }
                        guard ig.shape == input.shape else {
                            throw TensorError.shapes("backward", "internal: \(fn.name) returned a gradient of the wrong shape", ig.shape, input.shape)
                        }
                        let key = ObjectIdentifier(input)
                        if let existing = grads[key] {
                            if owned.contains(key) && existing.isContiguous {
                                existing.addInPlace(ig)
                            } else {
                                grads[key] = try existing + ig
                                owned.insert(key)
                            }
                        } else {
                            grads[key] = ig
                        }
                    }
                    fn.backward = nil
                    fn.inputs = []
                    node.gradFunction = nil
                } else if node.isLeaf {
                    if let existing = node.grad, existing.shape == node.shape, existing.isContiguous {
                        existing.addInPlace(g)
                    } else {
                        node.grad = g.copy()
                    }
                }
            }
        }
    }

    /// Adds `other` (same shape) into this contiguous tensor's elements.
    func addInPlace(_ other: Tensor) {
        let o = other.contiguous()
        let box = UncheckedSendable((pointer, o.pointer))
        parallelChunks(count, work: count * 3) { r in
            let (p, q) = box.value
            mapVec2(p + r.lowerBound, q + r.lowerBound, p + r.lowerBound, r.count) { $0 + $1 }
        }
        withExtendedLifetime(o) {}
    }
}

