import XCTest
@testable import Tensors

/// Central-difference gradient check.
///
/// The scalar checked is L = Σ w ⊙ f(inputs) with fixed random weights w (so every output element
/// matters), summed in Double. For every element of every input, the analytic ∂L/∂x from
/// `backward(gradient: w)` must match (L(x + ε) − L(x − ε)) / 2ε within
/// `tolerance · max(1, max |numeric|)`. Float32 forward passes make ε = 1e-2 the sweet spot
/// between rounding error (∝ 1/ε) and truncation error (∝ ε²); errors seen are ~1e-3.
func checkGradients(_ name: String, _ inputs: [Tensor], epsilon: Float = 1e-2, tolerance: Float = 1e-2,
                    file: StaticString = #filePath, line: UInt = #line,
                    _ f: ([Tensor]) throws -> Tensor) throws {
    for x in inputs {
        x.requiresGrad = true
        x.grad = nil
    }
    let y = try f(inputs)
    var rng = RandomGenerator(seed: 12345)
    let w = try Tensor.randomNormal(y.shape, using: &rng)
    XCTAssertTrue(y.requiresGrad, "\(name): the result does not require gradients", file: file, line: line)
    try y.backward(gradient: w)
    let weights = w.scalars.map(Double.init)
    func loss() throws -> Double {
        let out = try withNoGrad { try f(inputs) }
        var s = 0.0
        for (a, b) in zip(out.scalars, weights) { s += Double(a) * b }
        return s
    }
    var maxDiff: Float = 0, maxNumeric: Float = 0
    var worst = ""
    for (k, x) in inputs.enumerated() {
        let analytic = x.grad?.scalars ?? [Float](repeating: 0, count: x.count)
        XCTAssertEqual(x.grad?.shape ?? x.shape, x.shape, "\(name): gradient shape", file: file, line: line)
        try x.withUnsafeMutableBufferPointer { buf in
            for i in 0..<buf.count {
                let original = buf[i]
                buf[i] = original + epsilon
                let plus = try loss()
                buf[i] = original - epsilon
                let minus = try loss()
                buf[i] = original
                let numeric = Float((plus - minus) / (2 * Double(epsilon)))
                let diff = abs(numeric - analytic[i])
                maxNumeric = max(maxNumeric, abs(numeric))
                if diff > maxDiff || diff.isNaN {
                    maxDiff = diff.isNaN ? .infinity : diff
                    worst = "input \(k) element \(i): analytic \(analytic[i]) numeric \(numeric)"
                }
            }
        }
    }
    let allowed = tolerance * max(1, maxNumeric)
    XCTAssertLessThanOrEqual(maxDiff, allowed,
        "\(name): max |analytic − numeric| = \(maxDiff) > \(allowed) (\(worst))", file: file, line: line)
}

/// A reproducible random tensor (a fresh leaf).
func randomTensor(_ shape: [Int], seed: UInt64, low: Float = -1, high: Float = 1) -> Tensor {
    var rng = RandomGenerator(seed: seed)
    return try! Tensor.randomUniform(shape, low: low, high: high, using: &rng)
}

/// Asserts two float arrays agree within `tolerance · max(1, |expected|)` per element, printing the max difference.
func assertClose(_ actual: [Float], _ expected: [Float], tolerance: Float = 1e-4, _ what: String,
                 file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(actual.count, expected.count, "\(what): element counts", file: file, line: line)
    var maxDiff: Float = 0, at = 0
    for i in 0..<min(actual.count, expected.count) {
        let d = abs(actual[i] - expected[i]) / max(1, abs(expected[i]))
        if d > maxDiff || d.isNaN { maxDiff = d.isNaN ? .infinity : d; at = i }
    }
    XCTAssertLessThanOrEqual(maxDiff, tolerance, "\(what): max relative diff \(maxDiff) at element \(at)", file: file, line: line)
}
