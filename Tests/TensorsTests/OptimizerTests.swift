import XCTest
import Glibc
@testable import Tensors

/// Optimizers against hand-written Double references of PyTorch's update rules; schedules against
/// Hugging Face's formulas; clipping; and the extra ops used in training (dropout, relu, linear).
final class OptimizerTests: XCTestCase {
    func testAdamWMatchesReferenceOverSeveralSteps() throws {
        let p = try Tensor(shape: [3], scalars: [0.5, -1, 2])
        p.requiresGrad = true
        let opt = try AdamW(parameters: [p], learningRate: 0.1, beta1: 0.9, beta2: 0.99, epsilon: 1e-8, weightDecay: 0.1)
        var ref = [0.5, -1.0, 2.0], m = [0.0, 0, 0], v = [0.0, 0, 0]
        for step in 1...4 {
            opt.zeroGrad()
            try (p * p * p).sum().backward()  // g = 3p²
            try opt.step()
            for i in 0..<3 {
                let g = 3 * ref[i] * ref[i]
                ref[i] *= 1 - 0.1 * 0.1
                m[i] = 0.9 * m[i] + 0.1 * g
                v[i] = 0.99 * v[i] + 0.01 * g * g
                let mh = m[i] / (1 - pow(0.9, Double(step))), vh = v[i] / (1 - pow(0.99, Double(step)))
                ref[i] -= 0.1 * mh / (vh.squareRoot() + 1e-8)
            }
            assertClose(p.scalars, ref.map(Float.init), tolerance: 1e-5, "AdamW step \(step)")
        }
        XCTAssertEqual(opt.stepCount, 4)
    }

    /// Many parameters (LoRA's shape: hundreds of small matrices) and one larger than a piece of the
    /// parallel work: every element gets the single-parameter update, whatever the thread count.
    func testAdamWOverManyParametersMatchesOneThreadAndTheFormula() throws {
        func run(threads: Int) throws -> ([[Float]], AdamW) {
            KernelThreads.set(threads)
            defer { KernelThreads.set(cpuCount) }
            let params = (0..<40).map { randomTensor([7, 13 + $0], seed: UInt64(100 + $0)) } + [randomTensor([300, 300], seed: 99)]
            for p in params {
                p.requiresGrad = true
                p.grad = randomTensor(p.shape, seed: UInt64(p.count))
            }
            let opt = try AdamW(parameters: params, learningRate: 0.05, weightDecay: 0.1)
            try opt.step()
            for p in params { p.grad = p.grad! * 0.5 }
            try opt.step()
            return (params.map(\.scalars), opt)
        }
        let (one, _) = try run(threads: 1), (many, opt) = try run(threads: cpuCount)
        XCTAssertEqual(one, many)
        XCTAssertEqual(opt.stepCount, 2)
        // The formula in Double for the large parameter's first elements.
        let p0 = randomTensor([300, 300], seed: 99).scalars, g0 = randomTensor([300, 300], seed: 90000).scalars
        for j in [0, 1, 65535, 65536, 89999] {
            var p = Double(p0[j]), m = 0.0, v = 0.0
            for (step, g) in [Double(g0[j]), Double(g0[j] * 0.5)].enumerated() {
                p *= 1 - 0.05 * 0.1
                m = 0.9 * m + 0.1 * g
                v = 0.999 * v + 0.001 * g * g
                let t = Double(step + 1)
                p -= 0.05 * (m / (1 - pow(0.9, t))) / ((v / (1 - pow(0.999, t))).squareRoot() + 1e-8)
            }
            XCTAssertEqual(Double(many.last![j]), p, accuracy: 1e-5, "element \(j)")
        }
    }

    func testAdamWRejectsAMisshapenGradientBeforeChangingAnything() throws {
        let a = randomTensor([4], seed: 1), b = randomTensor([3], seed: 2)
        for p in [a, b] { p.requiresGrad = true }
        a.grad = randomTensor([4], seed: 3)
        b.grad = randomTensor([5], seed: 4)
        let opt = try AdamW(parameters: [a, b])
        let before = a.scalars
        XCTAssertThrowsError(try opt.step())
        XCTAssertEqual(a.scalars, before)
        XCTAssertEqual(opt.stepCount, 0)
        XCTAssertTrue(opt.state.moments.allSatisfy { $0 == nil })
    }

    func testSGDWithMomentumMatchesReference() throws {
        let p = try Tensor(shape: [2], scalars: [1, -2])
        p.requiresGrad = true
        let opt = try SGD(parameters: [p], learningRate: 0.1, momentum: 0.9, weightDecay: 0.01)
        var ref = [1.0, -2.0], buf: [Double]? = nil
        for _ in 0..<3 {
            opt.zeroGrad()
            try (p * p).sum().backward()
            try opt.step()
            let g = ref.map { 2 * $0 + 0.01 * $0 }
            buf = buf.map { b in zip(b, g).map { 0.9 * $0 + $1 } } ?? g
            ref = zip(ref, buf!).map { $0 - 0.1 * $1 }
            assertClose(p.scalars, ref.map(Float.init), tolerance: 1e-6, "SGD")
        }
    }

    func testTrainingReducesLoss() throws {
        // Fit y = 2x − 1 with a linear layer.
        var rng = RandomGenerator(seed: 5)
        let x = try Tensor.randomUniform([32, 1], low: -1, high: 1, using: &rng)
        let y = x * 2 - 1
        let w = try Tensor.zeros([1, 1]), b = try Tensor.zeros([1])
        w.requiresGrad = true
        b.requiresGrad = true
        let opt = try AdamW(parameters: [w, b], learningRate: 0.1, weightDecay: 0)
        var loss: Float = .infinity
        for _ in 0..<200 {
            opt.zeroGrad()
            let l = try (x.linear(weight: w, bias: b) - y).pow(2).mean()
            loss = try l.item()
            try l.backward()
            try opt.step()
        }
        XCTAssertLessThan(loss, 1e-3)
        XCTAssertEqual(w.scalars[0], 2, accuracy: 0.05)
    }

    func testSchedulesFollowHuggingFaceFormulas() {
        XCTAssertEqual(LearningRateSchedule.constant.multiplier(atStep: 123), 1)
        let warm = LearningRateSchedule.linearWarmup(warmupSteps: 4)
        XCTAssertEqual([0, 1, 2, 4, 10].map { warm.multiplier(atStep: $0) }, [0, 0.25, 0.5, 1, 1])
        let linear = LearningRateSchedule.linearDecay(warmupSteps: 2, totalSteps: 10)
        XCTAssertEqual([1, 2, 6, 10, 12].map { linear.multiplier(atStep: $0) }, [0.5, 1, 0.5, 0, 0])
        let cosine = LearningRateSchedule.cosine(warmupSteps: 0, totalSteps: 10, finalFraction: 0.1)
        XCTAssertEqual(cosine.multiplier(atStep: 0), 1, accuracy: 1e-6)
        XCTAssertEqual(cosine.multiplier(atStep: 5), 0.1 + 0.9 * 0.5, accuracy: 1e-6)
        XCTAssertEqual(cosine.multiplier(atStep: 10), 0.1, accuracy: 1e-6)
        XCTAssertEqual(cosine.learningRate(base: 2, atStep: 20), 0.2, accuracy: 1e-6)
    }

    func testClipGradientNorm() throws {
        let a = try Tensor(shape: [2], scalars: [1, 1]), b = try Tensor(shape: [1], scalars: [1])
        a.grad = try Tensor(shape: [2], scalars: [3, 0])
        b.grad = try Tensor(shape: [1], scalars: [4])
        let norm = clipGradientNorm([a, b], maxNorm: 1)
        XCTAssertEqual(norm, 5, accuracy: 1e-6)
        XCTAssertEqual(a.grad!.scalars[0], 0.6, accuracy: 1e-5)
        XCTAssertEqual(b.grad!.scalars[0], 0.8, accuracy: 1e-5)
        XCTAssertEqual(clipGradientNorm([a, b], maxNorm: 10), 1, accuracy: 1e-5)  // below the limit: unchanged
        XCTAssertEqual(b.grad!.scalars[0], 0.8, accuracy: 1e-5)
    }

    func testOptimizersRejectNonContiguousParameters() throws {
        let x = try Tensor.zeros([2, 3])
        XCTAssertThrowsError(try AdamW(parameters: [try x.transposed()]))
        XCTAssertThrowsError(try AdamW(parameters: [x], beta1: 1))
    }

    func testDropoutReluLinearArgmax() throws {
        var rng = RandomGenerator(seed: 8)
        let x = randomTensor([4, 6], seed: 9, low: 0.1, high: 1)
        let d = try x.dropout(probability: 0.5, using: &rng)
        let kept = zip(d.scalars, x.scalars).filter { $0.0 != 0 }
        XCTAssertTrue(kept.allSatisfy { abs($0.0 - 2 * $0.1) < 1e-6 })
        XCTAssertTrue(kept.count > 4 && kept.count < 20)
        let g1 = RandomGenerator(seed: 8)
        try checkGradients("dropout", [x]) { xs in
            var g = g1
            return try xs[0].dropout(probability: 0.3, using: &g)
        }
        let y = randomTensor([3, 5], seed: 10)
        try checkGradients("relu", [y], epsilon: 1e-3) { $0[0].relu() }
        let w = randomTensor([2, 5], seed: 11), b = randomTensor([2], seed: 12)
        try checkGradients("linear", [y, w, b]) { try $0[0].linear(weight: $0[1], bias: $0[2]) }
        let logits = try Tensor(shape: [2, 3], scalars: [0, 5, 1, 7, 2, 7])
        XCTAssertEqual(try logits.argmax(), [1, 0])
    }
}
