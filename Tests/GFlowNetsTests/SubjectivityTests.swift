import XCTest
import Foundation
import LanguageModels
import Tensors
import TestFixtures
@testable import GFlowNets

/// Classification with a latent rationale (docs/method.md §4.4) on a tiny seeded model: the
/// label-mismatch reward and the label scores against direct scoring, the wishful seeding's
/// truncation rule, the gradient of the C-way label loss against finite differences, and the
/// classifier trainer learning a separable task.
final class SubjectivityTests: XCTestCase {
    static let letters = Array("⊤abcde")
    static func decode(_ tokens: [Int]) throws -> String { String(tokens.map { letters[$0] }) }
    /// Two label texts of different lengths ("bc" and "d").
    let labels = [[2, 3], [4]]

    func makeModel(seed: UInt64 = 3) throws -> Transformer {
        let config = ModelConfig.tiny(family: .llama, layers: 1, heads: 2, width: 16, feedForward: 32, vocabulary: 6, context: 16)
        let model = try Transformer.random(config, seed: seed, standardDeviation: 0.3)
        try model.addAdapters(LoRAConfiguration(rank: 2, alpha: 4, targetModules: ["q_proj", "v_proj"], seed: 1))
        return model
    }

    /// Σ log p(continuation | prompt) by plain teacher-forced scoring.
    func direct(_ model: Transformer, _ prompt: [Int], _ continuation: [Int]) throws -> Double {
        guard !continuation.isEmpty else { return 0 }
        return try model.score(prompts: [prompt], continuations: [continuation], terminationToken: 0)[0].tokenLogProbs
            .reduce(0.0) { $0 + Double($1) }
    }

    // MARK: the E-step reward

    /// log R(s_t) = log p(z_1:t | X) + log p(Y_true | X z_1:t), minus 50 exactly where the other
    /// label's text is the more likely one; with either label as the truth, every prefix is
    /// penalised under exactly one of them.
    func testLabelMismatchRewardMatchesDirectScoringAndPenalisesTheDispreferredLabel() throws {
        let model = try makeModel()
        let x = [1, 2, 3]
        let latents = [[3, 1, 5], [5], [2, 2]]
        let context = RewardContext(promptTokens: x, key: "x", decode: Self.decode)
        var got: [[[Double]]] = []
        for truth in 0..<2 {
            let reward = try LabelMismatchReward(model: model, labels: labels, truth: { _ in truth }, penalty: -50)
            got.append(try reward.logRewards(latents: latents, context: context))
        }
        var penalised = 0
        for (b, z) in latents.enumerated() {
            XCTAssertEqual(got[0][b].count, z.count + 1)
            for t in 0...z.count {
                let prefix = Array(z[..<t])
                let latent = try direct(model, x, prefix)
                let y = try labels.map { try direct(model, x + prefix, $0) }
                for truth in 0..<2 {
                    let mismatched = y[1 - truth] > y[truth]
                    if mismatched { penalised += 1 }
                    XCTAssertEqual(got[truth][b][t], latent + y[truth] + (mismatched ? -50 : 0), accuracy: 1e-4, "latent \(b), prefix \(t), truth \(truth)")
                }
                XCTAssertNotEqual(y[0] > y[1], y[1] > y[0], "a tie at latent \(b), prefix \(t) would leave the test nothing to check")
            }
        }
        XCTAssertEqual(penalised, latents.reduce(0) { $0 + $1.count + 1 })
    }

    /// The reward reads its context from the example when given one, and rejects a bad label index.
    func testLabelRewardReadsItsContextAndRejectsAnUnknownLabel() throws {
        let model = try makeModel()
        let context = RewardContext(promptTokens: [5, 5], key: "x", decode: Self.decode)
        let own = try LabelMismatchReward(model: model, labels: labels, truth: { _ in 1 }, context: { _ in [1, 2, 3] }, penalty: -50)
        let plain = try LabelMismatchReward(model: model, labels: labels, truth: { _ in 1 }, penalty: -50)
        let a = try own.logRewards(latents: [[3]], context: context)
        let b = try plain.logRewards(latents: [[3]], context: RewardContext(promptTokens: [1, 2, 3], key: "y", decode: Self.decode))
        XCTAssertEqual(a[0][0], b[0][0], accuracy: 1e-6)
        XCTAssertEqual(a[0][1], b[0][1], accuracy: 1e-6)
        let bad = try LabelMismatchReward(model: model, labels: labels, truth: { _ in 2 })
        XCTAssertThrowsError(try bad.logRewards(latents: [[3]], context: context)) { error in
            XCTAssertTrue("\(error)".contains("not one of 0…1"), "\(error)")
        }
        XCTAssertThrowsError(try LabelMismatchReward(model: model, labels: [[2]], truth: { _ in 0 }))
        XCTAssertThrowsError(try LabelMismatchReward(model: model, labels: labels, truth: { _ in 0 }, penalty: 5))
    }

    // MARK: label scores

    func testLabelScoresAreTheLabelTextsLogLikelihoods() throws {
        let model = try makeModel()
        let prompts = [[1, 2, 3], [5, 1], [4, 4, 4, 2, 1]]
        var likelihood = try LabelLikelihood(model: model, labels: labels)
        likelihood.promptsPerChunk = 2   // two passes
        let scores = try likelihood.scores(prompts: prompts)
        for (b, p) in prompts.enumerated() {
            for (c, y) in labels.enumerated() {
                XCTAssertEqual(scores[b][c], try direct(model, p, y), accuracy: 1e-4, "prompt \(b), label \(c)")
            }
        }
        XCTAssertEqual(LabelLikelihood.predicted([-3.0, -1.0, -2.0]), 1)
        XCTAssertEqual(LabelLikelihood.predicted([-1.0, -1.0]), 0)   // a tie goes to the first
        XCTAssertThrowsError(try LabelLikelihood(model: model, labels: [[2], []]))
    }

    // MARK: the M-step loss

    /// The C-way cross-entropy equals −log softmax of the direct scores, and its gradient with
    /// respect to LoRA weights matches central finite differences.
    func testLabelLossValueAndGradientMatchFiniteDifferences() throws {
        let model = try makeModel()
        // B = 0 leaves A without gradient: give both factors values.
        var rng = RandomGenerator(seed: 9)
        for adapter in model.adapters {
            try adapter.b.assign(Tensor(shape: adapter.b.shape, scalars: (0..<adapter.b.count).map { _ in rng.uniform(-0.5, 0.5) }))
        }
        let likelihood = try LabelLikelihood(model: model, labels: labels)
        let prompts = [[1, 2, 3], [5, 1], [3, 3, 2]], truths = [1, 0, 1]
        let (loss, correct) = try likelihood.crossEntropy(prompts: prompts, truths: truths)
        var expected = 0.0, expectedCorrect = 0
        for (p, truth) in zip(prompts, truths) {
            let s = try labels.map { try direct(model, p, $0) }
            let lse = log(s.map { exp($0) }.reduce(0, +))
            expected += (lse - s[truth]) / Double(prompts.count)
            if LabelLikelihood.predicted(s) == truth { expectedCorrect += 1 }
        }
        XCTAssertEqual(Double(try loss.item()), expected, accuracy: 1e-5)
        XCTAssertEqual(correct, expectedCorrect)

        try loss.backward()
        let h: Float = 1e-2
        var maxDiff: Float = 0, maxGradient: Float = 0, checked = 0
        for adapter in model.adapters.prefix(2) {
            for tensor in [adapter.a, adapter.b] {
                let grad = try XCTUnwrap(tensor.grad).scalars
                let values = tensor.scalars
                for i in stride(from: 0, to: values.count, by: max(1, values.count / 4)) {
                    func lossAt(_ v: Float) throws -> Float {
                        var moved = values
                        moved[i] = v
                        try tensor.assign(Tensor(shape: tensor.shape, scalars: moved))
                        return try withNoGrad { try likelihood.crossEntropy(prompts: prompts, truths: truths).loss.item() }
                    }
                    let numeric = (try lossAt(values[i] + h) - lossAt(values[i] - h)) / (2 * h)
                    try tensor.assign(Tensor(shape: tensor.shape, scalars: values))
                    maxDiff = max(maxDiff, abs(numeric - grad[i]))
                    maxGradient = max(maxGradient, abs(grad[i]))
                    XCTAssertEqual(numeric, grad[i], accuracy: 2e-3 * max(1, abs(numeric)), "\(adapter.modulePath) entry \(i)")
                    checked += 1
                }
            }
        }
        XCTAssertGreaterThan(checked, 8)
        XCTAssertGreaterThan(maxGradient, 20 * maxDiff, "gradients too small for the comparison to mean anything")
        print("label loss gradient vs finite differences: max |diff| \(maxDiff), max |gradient| \(maxGradient), \(checked) entries")
    }

    /// A few steps on a separable task lower the loss and reach full training accuracy.
    func testClassifierTrainerLearnsTwoPrompts() throws {
        let model = try makeModel(seed: 5)
        let policy = try LanguageModelPolicy(model: model, terminationToken: 0, decode: Self.decode)
        let likelihood = try LabelLikelihood(model: model, labels: labels)
        var c = LabelClassifierConfiguration()
        c.batchSize = 2
        c.microBatch = 1
        c.epochs = 40
        c.optimization.learningRate = 0.05
        let examples = [LabelledPrompt(prompt: [1, 1, 2], label: 0), LabelledPrompt(prompt: [5, 5, 2], label: 1)]
        let trainer = try LabelClassifierTrainer(policy: policy, likelihood: likelihood, examples: examples, configuration: c)
        let before = try trainer.evaluate()
        let history = try trainer.fit(steps: trainer.totalSteps)
        let after = try trainer.evaluate()
        XCTAssertEqual(history.count, 40)
        XCTAssertLessThan(after.loss, before.loss * 0.5, "loss \(before.loss) → \(after.loss)")
        XCTAssertEqual(after.accuracy, 1)
        XCTAssertNotNil(history.last?.extra[.accuracy])
        XCTAssertThrowsError(try LabelClassifierTrainer(policy: policy, likelihood: likelihood, examples: [LabelledPrompt(prompt: [1], label: 2)]))
    }

    // MARK: wishful seeding

    func testWishfulRationalesAreCutAtTheFirstTokenThatIsNotAWord() throws {
        XCTAssertEqual(WishfulRationale.prompt("This review is", answer: "objective"), "This review is objective because it is")
        XCTAssertEqual(WishfulRationale.prompt("X:", answer: " subjective", connective: " since"), "X: subjective since")
        for word in [" dull", "dull", " 1999", "s", " Été"] { XCTAssertTrue(WishfulRationale.isWordToken(word), word) }
        for other in ["", " ", ",", " .", " it's", "\n", " a-b", "  two"] { XCTAssertFalse(WishfulRationale.isWordToken(other), "\"\(other)\"") }
        let texts = [0: "", 1: " a", 2: " documentary", 3: ",", 4: " about", 5: "."]
        let text = { (t: Int) in texts[t] ?? "" }
        XCTAssertEqual(WishfulRationale.truncated([1, 2, 3, 4], tokenText: text), [1, 2])
        XCTAssertEqual(WishfulRationale.truncated([1, 2, 4], tokenText: text), [1, 2, 4])
        XCTAssertEqual(WishfulRationale.truncated([5, 1], tokenText: text), [])
        XCTAssertEqual(WishfulRationale.truncated([1, 0, 2], tokenText: text), [1])
    }

    /// Sampling returns only non-empty truncated rationales of at most max tokens, the same for a seed.
    func testWishfulSamplingKeepsNonEmptyWordPrefixes() throws {
        let model = try makeModel()
        let text = { (t: Int) -> String in ["", " a", " b", "c", ",", "."][t] }
        var rng = RandomGenerator(seed: 4)
        let kept = try WishfulRationale.sample(model: model, prompt: [1, 2], count: 30, maxNewTokens: 3, stopTokens: [0],
                                               tokenText: text, using: &rng)
        XCTAssertFalse(kept.isEmpty)
        XCTAssertLessThan(kept.count, 30, "with 3 of 6 tokens not words, some samples must come back empty")
        for z in kept {
            XCTAssertTrue((1...3).contains(z.count), "\(z)")
            XCTAssertTrue(z.allSatisfy { (1...3).contains($0) }, "\(z)")
        }
        var again = RandomGenerator(seed: 4)
        XCTAssertEqual(try WishfulRationale.sample(model: model, prompt: [1, 2], count: 30, maxNewTokens: 3, stopTokens: [0],
                                                   tokenText: text, using: &again), kept)
    }
}
