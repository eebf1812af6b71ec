// Runs the built `gfn` binary as a child process (stdin from a string, stdout/stderr to files) and
// drives it through a real terminal with tmux. The binary sits next to the test bundle in the
// products folder (the test target depends on the gfn executable, so `swift test` builds it).

#if canImport(Glibc)
import Glibc
#endif
import Foundation
import TestFixtures
import XCTest

enum GFNBinary {
    /// The products folder of this build (where the test bundle and `gfn` are).
    static let path: String = {
        let fm = FileManager.default
        var candidates: [String] = []
        if let exe = try? fm.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            candidates.append(((exe as NSString).deletingLastPathComponent as NSString).appendingPathComponent("gfn"))
        }
        candidates.append(((Bundle.main.bundlePath as NSString).deletingLastPathComponent as NSString).appendingPathComponent("gfn"))
        candidates.append((Bundle.main.bundlePath as NSString).appendingPathComponent("gfn"))
        candidates.append(TestPaths.root.appendingPathComponent(".build/debug/gfn").path)
        return candidates.first { fm.isExecutableFile(atPath: $0) } ?? candidates[0]
    }()
}

struct RunResult {
    let status: Int32
    let stdout: String
    let stderr: String
}

/// A fresh scratch folder per call.
func makeTemporaryDirectory() throws -> String {
    try TestPaths.scratchDirectory("run-\(UUID().uuidString.prefix(8))").path
}

/// Runs gfn with `arguments`, feeding `input` on stdin.
func runGFN(_ arguments: [String], input: String = "", environment extra: [String: String] = [:]) throws -> RunResult {
    let dir = try makeTemporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let inPath = dir + "/stdin", outPath = dir + "/stdout", errPath = dir + "/stderr"
    try Data(input.utf8).write(to: URL(fileURLWithPath: inPath))
    var env = ProcessInfo.processInfo.environment
    env["GFN_HISTORY"] = dir + "/history"
    env.removeValue(forKey: "NO_COLOR")
    for (k, v) in extra { env[k] = v }
    let status = try spawnAndWait(GFNBinary.path, arguments, environment: env, stdin: inPath, stdout: outPath, stderr: errPath)
    let out = String(decoding: FileManager.default.contents(atPath: outPath) ?? Data(), as: UTF8.self)
    let err = String(decoding: FileManager.default.contents(atPath: errPath) ?? Data(), as: UTF8.self)
    return RunResult(status: status, stdout: out, stderr: err)
}

struct SpawnError: Error, CustomStringConvertible { let description: String }

/// posix_spawn + waitpid (Foundation's Process is avoided: waiting on it from test tasks hung).
/// Returns the exit status.
func spawnAndWait(_ path: String, _ arguments: [String], environment: [String: String], stdin: String, stdout: String, stderr: String) throws -> Int32 {
    try waitForExit(try spawn(path, arguments, environment: environment, stdin: stdin, stdout: stdout, stderr: stderr))
}

/// Starts a child process (posix_spawn) and returns its pid; `waitForExit` collects it.
func spawn(_ path: String, _ arguments: [String], environment: [String: String], stdin: String, stdout: String, stderr: String) throws -> pid_t {
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, stdin, O_RDONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 1, stdout, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    posix_spawn_file_actions_addopen(&actions, 2, stderr, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    let argv = ([path] + arguments).map { strdup($0) } + [nil]
    let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
    defer { argv.forEach { free($0) }; envp.forEach { free($0) } }
    // The child starts with no signals blocked or ignored, whatever this test thread has.
    var attributes = posix_spawnattr_t()
    posix_spawnattr_init(&attributes)
    defer { posix_spawnattr_destroy(&attributes) }
    var none = sigset_t(), all = sigset_t()
    sigemptyset(&none)
    sigfillset(&all)
    posix_spawnattr_setsigmask(&attributes, &none)
    posix_spawnattr_setsigdefault(&attributes, &all)
    posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
    var pid: pid_t = 0
    let rc = posix_spawn(&pid, path, &actions, &attributes, argv, envp)
    guard rc == 0 else { throw SpawnError(description: "cannot start \(path): error \(rc)") }
    return pid
}

/// Waits for a child started by `spawn`; returns its exit status (128 + the signal that ended it).
func waitForExit(_ pid: pid_t) throws -> Int32 {
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 {
        guard errno == EINTR else { throw SpawnError(description: "waitpid failed: \(errno)") }
    }
    // WIFEXITED / WEXITSTATUS, written out (the macros are not imported).
    if status & 0x7f == 0 { return (status >> 8) & 0xff }
    return 128 + (status & 0x7f)
}

/// A gfn REPL inside a detached tmux session: a real pseudo-terminal, screen contents read back
/// with capture-pane. Every wait polls the screen (up to `timeout`), so slow machines only slow
/// the test down.
final class TerminalSession {
    let socket: String
    let timeout: Double
    private let scratch: String
    private static let counter = Counter()

    /// Starts `gfn` (then prints its exit status and stays open, so the status can be read).
    init(environment: [String: String], timeout: Double = 30) throws {
        socket = "gfn-test-\(getpid())-\(TerminalSession.counter.next())"
        self.timeout = timeout
        scratch = try makeTemporaryDirectory()
        let env = environment.map { "\($0.key)=\(TerminalSession.shellQuote($0.value))" }.sorted().joined(separator: " ")
        let command = "env \(env) \(TerminalSession.shellQuote(GFNBinary.path)); echo GFN-EXITED-$?; sleep 600"
        // The server this starts would inherit a pipe and keep it open, so its output is not read.
        try tmux(["-f", "/dev/null", "new-session", "-d", "-x", "110", "-y", "40", command], capture: false)
    }

    deinit { _ = try? tmux(["kill-server"], capture: false) }

    /// Sends keys: literal text (`-l`) or tmux key names such as Enter, Tab, Up, C-c, C-d.
    func type(_ text: String) throws {
        // tmux reads an argument ending in ';' as a command separator: send that byte in hex.
        if text.hasSuffix(";") {
            if text.count > 1 { try type(String(text.dropLast())) }
            try tmux(["send-keys", "-t", "0", "-H", "3b"], capture: false)
            return
        }
        try tmux(["send-keys", "-t", "0", "-l", text], capture: false)
    }
    func press(_ keys: String...) throws { try tmux(["send-keys", "-t", "0"] + keys, capture: false) }

    /// Types a line and presses Enter.
    func enter(_ line: String) throws {
        try type(line)
        try press("Enter")
    }

    /// The screen, including scrollback, with wrapped lines joined.
    func screen() throws -> String { try tmux(["capture-pane", "-p", "-J", "-S", "-500", "-t", "0"]) }

    /// Waits until `predicate` holds for the screen; returns the screen. Fails the test (with the
    /// last screen) on timeout.
    @discardableResult
    func waitUntil(_ what: String = "a screen condition", file: StaticString = #filePath, line: UInt = #line, _ predicate: (String) -> Bool) throws -> String {
        let deadline = Date().addingTimeInterval(timeout)
        var last = ""
        while Date() < deadline {
            last = try screen()
            if predicate(last) { return last }
            Thread.sleep(forTimeInterval: 0.1)
        }
        XCTFail("timed out waiting for \(what); screen:\n\(last)", file: file, line: line)
        throw TerminalTimeout()
    }

    /// Waits until the screen contains `text`.
    @discardableResult
    func waitFor(_ text: String, file: StaticString = #filePath, line: UInt = #line) throws -> String {
        try waitUntil("'\(text)'", file: file, line: line) { $0.contains(text) }
    }

    /// Waits until the last non-blank line is exactly a prompt (the REPL is idle).
    @discardableResult
    func waitForPrompt(count: Int, file: StaticString = #filePath, line: UInt = #line) throws -> String {
        try waitUntil("prompt #\(count)", file: file, line: line) { screen in
            let lines = screen.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            return lines.filter { $0.hasPrefix("gfn>") }.count >= count && lines.last == "gfn>"
        }
    }

    @discardableResult
    private func tmux(_ arguments: [String], capture: Bool = true) throws -> String {
        let out = capture ? scratch + "/tmux-out" : "/dev/null"
        _ = try spawnAndWait(TerminalSession.tmuxPath, ["-L", socket] + arguments, environment: ProcessInfo.processInfo.environment,
                             stdin: "/dev/null", stdout: out, stderr: "/dev/null")
        guard capture else { return "" }
        return String(decoding: FileManager.default.contents(atPath: out) ?? Data(), as: UTF8.self)
    }

    static let tmuxPath: String = {
        for dir in ["/usr/bin", "/usr/local/bin", "/bin"] where FileManager.default.isExecutableFile(atPath: dir + "/tmux") {
            return dir + "/tmux"
        }
        return "/usr/bin/tmux"
    }()

    static func shellQuote(_ s: String) -> String { "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'" }

    final class Counter: @unchecked Sendable {
        private var value = 0
        private let lock = NSLock()
        func next() -> Int { lock.lock(); defer { lock.unlock() }; value += 1; return value }
    }
}

struct TerminalTimeout: Error {}
