import ArgumentParser
import CBLAS
import Foundation
import LanguageModels
import Tensors

/// `gfn-bench lm`: SmolLM2-135M forward, batched generation and a LoRA training step, each with its
/// floor (matmul FLOPs ÷ the sgemm rate measured here; for generation, weight bytes read per step ÷
/// the memory read bandwidth measured here) and, when docs/lm-bench-pytorch.json exists (written by
/// scripts/fixtures/bench_pytorch.py on this machine), the ratio to PyTorch.
struct LanguageModelBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lm",
        abstract: "SmolLM2: forward 1×64, generation 16×24 after a 16-token prompt, LoRA step 16×40 (r=8, 7 projections)."
    )

    @Option(help: "Repetitions of each case (the best is reported).")
    var repeats: Int = 3

    @Option(help: "Write a seeded SmolLM2 adapter (r=1 on q_proj, v_proj; nonzero B) in PEFT's layout to this folder and exit.")
    var writePeftAdapter: String?

    func run() throws {
        let model = try PretrainedModel.load()
        let m = model.transformer
        if let dir = writePeftAdapter {
            try LanguageModelBench.seededAdapter(m)
            try PEFTAdapterFile.save(m, to: dir, baseModelName: PretrainedModel.defaultModel)
            print("wrote \(dir)")
            return
        }
        print("BLAS: \(BLAS.summary); load average \(BenchTiming.loadAverage())")
        let rate = sgemmRate()
        let bandwidth = readBandwidth()
        print(String(format: "measured: sgemm %.1f GFLOP/s (640×1536×576), memory read %.1f GB/s", rate / 1e9, bandwidth / 1e9))
        let c = m.config
        // Matmul parameters touched per token: the layer projections plus the LM head.
        let layerParams = Double(c.layerCount) * Double(c.width) * Double((c.headCount + 2 * c.keyValueHeadCount) * c.headDimension
                                                                          + c.headCount * c.headDimension + 3 * c.feedForwardLength)
        let headParams = Double(c.vocabularySize * c.width)
        func attentionFLOPs(_ rows: Int, _ t: Int) -> Double {
            4 * Double(rows) * Double(t * t) * Double(c.headCount * c.headDimension) * Double(c.layerCount) / 2
        }
        let reference = LanguageModelBench.pytorchFigures()

        // 1. Forward 1×64.
        let ids = (0..<64).map { ($0 * 7919 + 13) % c.vocabularySize }
        let forward = try best { _ = try withNoGrad { try m.logits([ids]) } }
        let forwardFloor = (2 * 64 * (layerParams + headParams) + attentionFLOPs(1, 64)) / rate
        report("forward 1×64 logits", seconds: forward, floor: forwardFloor, pytorch: reference["forward_s"], unit: "s")

        // 2. Generation: one 16-token prompt, 16 samples × 24 new tokens (no stop token).
        let prompt = Array(ids.prefix(16))
        var g = RandomGenerator(seed: 1)
        let options = GenerationOptions(maxNewTokens: 24, samplesPerPrompt: 16, scoreFinalState: false)
        let generation = try best { _ = try m.generate(prompts: [prompt], options: options, using: &g) }
        let weightBytes = 4 * (layerParams + headParams)
        let perStep = max(weightBytes / bandwidth, 2 * 16 * (layerParams + headParams) / rate)
        let generationFloor = (2 * 16 * (layerParams + headParams) + attentionFLOPs(1, 16)) / rate + 23 * perStep
        let tokens = 16.0 * 24
        report("generate 16×24 (prompt 16)", seconds: generation, floor: generationFloor, pytorch: reference["generate_s"],
               unit: "s", extra: String(format: "%.0f tokens/s (floor %.0f)", tokens / generation, tokens / generationFloor))

        // 3. LoRA step: r = 8 on all seven projections, 16 rows × 40 tokens, forward + backward + AdamW.
        try m.addAdapters(LoRAConfiguration(rank: 8, alpha: 16, targetModules: c.projectionNames, seed: 1))
        defer { m.removeAdapters() }
        let optimizer = try AdamW(parameters: m.trainableParameters, learningRate: 1e-4)
        let rows = (0..<16).map { r in (0..<40).map { ($0 * 31 + r * 977 + 5) % c.vocabularySize } }
        let step = try best {
            let s = try m.scoreTensors(prompts: rows.map { [$0[0]] }, continuations: rows.map { Array($0.dropFirst()) },
                                       terminationToken: 2, training: true)
            let loss = try (s.tokenLogProbs.sum() + s.terminationLogProbs.sum()) * (-1 / 640)
            try loss.backward()
            try optimizer.step()
            optimizer.zeroGrad()
        }
        // Forward and the input-gradient of backward (base weights are frozen: no weight gradients).
        let stepFloor = (4 * 640 * layerParams + 4 * 640 * headParams + 3 * attentionFLOPs(16, 40)) / rate
        report("LoRA step 16×40 (r=8, 7 proj.)", seconds: step, floor: stepFloor, pytorch: reference["train_step_s"], unit: "s")
        if reference.isEmpty {
            print("(no docs/lm-bench-pytorch.json: run scripts/fixtures/bench_pytorch.py in the fixtures venv for the PyTorch ratios)")
        }
    }

    func best(_ body: () throws -> Void) throws -> Double {
        try body()  // warm-up (page faults, pools)
        var t = Double.infinity
        for _ in 0..<max(1, repeats) { t = min(t, try BenchTiming.time(body)) }
        return t
    }

    func report(_ name: String, seconds: Double, floor: Double, pytorch: Double?, unit: String, extra: String = "") {
        var line = name.padding(toLength: 32, withPad: " ", startingAt: 0)
        line += String(format: "%8.1f ms   floor %7.1f ms (×%.2f)", seconds * 1e3, floor * 1e3, seconds / floor)
        if let pytorch { line += String(format: "   PyTorch %7.1f ms (%.2f× faster)", pytorch * 1e3, pytorch / seconds) }
        if !extra.isEmpty { line += "   " + extra }
        print(line)
    }

    /// Best-of-5 cblas_sgemm rate on a shape typical of these workloads.
    func sgemmRate() -> Double {
        let (mm, n, k) = (640, 1536, 576)
        let a = [Float](repeating: 0.5, count: mm * k), b = [Float](repeating: 0.25, count: n * k)
        var out = [Float](repeating: 0, count: mm * n)
        var bestTime = Double.infinity
        for _ in 0..<6 {
            let t = BenchTiming.time {
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(mm), Int32(n), Int32(k), 1, a, Int32(k), b, Int32(k), 0,
                            &out, Int32(n))
            }
            bestTime = min(bestTime, t)
        }
        return 2 * Double(mm * n * k) / bestTime
    }

    /// Best-of-5 read bandwidth: a SIMD sum over 512 MB (larger than any cache).
    func readBandwidth() -> Double {
        let count = 128 << 20
        let buffer = UnsafeMutablePointer<SIMD16<Float>>.allocate(capacity: count / 16)
        defer { buffer.deallocate() }
        buffer.initialize(repeating: SIMD16(repeating: 1), count: count / 16)
        var bestTime = Double.infinity
        var sink: Float = 0
        for _ in 0..<5 {
            var acc = SIMD16<Float>(repeating: 0)
            let t = BenchTiming.time {
                for i in 0..<(count / 16) { acc += buffer[i] }
            }
            sink += acc.sum()
            bestTime = min(bestTime, t)
        }
        if sink == 0 { print("") }
        return Double(count * 4) / bestTime
    }

    /// PyTorch's seconds per case, from docs/lm-bench-pytorch.json (measured by bench_pytorch.py).
    static func pytorchFigures() -> [String: Double] {
        let path = FileManager.default.currentDirectoryPath + "/docs/lm-bench-pytorch.json"
        guard let data = FileManager.default.contents(atPath: path),
              let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return [:] }
        var out: [String: Double] = [:]
        for key in ["forward_s", "generate_s", "train_step_s"] { out[key] = (json[key] as? NSNumber)?.doubleValue }
        return out
    }

    /// The adapter of the PEFT round-trip fixture: r = 1, alpha = 2 on q_proj and v_proj, B ~ N(0, 0.05²) seeded.
    static func seededAdapter(_ m: Transformer) throws {
        try m.addAdapters(LoRAConfiguration(rank: 1, alpha: 2, targetModules: ["q_proj", "v_proj"], seed: 2024))
        var g = RandomGenerator(seed: 2025)
        for a in m.adapters { try a.b.assign(Tensor.randomNormal(a.b.shape, standardDeviation: 0.05, using: &g)) }
    }
}
