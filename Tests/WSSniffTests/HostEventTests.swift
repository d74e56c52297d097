import Dissect
import Testing
import WSSniff

/// Host events as JSON lines (written by `capture`, read back by `report`) and as text lines.
@Suite struct HostEventTests {
    @Test func aConfigChangeSurvivesItsJSONLine() throws {
        var event = HostEvent(kind: .configChange, time: Timestamp(seconds: 1_796_698_963, nanoseconds: 223_266_050))
        event.path = "/etc/openclaw/openclaw.json"
        event.change = .replaced
        event.size = 211
        event.mode = "0600"
        event.uid = 1000
        event.owner = "openclaw"
        event.parsed = true
        event.diff = [
            ConfigDiff.Entry(
                path: "gateway.auth.token",
                change: .added,
                before: nil,
                after: Redactor.placeholder(for: "t"),
                secret: true
            ),
            ConfigDiff.Entry(path: "gateway.port", change: .changed, before: "1", after: "2", secret: false),
        ]
        let line = event.json().serialized()
        #expect(line.hasPrefix("{\"event\":\"config-change\",\"time\":\"2026-12-08T03:02:43.223266050Z\""))
        #expect(HostEvent.parse(line: line) == event)
        #expect(event.textLine.hasPrefix("03:02:43.223 config /etc/openclaw/openclaw.json replaced (0600 openclaw"))
    }

    @Test func gatewayAndProcessEventsSurviveTheirJSONLines() throws {
        var up = HostEvent(kind: .gatewayUp, time: Timestamp(seconds: 10, nanoseconds: 5))
        up.port = 18789
        up.server = "127.0.0.1:18789"
        up.downSince = Timestamp(seconds: 8, nanoseconds: 0)
        up.refused = 3
        #expect(HostEvent.parse(line: up.json().serialized()) == up)
        #expect(up.sentence.contains("down since 00:00:08.000, 3 refused"))
        var restart = HostEvent(kind: .processRestart, time: Timestamp(seconds: 11, nanoseconds: 0))
        restart.process = "openclaw-gateway"
        restart.oldPid = 100
        restart.newPid = 200
        #expect(HostEvent.parse(line: restart.json().serialized()) == restart)
        #expect(restart.sentence == "process openclaw-gateway restarted: pid 100 -> 200")
    }

    @Test func otherLinesAreNotHostEvents() {
        #expect(HostEvent.parse(line: "{\"index\":1,\"client\":{}}") == nil)
        #expect(HostEvent.parse(line: "{\"event\":\"handshake\",\"time\":\"2026-12-08T03:02:43Z\"}") == nil)
        #expect(HostEvent.parse(line: "not json") == nil)
        #expect(HostEvent.parse(line: "{\"event\":\"gateway-down\",\"time\":\"yesterday\"}") == nil)
    }

    @Test func timestampsReadBackAsWritten() {
        for nanoseconds: Int64 in [0, 1, 999_999_999, 951_782_400_000_000_000, 1_796_698_963_223_266_050] {
            let time = Timestamp(nanoseconds: nanoseconds)
            #expect(HostEvent.timestamp(time.rfc3339) == time, "\(time.rfc3339)")
        }
        #expect(HostEvent.timestamp("2026-12-08T03:02:43Z") == Timestamp(seconds: 1_796_698_963, nanoseconds: 0))
        #expect(HostEvent.timestamp("2026-12-08T03:02:43.5Z")?.nanoseconds == 1_796_698_963_500_000_000)
        #expect(HostEvent.timestamp("2026-13-08T03:02:43Z") == nil)
        #expect(HostEvent.timestamp("2026-12-08T03:02:43.Z") == nil)
    }
}
