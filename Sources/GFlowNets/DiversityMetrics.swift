import EditDistance
import Foundation
import LanguageModels

/// How diverse a set of generated texts is: the paper's embedding diversity, plus two cheap
/// tokenizer-free measures. Each takes the samples of one prompt; average over prompts yourself
/// (the paper's table averages the per-prompt diversity over the validation prompts).
///
/// Every measure needs at least two texts (one text has no pairs, and distinct-n needs one n-gram):
/// fewer gives nil, not a number, so a table can print "–" for a single beam.
public enum DiversityMetrics {
    /// 1 − the mean cosine similarity over the n(n−1)/2 unordered pairs i < j of `embeddings`.
    ///
    /// This is the reference code's `SequenceDiversity` (gfn-lm-tuning next_sentence/utils.py): the
    /// strict upper triangle of the cosine matrix, so self-similarities (always 1) are not averaged
    /// in. 0 for identical texts; about 1 for unrelated ones (cosines can be slightly negative).
    /// nil for fewer than two embeddings; an error if their sizes differ.
    public static func embeddingDiversity(_ embeddings: [[Float]]) throws -> Double? {
        guard embeddings.count >= 2 else { return nil }
        var sum = 0.0
        for i in 0..<embeddings.count {
            for j in (i + 1)..<embeddings.count {
                sum += try SentenceEncoder.cosineSimilarity(embeddings[i], embeddings[j])
            }
        }
        let pairs = Double(embeddings.count * (embeddings.count - 1) / 2)
        return 1 - sum / pairs
    }

    /// The embedding diversity of `texts` under `encoder` (all-MiniLM-L6-v2 by default in the
    /// bindings; the paper used all-mpnet-base-v2 and removed "." characters first).
    public static func embeddingDiversity(_ texts: [String], encoder: SentenceEncoder) throws -> Double? {
        guard texts.count >= 2 else { return nil }
        return try embeddingDiversity(try encoder.embed(texts))
    }

    /// distinct-n (Li et al., 2016): the number of distinct n-grams divided by the number of n-grams,
    /// pooled over all texts. Tokens are the whitespace-separated words, compared exactly (case and
    /// attached punctuation count: "Cat" ≠ "cat" ≠ "cat."). N-grams never span two texts.
    /// 1 when no n-gram repeats; 1/k when k texts are the same. nil when the texts hold no n-gram or
    /// there are fewer than two texts.
    public static func distinctN(_ texts: [String], n: Int) throws -> Double? {
        guard n >= 1 else { throw GFlowNetError("distinctN", "n must be ≥ 1, got \(n)") }
        guard texts.count >= 2 else { return nil }
        var seen = Set<ArraySlice<Substring>>()
        var total = 0
        for text in texts {
            let words = words(text)
            guard words.count >= n else { continue }
            for start in 0...(words.count - n) {
                seen.insert(words[start..<(start + n)])
                total += 1
            }
        }
        return total == 0 ? nil : Double(seen.count) / Double(total)
    }

    /// What `editDiversity` compares: words (whitespace-separated, as distinct-n) or characters
    /// (Swift `Character`s, i.e. user-perceived characters: "é" and "👍🏽" count once).
    public enum EditUnit: String, Sendable, CaseIterable {
        case words, characters
    }

    /// The mean over unordered pairs i < j of the Levenshtein distance between texts i and j,
    /// divided by the longer text's length (so each pair lies in [0, 1]: 0 identical, 1 nothing in
    /// common position-wise); two empty texts are at distance 0. With `normalized: false`, the raw
    /// mean number of edits. nil for fewer than two texts.
    /// Cost O(n² · L²) for n texts of L units: meant for the tens of samples of one prompt.
    public static func editDiversity(_ texts: [String], unit: EditUnit = .words, normalized: Bool = true) -> Double? {
        guard texts.count >= 2 else { return nil }
        // Units become small integers so the shared token-level distance applies.
        var codes: [String: Int] = [:]
        let sequences: [[Int]] = texts.map { text in
            let units: [String] = unit == .words ? words(text).map(String.init) : text.map(String.init)
            return units.map { u in
                if let c = codes[u] { return c }
                codes[u] = codes.count
                return codes.count - 1
            }
        }
        var sum = 0.0
        for i in 0..<sequences.count {
            for j in (i + 1)..<sequences.count {
                let d = Double(editDistance(sequences[i], sequences[j]))
                let longest = max(sequences[i].count, sequences[j].count)
                sum += normalized ? (longest == 0 ? 0 : d / Double(longest)) : d
            }
        }
        return sum / Double(sequences.count * (sequences.count - 1) / 2)
    }

    /// Whitespace-separated words (spaces, tabs, newlines and other Unicode whitespace).
    static func words(_ text: String) -> [Substring] {
        text.split(whereSeparator: { $0.isWhitespace })
    }
}
