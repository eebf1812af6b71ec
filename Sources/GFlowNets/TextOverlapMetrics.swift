import Foundation

/// Sentence-level n-gram overlap between a generated text and references, as NLTK computes them
/// (the infilling evaluation's metrics): tokens are whitespace-separated words, compared exactly.
/// Tested against values NLTK printed (Tests/Fixtures/text_overlap.json, made by
/// scripts/fixtures/text_overlap.py).
public enum TextOverlapMetrics {
    static func words(_ text: String) -> [String] { text.split(whereSeparator: \.isWhitespace).map(String.init) }

    /// The n-grams of `words` with their counts.
    static func ngrams(_ words: [String], _ n: Int) -> [[String]: Int] {
        var counts: [[String]: Int] = [:]
        if words.count >= n { for i in 0...(words.count - n) { counts[Array(words[i..<(i + n)]), default: 0] += 1 } }
        return counts
    }

    /// BLEU-4 of one hypothesis (NLTK's `sentence_bleu` with equal weights and `SmoothingFunction().method1`).
    ///
    /// p_n is the clipped n-gram precision: each hypothesis n-gram counts at most as often as it
    /// appears in the one reference that has it most. Method 1 replaces a zero count by ε = 0.1
    /// (p_n = 0.1 / number of hypothesis n-grams, at least 1). BLEU = BP · exp(Σ ¼ log p_n), with
    /// the brevity penalty BP = exp(1 − r/c) when the hypothesis (c words) is shorter than the
    /// reference closest in length (r words; the shorter one on a tie), else 1. No matching word
    /// at all gives 0; so does an empty hypothesis.
    public static func bleu(hypothesis: String, references: [String], maxOrder: Int = 4, epsilon: Double = 0.1) throws -> Double {
        guard !references.isEmpty else { throw GFlowNetError("bleu", "needs at least one reference") }
        guard maxOrder >= 1 else { throw GFlowNetError("bleu", "the n-gram order must be ≥ 1, got \(maxOrder)") }
        let hyp = words(hypothesis), refs = references.map(words)
        var precisions: [(matches: Int, total: Int)] = []
        for n in 1...maxOrder {
            let counts = ngrams(hyp, n)
            var maxRef: [[String]: Int] = [:]
            for r in refs { for (gram, c) in ngrams(r, n) { maxRef[gram] = max(maxRef[gram] ?? 0, c) } }
            let matches = counts.reduce(0) { $0 + min($1.value, maxRef[$1.key] ?? 0) }
            precisions.append((matches, max(1, counts.values.reduce(0, +))))
        }
        guard precisions[0].matches > 0 else { return 0 }
        let c = hyp.count
        let r = refs.map(\.count).min { (abs($0 - c), $0) < (abs($1 - c), $1) } ?? 0
        let brevity = c > r ? 1 : (c == 0 ? 0 : Foundation.exp(1 - Double(r) / Double(c)))
        let weight = 1 / Double(maxOrder)
        let logSum = precisions.reduce(0.0) { sum, p in
            let value = p.matches == 0 ? epsilon / Double(p.total) : Double(p.matches) / Double(p.total)
            return sum + weight * Foundation.log(value)
        }
        return brevity * Foundation.exp(logSum)
    }

    /// Google-BLEU of one hypothesis (NLTK's `sentence_gleu`, n-grams of orders 1…4 pooled): for
    /// each reference, matches / max(hypothesis n-grams, reference n-grams), taking the reference
    /// with the best ratio. 0 when both texts are empty.
    public static func gleu(hypothesis: String, references: [String], minOrder: Int = 1, maxOrder: Int = 4) throws -> Double {
        guard !references.isEmpty else { throw GFlowNetError("gleu", "needs at least one reference") }
        guard minOrder >= 1, maxOrder >= minOrder else { throw GFlowNetError("gleu", "needs 1 ≤ min order ≤ max order, got \(minOrder)…\(maxOrder)") }
        func everygrams(_ w: [String]) -> [[String]: Int] {
            (minOrder...maxOrder).reduce(into: [:]) { all, n in all.merge(ngrams(w, n)) { $0 + $1 } }
        }
        let hyp = everygrams(words(hypothesis))
        let hypTotal = hyp.values.reduce(0, +)
        var best: (matches: Int, total: Int)?
        for reference in references {
            let ref = everygrams(words(reference))
            let total = max(hypTotal, ref.values.reduce(0, +))
            guard total > 0 else { continue }
            let matches = hyp.reduce(0) { $0 + min($1.value, ref[$1.key] ?? 0) }
            if let b = best, Double(matches) / Double(total) <= Double(b.matches) / Double(b.total) { continue }
            best = (matches, total)
        }
        guard let best else { return 0 }
        return Double(best.matches) / Double(best.total)
    }
}
