import Foundation

/// Where the committed fixtures and the model files are, found from this source file's path.
enum TestPaths {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let fixtures = root.appendingPathComponent("Tests/Fixtures")
    static var models: URL {
        if let env = ProcessInfo.processInfo.environment["GFN_MODELS"], !env.isEmpty { return URL(fileURLWithPath: env) }
        return root.appendingPathComponent("models")
    }
    static var smollm2: String { models.appendingPathComponent("smollm2/SmolLM2-135M-Instruct.Q4_1.gguf").path }

    static func fixtureJSON(_ name: String) throws -> [String: Any] {
        let data = try Data(contentsOf: fixtures.appendingPathComponent(name))
        guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw CocoaError(.fileReadCorruptFile)
        }
        return object
    }

    /// A fresh temporary file path for a test's corrupted file.
    static func temporaryFile(_ name: String) -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("gfn-tokenizers-\(getpid())")
        try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir.appendingPathComponent(name).path
    }
}


import ModelFormats

/// Reads the merges of the default GGUF through ModelFormats (the Tokenizers module itself does not depend on it).
enum ModelFormatsBridge {
    static func merges(_ path: String) throws -> [String] {
        try GGUFFile(path: path).tokenizerMetadata().merges
    }
}
