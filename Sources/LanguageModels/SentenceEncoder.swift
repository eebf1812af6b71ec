import Foundation
import Tokenizers

/// A sentence-transformers model (all-MiniLM-L6-v2 by default): WordPiece tokens → BERT encoder →
/// mean of the token states over the real (non-padding) tokens, [CLS] and [SEP] included →
/// L2-normalised, so the cosine similarity of two embeddings is their dot product.
///
///     let encoder = try SentenceEncoder.load()                    // models/all-MiniLM-L6-v2
///     let e = try encoder.embed(["A cat.", "A feline."])          // 2 × 384 unit vectors
///     SentenceEncoder.cosineSimilarity(e[0], e[1])
///
/// Texts are cut to `maxSequenceLength` tokens (256 for MiniLM, from sentence_bert_config.json), as
/// sentence-transformers does. Batches are formed from texts of similar length so little is padded.
public final class SentenceEncoder: @unchecked Sendable {
    public let encoder: BertEncoder
    public let tokenizer: WordPieceTokenizer
    /// The most tokens per text, [CLS] and [SEP] included.
    public let maxSequenceLength: Int
    /// The folder the model was loaded from.
    public let path: String

    public init(encoder: BertEncoder, tokenizer: WordPieceTokenizer, maxSequenceLength: Int, path: String) {
        self.encoder = encoder
        self.tokenizer = tokenizer
        self.maxSequenceLength = maxSequenceLength
        self.path = path
    }

    /// The model scripts get when they name none, relative to the models directory.
    public static let defaultModel = "all-MiniLM-L6-v2"

    /// The embedding size (384 for MiniLM-L6).
    public var dimension: Int { encoder.width }

    /// Loads `name`: nil for all-MiniLM-L6-v2 in the models directory, or a folder (absolute, relative
    /// to the current directory, else to the models directory) holding config.json, model.safetensors
    /// and tokenizer.json or vocab.txt.
    public static func load(_ name: String? = nil) throws -> SentenceEncoder {
        let path = try resolve(name)
        let fm = FileManager.default
        func file(_ n: String) -> String? {
            let p = (path as NSString).appendingPathComponent(n)
            return fm.fileExists(atPath: p) ? p : nil
        }
        let tokenizer: WordPieceTokenizer
        if let json = file("tokenizer.json") {
            tokenizer = try WordPieceTokenizer.load(tokenizerJSON: json)
        } else if let vocab = file("vocab.txt") {
            tokenizer = try WordPieceTokenizer.load(vocabularyFile: vocab)
        } else {
            throw LanguageModelError(path, "no tokenizer.json or vocab.txt in the folder")
        }
        if let pooling = file("1_Pooling/config.json") { try checkMeanPooling(pooling) }
        let encoder = try BertEncoder.load(directory: path)
        if tokenizer.tokens.count > encoder.config.vocabularySize {
            throw LanguageModelError(path, "the tokenizer has \(tokenizer.tokens.count) tokens but the encoder only \(encoder.config.vocabularySize)")
        }
        var maxLength = encoder.maxPositions
        if let settings = file("sentence_bert_config.json"),
           let root = try? JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: settings))) as? [String: Any],
           let n = (root["max_seq_length"] as? NSNumber)?.intValue {
            guard n >= 2 else { throw LanguageModelError(settings, "max_seq_length is \(n); at least 2 ([CLS] and [SEP]) is needed") }
            maxLength = min(n, maxLength)
        }
        return SentenceEncoder(encoder: encoder, tokenizer: tokenizer, maxSequenceLength: maxLength, path: path)
    }

    /// The folder `name` refers to; a missing folder is an error with the setup hint.
    public static func resolve(_ name: String?) throws -> String {
        let fm = FileManager.default
        let models = PretrainedModel.modelsDirectory()
        let candidates = name.map { [$0, (models as NSString).appendingPathComponent($0)] }
            ?? [(models as NSString).appendingPathComponent(defaultModel)]
        for c in candidates {
            var isDirectory: ObjCBool = false
            if fm.fileExists(atPath: c, isDirectory: &isDirectory), isDirectory.boolValue { return c }
        }
        throw LanguageModelError("embedder", "no sentence encoder '\(name ?? defaultModel)': \(candidates.joined(separator: " and ")) \(candidates.count == 1 ? "is" : "are") not folders",
                                 hint: "run scripts/setup to fetch all-MiniLM-L6-v2, or set GFN_MODELS to the folder that holds the models")
    }

    /// Only mean pooling is implemented; a model configured otherwise is refused rather than mis-embedded.
    static func checkMeanPooling(_ file: String) throws {
        guard let root = try? JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: file))) as? [String: Any] else {
            throw LanguageModelError(file, "not a JSON object")
        }
        let modes = ["pooling_mode_cls_token", "pooling_mode_max_tokens", "pooling_mode_mean_sqrt_len_tokens",
                     "pooling_mode_weightedmean_tokens", "pooling_mode_lasttoken"]
        if let other = modes.first(where: { (root[$0] as? NSNumber)?.boolValue == true }) {
            throw LanguageModelError(file, "\(other) is set; only mean pooling (pooling_mode_mean_tokens) is supported")
        }
        if let mean = root["pooling_mode_mean_tokens"] as? NSNumber, !mean.boolValue {
            throw LanguageModelError(file, "pooling_mode_mean_tokens is false; only mean pooling is supported")
        }
    }

    /// The token ids of one text as the encoder sees them: [CLS] … [SEP], at most `maxSequenceLength`.
    public func tokenize(_ text: String) -> [Int] {
        tokenizer.encode(text, maxLength: maxSequenceLength)
    }

    /// Unit-length embeddings of `texts`, in order (an empty list gives an empty list).
    /// `batchSize` texts go through the encoder at once.
    public func embed(_ texts: [String], batchSize: Int = 32) throws -> [[Float]] {
        guard batchSize >= 1 else { throw LanguageModelError("embed", "batchSize must be ≥ 1, got \(batchSize)") }
        let rows = texts.map(tokenize)
        // Longest first, as sentence-transformers does; stable so that equal lengths keep their order.
        let order = rows.indices.sorted { rows[$0].count != rows[$1].count ? rows[$0].count > rows[$1].count : $0 < $1 }
        var out = [[Float]](repeating: [], count: texts.count)
        var start = 0
        while start < order.count {
            let batch = Array(order[start..<min(start + batchSize, order.count)])
            let pooled = try meanPooled(batch.map { rows[$0] })
            for (i, index) in batch.enumerated() { out[index] = pooled[i] }
            start += batchSize
        }
        return out
    }

    /// The embedding of one text.
    public func embed(_ text: String) throws -> [Float] {
        try embed([text])[0]
    }

    /// Mean of each row's states over its own tokens, then scaled to unit length
    /// (x / max(‖x‖, 1e-12), as torch.nn.functional.normalize).
    func meanPooled(_ rows: [[Int]]) throws -> [[Float]] {
        let states = try encoder.hiddenStates(rows)                                                   // [B, T, C]
        let (t, c) = (states.shape[1], states.shape[2])
        return states.withUnsafeBufferPointer { h in
            rows.enumerated().map { b, row in
                var sum = [Double](repeating: 0, count: c)
                for i in 0..<row.count {
                    let base = (b * t + i) * c
                    for j in 0..<c { sum[j] += Double(h[base + j]) }
                }
                let mean = sum.map { $0 / Double(row.count) }
                let norm = max(mean.reduce(0) { $0 + $1 * $1 }.squareRoot(), 1e-12)
                return mean.map { Float($0 / norm) }
            }
        }
    }

    /// The cosine similarity of two vectors of one size (0 when either is zero); for this encoder's
    /// unit embeddings it is their dot product.
    public static func cosineSimilarity(_ a: [Float], _ b: [Float]) throws -> Double {
        guard a.count == b.count else {
            throw LanguageModelError("cosineSimilarity", "the vectors have different sizes, \(a.count) and \(b.count)")
        }
        var dot = 0.0, na = 0.0, nb = 0.0
        for i in a.indices {
            let (x, y) = (Double(a[i]), Double(b[i]))
            dot += x * y
            na += x * x
            nb += y * y
        }
        let denominator = (na * nb).squareRoot()
        return denominator > 0 ? dot / denominator : 0
    }
}
