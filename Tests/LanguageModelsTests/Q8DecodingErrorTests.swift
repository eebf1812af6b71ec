import Foundation
@testable import LanguageModels
import Tensors
import TestFixtures
import XCTest

/// SmolLM2's decoding logits with 8-bit activations (`decodingActivations = .q8`) against the same quantized model with
/// float32 activations and against the f32 model, teacher-forced along the float-activation model's greedy continuation
/// of several prompts (prefill, then one batch-1 step a token): the route's measured error, printed.
final class Q8DecodingErrorTests: XCTestCase {
    static let prompts: [[Int]] = [
        [1, 9690, 198, 2683, 359, 253, 5356, 5646, 11173, 3365, 3437, 28, 7018, 411, 407, 19712, 8182, 2],
        [1, 9690, 198, 2683, 359, 253],
        [504, 3458, 282, 4649, 314],
        [1, 4093, 198, 19556, 2994, 7018, 411, 2],
        [2683, 359, 253, 5356, 5646, 11173, 3365],
        [28, 7018, 411, 407, 19712, 8182, 2, 198],
    ]

    /// The logits of prefilling `prompt` and then feeding `continuation` one token at a time (one row per step).
    static func decodingLogits(_ m: Transformer, _ prompt: [Int], _ continuation: [Int]) throws -> [[Float]] {
        try withNoGrad {
            let (cache, first) = try m.prefill([prompt], extraCapacity: continuation.count + 1)
            var out = [first]
            for t in continuation.dropLast() { out.append(try m.decodeStep([t], cache: cache)) }
            return out
        }
    }

    static func argmax(_ v: [Float]) -> Int { v.indices.max { v[$0] < v[$1] }! }

    func testQ8DecodingLogitsStayCloseToFloatActivations() throws {
        let quantized = try PretrainedModel.load(TestPaths.smollm2, weights: .quantized).transformer
        let float32 = try PretrainedModel.load(TestPaths.smollm2, weights: .float32).transformer
        var worstFloat: Float = 0, worstF32: Float = 0, baseline: Float = 0, agree = 0, steps = 0, spread: Float = 0
        for prompt in Self.prompts {
            var g = RandomGenerator(seed: 1)
            let greedy = try quantized.generate(prompts: [prompt], sampler: .greedy, options: GenerationOptions(maxNewTokens: 24, minNewTokens: 24),
                                                using: &g)[0].tokens
            let reference = try Self.decodingLogits(quantized, prompt, greedy)
            let exact = try Self.decodingLogits(float32, prompt, greedy)
            quantized.decodingActivations = .q8
            defer { quantized.decodingActivations = .float32 }
            let q8 = try Self.decodingLogits(quantized, prompt, greedy)
            for (step, ((a, b), c)) in zip(zip(q8, reference), exact).enumerated() {
                worstFloat = max(worstFloat, maxAbsDifference(a, b))
                worstF32 = max(worstF32, maxAbsDifference(a, c))
                baseline = max(baseline, maxAbsDifference(b, c))
                spread = max(spread, (b.max() ?? 0) - (b.min() ?? 0))
                if Self.argmax(a) == greedy[step] { agree += 1 }
                steps += 1
            }
        }
        print(String(format: "SmolLM2 decoding logits, q8 activations: max |Δ| %.4f vs float activations (same blocks), %.4f vs f32 weights "
                     + "(float activations vs f32: %.2e); greedy token agrees in %d of %d teacher-forced steps; logit range up to %.1f",
                     worstFloat, worstF32, baseline, agree, steps, spread))
        // The route is an approximation of its own (x rounded to 1/254 of its block's largest element): its logits differ
        // far more than summation order does, yet stay a small fraction of the logits' range and keep the greedy choice.
        XCTAssertGreaterThan(worstFloat, 10 * baseline)
        XCTAssertLessThan(worstFloat, 0.05 * spread)
        XCTAssertGreaterThanOrEqual(Double(agree), 0.9 * Double(steps))
    }
}
