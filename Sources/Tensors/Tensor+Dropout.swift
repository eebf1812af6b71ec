/// Inverted dropout: zeroes each element with probability p and scales the rest by 1/(1 − p),
/// so the expected value is unchanged. The caller decides when it applies (training), since
/// no-grad mode is not the same as evaluation mode. Draws come from `generator`, so a seed
/// reproduces the mask.
extension Tensor {
    public func dropout(probability p: Float, using generator: inout RandomGenerator) throws -> Tensor {
        guard p >= 0, p < 1 else { throw TensorError("dropout", "probability must be in [0, 1), got \(p)") }
        if p == 0 { return self }
        let mask = Tensor(uninitializedShape: shape)
        let keep = 1 / (1 - p)
        for i in 0..<mask.count { mask.pointer[i] = generator.uniform() < p ? 0 : keep }
        let out = try withNoGrad { try self * mask }
        return Tensor.record(out, "dropout", [self]) { g in [try g * mask] }
    }
}
