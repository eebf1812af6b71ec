// `classifier(lm, data=..., labels=...)`: fine-tunes a model to pick a label text by its
// likelihood (the subjectivity M-step and label SFT baseline), a tuner like sft's.
import Foundation
import GFlowNets
import LanguageModels
import Scripting

enum ClassifierBindings {
    static let signature = "classifier(lm, data, labels, lr=0.0001, batch_size=32, micro_batch=8, epochs=1, warmup=0, " +
        "lr_schedule=\"constant\", decay_steps=nil, adam_beta1=0.9, adam_beta2=0.999, weight_decay=0.01, max_grad_norm=1.0, seed=0, run=nil)"

    static let function = NativeFunction(
        signature,
        summary: "A fine-tuner of lm's LoRA adapters that classifies prompts by the likelihood of label texts: cross-entropy over the softmax of log p(label | prompt).",
        details: "data is a list of [prompt, label] pairs or {\"prompt\": ..., \"label\": ...} dicts, label the index of the true text in labels " +
            "(e.g. [\" objective\", \" subjective\"]). Each step takes batch_size examples (in shuffled epochs) and minimises the mean of " +
            "−log softmax_c(log p(labels[c] | prompt))[label], scored micro_batch prompts per pass; the metrics add train/accuracy. This is the " +
            "subjectivity M-step (prompts X Z with sampled rationales Z, labels \", so it is objective\"/\", so it is subjective\") and the label " +
            "SFT baseline (docs/method.md §4.4). AdamW with warm-up, then lr_schedule \"constant\", \"linear\" or \"cosine\" to 0 at decay_steps; " +
            "fit() without steps runs the rest of `epochs` epochs. lm.label_scores(prompts, labels) then classifies with the trained adapters.",
        example: "lm = model(\"smollm2\")\nlm.lora(r=2, target_modules=[\"q_proj\"])\n" +
            "data = [[\"Snow is white. True or false? It is\", 0], [\"Snow is green. True or false? It is\", 1]]\n" +
            "t = classifier(lm, data=data, labels=[\" true\", \" false\"], lr=0.001, batch_size=2, epochs=2)\n" +
            "losses = t.fit()\nprint(len(losses), t.method, t.metrics[0][\"train/accuracy\"] <= 1)  # expect: 2 classifier true",
        category: "ml") { args in
        let lm = try TunerBindings.model(args)
        let labels = try args.list("labels").items.enumerated().map { i, v -> [Int] in
            guard let s = v.stringValue else { throw args.badArgument("labels", "element \(i) is \(v.typeName), a string is needed") }
            let ids = try lm.encode(s)
            guard !ids.isEmpty else { throw args.badArgument("labels", "\"\(s)\" encodes to no tokens") }
            return ids
        }
        guard labels.count >= 2 else { throw args.badArgument("labels", "needs at least two label texts, got \(labels.count)") }
        let items = try args.list("data").items
        guard !items.isEmpty else { throw args.badArgument("data", "no examples given (the list is empty)") }
        let examples = try items.enumerated().map { i, item -> LabelledPrompt in
            var prompt: String?, label: Value?
            if let l = item.listValue, l.items.count == 2 { (prompt, label) = (l.items[0].stringValue, l.items[1]) }
            else if case .dict(let d) = item { (prompt, label) = (d["prompt"]?.stringValue, d["label"]) }
            guard let prompt, let index = label?.intValue else {
                throw args.badArgument("data", "element \(i) is not a [prompt, label] pair or a {prompt, label} dict (a string and an int)")
            }
            guard labels.indices.contains(index) else {
                throw args.badArgument("data", "element \(i) has label \(index), not one of 0…\(labels.count - 1) (the positions in labels)")
            }
            let tokens = try lm.encode(prompt)
            guard !tokens.isEmpty else { throw args.badArgument("data", "the prompt of element \(i) encodes to no tokens") }
            return LabelledPrompt(prompt: tokens, label: index)
        }
        var c = LabelClassifierConfiguration()
        c.batchSize = try BaselineBindings.atLeast(1, args, "batch_size")
        c.microBatch = try BaselineBindings.atLeast(1, args, "micro_batch")
        c.epochs = try BaselineBindings.atLeast(1, args, "epochs")
        try BaselineBindings.optimization(&c.optimization, args)
        c.optimization.learningRateSchedule = try TunerBindings.learningRateSchedule(args)
        (c.optimization.beta1, c.optimization.beta2) = try TunerBindings.betas(args)
        let config = c
        let runDirectory = try TunerBindings.runDirectoryArgument(args)
        let stop = lm.model.tokenizer?.eosTokenID ?? lm.model.transformer.config.eosTokenID ?? 0
        return try host {
            let policy = try LanguageModelPolicy(model: lm.model.transformer, terminationToken: stop, decode: { [lm] ids in try lm.decode(ids) })
            let likelihood = try LabelLikelihood(model: lm.model.transformer, labels: labels)
            let trainer = try LabelClassifierTrainer(policy: policy, likelihood: likelihood, examples: examples, configuration: config)
            return .native(try TunerObject(trainer: trainer,
                                           defaultSteps: { [trainer] in max(0, trainer.totalSteps - trainer.step) }, runDirectory: runDirectory))
        }
    }
}
