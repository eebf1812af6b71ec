// swift-tools-version: 6.0
// gfn: GFlowNet fine-tuning of language models, scripted.
// Two stacks that meet only in Bindings and the gfn command (docs/architecture.md); a module never
// imports one above it:
//   engine:   Tensors (on CBLAS, CKernels), ModelFormats, Tokenizers → LanguageModels → GFlowNets; Plotting (on CPNG, CFreeType)
//   language: Scripting → Console (CEdit, CEditShim)
//   shared at the bottom of both: Randomness, EditDistance
//   meeting:  Bindings (Scripting + engine) → gfn (Bindings + Console); gfn-bench uses everything
import PackageDescription

// Byte-level kernels run several times slower unoptimised, and tests run in debug on CI: measured in a debug
// test build, dequantising all of SmolLM2 took 12.5 s without -O and 2.1 s with it; BPE-encoding 168 KB 1.24 s vs 0.34 s.
let optimizedInDebug: [SwiftSetting] = [.unsafeFlags(["-O"], .when(configuration: .debug))]

// Tensors' kernels are Swift loops over SIMD16<Float>; unoptimized they are 10–600× slower
// (docs/tensors.md, "Writing fast Swift loops"): measured with `.build/debug/gfn-bench tensor`,
// softmax over 640×49152 took 38 s without -O and 91 ms with it; a 2-layer MLP forward+backward
// 3.2 s vs 0.11 s. So this target is built with -O in debug too (no warnings; @testable import
// still works); targets without hot loops stay debuggable. unsafeFlags are fine here: gfn is a
// root package, never a dependency.
// Opt-in: `GFN_TARGET_CPU=native swift build -c release` compiles Tensors' SIMD kernels for this
// CPU (AVX2/AVX-512 instead of baseline SSE2; 2–10× on exp-heavy loops). The binary may then not
// run on other CPUs, so the default stays portable.
let tensorsTargetCPU: [SwiftSetting] = Context.environment["GFN_TARGET_CPU"].map { [.unsafeFlags(["-target-cpu", $0])] } ?? []
let tensorsSwiftSettings: [SwiftSetting] = [.unsafeFlags(["-O"], .when(configuration: .debug))] + tensorsTargetCPU

let package = Package(
    name: "gfn",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "gfn", targets: ["gfn"]),
        .executable(name: "gfn-bench", targets: ["gfn-bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // System libraries, found through their Debian -dev packages (scripts/setup installs them).
        .systemLibrary(name: "CBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CPNG", pkgConfig: "libpng", providers: [.apt(["libpng-dev"])]),
        .systemLibrary(name: "CEdit", pkgConfig: "libedit", providers: [.apt(["libedit-dev"])]),
        .systemLibrary(name: "CFreeType", pkgConfig: "freetype2", providers: [.apt(["libfreetype-dev"])]),
        // Open MPI for runs across processes (`mpirun -np N gfn …`); its handles are macros, so a C shim names them.
        .systemLibrary(name: "CMPI", pkgConfig: "ompi-c", providers: [.apt(["libopenmpi-dev"])]),
        .target(name: "CMPIShim", dependencies: ["CMPI"]),
        // libedit's el_set/el_get/history are C-variadic; Swift needs fixed-arity wrappers.
        .target(name: "CEditShim", dependencies: ["CEdit"]),

        // Few-row matrix products for decoding (AVX2+FMA chosen at run time); -O2 in debug too, since tests decode.
        .target(name: "CKernels", dependencies: ["CBLAS"], cSettings: [.unsafeFlags(["-O2"])]),

        // Seeded generators (SplitMix64, xoshiro256**) and the edit distance: the few algorithms both stacks use.
        .target(name: "Randomness"),
        .testTarget(name: "RandomnessTests", dependencies: ["Randomness"]),
        .target(name: "EditDistance"),
        // The ranks of a run and their collectives (allreduce, broadcast, barrier, abort): MPI under mpirun, else one process.
        .target(name: "ProcessGroups", dependencies: ["CMPI", "CMPIShim"]),
        .testTarget(name: "ProcessGroupsTests", dependencies: ["ProcessGroups"]),
        .testTarget(name: "EditDistanceTests", dependencies: ["EditDistance"]),

        // Tensors and autograd on OpenBLAS (docs/tensors.md).
        .target(
            name: "Tensors",
            dependencies: ["CBLAS", "CKernels", "Randomness"],
            swiftSettings: tensorsSwiftSettings
        ),
        .testTarget(name: "TensorsTests", dependencies: ["Tensors"]),

        // The GFlowNet fine-tuning engine: balance losses, replay, exploration, schedules, trainer (docs/gflownet.md).
        .target(name: "GFlowNets", dependencies: ["Tensors", "ModelFormats", "LanguageModels", "Randomness", "EditDistance", "ProcessGroups"]),
        .testTarget(name: "GFlowNetsTests", dependencies: ["GFlowNets", "Tensors", "LanguageModels", "Tokenizers", "ModelFormats", "TestFixtures"]),

        // The .gfn language: lexer, parser, compiler to closures, interpreter, standard library.
        // Release builds keep the module in one LLVM module: SwiftPM's multi-threaded whole-module
        // build otherwise splits it per file, and a compiled closure can no longer inline helpers
        // from other files (measured: n-body in `gfn-bench lang-run` 0.93 against 0.80 s of CPU).
        .target(name: "Scripting", dependencies: ["Randomness", "EditDistance"],
                swiftSettings: [.unsafeFlags(["-Xfrontend", "-enable-single-module-llvm-emission"], .when(configuration: .release))]),
        .testTarget(name: "ScriptingTests", dependencies: ["Scripting", "Randomness", "TestFixtures"], exclude: ["conformance"]),

        // Model files (GGUF, safetensors, config.json) and tokenizers: Foundation only.
        .target(name: "ModelFormats", swiftSettings: optimizedInDebug),
        .target(name: "Tokenizers", swiftSettings: optimizedInDebug),

        // The transformer (Llama and GPT-2 families), KV-cache sampling, scoring, decoding, LoRA (docs/lm-runtime.md).
        // -O in debug: the sampler's per-token loops over 49152 logits run in every test.
        .target(
            name: "LanguageModels",
            dependencies: ["Tensors", "ModelFormats", "Tokenizers"],
            swiftSettings: optimizedInDebug
        ),
        .testTarget(name: "LanguageModelsTests", dependencies: ["LanguageModels", "Tensors", "ModelFormats", "Tokenizers", "TestFixtures"]),

        // Figures drawn to RGBA rasters and PNG: FreeType text, libpng's simplified API.
        .target(name: "Plotting", dependencies: ["CPNG", "CFreeType", "Randomness"]),
        .testTarget(name: "PlottingTests", dependencies: ["Plotting", "TestFixtures"]),

        // What scripts see of the engine (models, rewards, tuners, metrics, figures): one entry point, Bindings.install.
        .target(
            name: "Bindings",
            dependencies: [
                "Scripting",
                "Plotting",
                "LanguageModels",
                "GFlowNets",
                "Tensors",
                "Tokenizers",
                "ProcessGroups",
            ]
        ),
        .testTarget(name: "BindingsTests", dependencies: ["Bindings", "Scripting", "Plotting", "TestFixtures"]),

        // Mutation fuzzing of scripts, model files and checkpoints (docs/reliability.md): the cases, in-process.
        .target(name: "Fuzzing", dependencies: ["Scripting", "ModelFormats", "Tokenizers", "LanguageModels", "GFlowNets", "Tensors", "Randomness"]),
        .testTarget(name: "FuzzingTests", dependencies: ["Fuzzing", "TestFixtures"]),

        .executableTarget(
            name: "gfn-bench",
            dependencies: [
                "Fuzzing",
                "GFlowNets",
                "CBLAS",
                "Tensors",
                "Plotting",
                "Scripting",
                "Bindings",
                "ModelFormats",
                "Tokenizers",
                "LanguageModels",
                "ProcessGroups",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // The REPL (libedit), script runs, notebook reports, progress bars: the `gfn` command's work.
        .target(name: "Console", dependencies: ["Scripting", "CEdit", "CEditShim"]),
        .executableTarget(
            name: "gfn",
            dependencies: [
                "Bindings",
                "Console",
                "Scripting",
                "Tensors",
                "ProcessGroups",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // Depends on the executable so that `swift test` builds the gfn binary the tests drive.
        .testTarget(name: "ConsoleTests", dependencies: ["Console", "Scripting", "Plotting", "ModelFormats", "gfn", "TestFixtures"]),

        // Paths of fixtures, models and scratch folders, and the comparison helpers, shared by every test target.
        .target(name: "TestFixtures", path: "Tests/TestFixtures"),
        .testTarget(name: "ModelFormatsTests", dependencies: ["ModelFormats", "TestFixtures"]),
        .testTarget(name: "TokenizersTests", dependencies: ["Tokenizers", "ModelFormats", "Randomness", "TestFixtures"]),
    ]
)
