import ArgumentParser
import CBLAS
import Dispatch
import Foundation
import LanguageModels
import Tensors

/// `gfn-bench lm`: SmolLM2-135M forward, prefill, batched generation, teacher-forced scoring and a LoRA
/// training step, each with its floor and, when docs/lm-bench-pytorch.json exists (written by
/// scripts/fixtures/bench_pytorch.py on this machine, same cases and token ids), the ratio to PyTorch.
///
/// Floors: the case's matmul FLOPs ÷ the rate cblas_sgemm or gfn's matmul (the faster) reaches here on a weight-shaped
/// product with the same number of rows (so small-batch decoding is held to what sgemm itself can do with 16 rows);
/// for generation, each decoding step costs at least max(FLOPs ÷ that rate, weight bytes held (blocks or floats) ÷ the memory
/// read bandwidth measured here with all cores), or with `--activations q8` and up to 64 rows (integer kernels) the bytes alone.
struct LanguageModelBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lm",
        abstract: "SmolLM2: forward 1×64, prefill 8×64, generation (1×64, 16×24, 8 prompts×20, 1×64 samples), scoring 16×40, LoRA step 16×40."
    )

    @Option(help: "Least repetitions of each case (the best is reported); a short case repeats until it has run 5 s, up to 10 times.")
    var repeats: Int = 3

    @Option(help: "Run only these cases (comma-separated: forward, prefill, generate1, generate, generate8, generate64, score, train; agreement: with --activations q8, greedy decoding against f32 activations, run first).")
    var cases: String?

    @Option(help: "Write a seeded SmolLM2 adapter (r=1 on q_proj, v_proj; nonzero B) in PEFT's layout to this folder and exit.")
    var writePeftAdapter: String?

    @Option(help: "SmolLM2's weights kept in their GGUF blocks (quantized) or dequantised at load (f32).")
    var weights: String = WeightPrecision.quantized.rawValue

    @Flag(help: "The LoRA step recomputes each layer in the backward pass instead of keeping its activations.")
    var recompute = false

    @Option(help: "Activations of the generation cases' products with quantized weights: f32, or q8 (8-bit blocks, integer dot products; the agreement case prints its greedy-decoding agreement with f32). Scoring and training keep f32.")
    var activations: String = ActivationPrecision.float32.rawValue

    func run() throws {
        guard let precision = WeightPrecision(rawValue: weights) else {
            throw ValidationError("--weights must be one of \(WeightPrecision.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard let activationPrecision = ActivationPrecision(rawValue: activations) else {
            throw ValidationError("--activations must be one of \(ActivationPrecision.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let model = try PretrainedModel.load(weights: precision)
        let m = model.transformer
        let held = m.weightBytes
        print("weights: \(precision.rawValue); \(held.quantized) B in GGUF blocks (mapped) + \(held.float32) B float32; decoding activations \(activationPrecision.rawValue)")
        if activationPrecision != .float32 && (cases == nil || cases!.split(separator: ",").contains("agreement")) {
            try LanguageModelBench.printDecodingAgreement(m, activationPrecision)
        }
        m.decodingActivations = activationPrecision
        if let dir = writePeftAdapter {
            try LanguageModelBench.seededAdapter(m)
            try PEFTAdapterFile.save(m, to: dir, baseModelName: PretrainedModel.defaultModel)
            print("wrote \(dir)")
            return
        }
        let all = ["forward", "prefill", "generate1", "generate", "generate8", "generate64", "score", "train"]
        let selected = cases.map { Set($0.split(separator: ",").map(String.init)) } ?? Set(all)
        print("BLAS: \(BLAS.summary); kernel threads \(KernelThreads.count); load average \(BenchTiming.loadAverage())")
        var bandwidth = readBandwidth()
        let c = m.config
        // Matmul parameters touched per token: the layer projections plus the LM head.
        let layerParams = Double(c.layerCount) * Double(c.width) * Double((c.headCount + 2 * c.keyValueHeadCount) * c.headDimension
                                                                          + c.headCount * c.headDimension + 3 * c.feedForwardLength)
        let headParams = Double(c.vocabularySize * c.width)
        /// Attention score and value FLOPs of `rows` rows of `t` new tokens after `past` cached ones (causal).
        func attentionFLOPs(_ rows: Int, _ t: Int, past: Int = 0) -> Double {
            let pairs = Double(t) * Double(past) + Double(t * (t + 1)) / 2
            return 4 * Double(rows) * pairs * Double(c.headCount * c.headDimension) * Double(c.layerCount)
        }
        // Floors divide by the highest of several measurements: the sgemm rate of each row count is measured
        // when a case first needs it and again after every later case, the bandwidth before the first case
        // and after each one, because on this shared VM a single measurement can come out 30–40 % low (and a
        // floor that is too high would flatter gfn ÷ floor).
        var rates: [Int: (best: Double, all: [Double])] = [:]
        func rate(rows: Int) -> Double {
            if let r = rates[rows] { return r.best }
            let r = sgemmRate(rows: rows, n: c.feedForwardLength, k: c.width)
            rates[rows] = (r, [r])
            return r
        }
        func measureAgain() {
            for rows in rates.keys {
                let r = sgemmRate(rows: rows, n: c.feedForwardLength, k: c.width)
                rates[rows] = (max(rates[rows]?.best ?? 0, r), (rates[rows]?.all ?? []) + [r])
            }
            bandwidths.append(readBandwidth())
            bandwidth = bandwidths.max() ?? bandwidth
        }
        var bandwidths = [bandwidth]
        let reference = LanguageModelBench.pytorchFigures()
        var entries: [(name: String, seconds: Double, runs: Int, floor: () -> Double, pytorch: Double?, extra: String, load: String)] = []
        func report(_ name: String, _ seconds: Double, runs: Int, _ floor: @escaping () -> Double, _ pytorch: Double?, extra: String = "") {
            measureAgain()
            _ = floor()  // measures the rates it needs for the first time now, next to the case
            entries.append((name, seconds, runs, floor, pytorch, extra, String(BenchTiming.loadAverage().split(separator: " ").first ?? "?")))
            FileHandle.standardError.write(Data("timed \(name): \(String(format: "%.1f", seconds * 1e3)) ms\n".utf8))
        }

        let ids = (0..<64).map { ($0 * 7919 + 13) % c.vocabularySize }
        let batch = (0..<8).map { r in (0..<64).map { ($0 * 7919 + r * 104729 + 13) % c.vocabularySize } }
        if selected.contains("forward") {
            let (t, runs) = try best { _ = try withNoGrad { try m.logits([ids]) } }
            let floor = { (2 * 64 * (layerParams + headParams) + attentionFLOPs(1, 64)) / rate(rows: 64) }
            report("forward 1×64 logits", t, runs: runs, floor, reference["forward_s"])
        }
        if selected.contains("prefill") {
            let (t, runs) = try best { _ = try withNoGrad { try m.logits(batch) } }
            let floor = { (2 * 512 * (layerParams + headParams) + attentionFLOPs(8, 64)) / rate(rows: 512) }
            report("prefill 8×64 logits", t, runs: runs, floor, reference["prefill_s"])
        }
        /// Floor of prefilling `prompts` rows of 16 tokens, then `steps` decoding steps of `rows` rows.
        func generationFloor(prompts: Int, rows: Int, steps: Int) -> Double {
            // With 8-bit activations, products of up to 64 rows run integer kernels, not sgemm: their floor is the weights' bytes.
            let bytes = Double(held.quantized + held.float32) / bandwidth
            let integer = { (r: Int) in activationPrecision == .q8 && r <= 64 && held.quantized > 0 }
            let prefillFLOPs = 2 * Double(prompts * 16) * (layerParams + headParams)
            // The prompts keep float32 activations (sgemm-rate floor); the steps after them take q8.
            let prefill = (prefillFLOPs + attentionFLOPs(prompts, 16)) / rate(rows: prompts * 16)
            let stepFLOPs = 2 * Double(rows) * (layerParams + headParams)
            let perStep = max(bytes, integer(rows) ? 0 : stepFLOPs / rate(rows: rows))
            return prefill + Double(steps) * perStep + attentionFLOPs(rows, steps, past: 16) / rate(rows: rows)
        }
        func generation(_ name: String, key: String, prompts: [[Int]], samples: Int, newTokens: Int) throws {
            var g = RandomGenerator(seed: 1)
            let options = GenerationOptions(maxNewTokens: newTokens, samplesPerPrompt: samples, scoreFinalState: false)
            let (t, runs) = try best { _ = try m.generate(prompts: prompts, options: options, using: &g) }
            let rows = prompts.count * samples
            let floor = { generationFloor(prompts: prompts.count, rows: rows, steps: newTokens - 1) }
            report(name, t, runs: runs, floor, reference[key], extra: String(format: "%.0f tokens/s", Double(rows * newTokens) / t))
        }
        let prompt = Array(ids.prefix(16))
        if selected.contains("generate1") {
            try generation("generate 1×64 (batch-1 decoding)", key: "generate_1_s", prompts: [prompt], samples: 1, newTokens: 64)
        }
        if selected.contains("generate") {
            try generation("generate 16×24 (1 prompt of 16)", key: "generate_s", prompts: [prompt], samples: 16, newTokens: 24)
        }
        if selected.contains("generate8") {
            try generation("generate 8 prompts×20 (16 each)", key: "generate_8x20_s", prompts: batch.map { Array($0.prefix(16)) },
                           samples: 1, newTokens: 20)
        }
        var decodeSgemm: Double?
        if selected.contains("generate64") {
            try generation("generate 1 prompt×64 samples×20", key: "generate_1x64_s", prompts: [prompt], samples: 64, newTokens: 20)
            decodeSgemm = decodeStepSgemmSeconds(rows: 64, config: c)
        }
        let rows = (0..<16).map { r in (0..<40).map { ($0 * 31 + r * 977 + 5) % c.vocabularySize } }
        let prompts = rows.map { [$0[0]] }, continuations = rows.map { Array($0.dropFirst()) }
        if selected.contains("score") {
            let (t, runs) = try best { _ = try m.score(prompts: prompts, continuations: continuations, terminationToken: 2) }
            let floor = { (2 * 640 * (layerParams + headParams) + attentionFLOPs(16, 40)) / rate(rows: 640) }
            report("score 16×40 (teacher-forced)", t, runs: runs, floor, reference["score_s"])
        }
        if selected.contains("train") {
            // LoRA step: r = 8 on all seven projections, 16 rows × 40 tokens, forward + backward + AdamW.
            try m.addAdapters(LoRAConfiguration(rank: 8, alpha: 16, targetModules: c.projectionNames, seed: 1))
            m.recomputesActivations = recompute
            defer { m.removeAdapters(); m.recomputesActivations = false }
            let optimizer = try AdamW(parameters: m.trainableParameters, learningRate: 1e-4)
            var phases: [(forward: Double, backward: Double, optimizer: Double)] = []
            let (t, runs) = try best {
                let t0 = BenchTiming.now()
                let s = try m.scoreTensors(prompts: prompts, continuations: continuations, terminationToken: 2, training: true)
                let loss = try (s.tokenLogProbs.sum() + s.terminationLogProbs.sum()) * (-1 / 640)
                let t1 = BenchTiming.now()
                try loss.backward()
                let t2 = BenchTiming.now()
                try optimizer.step()
                optimizer.zeroGrad()
                phases.append((t1 - t0, t2 - t1, BenchTiming.now() - t2))
            }
            let fastest = phases.min { $0.forward + $0.backward + $0.optimizer < $1.forward + $1.backward + $1.optimizer }
            // Forward and the input-gradient of backward (base weights are frozen: no weight gradients).
            let floor = { (4 * 640 * (layerParams + headParams) + 3 * attentionFLOPs(16, 40)) / rate(rows: 640) }
            report("LoRA step 16×40 (r=8, 7 proj.)", t, runs: runs, floor, reference["train_step_s"],
                   extra: fastest.map { String(format: "forward %.0f + backward %.0f + AdamW %.0f ms", $0.forward * 1e3, $0.backward * 1e3,
                                               $0.optimizer * 1e3) } ?? "")
        }
        measureAgain()
        for rows in rates.keys.sorted() {
            let all = rates[rows]?.all ?? []
            print(String(format: "  x·Wᵀ %d×%d×%d, the faster of cblas_sgemm and matmul: highest of %d measurements %.1f GFLOP/s (lowest %.1f)", rows, c.feedForwardLength,
                         c.width, all.count, (all.max() ?? 0) / 1e9, (all.min() ?? 0) / 1e9))
        }
        print(String(format: "  memory read (all cores): highest of %d measurements %.1f GB/s (lowest %.1f)", bandwidths.count,
                     bandwidth / 1e9, (bandwidths.min() ?? 0) / 1e9))
        print("  floors use the highest rate and bandwidth measured in this run")
        if let decodeSgemm {
            let flops = 2 * 64 * (layerParams + headParams)
            print(String(format: "  one 64-row decoding step's products through sgemm on their own cold weights: %.1f ms (%.1f GFLOP/s;"
                         + " the floor assumes %.1f ms)", decodeSgemm * 1e3, flops / decodeSgemm / 1e9, flops / rate(rows: 64) * 1e3))
        }
        print("case".padding(toLength: 34, withPad: " ", startingAt: 0) + "    gfn (best of n)       floor            PyTorch")
        for e in entries {
            var line = e.name.padding(toLength: 34, withPad: " ", startingAt: 0)
            let floor = e.floor()
            line += String(format: "%9.1f ms %-4@ %8.1f ms (×%.2f)", e.seconds * 1e3, "(\(e.runs))" as NSString, floor * 1e3, e.seconds / floor)
            if let pytorch = e.pytorch { line += String(format: "   %8.1f ms (gfn %.2f× faster)", pytorch * 1e3, pytorch / e.seconds) }
            if !e.extra.isEmpty { line += "   " + e.extra }
            line += "   [load \(e.load)]"
            print(line)
        }
        if reference.isEmpty {
            print("(no docs/lm-bench-pytorch.json: run scripts/fixtures/bench_pytorch.py in the fixtures venv for the PyTorch ratios)")
        }
        print("load average after: \(BenchTiming.loadAverage())")
    }

    /// Best time of `repeats` runs after a warm-up, or of more (at most 10) while they total under 5 s: on
    /// this shared VM one run can be 30–40 % slow, so a short case gets more draws.
    func best(_ body: () throws -> Void) throws -> (seconds: Double, runs: Int) {
        try body()  // warm-up (page faults, pools)
        var t = Double.infinity, total = 0.0, runs = 0
        while runs < max(1, repeats) || (runs < 10 && total < 5) {
            let run = try BenchTiming.time(body)
            t = min(t, run)
            total += run
            runs += 1
        }
        return (t, runs)
    }

    /// Best-of-6 rate for x [rows, k] · W [n, k]ᵀ (a linear layer's product): the faster of cblas_sgemm (BLAS's default
    /// threads) and gfn's own `matmul` (which takes CKernels' blocked GEMM on AVX-512 CPUs from 65 rows), so that no
    /// floor is one that gfn's products already beat.
    func sgemmRate(rows: Int = 640, n: Int = 1536, k: Int = 576) -> Double {
        let a = [Float](repeating: 0.5, count: rows * k), b = [Float](repeating: 0.25, count: n * k)
        var out = [Float](repeating: 0, count: rows * n)
        var bestTime = Double.infinity
        for _ in 0..<6 {
            let t = BenchTiming.time {
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(rows), Int32(n), Int32(k), 1, a, Int32(k), b, Int32(k), 0,
                            &out, Int32(n))
            }
            bestTime = min(bestTime, t)
        }
        if let x = try? Tensor(shape: [rows, k], scalars: a), let w = try? Tensor(shape: [n, k], scalars: b) {
            for _ in 0..<6 {
                let t = BenchTiming.time { _ = try? Tensor.matmul(x, w, transposeB: true) }
                bestTime = min(bestTime, t)
            }
        }
        return 2 * Double(rows * n * k) / bestTime
    }

    /// Best of 3 of one decoding step's products of `rows` rows, x·Wᵀ through cblas_sgemm (BLAS's default
    /// threads), over weights shaped like the model's and as large (each read once per step, so from
    /// memory, as in generation): what sgemm itself does on the floor's FLOPs of a step.
    func decodeStepSgemmSeconds(rows: Int, config c: ModelConfig) -> Double {
        let (width, ff) = (c.width, c.feedForwardLength)
        let layerShapes = [((c.headCount + 2 * c.keyValueHeadCount) * c.headDimension, width), (width, c.headCount * c.headDimension),
                           (2 * ff, width), (width, ff)]
        let shapes = Array(repeating: layerShapes, count: c.layerCount).flatMap { $0 } + [(c.vocabularySize, width)]
        let weights = shapes.map { (n, k) -> UnsafeMutablePointer<Float> in
            let w = UnsafeMutablePointer<Float>.allocate(capacity: n * k)
            w.initialize(repeating: 0.01, count: n * k)
            return w
        }
        defer { weights.forEach { $0.deallocate() } }
        let widest = shapes.map { max($0.0, $0.1) }.max() ?? 1
        let x = [Float](repeating: 0.5, count: rows * widest)
        var y = [Float](repeating: 0, count: rows * widest)
        var bestTime = Double.infinity
        for _ in 0..<3 {
            let t = BenchTiming.time {
                for (w, (n, k)) in zip(weights, shapes) {
                    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(rows), Int32(n), Int32(k), 1, x, Int32(k), w, Int32(k), 0,
                                &y, Int32(n))
                }
            }
            bestTime = min(bestTime, t)
        }
        return bestTime
    }

    /// PyTorch's seconds per case, from docs/lm-bench-pytorch.json (measured by bench_pytorch.py).
    static func pytorchFigures() -> [String: Double] {
        let path = FileManager.default.currentDirectoryPath + "/docs/lm-bench-pytorch.json"
        guard let data = FileManager.default.contents(atPath: path),
              let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return [:] }
        var out: [String: Double] = [:]
        for (key, value) in json where key.hasSuffix("_s") { out[key] = (value as? NSNumber)?.doubleValue }
        return out
    }

    /// The adapter of the PEFT round-trip fixture: r = 1, alpha = 2 on q_proj and v_proj, B ~ N(0, 0.05²) seeded.
    static func seededAdapter(_ m: Transformer) throws {
        try m.addAdapters(LoRAConfiguration(rank: 1, alpha: 2, targetModules: ["q_proj", "v_proj"], seed: 2024))
        var g = RandomGenerator(seed: 2025)
        for a in m.adapters { try a.b.assign(Tensor.randomNormal(a.b.shape, standardDeviation: 0.05, using: &g)) }
    }
}

extension LanguageModelBench {
    /// Greedy decoding of 8 prompts of 16 tokens, 32 new tokens each, one prompt at a time (the batch-1 kernels), with
    /// float32 activations and with `activations`: how many tokens agree before the first difference, and the largest
    /// |Δ log p| of the chosen tokens over that common stretch.
    static func printDecodingAgreement(_ m: Transformer, _ activations: ActivationPrecision) throws {
        let c = m.config
        let prompts = (0..<8).map { r in (0..<16).map { ($0 * 7919 + r * 104729 + 13) % c.vocabularySize } }
        let options = GenerationOptions(maxNewTokens: 32, minNewTokens: 32)
        var runs: [[GeneratedSequence]] = []
        for precision in [ActivationPrecision.float32, activations] {
            m.decodingActivations = precision
            var g = RandomGenerator(seed: 1)
            runs.append(try prompts.map { try m.generate(prompts: [$0], sampler: .greedy, options: options, using: &g)[0] })
        }
        m.decodingActivations = .float32
        var agreeing = 0, total = 0, whole = 0
        var worst: Float = 0
        for (a, b) in zip(runs[0], runs[1]) {
            let common = zip(a.tokens, b.tokens).prefix { $0 == $1 }.count
            agreeing += common
            total += a.tokens.count
            if common == a.tokens.count && a.tokens.count == b.tokens.count { whole += 1 }
            for i in 0..<min(common, a.tokenLogProbs.count, b.tokenLogProbs.count) {
                worst = max(worst, abs(a.tokenLogProbs[i] - b.tokenLogProbs[i]))
            }
        }
        print("decoding activations \(activations.rawValue) vs f32, greedy, 8 prompts × 32 tokens: \(agreeing)/\(total) tokens agree before "
              + "the first difference (\(whole)/8 sequences identical); max |Δ log p| of chosen tokens there \(worst)")
    }
}
