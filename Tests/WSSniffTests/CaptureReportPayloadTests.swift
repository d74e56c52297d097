import Dissect
import Testing
import WSSniff

/// A gateway that sends a message that is not UTF-8 far into its chat, and a client that closes with 1007 on it: the
/// report written when a live capture ends (`capture --report`, `keepDetail`) names the breach as `wssniff report`
/// does on the same traffic (docs/report.md: "the same Markdown"), and the text note on skipped messages appears
/// only when no breach found explains the close. (Found in review: `keepDetail` left the gateway's chat unchecked.)
@Suite struct CaptureReportPayloadTests {
    static func summary(_ options: WebSocketAnalysisOptions, badFirst: Bool = false) -> WebSocketConnectionSummary {
        let bad = (Direction.server, UncheckedNoteTests.frame(0x1, [0x7B, 0xC3, 0x28, 0x7D]))
        var pieces = UncheckedNoteTests.handshake(deflate: false)
        if badFirst { pieces.append(bad) }
        for _ in 0..<70 {
            pieces.append((.server, UncheckedNoteTests.frame(0x1, Array(#"{"type":"event","event":"tick"}"#.utf8))))
        }
        // Server message 73 (or 3): C3 28 is not UTF-8. The client's `ws` closes 1007.
        if !badFirst { pieces.append(bad) }
        pieces.append((.client, UncheckedNoteTests.frame(0x8, [0x03, 0xEF], masked: true)))
        return UncheckedNoteTests.analyze(pieces, options: options)
    }

    @Test func captureReportChecksWhatReportChecks() {
        var live = PipelineOptions()
        live.keepDetail(frames: 1_024, messagesPerDirection: 64)  // CaptureCommand with --report
        let file = ReportRequest().pipelineOptions  // wssniff report FILE
        let fromFile = Self.summary(file.websocket)
        let fromLive = Self.summary(live.websocket)
        #expect(fromFile.violations.map(\.rule) == [.invalidUTF8])
        #expect(fromFile.closes.first?.answers?.rule == .invalidUTF8)
        #expect(fromLive.violations.map(\.rule) == fromFile.violations.map(\.rule))
        #expect(fromLive.closes.first?.answers?.rule == .invalidUTF8)
        #expect(fromLive.uncheckedMessages == 0)
    }

    /// The text note says the client's 1007 "may answer" a skipped message even when the close is already tied to a
    /// breach that was found (a gateway burst: message 3 is not UTF-8, 70 more follow before the client's close).
    @Test func noNoteWhenTheRefusalIsExplained() {
        let summary = Self.summary(WebSocketAnalysisOptions(), badFirst: true)
        #expect(summary.closes.first?.answers?.rule == .invalidUTF8)
        #expect(summary.uncheckedMessages > 0)
        #expect(TextRenderer.uncheckedNote(summary) == nil)
    }
}
