import Foundation

/// Where the committed fixtures, the model files and a test's scratch space are, for every test target
/// (found from this source file's path, so tests run from any directory).
public enum TestPaths {
    public static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    public static let fixtures = root.appendingPathComponent("Tests/Fixtures")

    /// models/ (what scripts/setup installs), or $GFN_MODELS.
    public static var models: URL {
        if let env = ProcessInfo.processInfo.environment["GFN_MODELS"], !env.isEmpty { return URL(fileURLWithPath: env) }
        return root.appendingPathComponent("models")
    }

    public static var smollm2: String { models.appendingPathComponent("smollm2/SmolLM2-135M-Instruct.Q4_1.gguf").path }

    /// A committed JSON fixture as a dictionary.
    public static func fixtureJSON(_ name: String) throws -> [String: Any] {
        let data = try Data(contentsOf: fixtures.appendingPathComponent(name))
        guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw CocoaError(.fileReadCorruptFile)
        }
        return object
    }

    /// The scratch folder of the test target that `caller` (a `#fileID`) belongs to, in this process's
    /// (under the system's temporary directory): targets share one process, not their file names.
    static func scratch(_ caller: String) -> URL {
        let target = caller.split(separator: "/").first.map(String.init) ?? "tests"
        return FileManager.default.temporaryDirectory.appendingPathComponent("gfn-tests-\(getpid())/\(target)")
    }

    /// A path in the calling target's scratch folder for one test's file (e.g. a deliberately corrupted
    /// model file).
    public static func scratchFile(_ name: String, caller: String = #fileID) -> String {
        let dir = scratch(caller)
        try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir.appendingPathComponent(name).path
    }

    /// An empty folder in the calling target's scratch folder for one test (emptied if an earlier run
    /// left it).
    public static func scratchDirectory(_ name: String, caller: String = #fileID) throws -> URL {
        let dir = scratch(caller).appendingPathComponent(name)
        try? FileManager.default.removeItem(at: dir)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }
}
