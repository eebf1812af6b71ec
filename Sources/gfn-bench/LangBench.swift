import ArgumentParser
import Foundation
import Scripting

/// `gfn-bench lang`: three programs (naive fib(30), a 10-million-iteration float loop, building a
/// 1-million-element list then map, filter and counting into a dict) timed in gfn in-process and,
/// in the same run, in CPython 3 and Lua 5.4 (installed with apt-get when missing).
struct LangBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lang",
        abstract: "Time fib(30), a 10M float loop and a 1M list/map/filter/dict program in gfn, CPython 3 and Lua 5.4."
    )

    @Option(help: "Repetitions per program (the best time is reported).")
    var repeats: Int = 5

    struct Program {
        let name: String
        let gfn: String
        let python: String
        let lua: String
        let expected: String
    }

    static let programs: [Program] = [
        Program(
            name: "fib(30), naive recursion",
            gfn: "fn fib(n) { if n < 2 { return n }\n fib(n - 1) + fib(n - 2) }\nfn main() { fib(30) }",
            python: "def fib(n):\n    if n < 2: return n\n    return fib(n - 1) + fib(n - 2)\ndef main(): return fib(30)",
            lua: "local function fib(n) if n < 2 then return n end return fib(n - 1) + fib(n - 2) end\nlocal function main() return fib(30) end",
            expected: "832040"),
        Program(
            name: "10M-iteration float loop",
            gfn: "fn main() {\n s = 0.0\n for i in range(10000000) { s += i * 0.5 }\n s\n}",
            python: "def main():\n    s = 0.0\n    for i in range(10000000):\n        s += i * 0.5\n    return s",
            lua: "local function main() local s = 0.0 for i = 0, 9999999 do s = s + i * 0.5 end return s end",
            expected: "24999997500000.0"),
        Program(
            name: "1M list, map, filter, count into dict",
            gfn: """
            fn main() {
              xs = []
              for i in range(1000000) { xs.append(i) }
              ys = xs.map(x => x * 3).filter(x => x % 2 == 0)
              counts = {}
              for y in ys { k = y % 10; counts[k] = counts.get(k, 0) + 1 }
              counts[0] + counts[2] + counts[4] + counts[6] + counts[8]
            }
            """,
            python: """
            def main():
                xs = []
                for i in range(1000000): xs.append(i)
                ys = list(filter(lambda x: x % 2 == 0, map(lambda x: x * 3, xs)))
                counts = {}
                for y in ys:
                    k = y % 10
                    counts[k] = counts.get(k, 0) + 1
                return counts[0] + counts[2] + counts[4] + counts[6] + counts[8]
            """,
            lua: """
            local function map(f, t) local r = {} for i = 1, #t do r[i] = f(t[i]) end return r end
            local function filter(f, t) local r = {} for i = 1, #t do if f(t[i]) then r[#r + 1] = t[i] end end return r end
            local function main()
              local xs = {}
              for i = 0, 999999 do xs[#xs + 1] = i end
              local ys = filter(function(x) return x % 2 == 0 end, map(function(x) return x * 3 end, xs))
              local counts = {}
              for _, y in ipairs(ys) do local k = y % 10; counts[k] = (counts[k] or 0) + 1 end
              return counts[0] + counts[2] + counts[4] + counts[6] + counts[8]
            end
            """,
            expected: "500000"),
    ]

    func run() throws {
        let lua = findLua()
        print("language benchmark: best of \(repeats) runs of main() inside each interpreter, in CPU seconds of the process")
        print("(CPU time, not wall time, so that other work on a shared machine does not distort the ratios)")
        print("gfn: in-process (release build); python3: \(version("python3", "--version")); lua: \(lua.map { version($0, "-v") } ?? "not found")")
        print("load average before: \(Self.loadAverage())")
        print("")
        let header = "program".padding(toLength: 40, withPad: " ", startingAt: 0) + "     gfn s  python3 s   lua5.4 s  gfn/python  gfn/lua"
        print(header)
        print(String(repeating: "-", count: header.count))
        for p in Self.programs {
            let g = try timeGFN(p)
            let py = try timeExternal("python3", pythonScript(p), expected: p.expected, name: p.name)
            var lu: Double? = nil
            if let lua { lu = try timeExternal(lua, luaScript(p), expected: p.expected, name: p.name) }
            func f(_ x: Double?) -> String { x.map { String(format: "%9.3f", $0) } ?? "        –" }
            func r(_ a: Double, _ b: Double?) -> String { b.map { String(format: "%10.2f", a / $0) } ?? "         –" }
            print(p.name.padding(toLength: 40, withPad: " ", startingAt: 0) + " " + f(g) + "  " + f(py) + "  " + f(lu) + "  " + r(g, py) + "  " + r(g, lu))
        }
        print("\nratio < 1.0 means gfn is faster. load average after: \(Self.loadAverage())")
    }

    func timeGFN(_ p: Program) throws -> Double {
        var best = Double.infinity
        for _ in 0..<repeats {
            let interp = Interpreter()
            try interp.evaluate(p.gfn, file: "<bench>")
            let main = interp.global("main")!
            let t0 = Self.cpuSeconds()
            let v = try interp.call(main, [])
            let t = Self.cpuSeconds() - t0
            guard v.description == p.expected else { throw ValidationError("gfn computed \(v) for \(p.name), expected \(p.expected)") }
            best = min(best, t)
        }
        return best
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
        p.python + "\nimport time\nbest = 1e9\nfor _ in range(\(repeats)):\n    t = time.process_time()\n    v = main()\n    best = min(best, time.process_time() - t)\nprint(v)\nprint(best)\n"
    }

    func luaScript(_ p: Program) -> String {
        p.lua + "\nlocal best = 1e9\nlocal v\nfor _ = 1, \(repeats) do\n  local t = os.clock()\n  v = main()\n  best = math.min(best, os.clock() - t)\nend\nif math.type(v) == 'float' then print(string.format('%.1f', v)) else print(v) end\nprint(best)\n"
    }

    func timeExternal(_ exe: String, _ script: String, expected: String, name: String) throws -> Double? {
        let path = NSTemporaryDirectory() + "gfn-bench-\(getpid())-\(exe.split(separator: "/").last!)"
        try script.write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        guard let out = runProcess(exe, [path]) else { return nil }
        let lines = out.split(separator: "\n").map(String.init)
        guard lines.count >= 2 else { throw ValidationError("\(exe) printed no timing for \(name): \(out)") }
        guard lines[lines.count - 2] == expected else {
            throw ValidationError("\(exe) computed \(lines[lines.count - 2]) for \(name), expected \(expected)")
        }
        return Double(lines[lines.count - 1])
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
