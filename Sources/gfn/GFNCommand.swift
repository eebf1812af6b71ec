// The gfn command: the REPL, script runs with settings and notebook reports, checks and help.
// Parsing is swift-argument-parser's; the work is in the Console module (ScriptRunner, REPL),
// which returns sysexits statuses. `gfn script.gfn …` is shorthand for `gfn run script.gfn …`.

import ArgumentParser
import Bindings
import Console
import Scripting
import Tensors

@main
struct GFNCommand: ParsableCommand {
    static let version = "0.1.0"

    static var configuration: CommandConfiguration {
        CommandConfiguration(
            commandName: "gfn",
            abstract: "GFlowNet fine-tuning of language models, scripted.",
            discussion: """
            With no arguments, starts the REPL (plain, without prompts, when stdin is not a terminal).
            `gfn script.gfn …` is the same as `gfn run script.gfn …`.
            Exit status: 0 ok, 64 usage, 65 script error, 66 missing input, 70 internal error, 130 interrupted.
            """,
            version: "gfn \(version)\nBLAS: \(BLAS.summary)\nconfig: \(BLAS.configuration)",
            subcommands: [Run.self, Check.self, Help.self]
        )
    }

    @Option(name: .customShort("e"), help: ArgumentHelp("Run this code and exit (a trailing expression's value is printed).", valueName: "code"))
    var code: String?

    @Flag(name: .shortAndLong, help: "No progress bars.")
    var quiet = false

    mutating func run() throws {
        let terminal = Terminal.current()
        if let code {
            try finish(ScriptRunner(terminal: terminal, quiet: quiet, makeInterpreter: makeInterpreter).evaluate(code: code, arguments: []))
        }
        let repl = REPL(interpreter: makeInterpreter(), terminal: terminal, output: TerminalOutput(terminal: terminal, quiet: quiet),
                        historyPath: HistoryFile.defaultPath(),
                        banner: "gfn \(GFNCommand.version) — :help lists commands, ?name shows help, Ctrl-D quits")
        try finish(repl.run())
    }

    /// A bare script path becomes `run PATH`.
    static func main() {
        var arguments = Array(CommandLine.arguments.dropFirst())
        if let first = arguments.first, !first.hasPrefix("-") || first == "-", !["run", "check", "help"].contains(first) {
            arguments.insert("run", at: 0)
        }
        main(arguments)
    }
}

/// Every interpreter the command makes: the language, plus the ML bindings once that module is
/// part of the package (`Bindings.install(into: interpreter)` goes here, and nowhere else).
func makeInterpreter() -> Interpreter {
    let interpreter = Interpreter()
    Bindings.install(into: interpreter)
    return interpreter
}

func finish(_ status: ExitStatus) throws {
    if status != .ok { throw ExitCode(status.rawValue) }
}

extension GFNCommand {
    struct Run: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run a script.",
            discussion: """
            Settings `name=value` replace the defaults of the script's `param name = …` declarations
            (read as gfn literals: 50, 3e-4, true, "text"; other text is a string). Words after `--`
            reach the script as the list `args`.
            """
        )

        @Argument(help: "The .gfn script (- reads it from standard input).")
        var script: String

        @Argument(parsing: .captureForPassthrough, help: ArgumentHelp("Settings, then -- and the script's arguments.", valueName: "name=value … -- args"))
        var rest: [String] = []

        @Option(help: ArgumentHelp("Write a notebook report of the run, one section per # %% cell.", valueName: "out.md|out.html"))
        var report: String?

        @Flag(name: .shortAndLong, help: "No progress bars.")
        var quiet = false

        mutating func run() throws {
            // Options may also follow the script path; everything after `--` is the script's.
            var settings: [String] = [], arguments: [String] = []
            var words = rest[...]
            while let word = words.popFirst() {
                switch word {
                case "--": arguments = Array(words); words = []
                case "--quiet", "-q": quiet = true
                case "--report":
                    guard let value = words.popFirst() else { throw ValidationError("--report needs a file name (out.md or out.html)") }
                    report = value
                default:
                    if word.hasPrefix("--report=") { report = String(word.dropFirst("--report=".count)) }
                    else if word.hasPrefix("-") { throw ValidationError("unknown option '\(word)' (script arguments go after --)") }
                    else { settings.append(word) }
                }
            }
            let runner = ScriptRunner(terminal: Terminal.current(), quiet: quiet, makeInterpreter: makeInterpreter)
            try finish(runner.run(path: script, settings: settings, arguments: arguments, report: report))
        }
    }

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Parse and resolve scripts without running them; report every error.")

        @Argument(help: "The .gfn scripts.")
        var scripts: [String]

        func validate() throws {
            if scripts.isEmpty { throw ValidationError("name at least one script to check") }
        }

        mutating func run() throws {
            let runner = ScriptRunner(terminal: Terminal.current(), quiet: true, makeInterpreter: makeInterpreter)
            try finish(runner.check(paths: scripts))
        }
    }

    struct Help: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show the help of a builtin, method or value; with no name, list the builtins.")

        @Argument(help: "A builtin (sample), a method (list.map) or a value.")
        var name: String?

        mutating func run() throws {
            let runner = ScriptRunner(terminal: Terminal.current(), quiet: true, makeInterpreter: makeInterpreter)
            try finish(runner.help(name: name))
        }
    }
}
