import Foundation
import Tensors

/// The optimisation settings the baseline trainers (supervised fine-tuning, PPO, REINFORCE)
/// share: AdamW on the adapters, a learning-rate schedule, gradient clipping, the non-finite guard.
public struct OptimizerSettings: Sendable {
    public var learningRate: Float = 1e-4
    public var learningRateSchedule: LearningRateSchedule = .constant
    public var weightDecay: Float = 0.01
    public var beta1: Float = 0.9, beta2: Float = 0.999
    /// Clip the global gradient norm to this (nil: no clipping).
    public var maxGradientNorm: Float? = 1
    /// Consecutive non-finite steps tolerated before training stops with an error.
    public var maxConsecutiveNonFinite = 5
    public var seed: UInt64 = 0

    public init() {}

    func validate(_ context: String) throws {
        guard learningRate >= 0, learningRate.isFinite else { throw GFlowNetError(context, "learning rate must be ≥ 0, got \(learningRate)") }
        guard weightDecay >= 0, weightDecay.isFinite else { throw GFlowNetError(context, "weight decay must be ≥ 0, got \(weightDecay)") }
        if let m = maxGradientNorm, !(m > 0) { throw GFlowNetError(context, "max gradient norm must be positive, got \(m)") }
        guard maxConsecutiveNonFinite >= 1 else { throw GFlowNetError(context, "max consecutive non-finite steps must be ≥ 1") }
    }

    /// AdamW over the policy's trainable parameters (an error if it has none).
    func makeOptimizer(for policy: GFlowNetPolicy, _ context: String) throws -> AdamW {
        let parameters = policy.trainableParameters
        guard !parameters.isEmpty else {
            throw GFlowNetError(context, "the policy has no trainable parameters: add LoRA adapters first (lm.lora(...))")
        }
        return try AdamW(parameters: parameters, learningRate: learningRate, beta1: beta1, beta2: beta2, weightDecay: weightDecay)
    }

    func learningRate(atStep step: Int) -> Float { learningRateSchedule.learningRate(base: learningRate, atStep: step) }
}

/// What a baseline trainer's trainer_state.json holds (see `CheckpointFiles`).
struct BaselineTrainerState: Codable {
    var method: String
    var step: Int
    var skippedSteps: Int
    var seed: UInt64
    var optimizerSteps: Int
    var optimizerHasMoments: [Bool]
    /// Method-specific numbers (REINFORCE's moving-average baseline).
    var values: [String: Double] = [:]
}

/// Checkpoint and resume for the baseline trainers: adapters, AdamW moments, counters.
protocol BaselineCheckpointing: FineTuner {
    var optimizer: AdamW { get }
    var optimization: OptimizerSettings { get }
    var nonFinite: NonFiniteGuard { get set }
    var step: Int { get set }
    /// Extra numbers to save and restore.
    var checkpointValues: [String: Double] { get set }
}

extension BaselineCheckpointing {
    func writeCheckpoint(to directory: URL) throws {
        try CheckpointFiles.writeAtomically(to: directory) { tmp in
            try CheckpointFiles.saveAdapters(policy, in: tmp)
            try CheckpointFiles.saveOptimizer(optimizer, in: tmp)
            let state = optimizer.state
            try CheckpointFiles.writeJSON(BaselineTrainerState(method: method.rawValue, step: step, skippedSteps: nonFinite.skipped,
                                                               seed: optimization.seed, optimizerSteps: state.stepCount,
                                                               optimizerHasMoments: state.moments.map { $0 != nil },
                                                               values: checkpointValues),
                                          to: tmp.appendingPathComponent("trainer_state.json"))
        }
    }

    func readCheckpoint(from directory: URL) throws {
        let context = "resume"
        let saved = try CheckpointFiles.readJSON(BaselineTrainerState.self, from: directory, context: context)
        try CheckpointFiles.checkCounters(step: saved.step, skippedSteps: saved.skippedSteps, optimizerSteps: saved.optimizerSteps,
                                          in: directory, context: context)
        guard saved.method == method.rawValue else {
            throw GFlowNetError(context, "the checkpoint in \(directory.path) was written by \(saved.method), this trainer is \(method.rawValue)")
        }
        guard saved.optimizerHasMoments.count == optimizer.parameters.count else {
            throw GFlowNetError(context, "the checkpoint has \(saved.optimizerHasMoments.count) trainable tensors, the policy \(optimizer.parameters.count): different adapters")
        }
        try policy.loadAdapters(from: directory.appendingPathComponent("adapter"))
        try CheckpointFiles.loadOptimizer(optimizer, from: directory, steps: saved.optimizerSteps, hasMoments: saved.optimizerHasMoments)
        step = saved.step
        nonFinite.skipped = saved.skippedSteps
        checkpointValues = saved.values
    }
}
