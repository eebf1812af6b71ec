import Foundation
import ModelFormats
import Tensors

/// The files every trainer's checkpoint directory shares:
///
///     adapter/                 the policy's adapters (PEFT layout for LanguageModelPolicy)
///     optimizer.safetensors    AdamW moments m.<i>, v.<i> per trainable parameter
///     trainer_state.json       the trainer's own counters (its `State` type)
///
/// plus whatever a trainer adds (the GFlowNet trainer's replay buffer), and `manifest.json`, the
/// SHA-256 of each (CheckpointManifest), written last and checked before a resume. Written
/// atomically: everything goes to a temporary sibling directory, which then replaces the old
/// checkpoint by rename, so an interrupted write never leaves a half checkpoint.
enum CheckpointFiles {
    static func writeAtomically(to directory: URL, _ body: (URL) throws -> Void) throws {
        let fm = FileManager.default
        let parent = directory.deletingLastPathComponent()
        try fm.createDirectory(at: parent, withIntermediateDirectories: true)
        let tmp = parent.appendingPathComponent(".\(directory.lastPathComponent).tmp-\(getpid())")
        try? fm.removeItem(at: tmp)
        try fm.createDirectory(at: tmp, withIntermediateDirectories: true)
        try body(tmp)
        try CheckpointManifest.write(in: tmp)
        let old = parent.appendingPathComponent(".\(directory.lastPathComponent).old-\(getpid())")
        try? fm.removeItem(at: old)
        if fm.fileExists(atPath: directory.path) { try fm.moveItem(at: directory, to: old) }
        try fm.moveItem(at: tmp, to: directory)
        try? fm.removeItem(at: old)
    }

    static func saveAdapters(_ policy: GFlowNetPolicy, in directory: URL) throws {
        let adapter = directory.appendingPathComponent("adapter")
        try FileManager.default.createDirectory(at: adapter, withIntermediateDirectories: true)
        try policy.saveAdapters(to: adapter)
    }

    static func saveOptimizer(_ optimizer: AdamW, in directory: URL) throws {
        var tensors: [SafetensorsWriter.Tensor] = []
        for (i, entry) in optimizer.state.moments.enumerated() {
            guard let entry else { continue }
            let shape = optimizer.parameters[i].shape
            tensors.append(SafetensorsWriter.Tensor(name: "m.\(i)", shape: shape, values: entry.m))
            tensors.append(SafetensorsWriter.Tensor(name: "v.\(i)", shape: shape, values: entry.v))
        }
        try SafetensorsWriter.write(tensors, metadata: ["format": "gfn-adamw"], to: directory.appendingPathComponent("optimizer.safetensors").path)
    }

    static func loadOptimizer(_ optimizer: AdamW, from directory: URL, steps: Int, hasMoments: [Bool]) throws {
        let file = try SafetensorsFile(path: directory.appendingPathComponent("optimizer.safetensors").path)
        var moments: [(m: [Float], v: [Float])?] = []
        for (i, has) in hasMoments.enumerated() {
            moments.append(has ? (try file.floats("m.\(i)"), try file.floats("v.\(i)")) : nil)
        }
        try optimizer.restore(AdamWState(stepCount: steps, moments: moments))
    }

    static func writeJSON<T: Encodable>(_ value: T, to url: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(value).write(to: url)
    }

    /// The largest step or optimizer-step count a checkpoint may hold: far beyond any run, far below
    /// where counting on would overflow.
    static let maxCounter = 1 << 40

    /// The counters a resume restores, checked: a state edited to step 2^63 − 1 (with its manifest
    /// rewritten) would otherwise trap on the next step's `+= 1`.
    static func checkCounters(step: Int, skippedSteps: Int, optimizerSteps: Int, in directory: URL, context: String) throws {
        let file = directory.appendingPathComponent("trainer_state.json").path
        for (name, value) in [("step", step), ("skippedSteps", skippedSteps), ("optimizerSteps", optimizerSteps)]
        where !(0...maxCounter).contains(value) {
            throw GFlowNetError(context, "\(file): field '\(name)' is \(value), not a count from 0 to 2^40")
        }
        guard skippedSteps <= step else {
            throw GFlowNetError(context, "\(file): \(skippedSteps) skipped steps of only \(step)")
        }
    }

    /// `directory/trainer_state.json`, decoded, once the manifest has vouched for every file of the
    /// checkpoint (this is the first read of every resume); a missing, damaged or malformed file is
    /// an error naming it.
    static func readJSON<T: Decodable>(_ type: T.Type, from directory: URL, context: String) throws -> T {
        let url = directory.appendingPathComponent("trainer_state.json")
        guard let data = try? Data(contentsOf: url) else {
            throw GFlowNetError(context, "\(directory.path) is not a checkpoint: cannot read trainer_state.json")
        }
        try CheckpointManifest.verify(directory, context: context)
        do { return try JSONDecoder().decode(T.self, from: data) } catch {
            throw GFlowNetError(context, "\(url.path) is not a trainer state: \(decodingFailureMessage(error))")
        }
    }
}
