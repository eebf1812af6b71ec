// Progress of long native work (sampling, training, evaluation). Bindings create a reporter per
// task and advance it at each step; the host's output sink draws it (the gfn command draws a bar
// on stderr when that is a terminal). Lower layers (the engine) stay free of this API: they take a
// per-step callback, and the binding that calls them adapts it to a reporter.

/// A snapshot of one task's progress, as a sink receives it.
public struct ProgressState: Sendable {
    /// Distinguishes concurrent tasks.
    public let id: Int
    public let title: String
    public var done: Int
    /// nil when the amount of work is not known in advance.
    public var total: Int?
    /// The latest metric (`loss`, `reward`), if any.
    public var metricName: String?
    public var metricValue: Double?
    /// Seconds since the task began.
    public var elapsed: Double
    public var finished: Bool

    public init(id: Int, title: String, done: Int, total: Int?, metricName: String? = nil, metricValue: Double? = nil,
                elapsed: Double, finished: Bool) {
        self.id = id
        self.title = title
        self.done = done
        self.total = total
        self.metricName = metricName
        self.metricValue = metricValue
        self.elapsed = elapsed
        self.finished = finished
    }
}

/// An output sink that shows progress.
public protocol ProgressSink: OutputSink {
    func progress(_ state: ProgressState)
}

/// Reports the progress of one task. Every `advance` also checks for an interrupt, so a binding
/// that reports each step is interruptible (Ctrl-C) at its step boundaries.
public final class ProgressReporter {
    private unowned let interpreter: Interpreter
    private var state: ProgressState
    private let start: ContinuousClock.Instant

    nonisolated(unsafe) private static var nextID = 0

    public init(_ interpreter: Interpreter, title: String, total: Int?) {
        self.interpreter = interpreter
        ProgressReporter.nextID += 1
        start = .now
        state = ProgressState(id: ProgressReporter.nextID, title: title, done: 0, total: total, metricName: nil,
                              metricValue: nil, elapsed: 0, finished: false)
        send()
    }

    /// Records that `done` units are finished (and the latest metric); throws "interrupted" when
    /// the user asked to stop.
    public func advance(to done: Int, metric name: String? = nil, value: Double? = nil) throws {
        state.done = done
        if let name { state.metricName = name }
        if let value { state.metricValue = value }
        send()
        try interpreter.checkInterrupt()
    }

    /// One more unit done.
    public func step(metric name: String? = nil, value: Double? = nil) throws {
        try advance(to: state.done + 1, metric: name, value: value)
    }

    /// Marks the task finished (also when it stopped early); a sink removes or completes its bar.
    public func finish() {
        guard !state.finished else { return }
        state.finished = true
        send()
    }

    deinit { finish() }

    private func send() {
        let d = ContinuousClock.now - start
        state.elapsed = Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
        (interpreter.output as? ProgressSink)?.progress(state)
    }
}
