// A source text and positions in it, shared by the lexer, the parser, the compiler and diagnostics.

/// One piece of gfn source: a file, a REPL input or an `-e` string.
public final class SourceFile: Sendable {
    /// The name shown in diagnostics (`train.gfn`, `<repl:3>`).
    public let name: String
    public let text: String
    /// The text as UTF-8 bytes; the lexer scans these.
    let bytes: [UInt8]
    /// Byte offset where each line starts.
    let lineStarts: [Int]

    public init(name: String, text: String) {
        self.name = name
        self.text = text
        self.bytes = Array(text.utf8)
        var starts = [0]
        for (i, b) in bytes.enumerated() where b == UInt8(ascii: "\n") { starts.append(i + 1) }
        self.lineStarts = starts
    }

    /// The text of a 1-based line, without its newline.
    public func line(_ number: Int) -> String {
        guard number >= 1, number <= lineStarts.count else { return "" }
        let start = lineStarts[number - 1]
        var end = number < lineStarts.count ? lineStarts[number] - 1 : bytes.count
        if end > start, bytes[end - 1] == UInt8(ascii: "\r") { end -= 1 }
        guard end > start else { return "" }
        return String(decoding: bytes[start..<end], as: UTF8.self)
    }
}

/// A position in a source: 1-based line and column (columns count Unicode scalars), and the
/// length of the construct in columns, for the caret.
public struct SourceLoc: Sendable, CustomStringConvertible {
    public let file: SourceFile
    public let line: Int
    public let column: Int
    public let length: Int

    public init(file: SourceFile, line: Int, column: Int, length: Int = 1) {
        self.file = file
        self.line = line
        self.column = column
        self.length = max(1, length)
    }

    public var description: String { "\(file.name):\(line):\(column)" }

    /// The same start, spanning up to the end of `other` when it is on the same line.
    func through(_ other: SourceLoc) -> SourceLoc {
        guard other.line == line, other.column + other.length > column else { return self }
        return SourceLoc(file: file, line: line, column: column, length: other.column + other.length - column)
    }
}
