// swift-tools-version: 6.0
// gfn: GFlowNet fine-tuning of language models, scripted.
// Layers, lower never importing higher (see README.md, "Layout"):
//   C libraries → Tensors → LanguageModels → GFlowNets, Plotting → Scripting → Bindings → Console → gfn
import PackageDescription

let package = Package(
    name: "gfn",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "gfn", targets: ["gfn"]),
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
        // libedit's el_set/el_get/history are C-variadic; Swift needs fixed-arity wrappers.
        .target(name: "CEditShim", dependencies: ["CEdit"]),

        // The .gfn language: lexer, parser, compiler to closures, interpreter, standard library.
        .target(name: "Scripting"),
        .testTarget(name: "ScriptingTests", dependencies: ["Scripting"], exclude: ["conformance"]),

        .executableTarget(
            name: "gfn",
            dependencies: [
                "CBLAS",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
    ]
)
