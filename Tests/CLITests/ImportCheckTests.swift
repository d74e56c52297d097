import Foundation
import Testing

/// `scripts/check-imports.py`, the module-arrow check CI runs: it passes on the package as it is, and fails, naming
/// the file, when a forbidden arrow or an undeclared import is added to a copy of it.
@Suite struct ImportCheckTests {
    static let script = TestSupport.packageRoot.appendingPathComponent("scripts/check-imports.py").path

    /// A copy of `Package.swift`, `Sources/` and `Tests/` in a temporary directory, for the script to read (in the
    /// package itself, `swift package` would wait for the lock `swift test` holds).
    private static func copyOfPackage() throws -> URL {
        let directory = try TestSupport.temporaryDirectory()
        for item in ["Package.swift", "Sources", "Tests"] {
            try FileManager.default.copyItem(
                at: TestSupport.packageRoot.appendingPathComponent(item),
                to: directory.appendingPathComponent(item)
            )
        }
        return directory
    }

    private static func check(_ root: URL) throws -> TestSupport.Output {
        try TestSupport.run("/usr/bin/python3", [Self.script, root.path])
    }

    private static func prepend(_ line: String, to relativePath: String, in root: URL) throws {
        let file = root.appendingPathComponent(relativePath)
        let text = try String(contentsOf: file, encoding: .utf8)
        try (line + "\n" + text).write(to: file, atomically: true, encoding: .utf8)
    }

    @Test func thePackageAsItIsPasses() throws {
        let root = try Self.copyOfPackage()
        defer { try? FileManager.default.removeItem(at: root) }
        let output = try Self.check(root)
        #expect(output.status == 0, "\(output.stdout)\(output.stderr)")
    }

    @Test(arguments: [
        (
            "Sources/Dissect/Dissector.swift", "import WSSniff",
            "Dissect imports WSSniff, an arrow the architecture forbids"
        ),
        ("Sources/Dissect/Dissector.swift", "internal import CPcap", "Dissect imports CPcap"),
        ("Sources/ProofVerify/Signer.swift", "import Dissect", "ProofVerify imports Dissect"),
        ("Sources/WireBytes/SHA1.swift", "import Dissect", "WireBytes imports Dissect"),
        ("Sources/WSSniff/Diagnostics.swift", "@testable import wssniff", "the command-line target wssniff"),
        ("Sources/Dissect/Dissector.swift", "import ArgumentParser", "which Package.swift does not declare for it"),
    ])
    func anAddedArrowFails(file: String, line: String, message: String) throws {
        let root = try Self.copyOfPackage()
        defer { try? FileManager.default.removeItem(at: root) }
        try Self.prepend(line, to: file, in: root)
        let output = try Self.check(root)
        #expect(output.status == 1)
        #expect(output.stdout.contains(file + ":1:"), "\(output.stdout)")
        #expect(output.stdout.contains(message), "\(output.stdout)")
    }

    @Test func aForbiddenDependencyInThePackageFails() throws {
        let root = try Self.copyOfPackage()
        defer { try? FileManager.default.removeItem(at: root) }
        let manifest = root.appendingPathComponent("Package.swift")
        let text = try String(contentsOf: manifest, encoding: .utf8)
        let changed = text.replacingOccurrences(
            of: #"dependencies: ["CSodium", "WireBytes"]"#,
            with: #"dependencies: ["CSodium", "Dissect", "WireBytes"]"#
        )
        #expect(changed != text, "the ProofVerify entry of Package.swift changed shape")
        try changed.write(to: manifest, atomically: true, encoding: .utf8)
        let output = try Self.check(root)
        #expect(output.status == 1)
        #expect(output.stdout.contains("Package.swift: ProofVerify depends on Dissect"), "\(output.stdout)")
    }
}
