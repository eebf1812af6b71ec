import ArgumentParser
import Foundation
import ModelFormats
import Tokenizers

/// `gfn-bench tokenize`: loading and encoding speed of the model-file readers and tokenizers.
/// Text: data/openwebtext/prompts.txt (168 KB of English) and the unicode-heavy fixture corpus.
struct TokenizerBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenize",
        abstract: "Time GGUF opening and dequantisation, tokenizer loading, BPE/WordPiece encoding (cold and cached) and decoding."
    )

    @Option(help: "Repetitions per case (the best and the median are printed).")
    var repeats: Int = 5

    @Option(help: "Model directory (default: $GFN_MODELS or ./models).")
    var models: String?

    func run() throws {
        let root = FileManager.default.currentDirectoryPath
        let modelDir = models ?? ProcessInfo.processInfo.environment["GFN_MODELS"] ?? root + "/models"
        let ggufPath = modelDir + "/smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
        let english = try String(contentsOfFile: root + "/data/openwebtext/prompts.txt", encoding: .utf8)
        let lines = english.split(separator: "\n").map(String.init)
        var unicode: [String] = []
        if let data = try? Data(contentsOf: URL(fileURLWithPath: root + "/Tests/Fixtures/tokenizer_cases.json")),
           let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
           let cases = json["gpt2"] as? [[String: Any]] {
            unicode = cases.compactMap { $0["text"] as? String }
        }
        print("tokenizer benchmark: \(repeats) repetitions, best / median wall time; \(lines.count) English lines "
              + "(\(english.utf8.count) bytes), \(unicode.count) unicode-heavy texts")

        func time(_ label: String, unit: (Double) -> String = { _ in "" }, _ body: () throws -> Void) rethrows {
            var times: [Double] = []
            for _ in 0..<repeats {
                let t0 = DispatchTime.now().uptimeNanoseconds
                try body()
                times.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9)
            }
            times.sort()
            let best = times[0], median = times[times.count / 2]
            let padded = label.count < 64 ? label + String(repeating: " ", count: 64 - label.count) : label
            print("  " + padded + String(format: " best %9.3f ms  median %9.3f ms  ", best * 1e3, median * 1e3) + unit(best))
        }

        var file: GGUFFile?
        try time("GGUF open (header, metadata, tensor table)") { file = try GGUFFile(path: ggufPath) }
        guard let gguf = file else { return }
        var meta: GGUFTokenizerMetadata?
        try time("GGUF tokenizer metadata") { meta = try gguf.tokenizerMetadata() }
        guard let m = meta else { return }
        let elements = gguf.tensors.reduce(0) { $0 + $1.elementCount }
        try time("dequantise all \(gguf.tensors.count) tensors to Float32", unit: { String(format: "%.0f M elements/s", Double(elements) / $0 / 1e6) }) {
            for t in gguf.tensors { _ = try gguf.dequantize(t.name) }
        }

        var smol: BPETokenizer?
        try time("SmolLM2 BPE from GGUF metadata") {
            smol = try BPETokenizer(ggufModel: m.model, preTokenizerName: m.preTokenizer, tokens: m.tokens, merges: m.merges,
                                    tokenTypes: m.tokenTypes, bosTokenID: m.bosTokenID, eosTokenID: m.eosTokenID,
                                    unknownTokenID: m.unknownTokenID, paddingTokenID: m.paddingTokenID)
        }
        var gpt2: BPETokenizer?
        try time("GPT-2 BPE from encoder.json + vocab.bpe") {
            gpt2 = try BPETokenizer.load(vocabularyJSON: modelDir + "/gpt2-tokenizer/encoder.json",
                                         merges: modelDir + "/gpt2-tokenizer/vocab.bpe")
        }
        var bert: WordPieceTokenizer?
        try time("MiniLM WordPiece from vocab.txt") {
            bert = try WordPieceTokenizer.load(vocabularyFile: modelDir + "/all-MiniLM-L6-v2/vocab.txt")
        }
        guard let smol, let gpt2, let bert else { return }

        for (name, tokenizer) in [("SmolLM2", smol), ("GPT-2", gpt2)] {
            let bytes = Double(english.utf8.count)
            let count = tokenizer.encode(english).count
            // A fresh tokenizer per repetition has an empty cache: "cold" is merge-bound.
            var fresh: [BPETokenizer] = []
            for _ in 0..<repeats {
                fresh.append(try BPETokenizer(tokens: tokenizer.tokens, merges: name == "SmolLM2" ? m.merges
                                              : try Self.gpt2Merges(modelDir), specialTokenIDs: tokenizer.specialTokenIDs,
                                              preTokenizer: tokenizer.preTokenizer))
            }
            var k = 0
            time("\(name) encode English, cold cache (\(count) tokens)", unit: { String(format: "%.1f MB/s, %.2f M tokens/s", bytes / $0 / 1e6, Double(count) / $0 / 1e6) }) {
                _ = fresh[k].encode(english); k += 1
            }
            time("\(name) encode English line by line, cached", unit: { String(format: "%.1f MB/s, %.2f M tokens/s", bytes / $0 / 1e6, Double(count) / $0 / 1e6) }) {
                for line in lines { _ = tokenizer.encode(line) }
            }
            let uBytes = Double(unicode.reduce(0) { $0 + $1.utf8.count })
            time("\(name) encode unicode-heavy texts, cached", unit: { String(format: "%.1f MB/s", uBytes / $0 / 1e6) }) {
                for text in unicode { _ = tokenizer.encode(text) }
            }
            let ids = tokenizer.encode(english)
            try time("\(name) decode \(ids.count) tokens", unit: { String(format: "%.1f M tokens/s", Double(ids.count) / $0 / 1e6) }) {
                _ = try tokenizer.decode(ids)
            }
            try time("\(name) streaming decode, token by token", unit: { String(format: "%.1f M tokens/s", Double(ids.count) / $0 / 1e6) }) {
                var decoder = StreamingDecoder()
                for id in ids { _ = try decoder.append(token: id, of: tokenizer) }
                _ = decoder.finish()
            }
        }
        let long = String(repeating: "abcdefghij", count: 20_000)
        var k = 0
        var freshSmol: [BPETokenizer] = []
        for _ in 0..<repeats {
            freshSmol.append(try BPETokenizer(tokens: smol.tokens, merges: m.merges, specialTokenIDs: smol.specialTokenIDs,
                                              preTokenizer: smol.preTokenizer))
        }
        time("SmolLM2 encode one 200 KB piece (heap merge), cold", unit: { String(format: "%.1f MB/s", 200_000 / $0 / 1e6) }) {
            _ = freshSmol[k].encode(long); k += 1
        }
        let bCount = lines.reduce(0) { $0 + bert.encode($1).count }
        time("MiniLM WordPiece encode English line by line (\(bCount) ids)", unit: { String(format: "%.1f MB/s", Double(english.utf8.count) / $0 / 1e6) }) {
            for line in lines { _ = bert.encode(line) }
        }
    }

    static func gpt2Merges(_ modelDir: String) throws -> [String] {
        let text = try String(contentsOfFile: modelDir + "/gpt2-tokenizer/vocab.bpe", encoding: .utf8)
        return text.split(separator: "\n").dropFirst().map(String.init)
    }
}
