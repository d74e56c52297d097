import Testing
import WSSniff

/// The releaser that puts finished connections back in start order, on synthetic sequences.
@Suite struct StartOrderReleaserTests {
    /// Releases into an array.
    private static func release(
        _ releaser: inout StartOrderReleaser<String>,
        before bound: Int?
    ) -> [String] {
        var out: [String] = []
        releaser.release(before: bound) { out.append($0) }
        return out
    }

    private static func due(_ releaser: inout StartOrderReleaser<String>, every steps: Int) -> Bool {
        releaser.isDue(every: steps)
    }

    @Test func connectionsEndingOutOfOrderLeaveInStartOrder() {
        var releaser = StartOrderReleaser<String>()
        // Connections started at packets 1, 5 and 9 end in the order 9, 1, 5.
        releaser.add("c9", start: 9)
        releaser.add("c1", start: 1)
        // The connection that started at packet 5 is still open: only what started before it may go.
        #expect(Self.release(&releaser, before: 5) == ["c1"])
        #expect(releaser.count == 1)
        releaser.add("c5", start: 5)
        #expect(Self.release(&releaser, before: 7) == ["c5"])
        #expect(Self.release(&releaser, before: nil) == ["c9"])
        #expect(releaser.isEmpty)
    }

    @Test func anOldOpenConnectionHoldsEverythingBack() {
        var releaser = StartOrderReleaser<String>()
        for start in [10, 20, 30] { releaser.add("c\(start)", start: start) }
        #expect(Self.release(&releaser, before: 10).isEmpty)
        #expect(Self.release(&releaser, before: 3).isEmpty)
        #expect(releaser.count == 3)
        #expect(releaser.earliestStart == 10)
        #expect(Self.release(&releaser, before: 25) == ["c10", "c20"])
    }

    @Test func equalStartsKeepTheOrderTheyCameIn() {
        var releaser = StartOrderReleaser<String>()
        releaser.add("b", start: 4)
        releaser.add("a", start: 2)
        releaser.add("b2", start: 4)
        releaser.add("b3", start: 4)
        #expect(Self.release(&releaser, before: nil) == ["a", "b", "b2", "b3"])
    }

    @Test func releasesArePacedBySteps() {
        var releaser = StartOrderReleaser<String>()
        // Nothing waiting: never due, and the steps are not counted.
        for _ in 0..<10 { #expect(!Self.due(&releaser, every: 4)) }
        releaser.add("c1", start: 1)
        #expect(!Self.due(&releaser, every: 4))
        #expect(!Self.due(&releaser, every: 4))
        #expect(!Self.due(&releaser, every: 4))
        #expect(Self.due(&releaser, every: 4))
        // The count starts again after a due step.
        #expect(!Self.due(&releaser, every: 4))
        releaser.resetSteps()
        #expect(!Self.due(&releaser, every: 2))
        #expect(Self.due(&releaser, every: 2))
    }

    @Test func aBurstMakesAReleaseDueAtOnceButABlockedOneWaitsFor256More() {
        var releaser = StartOrderReleaser<String>()
        for start in 2...256 { releaser.add("c\(start)", start: start) }
        #expect(!Self.due(&releaser, every: 1_000_000))
        releaser.add("c257", start: 257)
        // 256 waiting: due on the next step, however far the step count is.
        #expect(Self.due(&releaser, every: 1_000_000))
        // Connection 1 is still open: the release frees nothing, and the next one is due only when 256 more wait.
        #expect(Self.release(&releaser, before: 1).isEmpty)
        for start in 258..<(258 + 255) { releaser.add("c\(start)", start: start) }
        #expect(!Self.due(&releaser, every: 1_000_000))
        releaser.add("c513", start: 513)
        #expect(Self.due(&releaser, every: 1_000_000))
        let all = Self.release(&releaser, before: nil)
        #expect(all.count == 512)
        #expect(all.first == "c2" && all.last == "c513")
    }

    /// A capture that ends with 100,000 connections open (the dissector's limit): they come out of the dissector in
    /// start order at the end, each released as the next one arrives, so the releaser never holds more than a few.
    @Test func oneHundredThousandConnectionsAtTheEndGoThroughOneAtATime() {
        var releaser = StartOrderReleaser<Int>()
        var delivered: [Int] = []
        var largest = 0
        releaser.resetSteps()
        for start in 1...100_000 {
            releaser.add(start, start: start)
            largest = max(largest, releaser.count)
            if releaser.isDue(every: 256) {
                releaser.release(before: start + 1) { delivered.append($0) }
            }
        }
        releaser.release(before: nil) { delivered.append($0) }
        #expect(delivered == Array(1...100_000))
        #expect(largest <= 256)
    }

    /// Random ends against a model: at every release, exactly the finished connections that started before the
    /// oldest open one come out, in start order, and each exactly once.
    @Test(arguments: [1 as UInt64, 7, 42, 2_026])
    func randomEndsMatchTheModel(seed: UInt64) {
        var random = SplitMix(seed: seed)
        var releaser = StartOrderReleaser<Int>()
        var open = Set(1...2_000)
        var delivered: [Int] = []
        while !open.isEmpty {
            // A random open connection ends.
            let ended = open.randomElement(using: &random)!
            open.remove(ended)
            releaser.add(ended, start: ended)
            if Int.random(in: 0..<8, using: &random) == 0 {
                let bound = open.min()
                var out: [Int] = []
                releaser.release(before: bound) { out.append($0) }
                // Exactly the waiting ones before the oldest open connection, in order.
                let expected = (delivered.last.map { $0 + 1 } ?? 1)..<(bound ?? 2_001)
                #expect(out == Array(expected))
                delivered += out
            }
        }
        releaser.release(before: nil) { delivered.append($0) }
        #expect(delivered == Array(1...2_000))
    }
}

/// A small seeded generator, so a failing sequence can be run again.
private struct SplitMix: RandomNumberGenerator {
    var state: UInt64

    init(seed: UInt64) { self.state = seed }

    mutating func next() -> UInt64 {
        self.state &+= 0x9E37_79B9_7F4A_7C15
        var z = self.state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
