// The notebook report of a script run, as Markdown or as one self-contained HTML file: per cell
// its title, source, captured output, figures (linked files in Markdown, data: URIs in HTML),
// error and run time; prose cells (`# %% [markdown]`) as their Markdown text.

import Foundation

/// The two report formats, chosen by the output file's extension.
public enum ReportFormat: Sendable {
    case markdown, html

    public init?(path: String) {
        switch (path as NSString).pathExtension.lowercased() {
        case "md", "markdown": self = .markdown
        case "html", "htm": self = .html
        default: return nil
        }
    }
}

/// A finished run, ready to be written.
public struct ReportDocument {
    public let scriptPath: String
    public let commandLine: String
    public let cells: [CellResult]
    public var date = Date()

    public init(scriptPath: String, commandLine: String, cells: [CellResult]) {
        self.scriptPath = scriptPath
        self.commandLine = commandLine
        self.cells = cells
    }

    /// Writes the report (and, for Markdown, the figures that were not saved elsewhere, into
    /// `<name>_files/` beside it).
    public func write(to path: String) throws {
        guard let format = ReportFormat(path: path) else { throw ConsoleError("'\(path)' is not a .md or .html path") }
        let dir = (path as NSString).deletingLastPathComponent
        if !dir.isEmpty { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) }
        let text: String
        switch format {
        case .html: text = html()
        case .markdown: text = try markdown(reportPath: path)
        }
        try Data(text.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
    }

    /// Why writing failed, in words ("permission denied", "no such folder"), not Foundation's
    /// CocoaError dump with its user-info dictionary.
    static func reason(_ error: Error) -> String {
        if let own = error as? ConsoleError { return "\(own)" }
        let ns = error as NSError
        if let posix = ns.userInfo[NSUnderlyingErrorKey] as? NSError, posix.domain == NSPOSIXErrorDomain {
            return String(cString: strerror(Int32(posix.code))).lowercased()
        }
        if ns.domain == NSPOSIXErrorDomain { return String(cString: strerror(Int32(ns.code))).lowercased() }
        switch CocoaError.Code(rawValue: ns.code) {
        case .fileWriteNoPermission: return "permission denied"
        case .fileWriteOutOfSpace: return "no space left on the device"
        case .fileWriteVolumeReadOnly: return "the file system is read-only"
        case .fileNoSuchFile, .fileWriteInvalidFileName: return "no such folder"
        case .fileWriteFileExists: return "a file is in the way"
        default: return "the file cannot be written here"
        }
    }

    var totalSeconds: Double { cells.reduce(0) { $0 + $1.seconds } }

    /// Code cells numbered 1, 2, … in order; prose cells carry no number.
    var codeCellNumbers: [Int: Int] {
        var numbers: [Int: Int] = [:]
        for cell in cells where !cell.isProse { numbers[cell.index] = numbers.count + 1 }
        return numbers
    }

    var summary: String {
        let code = cells.filter { !$0.isProse }, numbers = codeCellNumbers
        let failed = code.first { $0.error != nil }
        let ran = code.filter(\.ran).count
        var s = "\(code.count) cell\(code.count == 1 ? "" : "s"), \(REPL.formatSeconds(totalSeconds)) in all; "
        if let failed {
            s += "cell \(numbers[failed.index] ?? failed.index) failed" + (ran < code.count ? ", \(code.count - ran) not run" : "")
        } else {
            s += "all ran without error"
        }
        return s
    }

    var dateText: String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withFullDate, .withTime, .withColonSeparatorInTime, .withSpaceBetweenDateAndTime]
        return f.string(from: date) + " UTC"
    }

    static func cellHeading(_ cell: CellResult, number: Int) -> String {
        "\(number). " + (cell.title.isEmpty ? "Cell \(number)" : cell.title)
    }

    /// The cell's source without its `# %%` line.
    static func body(_ cell: CellResult) -> String {
        var lines = cell.source.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if let first = lines.first, first.trimmingCharacters(in: .whitespaces).hasPrefix("# %%") { lines.removeFirst() }
        while let l = lines.first, l.trimmingCharacters(in: .whitespaces).isEmpty { lines.removeFirst() }
        while let l = lines.last, l.trimmingCharacters(in: .whitespaces).isEmpty { lines.removeLast() }
        return lines.joined(separator: "\n")
    }

    // MARK: - Markdown

    func markdown(reportPath: String) throws -> String {
        let base = ((reportPath as NSString).lastPathComponent as NSString).deletingPathExtension
        let reportDir = (reportPath as NSString).deletingLastPathComponent
        let filesDirName = base + "_files"
        var out = "# \((scriptPath as NSString).lastPathComponent)\n\n"
        out += "`\(commandLine)` — \(dateText) — \(summary).\n"
        let numbers = codeCellNumbers
        for cell in cells {
            if cell.isProse {
                out += "\n" + (cell.title.isEmpty ? "" : "## \(cell.title)\n\n") + MarkdownProse.text(ofBody: ReportDocument.body(cell)) + "\n"
                continue
            }
            out += "\n## \(ReportDocument.cellHeading(cell, number: numbers[cell.index] ?? cell.index))\n\n"
            out += cell.ran ? "*line \(cell.firstLine), ran in \(REPL.formatSeconds(cell.seconds))*\n\n" : "*line \(cell.firstLine), not run (an earlier cell failed)*\n\n"
            out += ReportDocument.fenced(ReportDocument.body(cell), language: "gfn")
            if !cell.output.isEmpty {
                out += "\nOutput:\n\n" + ReportDocument.fenced(cell.output.hasSuffix("\n") ? String(cell.output.dropLast()) : cell.output, language: "text")
            }
            for (k, image) in cell.images.enumerated() {
                let link: String
                if let saved = image.savedPath {
                    link = ReportDocument.relative(saved, from: reportDir)
                } else {
                    let name = "cell\(cell.index)-\(k + 1).png"
                    let dir = (reportDir as NSString).appendingPathComponent(filesDirName)
                    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
                    try Data(image.png).write(to: URL(fileURLWithPath: (dir as NSString).appendingPathComponent(name)))
                    link = filesDirName + "/" + name
                }
                out += "\n![\(image.typeName) \(k + 1) of cell \(cell.index)](\(link.replacingOccurrences(of: " ", with: "%20")))\n"
            }
            if let error = cell.error {
                out += "\n**\(cell.interrupted ? "Interrupted" : "Error"):**\n\n" + ReportDocument.fenced(error.hasSuffix("\n") ? String(error.dropLast()) : error, language: "text")
            }
        }
        return out
    }

    /// A fenced block whose fence is longer than any backtick run inside.
    static func fenced(_ text: String, language: String) -> String {
        var longest = 0, run = 0
        for c in text { if c == "`" { run += 1; longest = max(longest, run) } else { run = 0 } }
        let fence = String(repeating: "`", count: max(3, longest + 1))
        return "\(fence)\(language)\n\(text)\n\(fence)\n"
    }

    /// `path` relative to `dir` when it lies inside it, else absolute.
    static func relative(_ path: String, from dir: String) -> String {
        let cwd = FileManager.default.currentDirectoryPath
        func absolute(_ p: String) -> String {
            ((p.hasPrefix("/") ? p : (cwd as NSString).appendingPathComponent(p)) as NSString).standardizingPath
        }
        let target = absolute(path), base = absolute(dir.isEmpty ? "." : dir)
        if target.hasPrefix(base + "/") { return String(target.dropFirst(base.count + 1)) }
        return target
    }

    // MARK: - HTML

    func html() -> String {
        let title = ReportDocument.escape((scriptPath as NSString).lastPathComponent)
        var out = """
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <title>\(title) — gfn report</title>
        <style>
        body { font: 15px/1.5 system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem; color: #222; }
        h1 { font-size: 1.6rem; } h2 { font-size: 1.15rem; margin-top: 2rem; border-bottom: 1px solid #ddd; }
        pre { background: #f6f6f4; padding: .6rem .8rem; overflow-x: auto; border-radius: 4px; font: 13px/1.4 ui-monospace, monospace; }
        pre.output { background: #fff; border-left: 3px solid #9ab; }
        pre.error { background: #fff4f4; border-left: 3px solid #c33; }
        .meta { color: #777; font-size: .85rem; }
        img { max-width: 100%; display: block; margin: .5rem 0; }
        section.prose, p.meta { overflow-wrap: anywhere; }
        section.prose code { background: #f6f6f4; padding: 0 .2rem; border-radius: 3px; font-size: .9em; }
        </style>
        </head>
        <body>
        <h1>\(title)</h1>
        <p class="meta"><code>\(ReportDocument.escape(commandLine))</code> — \(dateText) — \(ReportDocument.escape(summary)).</p>

        """
        let numbers = codeCellNumbers
        for cell in cells {
            if cell.isProse {
                out += "<section class=\"prose\" id=\"cell-\(cell.index)\">\n"
                if !cell.title.isEmpty { out += "<h2>\(ReportDocument.escape(cell.title))</h2>\n" }
                out += MarkdownProse.html(MarkdownProse.text(ofBody: ReportDocument.body(cell))) + "</section>\n"
                continue
            }
            out += "<section class=\"cell\" id=\"cell-\(cell.index)\">\n"
            out += "<h2>\(ReportDocument.escape(ReportDocument.cellHeading(cell, number: numbers[cell.index] ?? cell.index)))</h2>\n"
            out += cell.ran ? "<p class=\"meta\">line \(cell.firstLine), ran in \(REPL.formatSeconds(cell.seconds))</p>\n"
                : "<p class=\"meta\">line \(cell.firstLine), not run (an earlier cell failed)</p>\n"
            out += "<pre class=\"source\"><code>\(ReportDocument.escape(ReportDocument.body(cell)))</code></pre>\n"
            if !cell.output.isEmpty { out += "<pre class=\"output\">\(ReportDocument.escape(cell.output))</pre>\n" }
            for (k, image) in cell.images.enumerated() {
                out += "<img alt=\"\(ReportDocument.escape(image.typeName)) \(k + 1) of cell \(cell.index)\" src=\"data:image/png;base64,\(Data(image.png).base64EncodedString())\">\n"
            }
            if let error = cell.error { out += "<pre class=\"error\">\(ReportDocument.escape(error))</pre>\n" }
            out += "</section>\n"
        }
        return out + "</body>\n</html>\n"
    }

    static func escape(_ s: String) -> String {
        var out = ""
        for c in s {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            default: out.append(c)
            }
        }
        return out
    }
}
