import Foundation
import ModelFormats
import Tensors
import Tokenizers

/// A transformer with its tokenizer and chat template, loaded by name or path.
///
///     let smol = try PretrainedModel.load()                 // models/smollm2/SmolLM2-135M-Instruct.Q4_1.gguf
///     let gpt2 = try PretrainedModel.load("path/to/gpt2")   // config.json + model.safetensors (+ tokenizer files)
public final class PretrainedModel: @unchecked Sendable {
    public let transformer: Transformer
    /// Nil for a checkpoint directory without tokenizer files.
    public let tokenizer: BPETokenizer?
    /// The chat template, when the checkpoint carries one gfn recognises.
    public let chatTemplate: ChatTemplate?
    /// The file or directory it was loaded from.
    public let path: String

    public init(transformer: Transformer, tokenizer: BPETokenizer?, chatTemplate: ChatTemplate?, path: String) {
        self.transformer = transformer
        self.tokenizer = tokenizer
        self.chatTemplate = chatTemplate
        self.path = path
    }

    /// The default model's file, relative to the models directory.
    public static let defaultModel = "smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
    /// Short names for models that scripts/setup installs.
    public static let knownNames = ["smollm2": defaultModel, "smollm2-135m-instruct": defaultModel]

    /// Loads `name`: nil or a short name ("smollm2") from the models directory, or a path to a
    /// .gguf file or a Hugging Face checkpoint directory (absolute, or relative to the current
    /// directory, else to the models directory). A GGUF model's matrices stay in their blocks unless
    /// `weights` is `.float32` (every weight dequantised at load, for comparison; a Hugging Face checkpoint is
    /// always Float32).
    public static func load(_ name: String? = nil, weights precision: WeightPrecision = .quantized) throws -> PretrainedModel {
        let path = try resolve(name)
        var isDirectory: ObjCBool = false
        _ = FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory)
        if isDirectory.boolValue { return try loadHuggingFace(path) }
        return try loadGGUF(path, precision)
    }

    /// The file or directory `name` refers to; throws with a hint when it is missing.
    public static func resolve(_ name: String?) throws -> String {
        let fm = FileManager.default
        if let name, let known = knownNames[name.lowercased()] {
            return try existing((modelsDirectory() as NSString).appendingPathComponent(known), name: name)
        }
        guard let name else {
            return try existing((modelsDirectory() as NSString).appendingPathComponent(defaultModel), name: "the default model")
        }
        if fm.fileExists(atPath: name) { return name }
        // An absolute path names one place; only a relative one is also looked up in the models folder.
        if name.hasPrefix("/") {
            throw LanguageModelError("model", "no model '\(name)': \(name) does not exist",
                                     hint: "known names: \(knownNames.keys.sorted().joined(separator: ", "))")
        }
        let inModels = (modelsDirectory() as NSString).appendingPathComponent(name)
        if fm.fileExists(atPath: inModels) { return inModels }
        throw LanguageModelError("model", "no model '\(name)': neither \(name) nor \(inModels) exists",
                                 hint: "known names: \(knownNames.keys.sorted().joined(separator: ", ")); run scripts/setup to fetch the default models")
    }

    private static func existing(_ path: String, name: String) throws -> String {
        guard FileManager.default.fileExists(atPath: path) else {
            throw LanguageModelError("model", "\(name) is not installed: \(path) is missing",
                                     hint: "run scripts/setup, or set GFN_MODELS to the folder that holds the models")
        }
        return path
    }

    /// $GFN_MODELS, else `models/` in the nearest enclosing folder (of the current directory, then of
    /// the executable) that holds a Package.swift or a models folder.
    public static func modelsDirectory() -> String {
        if let env = ProcessInfo.processInfo.environment["GFN_MODELS"], !env.isEmpty { return env }
        let fm = FileManager.default
        let starts = [fm.currentDirectoryPath, (CommandLine.arguments.first.map { ($0 as NSString).deletingLastPathComponent }) ?? ""]
        for start in starts where !start.isEmpty {
            var dir = (start as NSString).standardizingPath
            while true {
                let models = (dir as NSString).appendingPathComponent("models")
                if fm.fileExists(atPath: models) { return models }
                let parent = (dir as NSString).deletingLastPathComponent
                if parent == dir || parent.isEmpty { break }
                dir = parent
            }
        }
        return (fm.currentDirectoryPath as NSString).appendingPathComponent("models")
    }

    static func loadGGUF(_ path: String, _ precision: WeightPrecision) throws -> PretrainedModel {
        let file = try GGUFFile(path: path)
        let transformer = try Transformer.load(gguf: file, weights: precision)
        let meta = try file.tokenizerMetadata()
        let tokenizer = try BPETokenizer(ggufModel: meta.model, preTokenizerName: meta.preTokenizer, tokens: meta.tokens,
                                         merges: meta.merges, tokenTypes: meta.tokenTypes, bosTokenID: meta.bosTokenID,
                                         eosTokenID: meta.eosTokenID, unknownTokenID: meta.unknownTokenID,
                                         paddingTokenID: meta.paddingTokenID, file: path)
        let template = meta.chatTemplate.flatMap { ChatTemplate(jinja: $0) }
        return PretrainedModel(transformer: transformer, tokenizer: tokenizer, chatTemplate: template, path: path)
    }

    static func loadHuggingFace(_ directory: String) throws -> PretrainedModel {
        let transformer = try Transformer.load(huggingFaceDirectory: directory)
        let fm = FileManager.default
        func file(_ name: String) -> String? {
            let p = (directory as NSString).appendingPathComponent(name)
            return fm.fileExists(atPath: p) ? p : nil
        }
        var tokenizer: BPETokenizer?
        if let json = file("tokenizer.json") {
            tokenizer = try BPETokenizer.load(tokenizerJSON: json)
        } else if file("vocab.json") != nil || file("merges.txt") != nil {
            // One of the pair without the other is a damaged folder, not a model without a tokenizer.
            for name in ["vocab.json", "merges.txt"] where file(name) == nil {
                throw LanguageModelError((directory as NSString).appendingPathComponent(name),
                                         "missing: the folder has \(name == "vocab.json" ? "merges.txt" : "vocab.json") but not \(name), and no tokenizer.json")
            }
            tokenizer = try BPETokenizer.load(vocabularyJSON: (directory as NSString).appendingPathComponent("vocab.json"),
                                              merges: (directory as NSString).appendingPathComponent("merges.txt"))
        }
        if let tokenizer, tokenizer.vocabularySize > transformer.config.vocabularySize {
            throw LanguageModelError(directory, "the tokenizer has \(tokenizer.vocabularySize) tokens but the model only \(transformer.config.vocabularySize)")
        }
        return PretrainedModel(transformer: transformer, tokenizer: tokenizer, chatTemplate: nil, path: directory)
    }
}
