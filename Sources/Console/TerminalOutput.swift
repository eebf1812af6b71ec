// The output sink of the gfn command: script output on stdout, progress bars on stderr (only when
// it is a terminal and not silenced), and figures inline when the terminal can show images,
// otherwise as the path of the saved PNG.

#if canImport(Glibc)
@preconcurrency import Glibc
#endif
import Foundation
import Scripting

/// Standard output that also shows figures and progress.
public final class TerminalOutput: OutputSink, ImageSink, ProgressSink {
    private let terminal: Terminal
    private let showProgress: Bool
    private var bar = ProgressBar()
    private var figureCount = 0
    /// Where figures that were not saved by the script are written, so there is a path to print.
    public let figureDirectory: String

    public init(terminal: Terminal, quiet: Bool, figureDirectory: String? = nil) {
        self.terminal = terminal
        self.showProgress = terminal.stderrIsTTY && !quiet
        self.figureDirectory = figureDirectory
            ?? (NSTemporaryDirectory() as NSString).appendingPathComponent("gfn-figures-\(getpid())")
        if let cols = ProcessInfo.processInfo.environment["COLUMNS"].flatMap(Int.init), cols > 20 { bar.width = cols - 1 }
    }

    public func write(_ text: String) {
        if bar.visible { StandardError.write(bar.clear()) }
        print(text, terminator: "")
        // Line by line, also into a pipe or a log file: a training run's progress must show as it happens.
        if text.contains("\n") { fflush(nil) }
    }

    // fflush(nil) flushes every stream: naming Glibc's `stdout` here fails to compile in release (Swift 6 concurrency).
    public func flush() { fflush(nil) }

    public func showImage(_ image: any ImageRenderable, savedAt path: String?) throws {
        let png = try image.pngData()
        var location = path
        if location == nil {
            try FileManager.default.createDirectory(atPath: figureDirectory, withIntermediateDirectories: true)
            figureCount += 1
            let file = (figureDirectory as NSString).appendingPathComponent("figure-\(figureCount).png")
            guard FileManager.default.createFile(atPath: file, contents: Data(png)) else {
                throw ConsoleError("cannot write the figure to '\(file)'")
            }
            location = file
        }
        if let proto = terminal.imageProtocol {
            write(InlineImage.sequence(for: png, using: proto, name: ((location ?? "figure.png") as NSString).lastPathComponent))
        }
        write("[\(image.typeName): \(location ?? "")]\n")
        flush()
    }

    public func progress(_ state: ProgressState) {
        guard showProgress else { return }
        let text = bar.render(state)
        guard !text.isEmpty else { return }
        fflush(nil)  // all streams: naming Glibc's `stdout` fails to compile in release (Swift 6 concurrency)
        StandardError.write(text)
    }
}

/// An error of the console itself (a file it cannot write), shown like a script error.
public struct ConsoleError: Error, CustomStringConvertible {
    public let description: String
    public init(_ message: String) { description = message }
}
