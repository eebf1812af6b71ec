import LanguageModels
import Tensors

/// "Wishful" rationales, the seeds of the subjectivity E-step's replay buffers (docs/method.md
/// §4.4): the model is told the answer ("… This review is objective because it is"), a few
/// tokens are sampled after that, and each sample is cut at its first token that is not a word
/// or a number. What is left ("dull", "a documentary") is put into the buffer as a latent of the
/// *original* prompt, where the reward then scores it.
public enum WishfulRationale {
    /// The prompt that asks for a reason of a known answer: `prompt` + " " + `answer` + `connective`
    /// (the reference: " because it is"). A leading space of `answer` is not doubled.
    public static func prompt(_ prompt: String, answer: String, connective: String = " because it is") -> String {
        let spaced = answer.hasPrefix(" ") ? answer : " " + answer
        return prompt + spaced + connective
    }

    /// Whether a token's text counts as a word: after stripping one leading space (the BPE
    /// tokenizers' word marker), it is non-empty and every character is a letter or a digit.
    public static func isWordToken(_ text: String) -> Bool {
        let body = text.hasPrefix(" ") ? text.dropFirst() : Substring(text)
        return !body.isEmpty && body.allSatisfy { $0.isLetter || $0.isNumber }
    }

    /// The leading tokens of `tokens` before the first one that is not a word token (all of them
    /// if every one is). `tokenText` decodes a single token.
    public static func truncated(_ tokens: [Int], tokenText: (Int) throws -> String) rethrows -> [Int] {
        var kept: [Int] = []
        for t in tokens {
            guard isWordToken(try tokenText(t)) else { break }
            kept.append(t)
        }
        return kept
    }

    /// `count` rationales sampled after `prompt` (up to `maxNewTokens` tokens each, at
    /// `temperature`, ending early at a stop token) and truncated; empty ones are left out, so
    /// fewer than `count` may come back.
    public static func sample(model: Transformer, prompt: [Int], count: Int, maxNewTokens: Int = 5, temperature: Float = 1,
                              stopTokens: [Int] = [], tokenText: (Int) throws -> String,
                              using rng: inout RandomGenerator) throws -> [[Int]] {
        guard count >= 1 else { throw GFlowNetError("wishful rationales", "count must be ≥ 1, got \(count)") }
        guard maxNewTokens >= 1 else { throw GFlowNetError("wishful rationales", "max new tokens must be ≥ 1, got \(maxNewTokens)") }
        guard temperature > 0, temperature.isFinite else {
            throw GFlowNetError("wishful rationales", "the temperature must be positive, got \(temperature)")
        }
        let options = GenerationOptions(maxNewTokens: maxNewTokens, stopTokens: stopTokens, samplesPerPrompt: count,
                                        scoreFinalState: false)
        let rows = try withNoGrad {
            try model.generate(prompts: [prompt], sampler: Sampler.standard(temperature: temperature), options: options, using: &rng)
        }
        return try rows.map { row in
            try truncated(row.stopped ? Array(row.tokens.dropLast()) : row.tokens, tokenText: tokenText)
        }.filter { !$0.isEmpty }
    }
}
