import Foundation
import ModelFormats
import Tensors

/// Checkpoints of a GFlowNet run, one directory each (the layout of `CheckpointFiles`):
///
///     adapter/                 the policy's adapters (PEFT layout for LanguageModelPolicy)
///     optimizer.safetensors    AdamW moments m.<i>, v.<i> per trainable parameter
///     replay_buffer.json       the replay buffer (ReplayBuffer.save)
///     trainer_state.json       step, skipped-step counters, optimizer step count, seed, log Z values
///
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
        /// Examples whose buffers were seeded (absent in checkpoints of runs without seeding).
        var seededKeys: [String]?
    }

    public func saveCheckpoint(to directory: URL) throws {
        try CheckpointFiles.writeAtomically(to: directory) { tmp in
            try CheckpointFiles.saveAdapters(policy, in: tmp)
            try CheckpointFiles.saveOptimizer(optimizer, in: tmp)
            try replayBuffer.save(to: tmp.appendingPathComponent("replay_buffer.json"))
            let state = optimizer.state
            try CheckpointFiles.writeJSON(State(step: step, skippedSteps: skippedSteps, seed: configuration.seed,
                                                optimizerSteps: state.stepCount, optimizerHasMoments: state.moments.map { $0 != nil },
                                                logPartitions: logPartitions.values, loss: configuration.loss.name,
                                                seededKeys: seededKeys.sorted()),
                                          to: tmp.appendingPathComponent("trainer_state.json"))
        }
    }

    /// Restores adapters, optimizer, replay buffer, step and log Z from `saveCheckpoint`'s
    /// directory; the next `trainStep` continues the run exactly.
    public func resume(from directory: URL) throws {
        let context = "resume"
        let saved = try CheckpointFiles.readJSON(State.self, from: directory, context: context)
        try CheckpointFiles.checkCounters(step: saved.step, skippedSteps: saved.skippedSteps, optimizerSteps: saved.optimizerSteps,
                                          in: directory, context: context)
        guard saved.loss == configuration.loss.name else {
            throw GFlowNetError(context, "the checkpoint was trained with loss \"\(saved.loss)\", this trainer uses \"\(configuration.loss.name)\"")
        }
        guard saved.optimizerHasMoments.count == optimizer.parameters.count else {
            throw GFlowNetError(context, "the checkpoint has \(saved.optimizerHasMoments.count) trainable tensors, the policy \(optimizer.parameters.count): different adapters")
        }
        try policy.loadAdapters(from: directory.appendingPathComponent("adapter"))
        try CheckpointFiles.loadOptimizer(optimizer, from: directory, steps: saved.optimizerSteps, hasMoments: saved.optimizerHasMoments)
        replayBuffer = try ReplayBuffer.load(from: directory.appendingPathComponent("replay_buffer.json"))
        try logPartitions.restore(saved.logPartitions)
        step = saved.step
        nonFinite.skipped = saved.skippedSteps
        seededKeys = Set(saved.seededKeys ?? [])
    }
}
