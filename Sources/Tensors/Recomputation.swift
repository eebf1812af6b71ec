/// Activation recomputation (gradient checkpointing): a block of operations whose intermediate tensors are not
/// kept for the backward pass, which runs the block again, with a graph, when the gradient reaches it. A
/// transformer's layers, each wrapped so, hold one [tokens, width] input each instead of every activation of
/// every layer, for one more forward pass per step.
extension Tensor {
    /// `body(self)`, its graph dropped. When the gradient arrives, `body` runs again on a copy of this input (with a
    /// graph) and is back-propagated: trainable tensors it uses (LoRA adapters) get their gradients then, this
    /// input gets its own. `body` must compute the same thing both times (replay any random draws). The result
    /// takes part in the graph when grad mode is on and `parametersRequireGrad` or this input requires gradients.
    public func recomputingInBackward(parametersRequireGrad: Bool, _ body: @escaping (Tensor) throws -> Tensor) throws -> Tensor {
        guard GradMode.recording, parametersRequireGrad || requiresGrad else { return try body(self) }
        let out = try withNoGrad { try body(self) }
        let input = detached(), inputNeedsGrad = requiresGrad
        out.requiresGrad = true
        out.isLeaf = false
        out.gradFunction = GradFunction(name: "recomputed", inputs: [self]) { g in
            let x = input.detached()
            x.requiresGrad = inputNeedsGrad
            try GradMode.$recording.withValue(true) {
                let y = try body(x)
                if y.requiresGrad { try y.backward(gradient: g) }
            }
            return [inputNeedsGrad ? x.grad : nil]
        }
        return out
    }
}
