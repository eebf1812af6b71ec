import ArgumentParser
import Foundation
import Scripting

/// `gfn-bench lang`: the programs in bench/lang (each written in gfn, Python and Lua, computing the
/// same string) timed in gfn in-process and in CPython 3 and Lua 5.4, interleaved: each round
/// runs every program once in each interpreter, so all three see the same machine load.
struct LangBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lang",
        abstract: "Time the bench/lang programs in gfn, CPython 3 and Lua 5.4 (CPU time, interleaved rounds)."
    )

    @Option(help: "Rounds; each runs every program once in each interpreter (the best time is reported).")
    var repeats: Int = 3

    @Option(help: "Only the programs whose name contains this text.")
    var only: String?

    @Flag(help: "Also print the table as Markdown (for docs/language.md).")
    var markdown = false

    @Flag(help: "Compile gfn with its general forms only (Interpreter.specialised = false).")
    var general = false

    /// One program: `NAME.gfn`, `NAME.py` and `NAME.lua`, each defining `main()` that returns a string.
    struct Program {
        let name: String
        let gfn: String
        let python: String
        let lua: String
    }

    static var directory: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("bench/lang")
    }

    static func programs() throws -> [Program] {
        let dir = directory
        let names = try FileManager.default.contentsOfDirectory(atPath: dir.path)
            .filter { $0.hasSuffix(".gfn") }.map { String($0.dropLast(4)) }.sorted()
        return try names.map { name in
            func read(_ ext: String) throws -> String {
                try String(contentsOf: dir.appendingPathComponent("\(name).\(ext)"), encoding: .utf8)
            }
            return Program(name: name, gfn: try read("gfn"), python: try read("py"), lua: try read("lua"))
        }
    }

    func run() throws {
        let programs = try Self.programs().filter { only == nil || $0.name.contains(only!) }
        guard !programs.isEmpty else { throw ValidationError("no program in \(Self.directory.path) matches") }
        let lua = findLua()
        print("language benchmark: \(programs.count) programs from bench/lang, best of \(repeats) interleaved rounds of main(),")
        print("in CPU seconds of each interpreter's process (startup and compilation excluded)")
        print("gfn: in-process (this build\(general ? ", general forms only" : "")); python3: \(version("python3", "--version")); lua: \(lua.map { version($0, "-v") } ?? "not found")")
        print("load average before: \(Self.loadAverage())")
        var best = [String: (gfn: Double, python: Double, lua: Double?)]()
        for round in 0..<repeats {
            for p in programs {
                let (g, value) = try timeGFN(p)
                let (py, pyValue) = try timeExternal("python3", pythonScript(p), name: p.name)
                guard pyValue == value else { throw ValidationError("\(p.name): gfn computed '\(value)', python3 '\(pyValue)'") }
                var lu: Double? = nil
                if let lua {
                    let (t, luaValue) = try timeExternal(lua, luaScript(p), name: p.name)
                    guard luaValue == value else { throw ValidationError("\(p.name): gfn computed '\(value)', lua '\(luaValue)'") }
                    lu = t
                }
                let old = best[p.name]
                best[p.name] = (min(g, old?.gfn ?? .infinity), min(py, old?.python ?? .infinity),
                                lu.map { min($0, old?.lua ?? .infinity) })
            }
            print("round \(round + 1) of \(repeats) done; load average \(Self.loadAverage())")
        }
        let rows: [(String, Double, Double, Double?)] = programs.map { p in
            let b = best[p.name]!
            return (p.name, b.gfn, b.python, b.lua)
        }
        let meanPy = Self.geometricMean(rows.map { $0.1 / $0.2 })
        let luaRatios = rows.compactMap { r in r.3.map { r.1 / $0 } }
        let meanLua = luaRatios.count == rows.count ? Self.geometricMean(luaRatios) : nil
        print("")
        let header = "program".padding(toLength: 16, withPad: " ", startingAt: 0) + "     gfn s  python3 s   lua5.4 s  gfn/python  gfn/lua"
        print(header)
        print(String(repeating: "-", count: header.count))
        func f(_ x: Double?) -> String { x.map { String(format: "%9.3f", $0) } ?? "        –" }
        func r(_ x: Double?) -> String { x.map { String(format: "%10.2f", $0) } ?? "         –" }
        for row in rows {
            print(row.0.padding(toLength: 16, withPad: " ", startingAt: 0) + " " + f(row.1) + "  " + f(row.2) + "  " + f(row.3)
                  + "  " + r(row.1 / row.2) + "  " + r(row.3.map { row.1 / $0 }))
        }
        print("geometric mean".padding(toLength: 16, withPad: " ", startingAt: 0) + String(repeating: " ", count: 34) + r(meanPy) + "  " + r(meanLua))
        print("\nratio < 1.0 means gfn is faster. load average after: \(Self.loadAverage())")
        if markdown {
            print("\n| program | gfn s | CPython s | Lua s | gfn/CPython | gfn/Lua |\n|---|---|---|---|---|---|")
            func m(_ x: Double?, _ fmt: String) -> String { x.map { String(format: fmt, $0) } ?? "–" }
            for row in rows {
                print("| \(row.0) | \(m(row.1, "%.3f")) | \(m(row.2, "%.3f")) | \(m(row.3, "%.3f")) | \(m(row.1 / row.2, "%.2f")) | \(m(row.3.map { row.1 / $0 }, "%.2f")) |")
            }
            print("| geometric mean | | | | \(m(meanPy, "%.2f")) | \(m(meanLua, "%.2f")) |")
        }
    }

    static func geometricMean(_ xs: [Double]) -> Double {
        exp(xs.map { log($0) }.reduce(0, +) / Double(xs.count))
    }

    /// One run of main() in a fresh interpreter: CPU seconds and the string it returned.
    func timeGFN(_ p: Program) throws -> (Double, String) {
        let interp = Interpreter()
        interp.specialised = !general
        try interp.evaluate(p.gfn, file: "bench/lang/\(p.name).gfn")
        guard let main = interp.global("main") else { throw ValidationError("\(p.name).gfn defines no main()") }
        let t0 = Self.cpuSeconds()
        let v = try interp.call(main, [])
        return (Self.cpuSeconds() - t0, v.description)
    }

    /// The 1, 5 and 15 minute load averages (figures from a busy machine are less reliable).
    static func loadAverage() -> String {
        guard let text = try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8) else { return "unknown" }
        return text.split(separator: " ").prefix(3).joined(separator: " ")
    }

    /// CPU time of this process (the interpreter runs on its own thread; nothing else is busy).
    static func cpuSeconds() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    func pythonScript(_ p: Program) -> String {
        p.python + "\nimport time\nt = time.process_time()\nv = main()\nt = time.process_time() - t\nprint(v)\nprint(t)\n"
    }

    func luaScript(_ p: Program) -> String {
        p.lua + "\nlocal t = os.clock()\nlocal v = main()\nt = os.clock() - t\nprint(v)\nprint(t)\n"
    }

    /// Runs a script whose last two lines of output are main()'s value and its CPU seconds.
    func timeExternal(_ exe: String, _ script: String, name: String) throws -> (Double, String) {
        let path = NSTemporaryDirectory() + "gfn-bench-\(getpid())-\(name)-\(exe.split(separator: "/").last!)"
        try script.write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        guard let out = runProcess(exe, [path]) else { throw ValidationError("\(exe) failed on \(name)") }
        let lines = out.split(separator: "\n").map(String.init)
        guard lines.count >= 2, let t = Double(lines[lines.count - 1]) else {
            throw ValidationError("\(exe) printed no timing for \(name): \(out)")
        }
        return (t, lines[lines.count - 2])
    }

    func runProcess(_ exe: String, _ args: [String]) -> String? {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = [exe] + args
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = pipe
        do { try p.run() } catch { return nil }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else { return nil }
        return String(decoding: data, as: UTF8.self)
    }

    func version(_ exe: String, _ flag: String) -> String {
        runProcess(exe, [flag])?.split(separator: "\n").first.map(String.init) ?? "not found"
    }

    /// lua5.4 on PATH, or installed with apt-get (as root) when missing.
    func findLua() -> String? {
        if runProcess("lua5.4", ["-v"]) != nil { return "lua5.4" }
        print("lua5.4 not found; installing it with apt-get …")
        _ = runProcess("apt-get", ["install", "-y", "-qq", "lua5.4"])
        return runProcess("lua5.4", ["-v"]) != nil ? "lua5.4" : nil
    }
}

/// `gfn-bench lang-run FILE`: runs one gfn file in-process (for profiling the interpreter).
struct LangRun: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "lang-run", abstract: "Run a .gfn file with the release interpreter (for profiling).")
    @Argument(help: "The .gfn file.") var file: String
    func run() throws {
        let t0 = DispatchTime.now().uptimeNanoseconds
        do { try Interpreter().evaluateFile(file) } catch { print(error.render(color: false)); throw ExitCode(65) }
        print(String(format: "%.3f s", Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9))
    }
}
