// The evaluation metrics of the paper's tables: `embedder()` and embedding `diversity`, `distinct_n`,
// `edit_diversity`, and `kl_divergence` / `total_variation` / `distribution_stats` against a known target.
import Foundation
import GFlowNets
import LanguageModels
import Scripting

/// A sentence encoder seen from gfn as `Embedder`.
final class EmbedderObject: PropertyTableObject {
    let encoder: SentenceEncoder
    init(_ encoder: SentenceEncoder) { self.encoder = encoder }

    var typeName: String { "Embedder" }
    var description: String { "<Embedder \((encoder.path as NSString).lastPathComponent)>" }
    var summary: String { "Embedder: a sentence encoder made by embedder(name)" }
    static let properties: [NativeProperty<EmbedderObject>] = [
        NativeProperty("path", "the folder the encoder was loaded from") { .string($0.encoder.path) },
        NativeProperty("dim", "the size of an embedding (384 for all-MiniLM-L6-v2)") { .int($0.encoder.dimension) },
        NativeProperty("max_length", "the most tokens of a text the encoder reads; longer texts are cut") { .int($0.encoder.maxSequenceLength) },
    ]

    /// One text's embedding, or a given list of numbers, as the operand of `similarity`.
    func vector(_ args: Arguments, _ name: String) throws -> [Float] {
        let value = args[name]
        if let text = value.stringValue { return try host { try encoder.embed(text) } }
        if let list = value.listValue {
            return try list.items.enumerated().map { i, v in
                guard let d = v.doubleValue else { throw args.badArgument(name, "element \(i) is \(v.typeName); a number is needed") }
                return Float(d)
            }
        }
        throw args.badArgument(name, "a string or a list of numbers expected, got \(value.typeName)")
    }

    static func floats(_ v: [Float]) -> Value { .makeList(v.map { .float(Double($0)) }) }

    static let methods: [NativeFunction] = [
        NativeFunction("embed(texts)",
                       summary: "The unit-length embedding of a string (a list of floats), or of each string of a list (a list of lists).",
                       details: "Texts are embedded in batches of 32; a text longer than max_length tokens is cut.",
                       example: "e = embedder()\nv = e.embed([\"A cat.\", \"A dog.\"])\nprint(len(v), len(v[0]), len(e.embed(\"one\")))  # expect: 2 384 384") { args in
            let me = try args.receiver(EmbedderObject.self)
            if let text = args["texts"].stringValue {
                return floats(try host { try me.encoder.embed(text) })
            }
            let texts = try MetricBindings.texts(args, "texts")
            return .makeList(try host { try me.encoder.embed(texts) }.map(floats))
        },
        NativeFunction("similarity(a, b)",
                       summary: "The cosine similarity of a and b: two strings (embedded here) or two embeddings (lists of numbers).",
                       example: "e = embedder()\nclose = e.similarity(\"A cat sits on the mat.\", \"A feline rests on a rug.\")\nfar = e.similarity(\"A cat sits on the mat.\", \"Stock markets fell on Monday.\")\nprint(close > far, round(e.similarity(\"same\", \"same\"), 4))  # expect: true 1.0") { args in
            let me = try args.receiver(EmbedderObject.self)
            let a = try me.vector(args, "a"), b = try me.vector(args, "b")
            guard a.count == b.count else {
                throw args.badArgument("b", "it has \(b.count) numbers but a has \(a.count)")
            }
            return .float(try host { try SentenceEncoder.cosineSimilarity(a, b) })
        },
    ]
}

/// Sentence encoders loaded once per process and folder: one is 90 MB and takes a second to read,
/// and scripts call diversity() once per prompt.
final class EncoderCache: @unchecked Sendable {
    static let shared = EncoderCache()
    private let lock = NSLock()
    private var loaded: [String: SentenceEncoder] = [:]

    func encoder(_ name: String?) throws -> SentenceEncoder {
        let path = try SentenceEncoder.resolve(name)
        let key = (path as NSString).standardizingPath
        lock.lock()
        defer { lock.unlock() }
        if let e = loaded[key] { return e }
        let e = try SentenceEncoder.load(path)
        loaded[key] = e
        return e
    }
}

enum MetricBindings {
    /// A list of strings, else a script error naming the argument and the bad element.
    /// `references`: a string or a non-empty list of strings.
    static func referenceTexts(_ args: Arguments) throws -> [String] {
        if let one = args["references"].stringValue { return [one] }
        let items = try args.sequence("references")
        guard !items.isEmpty else { throw args.badArgument("references", "needs at least one reference") }
        return try items.enumerated().map { i, v in
            guard let s = v.stringValue else { throw args.badArgument("references", "element \(i) is \(v.typeName), a string is needed") }
            return s
        }
    }

    static func texts(_ args: Arguments, _ name: String) throws -> [String] {
        guard let list = args[name].listValue else {
            throw args.badArgument(name, "a list of strings expected, got \(args[name].typeName)")
        }
        return try list.items.enumerated().map { i, v in
            guard let s = v.stringValue else { throw args.badArgument(name, "element \(i) is \(v.typeName); a string is needed") }
            return s
        }
    }

    /// The `embedder` argument: nil (all-MiniLM-L6-v2), an Embedder, or a model name or folder.
    static func encoder(_ args: Arguments, _ name: String) throws -> SentenceEncoder {
        switch args[name] {
        case .null: return try host { try EncoderCache.shared.encoder(nil) }
        case .string(let s): return try host { try EncoderCache.shared.encoder(s) }
        case .native(let o as EmbedderObject): return o.encoder
        default: throw args.badArgument(name, "an Embedder, a model name or nil expected, got \(args[name].typeName)")
        }
    }

    static func optionalFloat(_ d: Double?) -> Value { d.map { .float($0) } ?? .null }

    /// `samples` (a list whose nil elements are invalid samples, or a dict value → count) plus
    /// `invalid` more invalid samples.
    static func samples(_ args: Arguments) throws -> (counts: [DictKey: Int], invalid: Int) {
        var counts: [DictKey: Int] = [:]
        var invalid = try args.int("invalid")
        guard invalid >= 0 else { throw args.badArgument("invalid", "must be ≥ 0, got \(invalid)") }
        switch args["samples"] {
        case .list(let list):
            for (i, v) in list.items.enumerated() {
                if v.isNil { invalid += 1; continue }
                guard let key = DictKey(v) else {
                    throw args.badArgument("samples", "element \(i) is \(v.typeName); samples are numbers, strings, bools or nil (invalid)")
                }
                counts[key, default: 0] += 1
            }
        case .dict(let dict):
            for (key, v) in dict.pairs {
                guard let n = v.intValue, n >= 0 else {
                    throw args.badArgument("samples", "the count of \(key.value.repr) is \(v.repr); counts must be ints ≥ 0")
                }
                counts[key, default: 0] += n
            }
        default:
            throw args.badArgument("samples", "a list of samples or a dict of counts expected, got \(args["samples"].typeName)")
        }
        return (counts, invalid)
    }

    /// `target`: a dict value → weight (normalised), or a list or range of values (uniform).
    static func target(_ args: Arguments) throws -> [DictKey: Double] {
        var weights: [DictKey: Double] = [:]
        switch args["target"] {
        case .dict(let dict):
            for (key, v) in dict.pairs {
                guard let w = v.doubleValue, w >= 0, w.isFinite else {
                    throw args.badArgument("target", "the weight of \(key.value.repr) is \(v.repr); weights must be finite numbers ≥ 0")
                }
                weights[key, default: 0] += w
            }
        case .list, .range:
            for (i, v) in try args.sequence("target").enumerated() {
                guard let key = DictKey(v) else {
                    throw args.badArgument("target", "element \(i) is \(v.typeName); target values are numbers, strings or bools")
                }
                weights[key] = 1
            }
        default:
            throw args.badArgument("target", "a dict of weights or a list of equally likely values expected, got \(args["target"].typeName)")
        }
        guard weights.values.contains(where: { $0 > 0 }) else { throw args.badArgument("target", "it has no mass (empty, or all weights 0)") }
        return weights
    }

    static func comparison(_ args: Arguments) throws -> DistributionComparison {
        let (counts, invalid) = try samples(args)
        let target = try target(args)
        let validOnly = try args.bool("valid_only")
        guard counts.values.reduce(0, +) + (validOnly ? 0 : invalid) > 0 else {
            throw args.badArgument("samples", validOnly ? "there are no valid samples" : "there are no samples")
        }
        return try host { try DistributionComparison(counts: counts, invalid: invalid, target: target, validOnly: validOnly) }
    }

    static let distributionDetails = """
        samples: a list of observed values where nil marks an invalid sample (one that failed to parse), or a dict value → count; \
        invalid=k adds k more invalid samples. target: a dict value → weight (normalised), or a list or range of equally likely values. \
        Invalid samples form a bin of target mass 0 (the paper's convention), so any makes the KL infinite; valid_only=true \
        compares the valid samples alone. Natural logarithms (nats).
        """

    static let functions: [NativeFunction] = [
        NativeFunction("embedder(name=nil)",
                       summary: "Loads a sentence encoder: all-MiniLM-L6-v2 from models/ by default, or a sentence-transformers folder (BERT, mean pooling).",
                       details: "Encoders are loaded once per process and folder. Embeddings are unit vectors, as sentence-transformers' with normalize_embeddings=True.",
                       example: "e = embedder()\nprint(e.dim, e.max_length)  # expect: 384 256",
                       category: "metrics") { args in
            let name = try args.optionalString("name")
            return .native(EmbedderObject(try host { try EncoderCache.shared.encoder(name) }))
        },
        NativeFunction("diversity(texts, embedder=nil)",
                       summary: "1 − the mean cosine similarity of the texts' sentence embeddings over all pairs (the paper's diversity); nil for fewer than 2 texts.",
                       details: "Pairs are i < j, as the reference code averages them (no self-pairs). embedder: nil (all-MiniLM-L6-v2), an Embedder, or a model name. The paper embeds one prompt's samples with \".\" removed and averages over prompts.",
                       example: "print(round(diversity([\"It rains.\", \"It rains.\"]), 4))  # expect: 0.0\nprint(diversity([\"It rains in Paris.\", \"Quantum computers use qubits.\"]) > 0.5, diversity([\"alone\"]))  # expect: true nil",
                       category: "metrics") { args in
            let texts = try texts(args, "texts")
            guard texts.count >= 2 else { return .null }
            let encoder = try encoder(args, "embedder")
            return optionalFloat(try host { try DiversityMetrics.embeddingDiversity(texts, encoder: encoder) })
        },
        NativeFunction("distinct_n(texts, n=2)",
                       summary: "Distinct n-grams / all n-grams over the texts' whitespace-separated words (n-grams never span two texts); nil if none.",
                       details: "Words compare exactly: case and attached punctuation count. 1.0 means no n-gram repeats; k copies of one text give 1/k.",
                       example: "print(distinct_n([\"the cat sat\", \"the cat ran\"], n=2))  # expect: 0.75\nprint(round(distinct_n([\"the cat sat\", \"the cat ran\"], n=1), 3))  # expect: 0.667",
                       category: "metrics") { args in
            let texts = try texts(args, "texts")
            let n = try args.int("n")
            guard n >= 1 else { throw args.badArgument("n", "must be ≥ 1, got \(n)") }
            return optionalFloat(try host { try DiversityMetrics.distinctN(texts, n: n) })
        },
        NativeFunction("edit_diversity(texts, unit=\"words\", normalized=true)",
                       summary: "The mean edit (Levenshtein) distance over all pairs of texts, each divided by the longer text's length; nil for fewer than 2 texts.",
                       details: "unit: \"words\" (whitespace-separated) or \"characters\" (user-perceived characters). normalized=false gives the mean number of edits. Cost grows with (texts × length)²: meant for one prompt's samples.",
                       example: "print(round(edit_diversity([\"the cat sat\", \"the cat ran\"]), 4))  # expect: 0.3333\nprint(edit_diversity([\"kitten\", \"sitting\"], unit=\"characters\", normalized=false))  # expect: 3.0",
                       category: "metrics") { args in
            let texts = try texts(args, "texts")
            let unitName = try args.string("unit")
            guard let unit = DiversityMetrics.EditUnit(rawValue: unitName) else {
                throw args.badArgument("unit", "\"words\" or \"characters\" expected, got \"\(unitName)\"")
            }
            return optionalFloat(DiversityMetrics.editDiversity(texts, unit: unit, normalized: try args.bool("normalized")))
        },
        NativeFunction("bleu(hypothesis, references)",
                       summary: "Sentence-level BLEU-4 of a text against one reference or a list of them, as NLTK's sentence_bleu with smoothing method 1 (0 to 1).",
                       details: "Tokens are whitespace-separated words, compared exactly. Clipped n-gram precisions for n = 1…4, a zero count " +
                           "smoothed to 0.1 / (hypothesis n-grams), geometric mean, times the brevity penalty against the reference closest in " +
                           "length. No word in common gives 0. The infilling evaluation averages it over (story, sample) pairs.",
                       example: "print(bleu(\"the cat sat on the mat\", \"the cat sat on the mat\"))  # expect: 1.0\n" +
                           "print(round(bleu(\"the cat sat on the mat\", [\"the cat is on the mat\"]), 4))  # expect: 0.2541",
                       category: "metrics") { args in
            let hypothesis = try args.string("hypothesis")
            let references = try referenceTexts(args)
            return .float(try host { try TextOverlapMetrics.bleu(hypothesis: hypothesis, references: references) })
        },
        NativeFunction("gleu(hypothesis, references)",
                       summary: "Sentence-level Google-BLEU of a text against one reference or a list of them, as NLTK's sentence_gleu (0 to 1).",
                       details: "All n-grams of orders 1…4 (whitespace words) pooled: matches / max(hypothesis n-grams, reference n-grams), " +
                           "with the reference that scores best. 0 when both texts are empty.",
                       example: "print(gleu(\"the cat sat on the mat\", \"the cat is on the mat\"))  # expect: 0.5",
                       category: "metrics") { args in
            let hypothesis = try args.string("hypothesis")
            let references = try referenceTexts(args)
            return .float(try host { try TextOverlapMetrics.gleu(hypothesis: hypothesis, references: references) })
        },
        NativeFunction("kl_divergence(samples, target, invalid=0, valid_only=false)",
                       summary: "KL(empirical ‖ target) in nats; inf as soon as a sample has target probability 0 (an invalid one included).",
                       details: distributionDetails,
                       example: "print(round(kl_divergence([7, 7, 7, 7], range(100)), 4))  # expect: 4.6052\nprint(kl_divergence([0, 1, nil], [0, 1]), kl_divergence([0, 1, nil], [0, 1], valid_only=true))  # expect: inf 0.0",
                       category: "metrics") { args in
            .float(try comparison(args).klDivergence)
        },
        NativeFunction("total_variation(samples, target, invalid=0, valid_only=false)",
                       summary: "The total variation distance ½ Σ |p̂ − q| between the empirical distribution and the target, in [0, 1].",
                       details: distributionDetails,
                       example: "print(total_variation([0, 0, 0, 1], [0, 1]))  # expect: 0.25\nprint(total_variation({\"a\": 2, \"b\": 1}, {\"a\": 1, \"b\": 1}, invalid=1))  # expect: 0.25",
                       category: "metrics") { args in
            .float(try comparison(args).totalVariation)
        },
        NativeFunction("distribution_stats(samples, target, invalid=0, valid_only=false)",
                       summary: "A dict with n, invalid, outside (valid samples the target gives probability 0), distinct (valid values seen), kl, tv and js (Jensen–Shannon divergence, nats).",
                       details: distributionDetails + " The reference notebooks print js^(1/4).",
                       example: "s = distribution_stats([3, 3, 5, nil, 100], range(100))\nprint(s[\"n\"], s[\"invalid\"], s[\"outside\"], s[\"distinct\"], s[\"kl\"])  # expect: 5 1 1 3 inf",
                       category: "metrics") { args in
            let c = try comparison(args)
            return .makeDict([("n", .int(c.sampleCount)), ("invalid", .int(c.invalidCount)), ("outside", .int(c.outsideTargetCount)),
                              ("distinct", .int(c.distinctCount)), ("kl", .float(c.klDivergence)), ("tv", .float(c.totalVariation)),
                              ("js", .float(c.jensenShannon))])
        },
    ]

    static func install(into interpreter: Interpreter) {
        for f in functions { interpreter.register(f) }
    }
}
