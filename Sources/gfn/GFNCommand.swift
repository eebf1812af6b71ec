// The gfn command: the REPL, script runs with settings and notebook reports, checks and help.
// Parsing is swift-argument-parser's; the work is in the Console module (ScriptRunner, REPL),
// which returns sysexits statuses. `gfn script.gfn …` is shorthand for `gfn run script.gfn …`.
// Under `mpirun -np N` every rank runs the same script (docs/scaling.md): rank 0 prints, the others
// are silent, and a rank that fails stops them all.

import ArgumentParser
import Bindings
import Console
import Foundation
import ProcessGroups
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
            let status = makeRunner(quiet: quiet).evaluate(code: code, arguments: [])
            finishProcessGroup(status)
            try finish(status)
        }
        let repl = REPL(interpreter: makeInterpreter(), terminal: terminal, output: TerminalOutput(terminal: terminal, quiet: quiet),
                        historyPath: HistoryFile.defaultPath(),
                        banner: "gfn \(GFNCommand.version) — :help lists commands, ?name shows help, Ctrl-D quits")
        try finish(repl.run())
    }

    /// A bare script path becomes `run PATH`.
    static func main() {
        startProcessGroup()
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

/// Under mpirun: initialises MPI and shares the cores of each machine between its ranks, unless the
/// environment already chose (OPENBLAS_NUM_THREADS for BLAS, GFN_KERNEL_THREADS for gfn's kernels).
/// Each rank gets cores / (ranks on this machine) threads of each kind, at least one: more would
/// only make the ranks take cores from each other (docs/scaling.md).
func startProcessGroup() {
    let group: ProcessGroup
    do { group = try ProcessGroup.start() } catch {
        FileHandle.standardError.write(Data("gfn: error: \(error) (started by mpirun: is Open MPI installed? scripts/setup installs it)\n".utf8))
        exit(ExitStatus.internalError.rawValue)
    }
    guard ProcessGroup.launchedByMPI else { return }
    let environment = ProcessInfo.processInfo.environment
    let share = max(1, ProcessInfo.processInfo.activeProcessorCount / group.localSize)
    if environment["OPENBLAS_NUM_THREADS"] == nil { BLAS.setThreadCount(share) }
    KernelThreads.set(environment["GFN_KERNEL_THREADS"].flatMap { Int($0) } ?? share)
}

/// A script runner for this process: under mpirun, the ranks other than 0 are silent and write no
/// report, and a failure on any rank is printed once, naming the rank, and ends every rank.
func makeRunner(quiet: Bool) -> ScriptRunner {
    var runner = ScriptRunner(terminal: Terminal.current(), quiet: quiet, makeInterpreter: makeInterpreter)
    let group = ProcessGroup.world
    guard ProcessGroup.launchedByMPI else { return runner }
    runner.silent = !group.isPrimary
    runner.reportFailure = { text, status in
        // A failure every rank meets (a typo in the script) is rank 0's to report: the others give it
        // a moment to stop the job first, so the message shows once.
        if !group.isPrimary { Thread.sleep(forTimeInterval: 1) }
        let banner = group.size > 1 ? "gfn: rank \(group.rank) of \(group.size) failed; stopping every rank\n" : ""
        FileHandle.standardError.write(Data((banner + text).utf8))
        group.abort(code: status.rawValue)
    }
    return runner
}

/// The end of a run under mpirun: every rank leaves MPI together; one that did not run (a usage
/// error, a missing file: every rank says so) ends the job with its status.
func finishProcessGroup(_ status: ExitStatus) {
    guard ProcessGroup.launchedByMPI else { return }
    if status == .ok { ProcessGroup.world.finalize() } else { ProcessGroup.world.abort(code: status.rawValue) }
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
            let runner = makeRunner(quiet: quiet)
            let status = runner.run(path: script, settings: settings, arguments: arguments,
                                    report: ProcessGroup.world.isPrimary ? report : nil)
            finishProcessGroup(status)
            try finish(status)
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
