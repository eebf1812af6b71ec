import Foundation
import LanguageModels
import Tensors

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

    static func temporaryDirectory(_ name: String) -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("gfn-lm-\(getpid())/\(name)")
        try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir.path
    }
}

/// SmolLM2 loaded once per test process (~0.5 GB of Float32 weights). Tests that change its adapters
/// hold `SharedModel.lock` (tests run in parallel).
enum SharedModel {
    static let smolLM2: Result<PretrainedModel, Error> = Result { try PretrainedModel.load(TestPaths.smollm2) }
    static let lock = NSLock()

    /// Runs `body` with the model to itself (no adapters attached on entry or exit).
    static func withModel<R>(_ body: (PretrainedModel) throws -> R) throws -> R {
        let model = try smolLM2.get()
        lock.lock()
        defer {
            model.transformer.removeAdapters()
            model.transformer.adaptersEnabled = true
            lock.unlock()
        }
        return try body(model)
    }
}

func maxAbsDiff(_ a: [Float], _ b: [Float]) -> Float {
    zip(a, b).reduce(0) { max($0, abs($1.0 - $1.1)) }
}

/// Indices of the k largest values, largest first (ties by index).
func topIndices(_ row: ArraySlice<Float>, _ k: Int) -> [Int] {
    let base = row.startIndex
    return row.indices.sorted { row[$0] > row[$1] || (row[$0] == row[$1] && $0 < $1) }.prefix(k).map { $0 - base }
}
