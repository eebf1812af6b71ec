import ArgumentParser
import Foundation
import GFlowNets
import LanguageModels
import Tensors

/// `gfn-bench embed`: all-MiniLM-L6-v2 embedding 100 sentences (the first 100 OpenWebText prompts of
/// data/, 1–3 sentences each, as the diversity metric sees a prompt's samples), against the matmul
/// floor measured here and, when docs/embed-bench-pytorch.json exists (written by
/// scripts/fixtures/bench_embedding_pytorch.py on this machine), sentence-transformers' time.
struct EmbeddingBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "embed",
        abstract: "all-MiniLM-L6-v2: embed 100 OpenWebText prompts (batches of 32), diversity of 20 samples, distinct-n and edit diversity."
    )

    @Option(help: "Repetitions of each case (the best is reported).")
    var repeats: Int = 3

    @Option(help: "How many texts to embed.")
    var count: Int = 100

    func run() throws {
        print("BLAS: \(BLAS.summary); load average \(BenchTiming.loadAverage())")
        let texts = try EmbeddingBench.sentences(count)
        var encoder: SentenceEncoder?
        let load = try BenchTiming.time { encoder = try SentenceEncoder.load() }
        guard let encoder else { return }
        print(String(format: "load all-MiniLM-L6-v2: %.0f ms", load * 1e3))

        let rows = texts.map(encoder.tokenize)
        let tokens = rows.reduce(0) { $0 + $1.count }
        let rate = LanguageModelBench().sgemmRate()
        let floor = EmbeddingBench.matmulFLOPs(encoder, rows, batchSize: 32) / rate
        print(String(format: "%d texts, %d tokens (%.1f per text, longest %d); sgemm %.1f GFLOP/s measured",
                     texts.count, tokens, Double(tokens) / Double(texts.count), rows.map(\.count).max() ?? 0, rate / 1e9))
        let embed = try best { _ = try encoder.embed(texts) }
        var line = String(format: "embed %d texts (batch 32)      %8.1f ms   floor %6.1f ms (×%.2f)   %.0f texts/s, %.0f tokens/s",
                          texts.count, embed * 1e3, floor * 1e3, embed / floor, Double(texts.count) / embed, Double(tokens) / embed)
        if let pytorch = EmbeddingBench.pytorchSeconds(), count == 100 {
            line += String(format: "   sentence-transformers %.1f ms (%.2f× faster)", pytorch * 1e3, pytorch / embed)
        }
        print(line)

        // The per-prompt metrics of the sentence-continuation table: n = 20 samples.
        let twenty = Array(texts.prefix(20))
        let diversity = try best { _ = try DiversityMetrics.embeddingDiversity(twenty, encoder: encoder) }
        let distinct = try best { _ = try DiversityMetrics.distinctN(twenty, n: 2) }
        let edit = try best { _ = DiversityMetrics.editDiversity(twenty) }
        print(String(format: "diversity of 20 texts            %8.1f ms   (embedding + 190 cosines)", diversity * 1e3))
        print(String(format: "distinct-2 of 20 texts           %8.3f ms", distinct * 1e3))
        print(String(format: "edit diversity (words) of 20     %8.3f ms   (190 Levenshtein pairs)", edit * 1e3))
        if EmbeddingBench.pytorchSeconds() == nil {
            print("(no docs/embed-bench-pytorch.json: run scripts/fixtures/bench_embedding_pytorch.py in the fixtures venv for the ratio)")
        }
    }

    func best(_ body: () throws -> Void) throws -> Double {
        try body()  // warm-up
        var t = Double.infinity
        for _ in 0..<max(1, repeats) { t = min(t, try BenchTiming.time(body)) }
        return t
    }

    /// The first `count` lines of data/openwebtext/prompts.txt.
    static func sentences(_ count: Int) throws -> [String] {
        let path = FileManager.default.currentDirectoryPath + "/data/openwebtext/prompts.txt"
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw ValidationError("cannot read \(path): run from the repository root")
        }
        let lines = text.split(separator: "\n").map { String($0) }
        guard lines.count >= count, count >= 1 else { throw ValidationError("\(path) has \(lines.count) lines, \(count) asked for") }
        return Array(lines.prefix(count))
    }

    /// Matmul FLOPs of embedding `rows` in length-sorted batches, as SentenceEncoder forms them:
    /// projections 2·(4C² + 2CF) per padded token and layer, attention 4·T²·C per row and layer.
    static func matmulFLOPs(_ encoder: SentenceEncoder, _ rows: [[Int]], batchSize: Int) -> Double {
        let c = encoder.encoder.config
        let (w, f, layers) = (Double(c.width), Double(c.feedForwardLength), Double(c.layerCount))
        let lengths = rows.map(\.count).sorted(by: >)
        var flops = 0.0
        var start = 0
        while start < lengths.count {
            let batch = lengths[start..<min(start + batchSize, lengths.count)]
            let t = Double(batch.first ?? 0), b = Double(batch.count)
            flops += layers * (b * t * 2 * (4 * w * w + 2 * w * f) + b * 4 * t * t * w)
            start += batchSize
        }
        return flops
    }

    /// sentence-transformers' seconds for the same 100 texts, from docs/embed-bench-pytorch.json.
    static func pytorchSeconds() -> Double? {
        let path = FileManager.default.currentDirectoryPath + "/docs/embed-bench-pytorch.json"
        guard let data = FileManager.default.contents(atPath: path),
              let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return nil }
        return (json["embed_100_s"] as? NSNumber)?.doubleValue
    }
}
