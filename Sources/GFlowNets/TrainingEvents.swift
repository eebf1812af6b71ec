import Foundation

/// The numbers of one optimizer step, with the metric names of the JSON-lines log.
public struct StepMetrics: Sendable, Equatable {
    /// Optimizer steps taken after this one (1 for the first).
    public var step: Int
    /// Mean micro-batch loss (NaN when every micro-batch was non-finite).
    public var loss: Double
    /// Mean terminal log R / T of the step's trajectories.
    public var logReward: Double
    /// Var over trajectories of (log R(Z)/T − log q(Z ⊤ | X)), the calibration diagnostic.
    public var varianceLogRMinusLogPF: Double
    public var learningRate: Double
    public var rewardTemperature: Double
    /// Mean number of latent tokens.
    public var meanLength: Double
    public var gradientNorm: Double
    /// Whether the update was skipped because the loss or a gradient was not finite.
    public var skipped: Bool
    /// Skipped steps so far in this run.
    public var skippedTotal: Int
    /// Behaviours of the micro-batches ("on_policy", "tempered", "replay") with their counts.
    public var behaviours: [String: Int]
    /// Seconds per phase: sampling, reward, forward_backward, optimizer.
    public var seconds: [String: Double]
    /// A method's own numbers (e.g. PPO's `MetricKey.kl`).
    public var extra: [MetricKey: Double] = [:]

    /// The flat `/`-separated record written to metrics.jsonl.
    public var record: [String: Double] {
        var r: [MetricKey: Double] = [
            .step: Double(step), .loss: loss, .logReward: logReward,
            .varianceLogRMinusLogPF: varianceLogRMinusLogPF, .learningRate: learningRate,
            .rewardTemperature: rewardTemperature, .meanLength: meanLength, .gradientNorm: gradientNorm,
            .skippedNonFinite: Double(skippedTotal),
        ]
        for (k, v) in behaviours { r[.behaviour(k)] = Double(v) }
        for (k, v) in seconds { r[.seconds(k)] = v }
        for (k, v) in extra { r[k] = v }
        return Dictionary(uniqueKeysWithValues: r.map { ($0.key.rawValue, $0.value) })
    }
}

/// What a trainer reports to its listeners.
public enum TrainingEvent: Sendable {
    case step(StepMetrics)
    /// Named evaluation numbers at a step (e.g. "eval/kl": 0.3).
    case evaluation(step: Int, values: [String: Double])
    /// A checkpoint was written.
    case checkpoint(step: Int, directory: URL)
    /// Decoded samples of a step, for display.
    case samples(step: Int, texts: [String])
    /// A warning (e.g. a skipped non-finite step).
    case warning(step: Int, message: String)
}

/// A listener's answer: go on, or stop training at the next step boundary.
public enum ListenerDecision: Sendable {
    case `continue`, stop
}

/// Receives the trainer's events.
public protocol TrainingListener: AnyObject {
    func handle(_ event: TrainingEvent) throws -> ListenerDecision
}

/// A listener made of a closure (user callbacks; the Bindings layer wraps script functions).
public final class CallbackListener: TrainingListener {
    let body: (TrainingEvent) throws -> ListenerDecision
    public init(_ body: @escaping (TrainingEvent) throws -> ListenerDecision) { self.body = body }
    public func handle(_ event: TrainingEvent) throws -> ListenerDecision { try body(event) }
}

/// Appends one JSON object per step (and per evaluation) to `metrics.jsonl`: the step's
/// `/`-separated metrics (`train/loss`, `train/logR`, `train/var_logR_minus_logPF`, `lr`,
/// `reward_temperature`, `time/<phase>`, …). Non-finite values are written as null.
public final class MetricsLog: TrainingListener {
    public let url: URL
    private let handle: FileHandle

    /// Opens (creating) `directory/metrics.jsonl`.
    public init(directory: URL) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        url = directory.appendingPathComponent("metrics.jsonl")
        if !FileManager.default.fileExists(atPath: url.path) {
            guard FileManager.default.createFile(atPath: url.path, contents: nil) else {
                throw GFlowNetError("metrics log", "cannot create \(url.path)")
            }
        }
        do { handle = try FileHandle(forWritingTo: url) } catch {
            throw GFlowNetError("metrics log", "cannot open \(url.path): \(error.localizedDescription)")
        }
        handle.seekToEndOfFile()
    }

    /// `runs/<name>/<UTC timestamp>/` under `root`.
    public static func runDirectory(root: URL, name: String, date: Date = Date()) -> URL {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd-HHmmss"
        return root.appendingPathComponent("runs").appendingPathComponent(name).appendingPathComponent(formatter.string(from: date))
    }

    deinit { try? handle.close() }

    public func handle(_ event: TrainingEvent) throws -> ListenerDecision {
        switch event {
        case .step(let m): try write(m.record)
        case .evaluation(let step, let values): try write(values.merging([MetricKey.step.rawValue: Double(step)]) { a, _ in a })
        default: break
        }
        return .continue
    }

    func write(_ record: [String: Double]) throws {
        let fields = record.keys.sorted().map { key -> String in
            let v = record[key] ?? .nan
            let value = v.isFinite ? (v == v.rounded() && abs(v) < 1e15 ? String(Int(v)) : "\(v)") : "null"
            return "\"\(key)\":\(value)"
        }
        handle.write(Data(("{" + fields.joined(separator: ",") + "}\n").utf8))
    }
}

/// One line per step on standard output: step, loss, log R, T, lr, time.
public final class ProgressPrinter: TrainingListener {
    public let every: Int
    public let totalSteps: Int?
    let output: (String) -> Void

    public init(every: Int = 1, totalSteps: Int? = nil, output: @escaping (String) -> Void = { print($0) }) {
        self.every = max(1, every)
        self.totalSteps = totalSteps
        self.output = output
    }

    public func handle(_ event: TrainingEvent) throws -> ListenerDecision {
        switch event {
        case .step(let m) where m.step % every == 0 || m.step == totalSteps:
            let of = totalSteps.map { "/\($0)" } ?? ""
            let time = m.seconds.values.reduce(0, +)
            output(String(format: "step %d%@  loss %.4g  logR %.3f  var(logR-logq) %.3g  T %.3f  lr %.2e  %.2fs%@",
                          m.step, of, m.loss, m.logReward, m.varianceLogRMinusLogPF, m.rewardTemperature,
                          m.learningRate, time, m.skipped ? "  (skipped: non-finite)" : ""))
        case .warning(let step, let message):
            output("warning at step \(step): \(message)")
        case .checkpoint(let step, let directory):
            output("checkpoint at step \(step): \(directory.path)")
        default:
            break
        }
        return .continue
    }
}
