import Foundation
@_exported import TestFixtures
import LanguageModels
import Tensors

/// SmolLM2 loaded once per test process (its GGUF blocks, mapped: ~96 MB). Tests that change its adapters
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

/// Indices of the k largest values, largest first (ties by index).
func topIndices(_ row: ArraySlice<Float>, _ k: Int) -> [Int] {
    let base = row.startIndex
    return row.indices.sorted { row[$0] > row[$1] || (row[$0] == row[$1] && $0 < $1) }.prefix(k).map { $0 - base }
}
