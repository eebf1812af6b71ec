import Foundation

/// Every target by name, made from the repository's own seeds: the conformance corpus for
/// scripts, a generated GGUF, the byte-level GPT-2 fixture folder, a checkpoint written on the spot.
public struct FuzzTargetCatalog: Sendable {
    /// The folder of seed scripts (Tests/ScriptingTests/conformance).
    public let scriptCorpus: URL
    /// An intact Hugging Face checkpoint folder (Tests/Fixtures/byte_gpt2).
    public let huggingFaceSeed: URL
    /// Where targets keep their case files.
    public let scratch: URL

    public init(scriptCorpus: URL, huggingFaceSeed: URL, scratch: URL) {
        self.scriptCorpus = scriptCorpus
        self.huggingFaceSeed = huggingFaceSeed
        self.scratch = scratch
    }

    /// From the repository root.
    public init(repositoryRoot root: URL, scratch: URL) {
        self.init(scriptCorpus: root.appendingPathComponent("Tests/ScriptingTests/conformance"),
                  huggingFaceSeed: root.appendingPathComponent("Tests/Fixtures/byte_gpt2"), scratch: scratch)
    }

    public static let huggingFaceFiles = ["config.json", "model.safetensors", "vocab.json", "merges.txt"]

    /// Every target name, scripts first.
    public static let names: [String] = ["script", "gguf"] + huggingFaceFiles.map { "hf/" + $0 }
        + CheckpointTarget.files.map { "checkpoint/" + $0 } + CheckpointTarget.files.map { "checkpoint+manifest/" + $0 }

    public func make(_ name: String) throws -> FuzzTarget {
        if name == "script" { return ScriptTarget(seeds: ScriptTarget.corpus(under: scriptCorpus)) }
        if name == "gguf" { return try GGUFTarget(scratch: scratch) }
        if name.hasPrefix("hf/") {
            return try HuggingFaceFileTarget(seedFolder: huggingFaceSeed, file: String(name.dropFirst(3)), scratch: scratch)
        }
        for (prefix, rewrite) in [("checkpoint/", false), ("checkpoint+manifest/", true)] where name.hasPrefix(prefix) {
            return try CheckpointTarget(file: String(name.dropFirst(prefix.count)), rewriteManifest: rewrite, scratch: scratch)
        }
        throw FuzzError("no fuzz target '\(name)'; targets: \(Self.names.joined(separator: ", "))")
    }

    /// The target a reproducer file belongs to: its name up to "--", with "~" for "/".
    public static func targetName(ofReproducer file: URL) -> String? {
        let base = file.lastPathComponent
        guard let end = base.range(of: "--") else { return nil }
        return base[..<end.lowerBound].replacingOccurrences(of: "~", with: "/")
    }
}

public struct FuzzError: Error, CustomStringConvertible {
    public let description: String
    public init(_ message: String) { description = message }
}
