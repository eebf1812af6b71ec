// The REPL's persistent history: one entry per line in a plain text file (backslash and newline
// escaped), shared by every session. Each session appends its entries as they are entered, so
// concurrent sessions do not overwrite each other; loading removes duplicates (keeping the most
// recent) and trims the file to `limit` entries.

import Foundation

/// A history file on disk.
public struct HistoryFile {
    public let path: String
    public var limit: Int

    public init(path: String, limit: Int = 2000) {
        self.path = path
        self.limit = limit
    }

    /// $GFN_HISTORY, else $XDG_STATE_HOME/gfn/history, else ~/.local/state/gfn/history.
    public static func defaultPath(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let p = environment["GFN_HISTORY"], !p.isEmpty { return p }
        if let state = environment["XDG_STATE_HOME"], !state.isEmpty { return state + "/gfn/history" }
        let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
        return home + "/.local/state/gfn/history"
    }

    /// The entries, oldest first, without duplicates (each kept at its most recent place). When the
    /// file had duplicates or too many entries, it is rewritten compacted.
    public func load() -> [String] {
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else { return [] }
        let raw = text.split(separator: "\n", omittingEmptySubsequences: true).map { HistoryFile.unescape(String($0)) }
        let entries = HistoryFile.deduplicated(raw).suffix(limit)
        if entries.count != raw.count { try? rewrite(Array(entries)) }
        return Array(entries)
    }

    /// Appends one entry (creating the file and its folder).
    public func append(_ entry: String) throws {
        let dir = (path as NSString).deletingLastPathComponent
        if !dir.isEmpty { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) }
        let line = Data((HistoryFile.escape(entry) + "\n").utf8)
        if let handle = FileHandle(forWritingAtPath: path) {
            defer { try? handle.close() }
            try handle.seekToEnd()
            try handle.write(contentsOf: line)
        } else if !FileManager.default.createFile(atPath: path, contents: line) {
            throw ConsoleError("cannot write the history file '\(path)'")
        }
    }

    private func rewrite(_ entries: [String]) throws {
        let text = entries.map { HistoryFile.escape($0) + "\n" }.joined()
        try Data(text.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
    }

    /// Later occurrences win: `[a, b, a]` → `[b, a]`.
    public static func deduplicated(_ entries: [String]) -> [String] {
        var seen = Set<String>()
        var out: [String] = []
        for e in entries.reversed() where seen.insert(e).inserted { out.append(e) }
        return out.reversed()
    }

    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\n", with: "\\n")
    }

    static func unescape(_ s: String) -> String {
        var out = ""
        var escaping = false
        for c in s {
            if escaping {
                out.append(c == "n" ? "\n" : c)
                escaping = false
            } else if c == "\\" {
                escaping = true
            } else {
                out.append(c)
            }
        }
        return out
    }
}
