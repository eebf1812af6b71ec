import Foundation
import XCTest
import LanguageModels
import ModelFormats
import Tensors

final class LoRATests: XCTestCase {
    /// Adapters with a nonzero B change the logits; switched off they give the base model bit for bit;
    /// merged they give the adapted model; only A and B receive gradients.
    func testAdaptersSwitchMergeAndTrain() throws {
        for family in [ArchitectureFamilyCase.llama, .gpt2] {
            let config = ModelConfig.tiny(family: family.value, heads: 4, keyValueHeads: family == .llama ? 2 : nil)
            let m = try Transformer.random(config, seed: 3)
            let ids = [[1, 5, 9, 2, 7], [3, 3, 8, 1, 0]]
            let base = try m.logits(ids).scalars
            try m.addAdapters(LoRAConfiguration(rank: 4, alpha: 8, targetModules: config.projectionNames, seed: 11))
            XCTAssertEqual(m.adapters.count, (family == .llama ? 7 : 4) * config.layerCount, "\(family)")
            XCTAssertEqual(maxAbsDifference(try m.logits(ids).scalars, base), 0, "\(family)")  // B = 0 at init
            var g = RandomGenerator(seed: 5)
            for a in m.adapters { try a.b.assign(Tensor.randomNormal(a.b.shape, standardDeviation: 0.2, using: &g)) }
            let adapted = try m.logits(ids).scalars
            XCTAssertGreaterThan(maxAbsDifference(adapted, base), 1e-3, "\(family)")
            XCTAssertEqual(try m.withAdapters(enabled: false) { try m.logits(ids).scalars }, base, "\(family)")

            // Gradients reach every A and B; base weights get none.
            let loss = try m.logits(ids).logSoftmax().gather(lastAxis: Array(repeating: 4, count: 10)).sum()
            try loss.backward()
            XCTAssertTrue(m.trainableParameters.allSatisfy { $0.grad != nil }, "\(family)")
            XCTAssertTrue(m.trainableParameters.contains { p in (p.grad?.scalars ?? []).contains { $0 != 0 } }, "\(family)")

            try m.mergeAdapters()
            XCTAssertTrue(m.adapters.isEmpty, "\(family)")
            let merged = try m.logits(ids).scalars
            print("LoRA merge (\(family)): max |Δ| merged vs adapted = \(maxAbsDifference(merged, adapted)) (tolerance 1e-4)")
            XCTAssertLessThan(maxAbsDifference(merged, adapted), 1e-4, "\(family)")
        }
    }

    func testBadConfigurationsAreErrors() throws {
        let m = try Transformer.random(.tiny(family: .gpt2), seed: 1)
        XCTAssertThrowsError(try m.addAdapters(LoRAConfiguration(targetModules: ["q_proj"]))) { XCTAssertTrue($0 is LanguageModelError, "\($0)") }
        XCTAssertThrowsError(try m.addAdapters(LoRAConfiguration(rank: 0, targetModules: ["c_attn"]))) { XCTAssertTrue($0 is LanguageModelError, "\($0)") }
        try m.addAdapters(LoRAConfiguration(targetModules: ["c_attn"]))
        XCTAssertThrowsError(try m.addAdapters(LoRAConfiguration(targetModules: ["c_attn"]))) { XCTAssertTrue($0 is LanguageModelError, "\($0)") }
    }

    /// The differentiable scorer: gradients of Σ log P_F + Σ log P_term flow to the adapters only,
    /// and its values equal the no-grad scorer's.
    func testDifferentiableScoring() throws {
        let m = try Transformer.random(.tiny(family: .llama, heads: 4, keyValueHeads: 1), seed: 9)
        try m.addAdapters(LoRAConfiguration(rank: 2, alpha: 4, dropout: 0, targetModules: ["q_proj", "v_proj", "down_proj"], seed: 2))
        var g = RandomGenerator(seed: 5)
        for a in m.adapters { try a.b.assign(Tensor.randomNormal(a.b.shape, standardDeviation: 0.2, using: &g)) }
        let prompts = [[1, 2, 3], [4]], conts = [[5, 6], [7, 8, 9, 10]]
        let s = try m.scoreTensors(prompts: prompts, continuations: conts, terminationToken: 0)
        XCTAssertTrue(s.tokenLogProbs.shape == [2, 4] && s.terminationLogProbs.shape == [2, 5])
        let plain = try m.score(prompts: prompts, continuations: conts, terminationToken: 0)
        XCTAssertEqual(Array(s.tokenLogProbs.scalars[0..<2]), plain[0].tokenLogProbs)
        XCTAssertEqual(Array(s.tokenLogProbs.scalars[2..<4]), [0, 0])  // padding contributes 0
        XCTAssertEqual(plain[1].terminationLogProbs.count, 5)
        let loss = try s.tokenLogProbs.sum() + s.terminationLogProbs.sum()
        try loss.backward()
        XCTAssertTrue(m.trainableParameters.allSatisfy { $0.grad != nil })
    }
}

/// The two architecture families a test loops over, named in its failure messages.
enum ArchitectureFamilyCase: String, Sendable, CaseIterable, CustomStringConvertible {
    case llama, gpt2
    var value: ArchitectureFamily { self == .llama ? .llama : .gpt2 }
    var description: String { rawValue }
}

/// The adapters' gradients through a whole (tiny) model — the fused low-rank projections, SwiGLU,
/// RoPE on strided heads, attention and the fused log-softmax of the scorer — against central
/// differences of the loss; and LoRA dropout in training (adapters added one by one) still trains.
final class LoRAGradientTests: XCTestCase {
    func testAdapterGradientsMatchFiniteDifferences() throws {
        let m = try Transformer.random(.tiny(family: .llama, heads: 4, keyValueHeads: 2), seed: 21)
        try m.addAdapters(LoRAConfiguration(rank: 2, alpha: 4, targetModules: m.config.projectionNames, seed: 22))
        var g = RandomGenerator(seed: 23)
        for a in m.adapters { try a.b.assign(Tensor.randomNormal(a.b.shape, standardDeviation: 0.3, using: &g)) }
        let prompts = [[1, 2], [4]], conts = [[5, 6, 7], [8, 9]]
        func loss() throws -> Tensor {
            let s = try m.scoreTensors(prompts: prompts, continuations: conts, terminationToken: 0, training: true)
            return try s.tokenLogProbs.sum() + s.terminationLogProbs.sum() * 0.5
        }
        try loss().backward()
        var worst: Float = 0, largest: Float = 0
        let eps: Float = 1e-2
        for (k, p) in m.trainableParameters.enumerated() where k % 5 == 0 {
            let analytic = p.grad!.scalars
            for i in stride(from: 0, to: p.count, by: max(1, p.count / 3)) {
                let original = p.scalars[i]
                func value(_ x: Float) throws -> Float {
                    try p.withUnsafeMutableBufferPointer { $0[i] = x }
                    return try withNoGrad { try loss().item() }
                }
                let numeric = (try value(original + eps) - value(original - eps)) / (2 * eps)
                _ = try value(original)
                worst = max(worst, abs(numeric - analytic[i]))
                largest = max(largest, abs(numeric))
            }
        }
        print("LoRA gradients through the model vs central differences: max |Δ| = \(worst), max |grad| = \(largest) (tolerance 2e-2·max(1, |grad|))")
        XCTAssertLessThanOrEqual(worst, 2e-2 * max(1, largest))
        XCTAssertGreaterThan(largest, 1e-3)
    }

    func testDropoutInTrainingStillTrainsEveryAdapter() throws {
        let m = try Transformer.random(.tiny(family: .llama, heads: 4, keyValueHeads: 2), seed: 31)
        try m.addAdapters(LoRAConfiguration(rank: 2, alpha: 4, dropout: 0.3, targetModules: m.config.projectionNames, seed: 32))
        let ids = [[1, 5, 9, 2], [3, 3, 8, 1]]
        let eval = try withNoGrad { try m.logits(ids).scalars }
        let noAdapters = try m.withAdapters(enabled: false) { try withNoGrad { try m.logits(ids).scalars } }
        XCTAssertEqual(eval, noAdapters)  // B = 0: dropout or not, the update is zero
        try m.logits(ids, training: true).logSoftmax().gather(lastAxis: Array(repeating: 4, count: 8)).sum().backward()
        XCTAssertTrue(m.trainableParameters.allSatisfy { $0.grad != nil })
    }

    /// With activation recomputation (each layer run again in the backward pass) the scores and every adapter's
    /// gradient equal those of the kept graph (within 1e-5 relative; the sums may be taken in another order), LoRA
    /// dropout included (the recomputation replays the layer's draws), for both families; the dropout generator ends
    /// in the same state; without a graph nothing is recomputed and the scores are bit for bit the same.
    func testRecomputedActivationsGiveTheSameGradients() throws {
        for family in [ArchitectureFamilyCase.llama, .gpt2] {
            for dropout in [Float(0), 0.3] {
                var results: [[[Float]]] = []
                var generators: [RandomGenerator] = []
                for recompute in [false, true] {
                    let config = ModelConfig.tiny(family: family.value, heads: 4, keyValueHeads: family == .llama ? 2 : nil)
                    let m = try Transformer.random(config, seed: 41)
                    try m.addAdapters(LoRAConfiguration(rank: 2, alpha: 4, dropout: dropout, targetModules: m.config.projectionNames, seed: 42))
                    var g = RandomGenerator(seed: 43)
                    for a in m.adapters { try a.b.assign(Tensor.randomNormal(a.b.shape, standardDeviation: 0.2, using: &g)) }
                    m.recomputesActivations = recompute
                    m.dropoutGenerator = RandomGenerator(seed: 44)
                    let s = try m.scoreTensors(prompts: [[1, 2, 3], [4]], continuations: [[5, 6], [7, 8, 9, 10]], terminationToken: 0,
                                               training: true)
                    try (s.tokenLogProbs.sum() + s.terminationLogProbs.sum()).backward()
                    let plain = try m.score(prompts: [[1, 2, 3]], continuations: [[5, 6]], terminationToken: 0)[0].tokenLogProbs
                    results.append([s.tokenLogProbs.scalars, s.terminationLogProbs.scalars, plain]
                                   + (try m.trainableParameters.map { try XCTUnwrap($0.grad, "\(family) dropout \(dropout)").scalars }))
                    generators.append(m.dropoutGenerator)
                }
                XCTAssertEqual(generators[0].next(), generators[1].next(), "\(family) dropout \(dropout)")
                XCTAssertEqual(results[0][2], results[1][2], "no graph: \(family)")
                for (i, (kept, recomputed)) in zip(results[0], results[1]).enumerated() {
                    let scale = max(1, kept.map(abs).max() ?? 0)
                    XCTAssertLessThanOrEqual(maxAbsDifference(kept, recomputed), 1e-5 * scale, "\(family) dropout \(dropout) result \(i)")
                }
            }
        }
    }
}
