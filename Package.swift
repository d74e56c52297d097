// swift-tools-version:6.0
import PackageDescription

let strictSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

/// The commit `wssniff --version` names: WSSNIFF_GIT_COMMIT, which scripts/package.sh sets from `git rev-parse HEAD`
/// (so nothing is written into the tree); "unknown" without it. The checkout's HEAD (`Context.gitInformation`) is not
/// used: SwiftPM reuses an evaluated manifest until its inputs change, so a later commit would be named wrongly.
/// Hex digits and "-dirty" only: it becomes a C string literal.
let gitCommit: String = {
    let commit = Context.environment["WSSNIFF_GIT_COMMIT"] ?? ""
    let allowed = Set("0123456789abcdef-dirty")
    return commit.isEmpty || !commit.allSatisfy({ allowed.contains($0) }) ? "unknown" : commit
}()

let package = Package(
    name: "wssniff",
    products: [
        .executable(name: "wssniff", targets: ["wssniff"])
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", exact: "1.8.2")
    ],
    targets: [
        .systemLibrary(
            name: "CPcap",
            pkgConfig: "libpcap",
            providers: [.apt(["libpcap-dev"])]
        ),
        .systemLibrary(
            name: "CSodium",
            pkgConfig: "libsodium",
            providers: [.apt(["libsodium-dev"])]
        ),
        .systemLibrary(
            name: "CCrypto",
            pkgConfig: "libcrypto",
            providers: [.apt(["libssl-dev"])]
        ),
        .systemLibrary(
            name: "CZlib",
            pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"])]
        ),
        .target(
            name: "WireBytes",
            swiftSettings: strictSettings
        ),
        .target(
            name: "CBuildInfo",
            cSettings: [.define("WSSNIFF_GIT_COMMIT", to: "\"\(gitCommit)\"")]
        ),
        .target(
            name: "Dissect",
            dependencies: ["CZlib", "WireBytes"],
            swiftSettings: strictSettings
        ),
        .target(
            name: "ProofVerify",
            dependencies: ["CSodium", "WireBytes"],
            swiftSettings: strictSettings
        ),
        .target(
            name: "WSSniff",
            dependencies: [
                "CBuildInfo",
                "CCrypto",
                "CPcap",
                "CSodium",
                "CZlib",
                "Dissect",
                "ProofVerify",
                "WireBytes",
            ],
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "wssniff",
            dependencies: [
                "Dissect",
                "ProofVerify",
                "WSSniff",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "WireBytesTests",
            dependencies: ["WireBytes"]
        ),
        .testTarget(
            name: "DissectTests",
            dependencies: ["CZlib", "Dissect"]
        ),
        .testTarget(
            name: "ProofVerifyTests",
            dependencies: ["ProofVerify", "WireBytes"]
        ),
        .testTarget(
            name: "CLITests",
            dependencies: ["wssniff", "Dissect"]
        ),
        .testTarget(
            name: "WSSniffTests",
            dependencies: ["Dissect", "ProofVerify", "WSSniff"]
        ),
    ]
)

// libFuzzer targets (docs/reliability.md): part of the package only when scripts/fuzz.sh builds them, with
// WSSNIFF_FUZZ=1 and `-sanitize=fuzzer,address`. A plain `swift build` or `swift test` never sees them.
if Context.environment["WSSNIFF_FUZZ"] == "1" {
    let fuzzTargets: [(name: String, dependencies: [Target.Dependency])] = [
        ("FuzzCaptureReader", ["Dissect"]),
        ("FuzzTCPReassembly", ["Dissect"]),
        ("FuzzHTTPUpgrade", ["Dissect"]),
        ("FuzzWebSocketFrames", ["Dissect"]),
        ("FuzzGatewayJSON", ["ProofVerify"]),
        ("FuzzProofVerify", ["ProofVerify"]),
        ("FuzzReportSanitizer", ["WSSniff"]),
    ]
    package.targets.append(.target(name: "FuzzDriver", path: "Fuzz/FuzzDriver"))
    for target in fuzzTargets {
        package.targets.append(
            .executableTarget(
                name: target.name,
                dependencies: target.dependencies + ["FuzzDriver"],
                path: "Fuzz/\(target.name)",
                swiftSettings: strictSettings
            )
        )
    }
}
