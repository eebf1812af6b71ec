import ArgumentParser
import Foundation
import LanguageModels
import ModelFormats
import Tensors

/// `gfn-bench gguf MODEL.gguf`: any GGUF model, tokenizer or not (e.g. the 1.7B-shaped random model that
/// scripts/fixtures/make_random_gguf.py writes), loaded as a user's script would load it: the load time,
/// the bytes it holds (GGUF blocks over the mapping, float32 copies) and the process's resident size,
/// then batch-1 decoding (tokens per second against the floor of reading every held weight once per
/// token at the read bandwidth measured here) and one LoRA step (score rows × tokens, backward, AdamW),
/// each followed by the peak resident size so far.
struct GGUFModelBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gguf",
        abstract: "A GGUF model of any size: load, resident memory, batch-1 decoding against its floor, one LoRA step."
    )

    @Argument(help: "The GGUF file (e.g. /tmp/smollm2-1.7b-random.gguf from scripts/fixtures/make_random_gguf.py).")
    var path: String

    @Option(help: "Projections kept in their GGUF blocks (quantized) or dequantised at load (f32).")
    var weights: String = WeightPrecision.quantized.rawValue

    @Option(help: "Tokens decoded after an 8-token prompt, one row.")
    var tokens: Int = 16

    @Option(help: "Rows × tokens of the LoRA step (0 rows: no step).")
    var trainRows: Int = 4

    @Option(help: "Tokens per row of the LoRA step.")
    var trainTokens: Int = 32

    @Option(help: "LoRA rank on every projection of the LoRA step.")
    var rank: Int = 8

    @Flag(help: "Recompute each layer's activations in the backward pass (Transformer.recomputesActivations).")
    var recompute = false

    @Option(help: "Activations of the decoding's products with quantized weights: f32, or q8 (8-bit blocks, integer dot products; Transformer.decodingActivations).")
    var activations: String = ActivationPrecision.float32.rawValue

    func validate() throws {
        guard WeightPrecision(rawValue: weights) != nil else {
            throw ValidationError("--weights must be one of \(WeightPrecision.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard ActivationPrecision(rawValue: activations) != nil else {
            throw ValidationError("--activations must be one of \(ActivationPrecision.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard tokens >= 1 else { throw ValidationError("--tokens must be at least 1, got \(tokens)") }
        guard trainRows >= 0, trainTokens >= 1, rank >= 1 else {
            throw ValidationError("--train-rows must be ≥ 0, --train-tokens and --rank ≥ 1")
        }
    }

    func run() throws {
        let precision = WeightPrecision(rawValue: weights) ?? .quantized
        print("BLAS: \(BLAS.summary); kernel threads \(KernelThreads.count); load average \(BenchTiming.loadAverage())")
        print("resident before loading: \(ProcessMemory.megabytes(ProcessMemory.residentBytes()))")
        var model: Transformer?
        let loadSeconds = try BenchTiming.time {
            model = try Transformer.load(gguf: GGUFFile(path: path), weights: precision)
        }
        guard let m = model else { return }
        let c = m.config, held = m.weightBytes
        print("\(path): \(c.family.rawValue), \(c.layerCount) layers, width \(c.width), MLP \(c.feedForwardLength), "
              + "vocabulary \(c.vocabularySize); weights \(precision.rawValue)")
        print(String(format: "load: %.2f s; holds %@ in GGUF blocks (mapped) + %@ float32; resident %@", loadSeconds,
                     ProcessMemory.megabytes(held.quantized), ProcessMemory.megabytes(held.float32),
                     ProcessMemory.megabytes(ProcessMemory.residentBytes())))

        m.decodingActivations = ActivationPrecision(rawValue: activations) ?? .float32
        print("decoding activations: \(m.decodingActivations.rawValue)")
        let vocabulary = c.vocabularySize
        let prompt = (0..<8).map { ($0 * 7919 + 13) % vocabulary }
        var generator = RandomGenerator(seed: 1)
        var decoded = 0
        let decodeSeconds = try BenchTiming.time {
            let rows = try m.generate(prompts: [prompt], sampler: Sampler([Temperature(1.0)]),
                                      options: GenerationOptions(maxNewTokens: tokens, minNewTokens: tokens), using: &generator)
            decoded = rows.first?.tokens.count ?? 0
        }
        print(String(format: "decode 1×%d after 8 prompt tokens: %.2f s, %.2f tokens/s; peak resident %@", decoded, decodeSeconds,
                     Double(decoded) / decodeSeconds, ProcessMemory.megabytes(ProcessMemory.peakResidentBytes())))
        // The bandwidth probe's 512 MB buffer would count in the peak, so it runs after the last peak is read.
        defer {
            let bandwidth = readBandwidth()
            // Every decoding step reads each held weight once (the 8-token prefill counts as one more step).
            let floor = Double(decoded) * Double(held.quantized + held.float32) / bandwidth
            print(String(format: "decoding floor: %.2f s (%@ per token at %.1f GB/s read, measured after the steps); measured %.1f× the floor",
                         floor, ProcessMemory.megabytes(held.quantized + held.float32), bandwidth / 1e9, decodeSeconds / floor))
        }

        guard trainRows > 0 else { return }
        m.recomputesActivations = recompute
        try m.addAdapters(LoRAConfiguration(rank: rank, alpha: Float(2 * rank), dropout: 0, targetModules: c.projectionNames, seed: 3))
        let optimizer = try AdamW(parameters: m.trainableParameters, learningRate: 1e-4)
        let prompts = (0..<trainRows).map { r in (0..<4).map { (r * 104_729 + $0 * 31) % vocabulary } }
        let continuations = (0..<trainRows).map { r in (0..<trainTokens).map { (r * 15_485_863 + $0 * 17) % vocabulary } }
        let stepSeconds = try BenchTiming.time {
            let s = try m.scoreTensors(prompts: prompts, continuations: continuations, terminationToken: 0, training: true)
            try (s.tokenLogProbs.sum() + s.terminationLogProbs.sum()).backward()
            try optimizer.step()
        }
        print(String(format: "LoRA step (r = %d on %d projections × %d layers, %d × %d tokens%@): %.2f s; peak resident %@", rank,
                     c.projectionNames.count, c.layerCount, trainRows, trainTokens + 4, recompute ? ", activations recomputed" : "", stepSeconds,
                     ProcessMemory.megabytes(ProcessMemory.peakResidentBytes())))
    }
}
