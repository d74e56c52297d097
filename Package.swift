// swift-tools-version:6.0
import PackageDescription

let strictSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "wssniff",
    products: [
        .executable(name: "wssniff", targets: ["wssniff"])
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2")
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
                "CCrypto",
                "CPcap",
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
