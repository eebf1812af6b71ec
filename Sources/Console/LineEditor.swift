// The interactive line editor: libedit's native API (through the fixed-arity wrappers in
// CEditShim), emacs key bindings plus ~/.editrc, history with Up/Down and ^R, Tab completion,
// and ^C as a key that abandons the current input (the terminal's signal characters are off while
// a line is edited, so no SIGINT arrives at the prompt; see InterruptHandler).

#if canImport(Glibc)
@preconcurrency import Glibc
#endif
@preconcurrency import CEdit
import CEditShim

/// One line of input from a terminal.
final class LineEditor {
    enum Input: Equatable {
        case line(String)
        /// ^C: drop whatever was being typed.
        case cancelled
        /// ^D on an empty line, or the terminal went away.
        case endOfInput
    }

    private let editLine: OpaquePointer
    private let history: OpaquePointer
    private var event = HistEvent()
    private var entries: [String] = []
    private let complete: (String) -> Completion
    fileprivate var cancelled = false

    /// `complete` gets the text before the cursor.
    init?(program: String, complete: @escaping (String) -> Completion) {
        guard let el = el_init(program, stdin, stdout, stderr), let h = history_init() else { return nil }
        editLine = el
        history = h
        self.complete = complete
        gfn_history_set_size(h, &event, 5000)
        gfn_history_set_unique(h, &event, 1)
        gfn_el_set_editor(el, "emacs")
        gfn_el_set_signal(el, 1)
        gfn_el_set_history(el, h)
        gfn_el_set_prompt(el, { _ in LineEditor.promptPointer })
        // ^C reaches the editor as a character instead of raising SIGINT.
        gfn_el_set_tty(el, "-d", "-isig")
        gfn_el_add_command(el, "gfn-complete", "Complete the word before the cursor", { el, _ in LineEditor.onTab(el) }, "^I")
        gfn_el_add_command(el, "gfn-cancel", "Abandon the current input", { el, _ in LineEditor.onCancel(el) }, "^C")
        gfn_el_bind(el, "^R", "em-inc-search-prev")
        el_source(el, nil)
        LineEditor.active = self
    }

    deinit {
        if LineEditor.active === self { LineEditor.active = nil }
        el_end(editLine)
        history_end(history)
    }

    /// Reads a line showing `prompt`.
    func read(prompt: String) -> Input {
        LineEditor.setPrompt(prompt)
        cancelled = false
        var count: Int32 = 0
        let raw = el_gets(editLine, &count)
        if cancelled {
            fputs("^C\n", stdout)
            fflush(stdout)
            return .cancelled
        }
        guard let raw, count > 0 else {
            fputs("\n", stdout)
            fflush(stdout)
            return .endOfInput
        }
        var line = String(cString: raw)
        if line.hasSuffix("\n") { line.removeLast() }
        return .line(line)
    }

    /// Replaces the history with `entries` (oldest first).
    func setHistory(_ list: [String]) {
        entries = HistoryFile.deduplicated(list)
        gfn_history_clear(history, &event)
        for e in entries { gfn_history_enter(history, &event, e) }
    }

    /// Adds an entry, moving an earlier identical one to the end.
    func addHistory(_ entry: String) {
        if let i = entries.lastIndex(of: entry) {
            if i == entries.count - 1 { return }
            entries.remove(at: i)
            entries.append(entry)
            setHistory(entries)
        } else {
            entries.append(entry)
            gfn_history_enter(history, &event, entry)
        }
    }

    // MARK: - Callbacks (libedit calls them on the reading thread)

    nonisolated(unsafe) fileprivate static var active: LineEditor?
    nonisolated(unsafe) private static var promptPointer: UnsafeMutablePointer<CChar>? = strdup("")

    private static func setPrompt(_ text: String) {
        free(promptPointer)
        promptPointer = strdup(text)
    }

    private static func onCancel(_ el: OpaquePointer?) -> UInt8 {
        active?.cancelled = true
        return UInt8(CC_EOF)
    }

    private static func onTab(_ el: OpaquePointer?) -> UInt8 {
        guard let el, let editor = active, let info = el_line(el) else { return UInt8(CC_ERROR) }
        let start = UnsafeRawPointer(info.pointee.buffer!), cursor = UnsafeRawPointer(info.pointee.cursor!)
        let length = cursor - start
        let bytes = UnsafeBufferPointer(start: start.assumingMemoryBound(to: UInt8.self), count: length)
        let text = String(decoding: bytes, as: UTF8.self)
        let completion = editor.complete(text)
        let candidates = completion.candidates
        guard !candidates.isEmpty else { return UInt8(CC_REFRESH_BEEP) }
        let typed = String(text.unicodeScalars.suffix(completion.replaceCount))
        let insert = candidates.count == 1 ? candidates[0] : completion.commonPrefix
        if insert.unicodeScalars.count > typed.unicodeScalars.count || (candidates.count == 1 && insert != typed) {
            el_deletestr(el, Int32(completion.replaceCount))
            el_insertstr(el, insert)
            return UInt8(CC_REFRESH)
        }
        if candidates.count == 1 { return UInt8(CC_REFRESH) }
        // Ambiguous and nothing more to insert: list the candidates under the line.
        fputs("\n" + LineEditor.columns(candidates, width: LineEditor.terminalWidth()), stdout)
        fflush(stdout)
        return UInt8(CC_REDISPLAY)
    }

    static func terminalWidth() -> Int {
        var size = winsize()
        if ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 { return Int(size.ws_col) }
        return 80
    }

    /// Candidates laid out in columns, row by row, each line ending in a newline.
    static func columns(_ items: [String], width: Int) -> String {
        let shown = items.prefix(200)
        let cell = (shown.map(\.count).max() ?? 0) + 2
        let perRow = max(1, width / max(1, cell))
        var out = ""
        for (i, item) in shown.enumerated() {
            out += item
            if (i + 1) % perRow == 0 || i == shown.count - 1 { out += "\n" } else { out += String(repeating: " ", count: cell - item.count) }
        }
        if items.count > shown.count { out += "… \(items.count - shown.count) more\n" }
        return out
    }
}
