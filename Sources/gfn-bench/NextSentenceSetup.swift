import ArgumentParser
import GFlowNets
import LanguageModels

/// The next-sentence task that `gfn-bench gfn` and `gfn-bench baselines` time (docs/method.md §4.2): SmolLM2 with
/// seeded LoRA adapters on every projection, ⊤ = ".", the base model's likelihood of the sentence and
/// "." as reward, and one OpenWebText-style prompt.
struct NextSentenceSetup {
    let model: Transformer
    let period: Int
    let policy: LanguageModelPolicy
    let reward: LikelihoodReward
    let prompt: TrainingPrompt

    init(rank: Int, weights: WeightPrecision = .quantized) throws {
        let loaded = try PretrainedModel.load("smollm2", weights: weights)
        guard let tokenizer = loaded.tokenizer else { throw ValidationError("the model has no tokenizer") }
        model = loaded.transformer
        try model.addAdapters(LoRAConfiguration(rank: rank, alpha: 16, targetModules: model.config.projectionNames, seed: 27))
        guard let period = tokenizer.encode("A sentence.", parseSpecialTokens: false).last else { throw ValidationError("cannot encode '.'") }
        self.period = period
        policy = try LanguageModelPolicy(model: model, terminationToken: period, decode: { try tokenizer.decode($0) })
        reward = LikelihoodReward(model: model, terminationToken: period, minLength: 1, substitute: -99)
        prompt = TrainingPrompt(tokens: tokenizer.encode("The federal cabinet approved the extension from July 1. ", parseSpecialTokens: false))
    }

    /// Adapter parameters being trained.
    var trainableCount: Int { model.trainableParameters.reduce(0) { $0 + $1.count } }
}
