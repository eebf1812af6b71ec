// `model(name)` and the `Model` object scripts use: generate, sample, score, tokenize, LoRA.
import Foundation
import LanguageModels
import Scripting
import Tensors
import Tokenizers
import GFlowNets
import ProcessGroups

/// A loaded language model seen from gfn as `Model`.
final class ModelObject: PropertyTableObject {
    let model: PretrainedModel
    init(_ model: PretrainedModel) { self.model = model }

    var typeName: String { "Model" }
    var description: String { "<Model \((model.path as NSString).lastPathComponent)>" }
    var summary: String { "Model: a language model loaded by model(name)" }
    static let properties: [NativeProperty<ModelObject>] = [
        NativeProperty("path", "the file or folder the model was loaded from") { .string($0.model.path) },
        NativeProperty("vocab_size", "the number of tokens in the vocabulary") { .int($0.model.transformer.config.vocabularySize) },
        NativeProperty("eos", "the end-of-sequence token id (nil if none)") { me in
            (me.model.tokenizer?.eosTokenID ?? me.model.transformer.config.eosTokenID).map { .int($0) } ?? .null
        },
        NativeProperty("family", "the architecture: \"llama\" (SmolLM2) or \"gpt2\"") { .string($0.model.transformer.config.family.rawValue) },
        NativeProperty("recompute", "whether training recomputes each layer's activations in the backward pass (model(..., recompute=true))") {
            .bool($0.model.transformer.recomputesActivations)
        },
        NativeProperty("activations", "how decoding (generate, sample, beam search) feeds activations to quantized weights: \"f32\" or \"q8\" (model(..., activations=\"q8\"))") {
            .string($0.model.transformer.decodingActivations.rawValue)
        },
        NativeProperty("projections", "the projections LoRA can target (PEFT's target_modules names), e.g. [\"q_proj\", …] or [\"c_attn\", \"c_proj\", \"c_fc\"]") {
            .makeList($0.model.transformer.config.projectionNames.map { .string($0) })
        },
    ]

    func tokenizer() throws -> BPETokenizer {
        guard let t = model.tokenizer else { throw RuntimeError("this model has no tokenizer", hint: "load a GGUF file or a folder with tokenizer.json") }
        return t
    }
    func encode(_ text: String) throws -> [Int] { try tokenizer().encode(text) }
    func decode(_ ids: [Int]) throws -> String { try host { try tokenizer().decode(ids, skipSpecialTokens: true) } }

    /// A token id from an int or a one-token string ("\n").
    func token(_ value: Value, _ args: Arguments, _ name: String) throws -> Int {
        if let i = value.intValue { return i }
        if let s = value.stringValue {
            let ids = try encode(s)
            guard ids.count == 1 else { throw args.badArgument(name, "'\(s)' is \(ids.count) tokens, a single token is needed") }
            return ids[0]
        }
        throw args.badArgument(name, "a token id or a one-token string expected, got \(value.typeName)")
    }

    /// The most rows sampled at once by generate and sample.
    static let rowsPerChunk = 256

    /// One continuation from `run`: its tokens (a final stop token included if `stopped`) and Σ log p.
    struct Continuation: Codable {
        /// The chunk of rows it was sampled in (see `run`); 0 for beam search.
        var chunk = 0
        var tokens: [Int]
        var stopped: Bool
        var logProb: Double
        /// Tokens an environment inserted after action t, by t.
        var insertions: [Int: [Int]] = [:]
    }

    /// Shared by generate and sample: the continuations of one prompt by sampling, greedy
    /// decoding, or (diverse) beam search, Hugging Face's argument names.
    func run(_ args: inout Arguments) throws -> [Continuation] {
        let transformer = model.transformer
        let prompt = try encode(try args.string("prompt"))
        guard !prompt.isEmpty else { throw args.badArgument("prompt", "the prompt encodes to no tokens") }
        let n = try args.int("n")
        guard n >= 1 else { throw args.badArgument("n", "must be ≥ 1, got \(n)") }
        let temperature = try args.double("temperature")
        guard temperature >= 0, temperature.isFinite else { throw args.badArgument("temperature", "must be ≥ 0 (0: greedy), got \(temperature)") }
        let topK = try args.optionalInt("top_k")
        if let topK, topK < 1 { throw args.badArgument("top_k", "must be ≥ 1, got \(topK)") }
        let topP = try args.optionalDouble("top_p")
        if let topP, !(topP > 0 && topP <= 1) { throw args.badArgument("top_p", "must be in (0, 1], got \(topP)") }
        let maxNew = try args.int("max_new_tokens"), minNew = try args.int("min_new_tokens")
        guard maxNew >= 0 else { throw args.badArgument("max_new_tokens", "must be ≥ 0, got \(maxNew)") }
        guard minNew >= 0, minNew <= maxNew else { throw args.badArgument("min_new_tokens", "must be in 0…max_new_tokens (\(maxNew)), got \(minNew)") }
        var stops: [Int] = []
        if let eos = model.tokenizer?.eosTokenID ?? model.transformer.config.eosTokenID { stops.append(eos) }
        if !args["stop"].isNil { stops = [try token(args["stop"], args, "stop")] + stops }
        var banned: [Int] = []
        if !args["ban"].isNil {
            for (i, v) in try args.list("ban").items.enumerated() {
                guard v.intValue != nil || v.stringValue != nil else { throw args.badArgument("ban", "element \(i) is \(v.typeName): token ids or one-token strings expected") }
                banned.append(try token(v, args, "ban"))
            }
        }
        if !args["allowed"].isNil {
            let allowed = try allowedTokens(self, args).union(stops)
            banned += (0..<transformer.config.vocabularySize).filter { !allowed.contains($0) }
        }
        let penalties = banned.isEmpty ? [] : [TokenPenalty.ban(Array(Set(banned)).sorted())]
        let environment = try samplingEnvironment(self, args)
        let beams = try args.int("num_beams"), groups = try args.int("num_beam_groups")
        let diversity = try args.double("diversity_penalty"), lengthPenalty = try args.double("length_penalty")
        let doSample = try args.bool("do_sample")
        guard beams >= 1 else { throw args.badArgument("num_beams", "must be ≥ 1, got \(beams)") }
        guard groups >= 1, beams % groups == 0 else {
            throw args.badArgument("num_beam_groups", "must be ≥ 1 and divide num_beams (\(beams)), got \(groups)")
        }
        guard diversity >= 0, diversity.isFinite else { throw args.badArgument("diversity_penalty", "must be ≥ 0, got \(diversity)") }
        guard lengthPenalty.isFinite else { throw args.badArgument("length_penalty", "must be a finite number, got \(lengthPenalty)") }
        if beams > 1 {
            guard environment == nil else { throw args.badArgument("environment", "works with sampling and greedy decoding, not with beam search (num_beams=\(beams))") }
            guard n <= beams else { throw args.badArgument("n", "beam search returns at most num_beams (\(beams)) sequences, got n=\(n)") }
            var options = BeamSearchOptions(beamWidth: beams, groups: groups, diversityPenalty: Float(diversity),
                                            lengthPenalty: Float(lengthPenalty), maxNewTokens: maxNew, stopTokens: stops, penalties: penalties)
            options.minNewTokens = minNew
            let found = try host { try transformer.beamSearch(prompt: prompt, options: options) }
            return found.prefix(n).map { Continuation(tokens: $0.tokens, stopped: $0.stopped, logProb: Double($0.logProb)) }
        }
        guard groups == 1 else { throw args.badArgument("num_beam_groups", "needs num_beams > 1") }
        let greedy = !doSample || temperature == 0
        let sampler = greedy ? Sampler(penalties, choice: .greedy)
            : Sampler.standard(temperature: Float(temperature), topK: topK, topP: topP.map { Float($0) }, penalties: penalties)
        let count = greedy ? 1 : n
        var options = GenerationOptions(maxNewTokens: maxNew, minNewTokens: minNew, stopTokens: stops, samplesPerPrompt: count)
        let seed = UInt64(truncatingIfNeeded: try args.int("seed"))
        // Rows go through in chunks, so n = 10,000 samples needs the KV cache of one chunk, not of all rows.
        // Chunk c draws from a generator of (seed, c) alone (chunk 0 from the seed itself, as a single chunk
        // always did), so the result depends only on the seed, and the ranks of an mpirun run can share the
        // chunks (chunk c on rank c mod N) and gather the rows: every rank gets all of them, in order.
        let group = ProcessGroup.world
        let chunks = (count + Self.rowsPerChunk - 1) / Self.rowsPerChunk
        var mine: [Continuation] = []
        for c in stride(from: group.rank, to: chunks, by: group.size) {
            var generator = c == 0 ? RandomGenerator(seed: seed) : stepGenerator(seed: seed, step: c)
            options.samplesPerPrompt = min(Self.rowsPerChunk, count - c * Self.rowsPerChunk)
            let rows = try host { try transformer.generate(prompts: [prompt], sampler: sampler, options: options, environment: environment, using: &generator) }
            mine += rows.map { Continuation(chunk: c, tokens: $0.tokens, stopped: $0.stopped, logProb: Double($0.tokenLogProbs.reduce(0, +)),
                                       insertions: $0.insertions) }
            if c + group.size < chunks { try args.interpreter.checkInterrupt() }
        }
        // Stable: each chunk's rows keep their order.
        let out = group.size == 1 ? mine : try host { try group.allgatherItems(mine) }.enumerated()
            .sorted { ($0.element.chunk, $0.offset) < ($1.element.chunk, $1.offset) }.map(\.element)
        // Greedy decoding is deterministic: n copies of the one answer.
        return greedy ? Array(repeating: out[0], count: n) : out
    }

    /// The decoded state: the actions without a final stop token, with any inserted tokens.
    func text(of s: Continuation) throws -> String {
        var tokens = s.tokens
        if s.stopped, !tokens.isEmpty { tokens.removeLast() }
        return try decode(InterleavedState.tokens(actions: tokens, insertions: s.insertions))
    }

    static let generateSignature = "(prompt, max_new_tokens=32, temperature=1.0, top_k=nil, top_p=nil, n=1, seed=0, stop=nil, " +
        "min_new_tokens=0, ban=nil, allowed=nil, environment=nil, do_sample=true, num_beams=1, num_beam_groups=1, diversity_penalty=0.0, length_penalty=1.0)"

    static let decodingDetails = "temperature=0 or do_sample=false decodes greedily. Generation stops at the model's end-of-sequence token or at " +
        "`stop` (a token id or a one-token string such as \"\\n\"), not before min_new_tokens; `ban` lists tokens (ids or " +
        "one-token strings) that are never generated; `allowed` (token ids, one-token strings, or a function of a token's text returning " +
        "true or false) bans every other token but the stop tokens. environment= (calculator(...) or a function (state_text) -> text or nil) " +
        "inserts tokens after actions (not counted in max_new_tokens nor in the log-probability; the text includes them). num_beams > 1 runs beam search and returns its n best hypotheses " +
        "(score Σ log p / length^length_penalty); num_beam_groups > 1 makes it diverse beam search, each group penalised by " +
        "diversity_penalty per earlier group's choice of the same token at the same step. top_p is nucleus sampling, top_k " +
        "keeps the k most likely tokens, temperature tempers the distribution."

    static let methods: [NativeFunction] = [
        NativeFunction("generate" + generateSignature,
                       summary: "n continuations of prompt by sampling, greedy decoding or (diverse) beam search; returns a list of strings (without the stop token).",
                       details: decodingDetails,
                       example: "lm = model(\"smollm2\")\ng = lm.generate(\"The capital of France is\", max_new_tokens=3, temperature=0)\n" +
                           "print(g == lm.generate(\"The capital of France is\", max_new_tokens=3, do_sample=false))  # expect: true\n" +
                           "b = lm.generate(\"The capital of France is\", max_new_tokens=3, num_beams=4, num_beam_groups=2, diversity_penalty=1.0, n=4)\n" +
                           "print(len(b), len(lm.generate(\"Hi\", max_new_tokens=2, top_p=0.95, n=3, seed=1)))  # expect: 4 3") { args in
            let me = try args.receiver(ModelObject.self)
            return .makeList(try me.run(&args).map { .string(try me.text(of: $0)) })
        },
        NativeFunction("sample" + generateSignature,
                       summary: "Like generate, but returns dicts {text, tokens, logprob} with the summed log-probability of the generated tokens.",
                       details: decodingDetails,
                       example: "s = lm.sample(\"1, 2, 3,\", max_new_tokens=2, n=2, seed=1)\nprint(s[0][\"text\"], s[0][\"logprob\"])") { args in
            let me = try args.receiver(ModelObject.self)
            return .makeList(try me.run(&args).map { s in
                let d = DictObject()
                d["text"] = .string(try me.text(of: s))
                d["tokens"] = .makeList(s.tokens.map { .int($0) })
                d["logprob"] = .float(s.logProb)
                return .dict(d)
            })
        },
        NativeFunction("score(prompt, continuation)",
                       summary: "The log-probability of continuation given prompt (summed over its tokens).",
                       example: "print(lm.score(\"The capital of France is\", \" Paris\") > lm.score(\"The capital of France is\", \" pizza\"))") { args in
            let me = try args.receiver(ModelObject.self)
            let prompt = try me.encode(try args.string("prompt"))
            let continuation = try me.encode(try args.string("continuation"))
            guard !prompt.isEmpty else { throw args.badArgument("prompt", "the prompt encodes to no tokens") }
            let term = me.model.tokenizer?.eosTokenID ?? me.model.transformer.config.eosTokenID ?? 0
            let transformer = me.model.transformer
            let scored = try host { try transformer.score(prompts: [prompt], continuations: [continuation], terminationToken: term) }
            return .float(Double(scored[0].tokenLogProbs.prefix(continuation.count).reduce(0, +)))
        },
        NativeFunction("chat(message, system=nil)",
                       summary: "The prompt text that asks this instruct model to reply to message, in its own chat template.",
                       details: "Ends with the assistant's opening marker, so generate/gflownet continue as the assistant; the reply ends with the model's end token (the default stop). system replaces the template's default system message.",
                       example: "p = lm.chat(\"Name a colour.\")\nprint(lm.generate(p, max_new_tokens=4, temperature=0)[0])") { args in
            let me = try args.receiver(ModelObject.self)
            guard let template = me.model.chatTemplate else {
                throw RuntimeError("this model has no chat template gfn can render", hint: "write the prompt text yourself")
            }
            var messages: [ChatMessage] = []
            if !args["system"].isNil { messages.append(.system(try args.string("system"))) }
            messages.append(.user(try args.string("message")))
            return .string(template.render(messages))
        },
        NativeFunction("label_scores(prompts, labels)",
                       summary: "log p(label | prompt) of every label text after every prompt (summed over the label's tokens): a list of numbers per prompt, or one list for a single prompt string.",
                       details: "The model classifies by the label of largest score (zero- and few-shot prompting, or X Z after a sampled rationale Z; " +
                           "docs/method.md §4.4). It scores with its adapters as they are: lm.adapters(enabled=false) gives the base model. " +
                           "Without gradients; the prompts' shared prefix (few-shot demonstrations) runs once, and each prompt once whatever the number of labels.",
                       example: "s = lm.label_scores(\"The sky is blue. This statement is\", [\" true\", \" false\"])\nprint(len(s), s[0] < 0)  # expect: 2 true") { args in
            let me = try args.receiver(ModelObject.self)
            let single = args["prompts"].stringValue != nil
            let texts: [String]
            if let s = args["prompts"].stringValue { texts = [s] } else {
                texts = try args.list("prompts").items.enumerated().map { i, v in
                    guard let s = v.stringValue else { throw args.badArgument("prompts", "element \(i) is \(v.typeName), a string is needed") }
                    return s
                }
            }
            let labels = try args.list("labels").items.enumerated().map { i, v -> [Int] in
                guard let s = v.stringValue else { throw args.badArgument("labels", "element \(i) is \(v.typeName), a string is needed") }
                let ids = try me.encode(s)
                guard !ids.isEmpty else { throw args.badArgument("labels", "\"\(s)\" encodes to no tokens") }
                return ids
            }
            guard labels.count >= 2 else { throw args.badArgument("labels", "needs at least two label texts, got \(labels.count)") }
            let prompts = try texts.enumerated().map { i, text -> [Int] in
                let ids = try me.encode(text)
                guard !ids.isEmpty else { throw args.badArgument("prompts", "prompt \(i) encodes to no tokens") }
                return ids
            }
            let transformer = me.model.transformer
            let scores = try host { try LabelLikelihood(model: transformer, labels: labels).scores(prompts: prompts) }
            let rows = scores.map { row in Value.makeList(row.map { .float($0) }) }
            return single ? rows[0] : .makeList(rows)
        },
        NativeFunction("rationales(prompt, answer=nil, n=20, max_new_tokens=5, temperature=1.0, seed=0, connective=\" because it is\")",
                       summary: "\"Wishful\" rationales: samples n short continuations of prompt (after \" <answer> because it is\" when answer is given) and cuts each at its first token that is not a word or a number; returns the non-empty ones.",
                       details: "The seeds of the subjectivity E-step's replay buffers (docs/method.md §4.4): with answer=\"objective\" the model continues " +
                           "prompt + \" objective because it is\" (connective replaces \" because it is\"); a token counts as a word when, without its " +
                           "leading space, it is non-empty and all letters or digits. Fewer than n texts come back when some are empty; they keep their leading space.",
                       example: "z = lm.rationales(\"The film is\", answer=\"subjective\", n=4, seed=1)\nprint(len(z) <= 4, all(map(t => t.strip() != \"\", z)))  # expect: true true") { args in
            let me = try args.receiver(ModelObject.self)
            var text = try args.string("prompt")
            if !args["answer"].isNil { text = WishfulRationale.prompt(text, answer: try args.string("answer"), connective: try args.string("connective")) }
            let prompt = try me.encode(text)
            guard !prompt.isEmpty else { throw args.badArgument("prompt", "the prompt encodes to no tokens") }
            let n = try args.int("n"), maxNew = try args.int("max_new_tokens"), temperature = try args.double("temperature")
            guard n >= 1 else { throw args.badArgument("n", "must be ≥ 1, got \(n)") }
            guard maxNew >= 1 else { throw args.badArgument("max_new_tokens", "must be ≥ 1, got \(maxNew)") }
            guard temperature > 0, temperature.isFinite else { throw args.badArgument("temperature", "must be positive, got \(temperature)") }
            var generator = RandomGenerator(seed: UInt64(truncatingIfNeeded: try args.int("seed")))
            let stops = (me.model.tokenizer?.eosTokenID ?? me.model.transformer.config.eosTokenID).map { [$0] } ?? []
            let transformer = me.model.transformer
            let kept = try host {
                try WishfulRationale.sample(model: transformer, prompt: prompt, count: n, maxNewTokens: maxNew, temperature: Float(temperature),
                                            stopTokens: stops, tokenText: { try me.decode([$0]) }, using: &generator)
            }
            return .makeList(try kept.map { .string(try me.decode($0)) })
        },
        NativeFunction("tokenize(text)", summary: "The token ids of text.",
                       example: "print(lm.tokenize(\"42\"))") { args in
            let me = try args.receiver(ModelObject.self)
            return .makeList(try me.encode(try args.string("text")).map { .int($0) })
        },
        NativeFunction("detokenize(ids)", summary: "The text of a list of token ids.",
                       example: "print(lm.detokenize(lm.tokenize(\"hello\")))") { args in
            let me = try args.receiver(ModelObject.self)
            let ids = try args.list("ids").items.enumerated().map { i, v in
                guard let id = v.intValue else { throw args.badArgument("ids", "element \(i) is \(v.typeName), an int is needed") }
                return id
            }
            return .string(try me.decode(ids))
        },
        NativeFunction("lora(r=8, lora_alpha=16, lora_dropout=0.0, target_modules=nil, seed=0)",
                       summary: "Attaches fresh LoRA adapters (B = 0, so the model is unchanged until trained); returns the model.",
                       details: "target_modules is a list of projection names (lm.projections lists them: q_proj, k_proj, v_proj, o_proj, " +
                           "gate_proj, up_proj, down_proj for SmolLM2; c_attn, c_proj, c_fc for GPT-2) or \"all-linear\" for all of them. " +
                           "nil takes PEFT's default for the family: [\"q_proj\", \"v_proj\"] (llama) or [\"c_attn\"] (gpt2).",
                       example: "lm = model(\"smollm2\")\nlm.lora(r=4, lora_alpha=8, target_modules=[\"q_proj\", \"v_proj\"])\nprint(len(lm.projections), lm.family)  # expect: 7 llama") { args in
            let me = try args.receiver(ModelObject.self)
            let family = me.model.transformer.config.family
            let projections = me.model.transformer.config.projectionNames
            var modules = family == .gpt2 ? ["c_attn"] : ["q_proj", "v_proj"]
            if args["target_modules"].stringValue == "all-linear" {
                modules = projections
            } else if !args["target_modules"].isNil {
                modules = try args.list("target_modules").items.map {
                    guard let s = $0.stringValue else { throw args.badArgument("target_modules", "a list of strings or \"all-linear\" expected") }
                    guard projections.contains(s) else {
                        throw args.badArgument("target_modules", "'\(s)' is not a projection of this \(family.rawValue) model; it has " +
                                               projections.map { "'\($0)'" }.joined(separator: ", ") + " (or give \"all-linear\")")
                    }
                    return s
                }
            }
            let config = LoRAConfiguration(rank: try args.int("r"), alpha: Float(try args.double("lora_alpha")),
                                           dropout: Float(try args.double("lora_dropout")), targetModules: modules,
                                           seed: UInt64(truncatingIfNeeded: try args.int("seed")))
            let transformer = me.model.transformer
            try host { try transformer.addAdapters(config) }
            return args.receiverValue
        },
        NativeFunction("adapters(enabled=true)",
                       summary: "Switches the LoRA adapters on or off; returns the model. Off, the model is the base model (the reference of the KL penalty and of the decoding baselines).",
                       details: "Tuners refuse to train while the adapters are off. Without adapters attached this only records the choice.",
                       example: "lm = model(\"smollm2\")\nlm.lora(r=2, target_modules=[\"q_proj\"])\n" +
                           "base = lm.adapters(enabled=false).generate(\"Hi\", max_new_tokens=2, temperature=0)\n" +
                           "print(lm.adapters(enabled=true).generate(\"Hi\", max_new_tokens=2, temperature=0) == base)  # expect: true") { args in
            let me = try args.receiver(ModelObject.self)
            me.model.transformer.adaptersEnabled = try args.bool("enabled")
            return args.receiverValue
        },
        NativeFunction("remove_adapters()",
                       summary: "Detaches the LoRA adapters, trained or not: the model is the base model again; returns the model.",
                       details: "A script that compares tuners on one loaded model removes one tuner's adapters before attaching the next's " +
                           "(save them first with tuner.save if they are wanted). Tuners made on the removed adapters refuse to train on.",
                       example: "m = model(\"smollm2\")\nbase = m.generate(\"Hi\", max_new_tokens=2, temperature=0)\nm.lora(r=2, target_modules=[\"q_proj\"])\n" +
                           "m.remove_adapters()\nm.lora(r=2, target_modules=[\"q_proj\"])\nprint(m.generate(\"Hi\", max_new_tokens=2, temperature=0) == base)  # expect: true") { args in
            let me = try args.receiver(ModelObject.self)
            let transformer = me.model.transformer
            guard transformer.loraConfiguration != nil else {
                throw RuntimeError("the model has no LoRA adapters to remove", hint: "attach them with lm.lora(...)")
            }
            transformer.removeAdapters()
            return args.receiverValue
        },
        NativeFunction("merge_adapters()",
                       summary: "Folds the LoRA adapters into the base weights (W += lora_alpha/r · B·A) and detaches them; returns the model.",
                       details: "The model then is the fine-tuned model with no adapters: lm.lora(...) attaches fresh ones on top, and a reward " +
                           "that scores with adapters off sees the merged model. This is how a script first fine-tunes the base (e.g. sft " +
                           "on a task's texts) and then uses that model as both the initial policy and the reward model. Irreversible in " +
                           "this process; the files on disk are untouched.",
                       example: "lm = model(\"smollm2\")\nlm.lora(r=2, target_modules=[\"q_proj\"])\nt = sft(lm, prompt=\"Q:\", completions=[\" yes\"], stop=\"\\n\", lr=0.01)\nt.fit(steps=2)\n" +
                           "tuned = lm.generate(\"Q:\", max_new_tokens=2, temperature=0)\nlm.merge_adapters()\n" +
                           "print(lm.generate(\"Q:\", max_new_tokens=2, temperature=0) == tuned)  # expect: true") { args in
            let me = try args.receiver(ModelObject.self)
            let transformer = me.model.transformer
            guard transformer.loraConfiguration != nil else {
                throw RuntimeError("the model has no LoRA adapters to merge", hint: "attach them with lm.lora(...) and train them first")
            }
            try host { try transformer.mergeAdapters() }
            return args.receiverValue
        },
        NativeFunction("load_adapter(path)",
                       summary: "Reads LoRA weights saved by tuner.save(path) into this model's adapters (attach them first with lm.lora with the same r and modules).",
                       example: "# lm has adapters attached (lm.lora(...))\nt = sft(lm, prompt=\"Q:\", completions=[\" yes\"], stop=\"\\n\")\nt.fit(steps=1)\nt.save(\"runs/example\")\nlm.load_adapter(\"runs/example\")\nprint(\"loaded\")  # expect: loaded") { args in
            let me = try args.receiver(ModelObject.self)
            let path = try args.string("path")
            let transformer = me.model.transformer
            try host {
                let policy = try LanguageModelPolicy(model: transformer, terminationToken: 0, decode: { _ in "" })
                try policy.loadAdapters(from: URL(fileURLWithPath: path))
            }
            return .null
        },
    ]
}

enum ModelBindings {
    static func install(into interpreter: Interpreter) {
        for f in ModelObject.methods { interpreter.registerMethod(f, on: "Model") }
        interpreter.register(NativeFunction(
            "model(name=\"smollm2\", dtype=\"quantized\", recompute=false, activations=\"f32\")",
            summary: "Loads a language model: a short name (\"smollm2\") from models/, or a path to a .gguf file or a Hugging Face folder.",
            details: "Models are looked up in $GFN_MODELS or <repo>/models; a missing model is an error with the hint to run scripts/setup. "
                + "dtype=\"quantized\" (the default) keeps a GGUF model's weight matrices (projections, token embedding, LM head) "
                + "in the file's quantised blocks, a fraction of the memory (activations and results stay float32); "
                + "dtype=\"f32\" dequantises every weight at load, for comparison (results equal up to summation order, "
                + "see docs/lm-runtime.md). recompute=true makes LoRA training keep only each layer's input and run the layer "
                + "again in the backward pass: the same gradients for a fraction of the memory (SmolLM2, 16 samples × 24 tokens, "
                + "LoRA r 8: peak 980 → 345 MB) and about one more forward pass per step. activations=\"q8\" (opt-in, an "
                + "approximation) makes decoding steps (generate, sample, beam search, after the prompt; not "
                + "scoring or training) quantise each activation row to 8-bit blocks and multiply the quantized weights with "
                + "integer dot products: faster decoding and sampling, with logits that differ from the default's (SmolLM2's "
                + "error is measured in docs/lm-runtime.md).",
            example: "lm = model(\"smollm2\")\nexact = model(\"smollm2\", dtype=\"f32\")\nlean = model(\"smollm2\", recompute=true)\n" +
                "fast = model(\"smollm2\", activations=\"q8\")\nprint(fast.activations)  # expect: q8\n" +
                "print(exact.generate(\"Hello\", max_new_tokens=3, temperature=0) == lm.generate(\"Hello\", max_new_tokens=3, temperature=0))  # expect: true",
            category: "ml") { args in
            let name = try args.string("name")
            let dtype = try args.string("dtype")
            guard let precision = WeightPrecision(rawValue: dtype) else {
                throw args.badArgument("dtype", "'\(dtype)' is not one of \(WeightPrecision.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", "))")
            }
            let recompute = try args.bool("recompute")
            let activationName = try args.string("activations")
            guard let activations = ActivationPrecision(rawValue: activationName) else {
                throw args.badArgument("activations", "'\(activationName)' is not one of \(ActivationPrecision.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", "))")
            }
            let loaded = try host { try PretrainedModel.load(name, weights: precision) }
            loaded.transformer.recomputesActivations = recompute
            loaded.transformer.decodingActivations = activations
            return .native(ModelObject(loaded))
        })
    }
}
