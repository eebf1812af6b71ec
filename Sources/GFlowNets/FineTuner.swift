import Foundation
import ProcessGroups
import Randomness
import Tensors

/// What every trainer of a policy's adapters shares, whatever its objective (GFlowNet balance
/// losses, supervised fine-tuning, PPO, REINFORCE): a step counter, listeners that receive its
/// events, a stop flag, periodic checkpoints, and `fit`, the loop that ties them together.
/// Bindings and scripts drive every method through this one surface.
public protocol FineTuner: AnyObject {
    /// The policy whose adapters are trained (and saved by `tuner.save`).
    var policy: GFlowNetPolicy { get }
    /// The objective the adapters are trained with.
    var method: TrainingMethod { get }
    /// Optimizer steps taken.
    var step: Int { get }
    /// Listeners, the stop flag and where checkpoints go: what `fit` needs besides the step.
    var controls: TrainingControls { get }
    /// One optimizer step; emits `.step` (and `.warning`s) to the listeners.
    @discardableResult func trainStep() throws -> StepMetrics
    func saveCheckpoint(to directory: URL) throws
    /// Restores what `saveCheckpoint` wrote, so the next `trainStep` continues the run exactly.
    func resume(from directory: URL) throws
}

/// The part of a trainer that `fit` drives, the same for every method.
public final class TrainingControls {
    public var listeners: [TrainingListener] = []
    /// Set (e.g. by Ctrl-C) to stop `fit` at the next step boundary, as an interrupt.
    public let stopRequest = StopRequest()
    /// Polled at every step boundary with `stopRequest`: true stops `fit` there as an interrupt (the
    /// bindings pass the interpreter's Ctrl-C flag, which a signal handler sets mid-step).
    public var interruptRequested: () -> Bool = { false }
    /// Whether the last `fit` ended because an interrupt reached some rank: every rank agrees on it,
    /// so every rank stops at the same step and ends the same way.
    public internal(set) var interrupted = false
    /// Where `fit` writes checkpoints (nil: none) and how often (in steps; 0: only at the end).
    public var checkpointDirectory: URL?
    public var checkpointEvery = 0
    /// Set by `emit` when a listener answered `.stop` to a step event; `fit` reads and clears it.
    var stopRequestedByListeners = false
    /// The ranks the steps are split across (`mpirun -np N`); one process by default. Only rank 0
    /// writes checkpoints; every rank must run the same steps.
    public var processGroup: ProcessGroup = .world

    public init() {}
}

extension FineTuner {
    public var listeners: [TrainingListener] {
        get { controls.listeners }
        set { controls.listeners = newValue }
    }
    public var stopRequest: StopRequest { controls.stopRequest }
    public var checkpointDirectory: URL? {
        get { controls.checkpointDirectory }
        set { controls.checkpointDirectory = newValue }
    }
    public var checkpointEvery: Int {
        get { controls.checkpointEvery }
        set { controls.checkpointEvery = newValue }
    }
    public var processGroup: ProcessGroup {
        get { controls.processGroup }
        set { controls.processGroup = newValue }
    }

    /// Whether to stop at this step boundary, and whether because of an interrupt, as every rank
    /// agrees: true on every rank if true on any (one allreduce of two numbers). A stop (a listener's,
    /// Ctrl-C on any rank) must end every rank's loop at the same step, or the others would wait for
    /// it forever; ranks see a signal at different moments, so each votes with what it has seen.
    func agreedStop(listenerStop: Bool) throws -> (stop: Bool, interrupt: Bool) {
        let interrupt = stopRequest.isRequested || controls.interruptRequested()
        var votes: [Double] = [listenerStop ? 1 : 0, interrupt ? 1 : 0]
        if processGroup.size > 1 { try processGroup.allreduceMax(&votes) }
        return (votes[0] > 0 || votes[1] > 0, votes[1] > 0)
    }

    /// Rank 0 writes the checkpoint; the others wait until it is on disk (they may read it next).
    func saveCheckpointOnRankZero(to directory: URL) throws {
        if processGroup.isPrimary { try saveCheckpoint(to: directory) }
        try processGroup.barrier()
    }

    /// Sends `event` to every listener; true if one asked to stop.
    func emit(_ event: TrainingEvent) throws -> Bool {
        var stop = false
        for listener in listeners where try listener.handle(event) == .stop { stop = true }
        return stop
    }

    /// Emits a step's events: a warning when it was skipped, then the step itself (a listener's
    /// `.stop` is remembered for `fit`).
    func report(_ metrics: StepMetrics, nonFinite: NonFiniteGuard) throws {
        if metrics.skipped {
            _ = try emit(.warning(step: metrics.step, message: "non-finite loss or gradient: step skipped (\(nonFinite.consecutive) in a row, \(nonFinite.skipped) in all)"))
        }
        if try emit(.step(metrics)) { controls.stopRequestedByListeners = true }
    }

    /// Trains until `steps` more optimizer steps are done, a listener asks to stop, or an
    /// interrupt arrives (`stopRequest`, `interruptRequested`; `interrupted` then says so): always
    /// at a step boundary, the same on every rank. Writes a checkpoint every `checkpointEvery`
    /// steps and at the end (an interrupted end too) when `checkpointDirectory` is set.
    /// Returns the metrics of the steps taken.
    @discardableResult
    public func fit(steps: Int) throws -> [StepMetrics] {
        guard steps >= 0 else { throw GFlowNetError("fit", "steps must be ≥ 0, got \(steps)") }
        var history: [StepMetrics] = []
        controls.interrupted = false
        controls.stopRequestedByListeners = false
        var vote = try agreedStop(listenerStop: false)
        while !vote.stop, history.count < steps {
            let m = try trainStep()
            history.append(m)
            var stop = false
            if let dir = checkpointDirectory, checkpointEvery > 0, step % checkpointEvery == 0 {
                try saveCheckpointOnRankZero(to: dir)
                stop = try emit(.checkpoint(step: step, directory: dir))
            }
            // A listener's stop request arrives with the step event; re-check it here.
            let listenersStop = controls.stopRequestedByListeners
            controls.stopRequestedByListeners = false
            vote = try agreedStop(listenerStop: stop || listenersStop)
        }
        if let dir = checkpointDirectory, !(checkpointEvery > 0 && step % checkpointEvery == 0 && !history.isEmpty) {
            try saveCheckpointOnRankZero(to: dir)
            _ = try emit(.checkpoint(step: step, directory: dir))
        }
        // An interrupt that arrived after the last vote (while the final checkpoint was written)
        // is agreed too, so that no rank alone stops in the script code that follows.
        let late = try agreedStop(listenerStop: false)
        controls.interrupted = vote.interrupt || late.interrupt
        return history
    }
}

/// The generator of optimizer step `step` of a run seeded with `seed`: seeded from (seed, step)
/// so that a run resumed at step s draws exactly what the uninterrupted run drew.
public func stepGenerator(seed: UInt64, step: Int) -> RandomGenerator {
    var mixer = SplitMix64(seed: seed ^ (UInt64(truncatingIfNeeded: step) &* 0x9E37_79B9_7F4A_7C15))
    return RandomGenerator(seed: mixer.next())
}

/// Counts non-finite steps: a step whose loss or gradient is not finite is skipped (gradients
/// dropped, no update); too many in a row stop training with an error.
public struct NonFiniteGuard: Sendable {
    public let limit: Int
    public internal(set) var consecutive = 0
    /// Skipped steps in the whole run.
    public internal(set) var skipped = 0

    public init(limit: Int) { self.limit = limit }

    mutating func record(skipped wasSkipped: Bool) {
        if wasSkipped { consecutive += 1; skipped += 1 } else { consecutive = 0 }
    }

    /// Throws once `limit` steps in a row were skipped; `hint` says what to try.
    func check(step: Int, context: String, hint: String) throws {
        if consecutive >= limit {
            throw GFlowNetError(context, "\(consecutive) consecutive steps had a non-finite loss or gradient (last at step \(step)); stopping. \(hint)")
        }
    }
}

extension AdamW {
    /// The update every trainer makes once its gradients are accumulated: clip the global norm
    /// (to `maxNorm`, or only measure it when nil), then step at `learningRate` unless the loss
    /// or the norm was not finite, in which case the gradients are dropped. `extra` are other
    /// leaves whose gradients are dropped with them (e.g. log Z). Returns the norm and whether
    /// the step was skipped.
    func guardedStep(learningRate: Float, maxNorm: Float?, lossIsFinite: Bool, extra: [Tensor] = []) throws
        -> (gradientNorm: Double, skipped: Bool) {
        var gradientNorm = Double.nan
        var skip = !lossIsFinite
        if !skip {
            let norm = clipGradientNorm(parameters, maxNorm: maxNorm ?? .infinity)
            gradientNorm = Double(norm)
            if !norm.isFinite { skip = true }
        }
        if skip {
            zeroGrad()
            for p in extra { p.grad = nil }
        } else {
            self.learningRate = learningRate
            try step()
            zeroGrad()
        }
        return (gradientNorm, skip)
    }
}
