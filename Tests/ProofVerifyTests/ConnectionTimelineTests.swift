import ProofVerify
import Testing

@Suite struct ConnectionTimelineTests {
    @Test(arguments: [
        (Int64(0), "0 ms"), (40, "40 ms"), (999, "999 ms"), (1_000, "1.0 s"), (3_004, "3.0 s"), (3_050, "3.1 s"),
        (59_949, "59.9 s"), (60_000, "1 min 0 s"), (125_400, "2 min 5 s"),
    ])
    func durations(milliseconds: Int64, text: String) {
        #expect(ConnectionTimeline.duration(milliseconds) == text)
    }

    @Test func wholeSecondsReadAsSeconds() {
        #expect(ConnectionTimeline.seconds(3_000) == "3 s")
        #expect(ConnectionTimeline.seconds(10_000) == "10 s")
        #expect(ConnectionTimeline.seconds(2_500) == "2.5 s")
    }
}
