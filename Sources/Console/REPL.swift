// The read-eval-print loop. Inputs are collected line by line until the parser stops asking for
// more (an open block, bracket or string continues on a `...` prompt), then evaluated in one
// interpreter whose globals persist. A trailing expression's value is echoed (`;` suppresses it)
// and kept in `_`. Errors and Ctrl-C return to the prompt; the session ends with Ctrl-D or :quit.
// When stdin or stdout is not a terminal the same loop runs without prompts, history or escapes.

#if canImport(Glibc)
@preconcurrency import Glibc
#endif
import Foundation
import Scripting

/// An interactive (or piped) gfn session.
public final class REPL {
    public static let commandNames = [":help", ":load", ":vars", ":time", ":reset", ":save", ":quit"]

    public let interpreter: Interpreter
    let terminal: Terminal
    let output: TerminalOutput
    private let historyFile: HistoryFile?
    private let banner: String
    private var editor: LineEditor?
    /// Inputs that ran without error, for `:save`.
    private(set) var sessionInputs: [String] = []
    private var failed = false
    private var quitRequested = false

    public static let prompt = "gfn> "
    public static let continuation = "...  "

    /// `historyPath` nil: no persistent history (still none when not interactive).
    public init(interpreter: Interpreter, terminal: Terminal, output: TerminalOutput, historyPath: String?, banner: String) {
        self.interpreter = interpreter
        self.terminal = terminal
        self.output = output
        self.banner = banner
        historyFile = historyPath.map { HistoryFile(path: $0) }
        interpreter.output = output
        interpreter.setGlobal("_", .null)
    }

    /// Runs until end of input or :quit. Piped sessions end with status 65 when an input failed.
    public func run() -> ExitStatus {
        setlocale(LC_CTYPE, "")
        InterruptHandler.install(for: interpreter.interrupt, exitWhenIdle: !terminal.interactive)
        if terminal.interactive {
            let completer = Completer(interpreter: interpreter)
            editor = LineEditor(program: "gfn") { completer.complete($0) }
            if let historyFile, let editor { editor.setHistory(historyFile.load()) }
            print(banner)
        }
        var pending: [String] = []
        while !quitRequested {
            let input: LineEditor.Input
            if let editor {
                input = editor.read(prompt: pending.isEmpty ? REPL.prompt : REPL.continuation)
            } else {
                input = readLine(strippingNewline: true).map { .line($0) } ?? .endOfInput
            }
            switch input {
            case .endOfInput:
                // Unfinished text at the end of a pipe is evaluated, so that its error is reported.
                if !pending.isEmpty { _ = evaluate(pending.joined(separator: "\n"), echo: true) }
                return failed && !terminal.interactive ? .scriptError : .ok
            case .cancelled:
                pending = []
            case .line(let line):
                if editor != nil, !line.trimmingCharacters(in: .whitespaces).isEmpty { remember(line) }
                if pending.isEmpty {
                    let trimmed = line.trimmingCharacters(in: .whitespaces)
                    if trimmed.isEmpty { continue }
                    if trimmed.hasPrefix(":") { command(trimmed); continue }
                    if trimmed.hasPrefix("?") { showHelp(String(trimmed.dropFirst()).trimmingCharacters(in: .whitespaces)); continue }
                }
                pending.append(line)
                let text = pending.joined(separator: "\n")
                if Interpreter.inputStatus(text) == .incomplete { continue }
                pending = []
                _ = evaluate(text, echo: true)
            }
        }
        return failed && !terminal.interactive ? .scriptError : .ok
    }

    private func remember(_ line: String) {
        editor?.addHistory(line)
        guard let historyFile else { return }
        do { try historyFile.append(line) } catch {
            StandardError.write("gfn: \(error) (history is not saved)\n")
        }
    }

    // MARK: - Evaluation

    /// Evaluates one input; echoes a trailing value unless the input ends with `;`. Returns
    /// whether it ran without error.
    @discardableResult
    func evaluate(_ source: String, echo: Bool, file: String = "<input>") -> Bool {
        do {
            let value = try InterruptHandler.whileEvaluating(interpreter.interrupt) {
                try interpreter.evaluate(source, file: file)
            }
            sessionInputs.append(source)
            if echo && !value.isNil && !REPL.endsWithSemicolon(source) {
                show(value)
                interpreter.setGlobal("_", value)
            }
            return true
        } catch {
            report(error)
            return false
        }
    }

    private func show(_ value: Value) {
        if case .native(let object) = value, let image = object as? any ImageRenderable {
            do { try output.showImage(image, savedAt: nil); return } catch { report(error) }
        }
        output.write(value.repr + "\n")
        output.flush()
    }

    func report(_ error: Error) {
        failed = true
        output.flush()
        if let e = error as? ScriptError {
            // The terminal echoed ^C without a newline.
            if e.kind == .interrupted && terminal.interactive { StandardError.write("\n") }
            StandardError.write(e.render(color: terminal.colorErrors))
        } else {
            StandardError.write("error: \(error)\n")
        }
    }

    /// Whether the last line, without its comment, ends with `;`.
    static func endsWithSemicolon(_ source: String) -> Bool {
        guard let last = source.split(separator: "\n").last(where: { !$0.trimmingCharacters(in: .whitespaces).isEmpty }) else { return false }
        var code = String(last)
        var quote: Character? = nil
        var escaped = false
        for (i, c) in code.enumerated() {
            if let q = quote {
                if escaped { escaped = false } else if c == "\\" { escaped = true } else if c == q { quote = nil }
            } else if c == "\"" || c == "'" {
                quote = c
            } else if c == "#" {
                code = String(code.prefix(i))
                break
            }
        }
        return code.trimmingCharacters(in: .whitespaces).hasSuffix(";")
    }

    // MARK: - Help

    /// `?name`: a builtin, a method (`list.map`, or `xs.map` for a value's type), a user function,
    /// a registered value.
    func showHelp(_ name: String) {
        if name.isEmpty { command(":help"); return }
        if let text = helpText(name) {
            output.write(text.hasSuffix("\n") ? text : text + "\n")
        } else {
            let names = interpreter.completions(prefix: "")
            StandardError.write("no help for '\(name)'" + Suggest.didYouMean(name, names) + "\n")
        }
        output.flush()
    }

    func helpText(_ name: String) -> String? {
        if let dot = name.lastIndex(of: "."), dot != name.startIndex {
            let base = String(name[..<dot]), member = String(name[name.index(after: dot)...])
            if let value = Completer(interpreter: interpreter).resolve(base) {
                switch value {
                case .string: return interpreter.help(for: "string." + member)
                case .list: return interpreter.help(for: "list." + member)
                case .dict: return interpreter.help(for: "dict." + member)
                case .range: return interpreter.help(for: "range." + member)
                case .native(let o):
                    if let m = o.method(member) {
                        return "\(m.memberInfo.signature)\n\n\(m.help.summary)\n" + (m.help.details.isEmpty ? "" : "\n\(m.help.details)\n")
                    }
                    if let info = o.members.first(where: { $0.name == member }) { return "\(o.typeName).\(info.name)\n\n\(info.summary)\n" }
                default: break
                }
            }
        }
        return interpreter.help(for: name)
    }

    // MARK: - Commands

    static let helpText = """
    Enter gfn code; a trailing expression's value is shown (end with ; to hide it) and kept in _.
    An open block, bracket or string continues on a "..." line.
      ?name            help on a builtin, method (?list.map, ?xs.map), function or value
      :help            this list
      :load FILE       run a .gfn file in this session
      :vars            the variables you defined
      :time EXPR       evaluate and show how long it took
      :reset           forget every variable and import
      :save FILE       write this session's inputs as a script with # %% cells
      :quit            leave (or Ctrl-D)
    Keys: Tab completes names, members after ".", named arguments and paths in strings;
    Up/Down and Ctrl-R search history; Ctrl-C stops running code or clears the line.

    """

    func command(_ line: String) {
        let name = String(line.prefix { $0 != " " })
        let argument = String(line.dropFirst(name.count)).trimmingCharacters(in: .whitespaces)
        switch name {
        case ":help", ":h", ":?":
            output.write(REPL.helpText)
        case ":quit", ":q", ":exit":
            quitRequested = true
        case ":load", ":l":
            guard !argument.isEmpty else { return usage(":load FILE") }
            let path = (argument as NSString).expandingTildeInPath
            guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
                return commandError("cannot read '\(argument)': no such file, or not UTF-8 text")
            }
            if evaluate(text, echo: false, file: path) { sessionInputs[sessionInputs.count - 1] = "import \(Value.string(path).repr)" }
        case ":vars":
            let vars = interpreter.userGlobals.filter { $0.name != "_" }
            if vars.isEmpty { output.write("(no variables yet)\n") }
            for (n, v) in vars {
                var shown = v.repr
                if shown.count > 70 { shown = String(shown.prefix(67)) + "…" }
                output.write("\(n): \(v.typeName) = \(shown)\n")
            }
        case ":time", ":t":
            guard !argument.isEmpty else { return usage(":time EXPR") }
            let start = ContinuousClock.now
            let ok = evaluate(argument, echo: true)
            let seconds = REPL.seconds(ContinuousClock.now - start)
            output.write((ok ? "" : "(failed) ") + "time: \(REPL.formatSeconds(seconds))\n")
        case ":reset":
            interpreter.reset()
            interpreter.setGlobal("_", .null)
            output.write("(every variable and import forgotten)\n")
        case ":save":
            guard !argument.isEmpty else { return usage(":save FILE.gfn") }
            let path = (argument as NSString).expandingTildeInPath
            do {
                try Data(REPL.notebook(sessionInputs).utf8).write(to: URL(fileURLWithPath: path))
                output.write("saved \(sessionInputs.count) input\(sessionInputs.count == 1 ? "" : "s") to \(argument)\n")
            } catch {
                commandError("cannot write '\(argument)': \(error.localizedDescription)")
            }
        default:
            commandError("unknown command '\(name)'" + (Suggest.nearest(name, REPL.commandNames).map { " (did you mean '\($0)'?)" } ?? " (:help lists them)"))
        }
        output.flush()
    }

    private func usage(_ text: String) { commandError("usage: \(text)") }

    private func commandError(_ message: String) {
        failed = true
        output.flush()
        StandardError.write((terminal.colorErrors ? "\u{1B}[31;1merror:\u{1B}[0m " : "error: ") + message + "\n")
    }

    /// The inputs as a script of `# %%` cells.
    static func notebook(_ inputs: [String]) -> String {
        var out = "# Saved from a gfn session.\n"
        for (i, input) in inputs.enumerated() {
            out += "\n# %% In [\(i + 1)]\n" + input + (input.hasSuffix("\n") ? "" : "\n")
        }
        return out
    }

    static func seconds(_ d: Duration) -> Double {
        Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }

    static func formatSeconds(_ s: Double) -> String {
        if s < 1e-3 { return String.fixed(s * 1e6, digits: 1) + " µs" }
        if s < 1 { return String.fixed(s * 1e3, digits: 2) + " ms" }
        return String.fixed(s, digits: 3) + " s"
    }
}
