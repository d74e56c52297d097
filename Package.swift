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
            name: "Dissect",
            dependencies: ["CZlib"],
            swiftSettings: strictSettings
        ),
        .target(
            name: "ProofVerify",
            dependencies: ["CSodium", "Dissect"],
            swiftSettings: strictSettings
        ),
        .target(
            name: "WSSniff",
            dependencies: [
                "CCrypto",
                "CPcap",
                "Dissect",
                "ProofVerify",
            ],
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "wssniff",
            dependencies: [
                "WSSniff",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "DissectTests",
            dependencies: ["Dissect"]
        ),
        .testTarget(
            name: "ProofVerifyTests",
            dependencies: ["ProofVerify"]
        ),
        .testTarget(
            name: "CLITests",
            dependencies: ["wssniff", "Dissect"]
        ),
        .testTarget(
            name: "WSSniffTests",
            dependencies: ["WSSniff", "Dissect"]
        ),
    ]
)
