import Foundation
import Testing

/// tcpdump's `-c N`, the same as `capture --count N`: checked the same way, before any device is opened.
@Suite struct CaptureCountOptionTests {
    @Test(arguments: [["-c", "0"], ["--count", "0"], ["-c", "-3"], ["-c", "many"]])
    func badPacketCountExits64NamingTheOption(arguments: [String]) throws {
        let output = try TestSupport.wssniff(arguments: ["capture", "-i", "lo"] + arguments)
        #expect(output.status == 64, "\(arguments): \(output.stderr)")
        #expect(output.stderr.contains("count"), "\(arguments): \(output.stderr)")
        #expect(output.stdout.isEmpty)
    }

    @Test func shortAndLongFormsGiveTheSameMessage() throws {
        let short = try TestSupport.wssniff("capture", "-c", "0")
        let long = try TestSupport.wssniff("capture", "--count", "0")
        #expect(short.status == 64)
        #expect(short.stderr == long.stderr)
    }
}
