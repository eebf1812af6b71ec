// Facts about the process's terminal, read once: which standard streams are terminals, whether
// colour is wanted, and which inline-image protocol the terminal speaks.

#if canImport(Glibc)
@preconcurrency import Glibc
#endif
import Foundation

/// What the standard streams are connected to.
public struct Terminal: Sendable {
    public var stdinIsTTY: Bool
    public var stdoutIsTTY: Bool
    public var stderrIsTTY: Bool
    /// Escape codes for colour on stderr diagnostics (a terminal, and NO_COLOR unset, TERM not dumb).
    public var colorErrors: Bool
    /// How figures are shown inline on stdout, if at all.
    public var imageProtocol: InlineImage.Style?

    public init(stdinIsTTY: Bool, stdoutIsTTY: Bool, stderrIsTTY: Bool, colorErrors: Bool, imageProtocol: InlineImage.Style?) {
        self.stdinIsTTY = stdinIsTTY
        self.stdoutIsTTY = stdoutIsTTY
        self.stderrIsTTY = stderrIsTTY
        self.colorErrors = colorErrors
        self.imageProtocol = imageProtocol
    }

    /// The current process's streams and environment.
    public static func current(environment: [String: String] = ProcessInfo.processInfo.environment) -> Terminal {
        let inTTY = isatty(STDIN_FILENO) != 0, outTTY = isatty(STDOUT_FILENO) != 0, errTTY = isatty(STDERR_FILENO) != 0
        let dumb = environment["TERM"] == "dumb"
        let noColor = environment["NO_COLOR"].map { !$0.isEmpty } ?? false
        return Terminal(stdinIsTTY: inTTY, stdoutIsTTY: outTTY, stderrIsTTY: errTTY,
                        colorErrors: errTTY && !dumb && !noColor,
                        imageProtocol: outTTY ? InlineImage.detect(environment) : nil)
    }

    /// The interactive editor is used only when both ends are terminals (libedit turns editing
    /// off otherwise, and reads one byte per system call).
    public var interactive: Bool { stdinIsTTY && stdoutIsTTY }
}

/// Unbuffered writes to stderr (diagnostics, progress bars).
enum StandardError {
    static func write(_ text: String) {
        var bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeMutableBytes { Glibc.write(STDERR_FILENO, $0.baseAddress! + offset, $0.count - offset) }
            if n <= 0 { if n < 0 && errno == EINTR { continue }; return }
            offset += n
        }
    }
}
