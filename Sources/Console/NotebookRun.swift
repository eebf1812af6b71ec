// Runs a script cell by cell (`# %%` markers) for a notebook report, capturing each cell's output,
// figures, error and run time. Cells run in order in one interpreter, so later cells see earlier
// cells' variables; a figure that is a cell's last expression is shown; after a failing cell the rest are listed but not run, as a notebook's
// "run all" does; prose cells (`# %% [markdown]`) are not run. Line numbers in errors are the script's own.

import Foundation
import Scripting

/// What one cell did.
public struct CellResult {
    /// 1-based.
    public let index: Int
    public let title: String
    public let source: String
    public let firstLine: Int
    public var output = ""
    public var images: [CapturedImage] = []
    /// The error, rendered without colour, if the cell failed.
    public var error: String?
    var scriptError: ScriptError?
    public var interrupted = false
    public var seconds = 0.0
    public var ran = false
    /// A `# %% [markdown]` cell: its comment text is the report's prose, and it is not run.
    public var isProse = false

    func errorRendered(color: Bool) -> String { scriptError?.render(color: color) ?? error ?? "" }
}

/// A figure a cell showed or saved.
public struct CapturedImage {
    public let png: [UInt8]
    public let typeName: String
    /// Where the script saved it, if it did.
    public let savedPath: String?
}

/// The per-cell output sink: keeps what the cell printed and drew, and passes it on to `echo`.
final class CellCapture: OutputSink, ImageSink, ProgressSink {
    var text = ""
    var images: [CapturedImage] = []
    let echo: TerminalOutput?

    init(echo: TerminalOutput?) { self.echo = echo }

    func write(_ text: String) {
        self.text += text
        echo?.write(text)
    }

    func flush() { echo?.flush() }

    func showImage(_ image: any ImageRenderable, savedAt path: String?) throws {
        images.append(CapturedImage(png: try image.pngData(), typeName: image.typeName, savedPath: path))
        try echo?.showImage(image, savedAt: path)
    }

    func progress(_ state: ProgressState) { echo?.progress(state) }
}

/// Executes a script's cells.
public struct NotebookRun {
    public let interpreter: Interpreter
    /// Where output also goes while running (the terminal); nil to only capture.
    public let echo: TerminalOutput?

    public init(interpreter: Interpreter, echo: TerminalOutput?) {
        self.interpreter = interpreter
        self.echo = echo
    }

    /// Runs every cell of `source`; `overrides` are the script's settings (`steps=50`).
    public func run(source: String, path: String, overrides: [String: String]) -> [CellResult] {
        var cells = Interpreter.cells(in: source).map { (title: $0.title, firstLine: $0.firstLine, lastLine: $0.lastLine, source: $0.source) }
        if cells.isEmpty { cells = [(title: "", firstLine: 1, lastLine: Int.max, source: source)] }
        // An override is handed over once the cell declaring its param is reached (the
        // interpreter rejects overrides for params it has not seen).
        let params = (try? Interpreter.params(source: source, file: path)) ?? []
        var results: [CellResult] = []
        var stopped = false
        let saved = interpreter.output
        defer { interpreter.output = saved }
        for (i, cell) in cells.enumerated() {
            var result = CellResult(index: i + 1, title: MarkdownProse.title(cell.title), source: cell.source, firstLine: cell.firstLine)
            result.isProse = MarkdownProse.isProse(title: cell.title)
            if result.isProse { result.ran = true }
            if stopped || result.isProse { results.append(result); continue }
            interpreter.overrides = overrides.filter { key, _ in params.contains { $0.name == key && $0.line <= cell.lastLine } }
            let capture = CellCapture(echo: echo)
            interpreter.output = capture
            let padded = String(repeating: "\n", count: max(0, cell.firstLine - 1)) + cell.source
            let start = ContinuousClock.now
            do {
                let value = try InterruptHandler.whileEvaluating(interpreter.interrupt) {
                    try interpreter.evaluate(padded, file: path)
                }
                // A figure as the cell's last expression is shown, as a notebook does (not after `;`).
                if case .native(let object) = value, let image = object as? any ImageRenderable, !REPL.endsWithSemicolon(cell.source) {
                    try interpreter.display(image)
                }
            } catch let error as ScriptError {
                result.scriptError = error
                result.error = error.render(color: false)
                result.interrupted = error.kind == .interrupted
                stopped = true
            } catch {
                result.error = "error: \(error)\n"
                stopped = true
            }
            result.seconds = REPL.seconds(ContinuousClock.now - start)
            result.ran = true
            result.output = capture.text
            result.images = capture.images
            results.append(result)
        }
        return results
    }
}
