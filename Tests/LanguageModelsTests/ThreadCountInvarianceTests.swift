import XCTest
import LanguageModels
import ModelFormats
import Tensors

/// A training step gives the same bits whatever the number of kernel threads. Under mpirun each rank
/// gets a share of the cores (fewer kernel threads than one process alone), and the promise is
/// that N ranks reproduce one process: a sum whose order followed the thread count would make the
/// sampled trajectories drift apart after a few steps.
final class ThreadCountInvarianceTests: XCTestCase {
    /// What one LoRA step of a small model produces: scores, every adapter gradient, the adapters after
    /// one AdamW update, and rows sampled afterwards. Sizes put every kernel above the threshold where
    /// work is split across threads (16 rows × 40 tokens, width 384, MLP 1024, vocabulary 4096); ranks up
    /// to 8 take the one-pass gradient kernel, larger ones sgemm.
    private func step(_ family: ArchitectureFamily, rank: Int, threads: Int) throws -> [String: [Float]] {
        let saved = (KernelThreads.count, BLAS.threadCount)
        KernelThreads.set(threads)
        BLAS.setThreadCount(threads)
        defer { KernelThreads.set(saved.0); BLAS.setThreadCount(saved.1) }
        let config = ModelConfig.tiny(family: family, layers: 2, heads: 6, keyValueHeads: family == .llama ? 2 : nil, width: 384, feedForward: 1024,
                                      vocabulary: 4096, context: 128)
        let m = try Transformer.random(config, seed: 21)
        try m.addAdapters(LoRAConfiguration(rank: rank, alpha: 16, dropout: 0, targetModules: config.projectionNames, seed: 4))
        var g = RandomGenerator(seed: 8)
        for a in m.adapters { try a.b.assign(Tensor.randomNormal(a.b.shape, standardDeviation: 0.05, using: &g)) }
        let prompts = (0..<16).map { r in (0..<(4 + r % 5)).map { (r * 131 + $0 * 17) % 4000 + 1 } }
        let conts = (0..<16).map { r in (0..<(30 + r % 7)).map { (r * 71 + $0 * 29) % 4000 + 1 } }

        var out: [String: [Float]] = [:]
        let s = try m.scoreTensors(prompts: prompts, continuations: conts, terminationToken: 0, training: true)
        out["token log-probs"] = s.tokenLogProbs.scalars
        out["termination log-probs"] = s.terminationLogProbs.scalars
        let loss = try (s.tokenLogProbs.sum() + s.terminationLogProbs.sum()).pow(2)
        try loss.backward()
        let parameters = m.trainableParameters
        for (i, p) in parameters.enumerated() { out["gradient \(i) \(p.shape)"] = p.grad?.scalars ?? [] }
        let optimizer = try AdamW(parameters: parameters, learningRate: 1e-3, weightDecay: 0.01)
        try optimizer.step()
        for (i, p) in parameters.enumerated() { out["parameter \(i) after AdamW"] = p.scalars }

        var draw = RandomGenerator(seed: 3)
        let rows = try m.generate(prompts: Array(prompts.prefix(4)), sampler: Sampler([Temperature(1.3)]),
                                  options: GenerationOptions(maxNewTokens: 12, stopTokens: [0], samplesPerPrompt: 4), using: &draw)
        out["sampled tokens"] = rows.flatMap { $0.tokens.map(Float.init) }
        out["sampled log-probs"] = rows.flatMap { $0.tokenLogProbs + $0.terminationLogProbs }
        return out
    }

    /// SmolLM2 itself, in its GGUF blocks and dequantised: a smaller step (4 rows × 24 tokens; its
    /// matrices are already past every threshold), scored, differentiated, updated and sampled from.
    func testSmolLM2LoRAStepIsTheSameOnOneAndTwoThreads() throws {
        for precision in WeightPrecision.allCases {
            let m = try PretrainedModel.load(TestPaths.smollm2, weights: precision).transformer
            let step = { (threads: Int) throws -> [String: [Float]] in
                // Both kinds of threads, as mpirun's ranks get them (one each on 2 cores with 2 ranks).
                let saved = (KernelThreads.count, BLAS.threadCount)
                KernelThreads.set(threads)
                BLAS.setThreadCount(threads)
                defer { KernelThreads.set(saved.0); BLAS.setThreadCount(saved.1); m.removeAdapters() }
                try m.addAdapters(LoRAConfiguration(rank: 8, alpha: 16, dropout: 0, targetModules: ["q_proj", "v_proj", "down_proj"], seed: 4))
                var g = RandomGenerator(seed: 8)
                for a in m.adapters { try a.b.assign(Tensor.randomNormal(a.b.shape, standardDeviation: 0.02, using: &g)) }
                let prompts = (0..<4).map { r in (0..<(3 + r)).map { (r * 131 + $0 * 17) % 40_000 + 100 } }
                let conts = (0..<4).map { r in (0..<(18 + r)).map { (r * 71 + $0 * 29) % 40_000 + 100 } }
                var out: [String: [Float]] = [:]
                let s = try m.scoreTensors(prompts: prompts, continuations: conts, terminationToken: 2, training: true)
                out["token log-probs"] = s.tokenLogProbs.scalars
                try (s.tokenLogProbs.sum() + s.terminationLogProbs.sum()).backward()
                for (i, p) in m.trainableParameters.enumerated() { out["gradient \(i) \(p.shape)"] = p.grad?.scalars ?? [] }
                var draw = RandomGenerator(seed: 3)
                let rows = try m.generate(prompts: Array(prompts.prefix(2)), sampler: Sampler([Temperature(1.3)]),
                                          options: GenerationOptions(maxNewTokens: 6, samplesPerPrompt: 4), using: &draw)
                out["sampled tokens"] = rows.flatMap { $0.tokens.map(Float.init) }
                out["sampled log-probs"] = rows.flatMap { $0.tokenLogProbs }
                if precision == .quantized {
                    // The opt-in 8-bit-activation decoding too: batch 1 and 4 rows (integer kernels), 12 rows (panels).
                    m.decodingActivations = .q8
                    defer { m.decodingActivations = .float32 }
                    for (name, prompts, samples) in [("1", Array(prompts.prefix(1)), 1), ("4", Array(prompts.prefix(2)), 2),
                                                     ("12", Array(prompts.prefix(3)), 4)] {
                        var draw = RandomGenerator(seed: 5)
                        let rows = try m.generate(prompts: prompts, sampler: Sampler([Temperature(1.3)]),
                                                  options: GenerationOptions(maxNewTokens: 6, samplesPerPrompt: samples), using: &draw)
                        out["q8 \(name) sampled tokens"] = rows.flatMap { $0.tokens.map(Float.init) }
                        out["q8 \(name) sampled log-probs"] = rows.flatMap { $0.tokenLogProbs }
                    }
                }
                return out
            }
            try assertSameBits(step(1), step(2), "SmolLM2 \(precision.rawValue), 1 and 2 threads")
        }
    }

    /// Long rows: one head's attention products (320 × 320 × 64) pass OpenBLAS's single-thread limit, so they
    /// take the threaded sgemm path inside attention's own split over heads.
    func testLongSequencesAreTheSameOnOneAndTwoThreads() throws {
        let config = ModelConfig.tiny(family: .llama, layers: 1, heads: 4, keyValueHeads: 2, width: 256, feedForward: 512,
                                      vocabulary: 512, context: 512)
        let m = try Transformer.random(config, seed: 2)
        try m.addAdapters(LoRAConfiguration(rank: 4, alpha: 8, dropout: 0, targetModules: ["q_proj", "v_proj"], seed: 1))
        var g = RandomGenerator(seed: 8)
        for a in m.adapters { try a.b.assign(Tensor.randomNormal(a.b.shape, standardDeviation: 0.05, using: &g)) }
        let prompts = [[1, 2], [3]], conts = (0..<2).map { r in (0..<320).map { (r * 37 + $0 * 11) % 500 + 1 } }
        let step = { (threads: Int) throws -> [String: [Float]] in
            let saved = (KernelThreads.count, BLAS.threadCount)
            KernelThreads.set(threads)
            BLAS.setThreadCount(threads)
            defer { KernelThreads.set(saved.0); BLAS.setThreadCount(saved.1); for p in m.trainableParameters { p.grad = nil } }
            let s = try m.scoreTensors(prompts: prompts, continuations: conts, terminationToken: 0, training: true)
            try (s.tokenLogProbs.sum() + s.terminationLogProbs.sum()).backward()
            var out = ["token log-probs": s.tokenLogProbs.scalars]
            for (i, p) in m.trainableParameters.enumerated() { out["gradient \(i)"] = p.grad?.scalars ?? [] }
            return out
        }
        try assertSameBits(step(1), step(2), "320-token rows, 1 and 2 threads")
    }

    func testALoRAStepIsTheSameOnOneTwoAndThreeThreads() throws {
        for (family, rank) in [(ArchitectureFamily.llama, 8), (.llama, 16), (.gpt2, 8)] {
            try assertSameBits(family, rank: rank)
        }
    }

    private func assertSameBits(_ family: ArchitectureFamily, rank: Int) throws {
        let one = try step(family, rank: rank, threads: 1)
        XCTAssertGreaterThan(one.count, 16)
        for threads in [2, 3] {
            try assertSameBits(one, step(family, rank: rank, threads: threads), "\(family), r = \(rank), 1 and \(threads) threads")
        }
    }

    private func assertSameBits(_ one: [String: [Float]], _ other: [String: [Float]], _ label: String) {
        XCTAssertEqual(Set(one.keys), Set(other.keys), label)
        for key in one.keys.sorted() {
            let a = one[key] ?? [], b = other[key] ?? []
            XCTAssertEqual(a.count, b.count, "\(label): \(key)")
            let differing = zip(a, b).filter { $0.bitPattern != $1.bitPattern }.count
            XCTAssertEqual(differing, 0, "\(label): \(key): \(differing) of \(a.count) values differ (max |Δ| \(maxAbsDifference(a, b)))")
        }
    }
}
