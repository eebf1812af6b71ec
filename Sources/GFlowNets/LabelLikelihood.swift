import LanguageModels
import Tensors

/// A language model as a classifier over a few candidate label texts (docs/method.md §4.4): the
/// score of class c after a prompt X is the log-likelihood of its label text, log p(Y_c | X),
/// summed over Y_c's tokens, so labels of several tokens (", so it is objective") are as good as
/// one-token labels. The prediction is the class of largest score; training uses the C-way
/// softmax over the scores (the reference's two-way softmax over " objective" and " subjective":
/// when the label texts share a prefix, its log-probability cancels in the softmax).
///
/// Shapes: B prompts, C labels, R = B·C scored rows (row b·C + c is prompt b followed by label c).
public struct LabelLikelihood {
    public let model: Transformer
    /// The label texts Y_c as tokens, in class order.
    public let labels: [[Int]]
    /// The most prompts scored in one pass (no-graph scoring only).
    public var promptsPerChunk = 32

    public init(model: Transformer, labels: [[Int]]) throws {
        guard labels.count >= 2 else { throw GFlowNetError("label likelihood", "needs at least two labels, got \(labels.count)") }
        for (c, y) in labels.enumerated() where y.isEmpty {
            throw GFlowNetError("label likelihood", "label \(c) encodes to no tokens")
        }
        self.model = model
        self.labels = labels
    }

    /// [B, C]: log p(Y_c | prompts[b]), with a graph when adapters are on and grad mode is on
    /// (`training` turns LoRA dropout on).
    public func logLikelihoods(prompts: [[Int]], training: Bool = false) throws -> Tensor {
        guard !prompts.isEmpty else { throw GFlowNetError("label likelihood", "no prompts given") }
        for (b, p) in prompts.enumerated() where p.isEmpty {
            throw GFlowNetError("label likelihood", "prompt \(b) is empty")
        }
        let c = labels.count
        let rowPrompts = prompts.flatMap { p in Array(repeating: p, count: c) }
        let rowLabels = prompts.flatMap { _ in labels }
        // The termination probabilities that scoreTensors also returns are not used here; any token serves.
        let scored = try model.scoreTensors(prompts: rowPrompts, continuations: rowLabels, terminationToken: labels[0][0],
                                            training: training)
        return try scored.tokenLogProbs.sum(axis: 1).reshaped([prompts.count, c])              // [R] → [B, C]
    }

    /// log p(Y_c | prompt) for every prompt, without a graph, at most `promptsPerChunk` prompts per
    /// pass: the prompts' shared prefix runs once and each prompt once, not once per label
    /// (`Transformer.scoreCandidates`).
    public func scores(prompts: [[Int]]) throws -> [[Double]] {
        try model.scoreCandidates(prompts: prompts, candidates: labels, maxPromptsPerChunk: max(1, promptsPerChunk))
    }

    /// The mean C-way cross-entropy −log softmax(scores)[truth] over the prompts (a scalar with a
    /// graph), and how many prompts the current scores classify correctly.
    public func crossEntropy(prompts: [[Int]], truths: [Int], training: Bool = false) throws -> (loss: Tensor, correct: Int) {
        guard truths.count == prompts.count else {
            throw GFlowNetError("label likelihood", "\(truths.count) labels for \(prompts.count) prompts")
        }
        if let bad = truths.first(where: { !labels.indices.contains($0) }) {
            throw GFlowNetError("label likelihood", "label index \(bad) is not one of 0…\(labels.count - 1)")
        }
        let scores = try logLikelihoods(prompts: prompts, training: training)                  // [B, C]
        let values = scores.scalars
        let correct = truths.indices.filter { b in
            Self.predicted(Array(values[(b * labels.count)..<((b + 1) * labels.count)]).map(Double.init)) == truths[b]
        }.count
        let picked = try scores.logSoftmax(axis: -1).gather(lastAxis: truths)                 // [B, 1]
        return (picked.sum() * Float(-1.0 / Double(prompts.count)), correct)
    }

    /// The class of largest score; a tie goes to the first of the tied classes.
    public static func predicted<S: Sequence>(_ scores: S) -> Int where S.Element == Double {
        var best = 0, bestValue: Double? = nil
        for (index, v) in scores.enumerated() where bestValue.map({ v > $0 }) ?? true {
            best = index
            bestValue = v
        }
        return best
    }
}
