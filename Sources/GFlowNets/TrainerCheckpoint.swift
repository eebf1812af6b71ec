import Foundation
import ModelFormats
import Tensors

/// Checkpoints of a GFlowNet run, one directory each:
///
///     adapter/                 the policy's adapters (PEFT layout for LanguageModelPolicy)
///     optimizer.safetensors    AdamW moments m.<i>, v.<i> per trainable parameter
///     replay_buffer.json       the replay buffer (ReplayBuffer.save)
///     trainer_state.json       step, skipped-step counters, optimizer step count, seed, log Z values
///
/// Written atomically: everything goes to a temporary sibling directory, which then replaces
/// the old checkpoint by rename, so an interrupted write never leaves a half checkpoint.
/// The random state needs no file: step s always draws from a generator seeded by (seed, s).
extension GFlowNetTrainer {
    struct State: Codable {
        var step: Int
        var skippedSteps: Int
        var seed: UInt64
        var optimizerSteps: Int
        var optimizerHasMoments: [Bool]
        var logPartitions: [String: Float]
        var loss: String
    }

    public func saveCheckpoint(to directory: URL) throws {
        let fm = FileManager.default
        let parent = directory.deletingLastPathComponent()
        try fm.createDirectory(at: parent, withIntermediateDirectories: true)
        let tmp = parent.appendingPathComponent(".\(directory.lastPathComponent).tmp-\(getpid())")
        try? fm.removeItem(at: tmp)
        try fm.createDirectory(at: tmp, withIntermediateDirectories: true)
        let adapter = tmp.appendingPathComponent("adapter")
        try fm.createDirectory(at: adapter, withIntermediateDirectories: true)
        try policy.saveAdapters(to: adapter)

        let state = optimizer.state
        var tensors: [SafetensorsWriter.Tensor] = []
        for (i, entry) in state.moments.enumerated() {
            guard let entry else { continue }
            let shape = optimizer.parameters[i].shape
            tensors.append(SafetensorsWriter.Tensor(name: "m.\(i)", shape: shape, values: entry.m))
            tensors.append(SafetensorsWriter.Tensor(name: "v.\(i)", shape: shape, values: entry.v))
        }
        try SafetensorsWriter.write(tensors, metadata: ["format": "gfn-adamw"], to: tmp.appendingPathComponent("optimizer.safetensors").path)
        try replayBuffer.save(to: tmp.appendingPathComponent("replay_buffer.json"))
        let trainerState = State(step: step, skippedSteps: skippedSteps, seed: configuration.seed, optimizerSteps: state.stepCount,
                                 optimizerHasMoments: state.moments.map { $0 != nil }, logPartitions: logPartitions.values,
                                 loss: configuration.loss.name)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(trainerState).write(to: tmp.appendingPathComponent("trainer_state.json"))

        let old = parent.appendingPathComponent(".\(directory.lastPathComponent).old-\(getpid())")
        try? fm.removeItem(at: old)
        if fm.fileExists(atPath: directory.path) { try fm.moveItem(at: directory, to: old) }
        try fm.moveItem(at: tmp, to: directory)
        try? fm.removeItem(at: old)
    }

    /// Restores adapters, optimizer, replay buffer, step and log Z from `saveCheckpoint`'s
    /// directory; the next `trainStep` continues the run exactly.
    public func resume(from directory: URL) throws {
        let context = "resume"
        let stateURL = directory.appendingPathComponent("trainer_state.json")
        guard let data = try? Data(contentsOf: stateURL) else {
            throw GFlowNetError(context, "\(directory.path) is not a checkpoint: cannot read trainer_state.json")
        }
        let saved: State
        do { saved = try JSONDecoder().decode(State.self, from: data) } catch {
            throw GFlowNetError(context, "\(stateURL.path): \(error)")
        }
        guard saved.loss == configuration.loss.name else {
            throw GFlowNetError(context, "the checkpoint was trained with loss \"\(saved.loss)\", this trainer uses \"\(configuration.loss.name)\"")
        }
        guard saved.optimizerHasMoments.count == optimizer.parameters.count else {
            throw GFlowNetError(context, "the checkpoint has \(saved.optimizerHasMoments.count) trainable tensors, the policy \(optimizer.parameters.count): different adapters")
        }
        try policy.loadAdapters(from: directory.appendingPathComponent("adapter"))
        let file = try SafetensorsFile(path: directory.appendingPathComponent("optimizer.safetensors").path)
        var moments: [(m: [Float], v: [Float])?] = []
        for (i, has) in saved.optimizerHasMoments.enumerated() {
            moments.append(has ? (try file.floats("m.\(i)"), try file.floats("v.\(i)")) : nil)
        }
        try optimizer.restore(AdamWState(stepCount: saved.optimizerSteps, moments: moments))
        replayBuffer = try ReplayBuffer.load(from: directory.appendingPathComponent("replay_buffer.json"))
        try logPartitions.restore(saved.logPartitions)
        step = saved.step
        skippedSteps = saved.skippedSteps
    }
}
