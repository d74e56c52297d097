import Foundation
import Testing

/// The exit statuses are documented three times (the README table, `wssniff --help`, the man page's EXIT STATUS
/// section in scripts/wssniff-exit-status.mdoc): the same set everywhere.
@Suite struct ExitStatusDocsTests {
    private let documented: Set<Int> = [0, 64, 65, 66, 69, 74, 75, 77]

    @Test func readmeHelpAndManPageListTheSameStatuses() throws {
        let readme = try String(
            contentsOf: TestSupport.packageRoot.appendingPathComponent("README.md"),
            encoding: .utf8
        )
        let section = try #require(readme.components(separatedBy: "### Exit codes").last)
        let table = section.split(separator: "\n").prefix { !$0.hasPrefix("#") }
            .compactMap { line -> Int? in
                guard line.hasPrefix("| ") else { return nil }
                return Int(line.dropFirst(2).prefix { $0.isNumber })
            }
        #expect(Set(table) == self.documented)

        let help = try TestSupport.wssniff("--help").stdout.replacingOccurrences(of: "\n", with: " ")
        let helpLine = try #require(help.components(separatedBy: "Exit codes:").last)
        let helpCodes = helpLine.split(separator: ",").compactMap {
            Int($0.trimmingCharacters(in: .whitespaces).prefix { $0.isNumber })
        }
        #expect(Set(helpCodes) == self.documented)

        let manual = try String(
            contentsOf: TestSupport.packageRoot.appendingPathComponent("scripts/wssniff-exit-status.mdoc"),
            encoding: .utf8
        )
        let manualCodes = manual.split(separator: "\n").compactMap { line -> Int? in
            line.hasPrefix(".It ") ? Int(line.dropFirst(4)) : nil
        }
        #expect(Set(manualCodes) == self.documented)
    }
}
