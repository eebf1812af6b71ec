// What `gfn run`, `gfn -e`, `gfn check` and `gfn help` do, as functions that return an exit
// status, so the command-line layer stays a thin parser and tests can call them directly.

#if canImport(Glibc)
@preconcurrency import Glibc
#endif
import Foundation
import Scripting

/// Runs scripts for the gfn command.
public struct ScriptRunner {
    /// Makes an interpreter with the host's bindings installed.
    public var makeInterpreter: () -> Interpreter
    public var terminal: Terminal
    /// Silences progress bars.
    public var quiet: Bool
    /// Drops the script's output, progress bars and shown figures (the ranks other than 0 of an
    /// `mpirun` run); errors are still reported.
    public var silent = false
    /// Reports a failed run: the rendered error and the status the run ends with. The default
    /// writes the text to standard error; a run across processes names the rank and stops them all.
    public var reportFailure: (String, ExitStatus) -> Void = { text, _ in StandardError.write(text) }

    public init(terminal: Terminal, quiet: Bool, makeInterpreter: @escaping () -> Interpreter) {
        self.terminal = terminal
        self.quiet = quiet
        self.makeInterpreter = makeInterpreter
    }

    /// `gfn run script.gfn [key=value …] [-- args…] [--report out.md|out.html]`.
    public func run(path: String, settings: [String], arguments: [String], report: String?) -> ExitStatus {
        let source: String
        switch readScript(path) {
        case .success(let text): source = text
        case .failure(let status): return status
        }
        let file = path == "-" ? "<stdin>" : path
        let overrides: [String: String]
        switch parseSettings(settings, source: source, path: file) {
        case .success(let o): overrides = o
        case .failure(let status): return status
        }
        if let report, ReportFormat(path: report) == nil {
            return fail(.usage, "the report must be a .md or .html file, not '\(report)'")
        }
        let interpreter = makeInterpreter()
        let output = TerminalOutput(terminal: terminal, quiet: quiet)
        interpreter.output = silent ? DiscardedOutput() : output
        interpreter.arguments = arguments
        InterruptHandler.install(for: interpreter.interrupt, exitWhenIdle: true)

        if let report {
            let run = NotebookRun(interpreter: interpreter, echo: output)
            let cells = run.run(source: source, path: file, overrides: overrides)
            let document = ReportDocument(scriptPath: file, commandLine: CommandLine.arguments.joined(separator: " "), cells: cells)
            do {
                try document.write(to: report)
            } catch {
                return fail(.cannotCreate, "cannot write the report '\(report)': \(ReportDocument.reason(error))")
            }
            if let failure = cells.first(where: { $0.error != nil }) {
                StandardError.write(failure.errorRendered(color: terminal.colorErrors))
                StandardError.write("report written to \(report) (cell \(failure.index) failed)\n")
                return failure.interrupted ? .interrupted : .scriptError
            }
            StandardError.write("report written to \(report)\n")
            return .ok
        }
        interpreter.overrides = overrides
        return evaluate(interpreter, source, file: file)
    }

    /// `gfn -e 'code'`: runs the code; a trailing expression's value is printed, as in the REPL.
    public func evaluate(code: String, arguments: [String]) -> ExitStatus {
        let interpreter = makeInterpreter()
        let output = TerminalOutput(terminal: terminal, quiet: quiet)
        interpreter.output = output
        interpreter.arguments = arguments
        InterruptHandler.install(for: interpreter.interrupt, exitWhenIdle: true)
        return evaluate(interpreter, code, file: "<-e>", echo: true)
    }

    private func evaluate(_ interpreter: Interpreter, _ source: String, file: String, echo: Bool = false) -> ExitStatus {
        do {
            let value = try InterruptHandler.whileEvaluating(interpreter.interrupt) {
                try interpreter.evaluate(source, file: file)
            }
            if echo && !value.isNil && !REPL.endsWithSemicolon(source) {
                if case .native(let o) = value, let image = o as? any ImageRenderable {
                    try interpreter.display(image)
                } else {
                    interpreter.write(value.repr + "\n")
                }
            }
            interpreter.output.flush()
            return .ok
        } catch let error as ScriptError {
            interpreter.output.flush()
            let status: ExitStatus = error.kind == .interrupted ? .interrupted : .scriptError
            reportFailure(error.render(color: terminal.colorErrors), status)
            return status
        } catch {
            interpreter.output.flush()
            reportFailure("error: \(error)\n", .scriptError)
            return .scriptError
        }
    }

    /// `gfn check a.gfn b.gfn`: parses and resolves every file, reporting every error.
    public func check(paths: [String]) -> ExitStatus {
        var status = ExitStatus.ok
        for path in paths {
            let source: String
            switch readScript(path) {
            case .success(let text): source = text
            case .failure(let s):
                if status == .ok { status = s }
                continue
            }
            let diagnostics = makeInterpreter().check(source, file: path)
            if diagnostics.isEmpty {
                print("\(path): ok")
            } else {
                StandardError.write(diagnostics.map { $0.render(color: terminal.colorErrors) }.joined())
                StandardError.write("\(path): \(diagnostics.count) error\(diagnostics.count == 1 ? "" : "s")\n")
                if status == .ok { status = .scriptError }
            }
        }
        fflush(nil)  // all streams: naming Glibc's `stdout` fails to compile in release (Swift 6 concurrency)
        return status
    }

    /// `gfn help [name]`: one builtin's page, or the list of builtins.
    public func help(name: String?) -> ExitStatus {
        let interpreter = makeInterpreter()
        guard let name else {
            print(ScriptRunner.overview(interpreter), terminator: "")
            return .ok
        }
        let repl = REPL(interpreter: interpreter, terminal: terminal, output: TerminalOutput(terminal: terminal, quiet: true), historyPath: nil, banner: "")
        guard let text = repl.helpText(name) else {
            return fail(.usage, "no help for '\(name)'" + Suggest.didYouMean(name, interpreter.completions(prefix: "")) + "; `gfn help` lists every builtin")
        }
        print(text, terminator: text.hasSuffix("\n") ? "" : "\n")
        return .ok
    }

    /// Every builtin with its summary, grouped as `help()` groups them.
    static func overview(_ interpreter: Interpreter) -> String {
        var out = "gfn builtins (gfn help NAME for one; methods: gfn help list, gfn help string, gfn help dict):\n"
        var byCategory: [String: [NativeFunction]] = [:]
        var order: [String] = []
        for f in interpreter.library.functions {
            if byCategory[f.category] == nil { order.append(f.category) }
            byCategory[f.category, default: []].append(f)
        }
        for category in order {
            out += "\n\(category):\n"
            for f in byCategory[category]! { out += "  \(f.signature.text.padding(toLength: max(30, f.signature.text.count), withPad: " ", startingAt: 0))  \(f.help.summary.prefix(90))\n" }
        }
        if !interpreter.library.constants.isEmpty {
            out += "\nvalues:\n"
            for (name, _, help) in interpreter.library.constants { out += "  \(name.padding(toLength: 30, withPad: " ", startingAt: 0))  \(help.summary.prefix(90))\n" }
        }
        return out
    }

    // MARK: - Inputs

    /// The script at `path` ("-": standard input). Devices and pipes are read like files, so
    /// `gfn run /dev/null` runs an empty script and `gfn run <(…)` works.
    private func readScript(_ path: String) -> Result<String, ExitStatus> {
        let data: Data
        if path == "-" {
            data = FileHandle.standardInput.readDataToEndOfFile()
        } else {
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir), !isDir.boolValue else {
                return .failure(fail(.missingInput, "cannot open '\(path)': " + (isDir.boolValue ? "it is a folder" : "no such file")))
            }
            let fd = open(path, O_RDONLY)
            guard fd >= 0 else {
                return .failure(fail(.missingInput, "cannot read '\(path)': \(String(cString: strerror(errno)).lowercased())"))
            }
            data = FileHandle(fileDescriptor: fd, closeOnDealloc: true).readDataToEndOfFile()
        }
        guard let text = String(validating: data, as: UTF8.self) else {
            return .failure(fail(.scriptError, "'\(path == "-" ? "standard input" : path)' is not valid UTF-8 text"))
        }
        return .success(text)
    }

    /// `key=value` words → overrides, checked against the params the script declares.
    func parseSettings(_ words: [String], source: String, path: String) -> Result<[String: String], ExitStatus> {
        var overrides: [String: String] = [:]
        for word in words {
            guard let eq = word.firstIndex(of: "="), eq != word.startIndex else {
                return .failure(fail(.usage, "'\(word)' is not a setting: write name=value (script arguments go after --)"))
            }
            let key = String(word[..<eq]), value = String(word[word.index(after: eq)...])
            guard key.unicodeScalars.allSatisfy(LineScan.isIdentifier), !("0"..."9").contains(key.unicodeScalars.first!) else {
                return .failure(fail(.usage, "'\(key)' is not a setting name (settings are the names of the script's params)"))
            }
            if overrides[key] != nil { return .failure(fail(.usage, "setting '\(key)' given twice")) }
            overrides[key] = value
        }
        guard !overrides.isEmpty, let params = try? Interpreter.params(source: source, file: path) else { return .success(overrides) }
        let declared = params.map(\.name)
        for key in overrides.keys.sorted() where !declared.contains(key) {
            return .failure(fail(.usage, "unknown setting '\(key)': \(path) declares no 'param \(key)'"
                                 + Suggest.didYouMean(key, declared)
                                 + (declared.isEmpty ? "; it declares no params" : "; its params: " + declared.joined(separator: ", "))))
        }
        return .success(overrides)
    }

    @discardableResult
    func fail(_ status: ExitStatus, _ message: String) -> ExitStatus {
        StandardError.write((terminal.colorErrors ? "\u{1B}[31;1mgfn: error:\u{1B}[0m " : "gfn: error: ") + message + "\n")
        return status
    }
}
