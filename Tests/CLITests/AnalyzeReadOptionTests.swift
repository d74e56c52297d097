import Foundation
import Testing

/// tcpdump's `-r FILE`, the same as the positional files.
@Suite struct AnalyzeReadOptionTests {
    @Test func readOptionGivesTheSameOutputAsPositionalFiles() throws {
        let first = TestSupport.samplesDirectory.appendingPathComponent("good-v3.pcap").path
        let second = TestSupport.samplesDirectory.appendingPathComponent("nas-protocol-mismatch.pcap").path
        let positional = try TestSupport.wssniff("analyze", "--format", "json", first, second)
        let read = try TestSupport.wssniff("analyze", "--format", "json", "-r", first, "-r", second)
        #expect(positional.status == 0)
        #expect(read.status == 0)
        #expect(read.stdout == positional.stdout)
        #expect(read.stdout.contains("\"protocol-mismatch\""))
    }

    @Test func readOptionAndPositionalFilesTogetherExit64() throws {
        let first = TestSupport.samplesDirectory.appendingPathComponent("good-v3.pcap").path
        let output = try TestSupport.wssniff("analyze", "-r", first, first)
        #expect(output.status == 64)
        #expect(output.stderr.contains("-r"))
        #expect(output.stdout.isEmpty)
    }
}
