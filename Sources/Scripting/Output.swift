// Where scripts' output goes. The REPL's notebook report installs a capturing sink per cell.

#if canImport(Glibc)
@preconcurrency import Glibc
#endif
import Foundation

/// A destination for `print` and friends.
public protocol OutputSink: AnyObject {
    func write(_ text: String)
    /// Called at the end of every evaluation.
    func flush()
}

extension OutputSink {
    public func flush() {}
}

/// Standard output (buffered; flushed after every evaluation).
public final class StandardOutput: OutputSink {
    public init() {}
    public func write(_ text: String) { print(text, terminator: "") }
    public func flush() { fflush(stdout) }
}

/// Collects output in memory (tests, notebook reports).
public final class CapturedOutput: OutputSink {
    public private(set) var text = ""
    public init() {}
    public func write(_ text: String) { self.text += text }
    /// Returns what was written so far and starts afresh.
    public func take() -> String { defer { text = "" }; return text }
}

/// Drops everything: the ranks other than 0 of a run across processes (`mpirun`), whose output
/// would repeat rank 0's.
public final class DiscardedOutput: OutputSink {
    public init() {}
    public func write(_ text: String) {}
}
