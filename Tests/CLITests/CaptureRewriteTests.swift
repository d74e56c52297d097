import Foundation
import Testing

/// Every sample rewritten every way real capture setups rewrite captures (issue 14, `tools/rewrite`), with the verdict
/// each must get derived from the sample's expected verdict by the issue's rules. The sample before rewriting is the
/// ground truth for the reassembled streams; tshark's frame list is a second oracle for the reordered and duplicated
/// captures.
@Suite struct CaptureRewriteTests {
    static let script = TestSupport.packageRoot.appendingPathComponent("tools/rewrite/rewrite_capture.py").path
    static let python: String? = TestSupport.which("python3")
    static let tshark: String? = TestSupport.which("tshark")

    static let rewrites = [
        "ack-ahead", "swap", "start-at-connect", "end-before-answer", "end-inside-record",
        "snaplen-64", "snaplen-96", "snaplen-128", "snaplen-200", "duplicate",
    ]
    /// The rewrites that keep every byte: tshark must decode the same frames as wssniff on them.
    static let reorderings = ["ack-ahead", "swap", "duplicate"]
    static let samples: [String] = SampleVerdictTests.handshakeFiles

    /// The addresses `duplicate` gives the second view (the bridge side of a NAT'd container).
    static let natAddresses: Set<String> = ["172.17.0.1", "172.17.0.2", "fd00:17::1", "fd00:17::2"]

    /// What one rewritten sample gave: the rewrite tool's account of what survives, wssniff's JSON, and tshark's
    /// WebSocket frames of the original address view (for the reorderings, when tshark is installed).
    struct Outcome {
        var report: [String: Any]
        var document: [String: Any]
        var tsharkFrames: [Int: [String]]?
    }

    /// One run of everything per (sample, reordering), shared by the verdict test and the tshark test.
    static let outcomes = Box<[String: Result<Outcome, TestFailure>]>([:])
    static let originals = Box<[String: [String: Any]]>([:])
    static let locks = Box<[String: NSLock]>([:])

    static func expectation(_ sample: String) throws -> (entry: [String: Any], connections: [[String: Any]]) {
        let entry = try #require(SampleVerdictTests.expected()[sample])
        return (entry, (entry["connections"] as? [[String: Any]]) ?? [entry])
    }

    /// The gateway's port, given as `--port` the way a user whose gateway listens on wssniff's default port gets it
    /// for free: what counts as a WebSocket connection without its upgrade is then the same as for that user.
    static func gatewayPort(_ sample: String) throws -> Int {
        let connections = try Self.expectation(sample).connections
        return try #require(connections.first?["gatewayPort"] as? Int)
    }

    static func analyze(_ path: String, port: Int) throws -> [String: Any] {
        let output = try TestSupport.wssniff(arguments: [
            "analyze", "--format", "json", "--frames", "--messages", "--no-hash", "--port", String(port), path,
        ])
        guard output.status == 0 else {
            throw TestFailure("wssniff analyze failed (\(output.status)): \(output.stderr)")
        }
        guard let object = try JSONSerialization.jsonObject(with: Data(output.stdout.utf8)) as? [String: Any] else {
            throw TestFailure("wssniff analyze did not print a JSON object")
        }
        return object
    }

    /// wssniff on the sample as captured: the ground truth for the streams.
    static func original(_ sample: String) throws -> [String: Any] {
        if let cached = Self.originals.value[sample] { return cached }
        let path = TestSupport.samplesDirectory.appendingPathComponent(sample).path
        let document = try Self.analyze(path, port: try Self.gatewayPort(sample))
        Self.originals.update { $0[sample] = document }
        return document
    }

    /// The outcome of one case, computed once: the verdict test and the tshark test of a reordering share it (a
    /// lock per case keeps the second from running it again while the first does).
    static func outcome(_ sample: String, _ rewrite: String) throws -> Outcome {
        guard Self.reorderings.contains(rewrite) else { return try Self.run(sample, rewrite) }
        let key = "\(sample) \(rewrite)"
        var lock = NSLock()
        Self.locks.update { locks in
            if let existing = locks[key] { lock = existing } else { locks[key] = lock }
        }
        lock.lock()
        defer { lock.unlock() }
        if let cached = Self.outcomes.value[key] { return try cached.get() }
        let result: Result<Outcome, TestFailure>
        do {
            result = .success(try Self.run(sample, rewrite))
        } catch let failure as TestFailure {
            result = .failure(failure)
        } catch {
            result = .failure(TestFailure("\(error)"))
        }
        Self.outcomes.update { $0[key] = result }
        return try result.get()
    }

    /// Rewrites the sample into a directory of its own, runs wssniff (and tshark) once on it, and removes it.
    static func run(_ sample: String, _ rewrite: String) throws -> Outcome {
        let python = try #require(Self.python)
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let output = directory.appendingPathComponent("\(rewrite).pcap").path
        let reportPath = directory.appendingPathComponent("\(rewrite).json").path
        let input = TestSupport.samplesDirectory.appendingPathComponent(sample).path
        let made = try TestSupport.run(python, [Self.script, rewrite, input, output, "--report", reportPath])
        guard made.status == 0 else { throw TestFailure("rewrite_capture.py \(rewrite) \(sample): \(made.stderr)") }
        let report = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: reportPath)))
                as? [String: Any]
        )
        let port = try Self.gatewayPort(sample)
        let document = try Self.analyze(output, port: port)
        var frames: [Int: [String]]?
        if Self.reorderings.contains(rewrite), let tshark = Self.tshark {
            frames = try Self.tsharkFrames(tshark, output, port: port)
        }
        return Outcome(report: report, document: document, tsharkFrames: frames)
    }

    /// tshark's WebSocket frames per client port, each `direction opcode length` in stream order, for the original
    /// address view only (the NAT'd copy of `duplicate` is left out), with out-of-order reassembly on.
    static func tsharkFrames(_ tshark: String, _ path: String, port: Int) throws -> [Int: [String]] {
        let output = try TestSupport.run(
            tshark,
            [
                "-r", path, "-o", "tcp.reassemble_out_of_order:TRUE", "-o", "tcp.desegment_tcp_streams:TRUE",
                "-d", "tcp.port==\(port),http", "-Y", "websocket", "-T", "fields", "-E", "occurrence=a",
                "-E", "aggregator=;", "-e", "ip.src", "-e", "ipv6.src", "-e", "tcp.srcport", "-e", "tcp.dstport",
                "-e", "websocket.opcode", "-e", "websocket.payload_length", "-e", "websocket.payload_length_ext_16",
                "-e", "websocket.payload_length_ext_64",
            ]
        )
        guard output.status == 0 else { throw TestFailure("tshark failed on \(path): \(output.stderr)") }
        var frames: [Int: [String]] = [:]
        for line in output.stdout.split(separator: "\n") {
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            guard fields.count >= 8 else { continue }
            if Self.natAddresses.contains(fields[0]) || Self.natAddresses.contains(fields[1]) { continue }
            let source = Int(fields[2]) ?? -1
            let destination = Int(fields[3]) ?? -1
            let fromServer = source == port
            let clientPort = fromServer ? destination : source
            let opcodes = fields[4].split(separator: ";")
            var shorts = fields[5].split(separator: ";").makeIterator()
            var ext16 = fields[6].split(separator: ";").makeIterator()
            var ext64 = fields[7].split(separator: ";").makeIterator()
            for opcode in opcodes {
                var length = Int(shorts.next() ?? "") ?? -1
                if length == 126 { length = Int(ext16.next() ?? "") ?? -1 }
                if length == 127 { length = Int(ext64.next() ?? "") ?? -1 }
                frames[clientPort, default: []].append("\(fromServer ? "server" : "client") \(opcode) \(length)")
            }
        }
        return frames
    }

    // MARK: - Reading the JSON

    static func connections(_ document: [String: Any]) -> [[String: Any]] {
        document["connections"] as? [[String: Any]] ?? []
    }

    /// The connection between these two ports, whichever side wssniff took for the client (a capture that starts
    /// late has no SYN to say).
    static func connection(_ document: [String: Any], ports: Set<Int>) -> [[String: Any]] {
        Self.connections(document).filter { connection in
            let client = (connection["client"] as? [String: Any])?["port"] as? Int ?? -1
            let server = (connection["server"] as? [String: Any])?["port"] as? Int ?? -1
            return [client, server] == ports
        }
    }

    static func tcp(_ connection: [String: Any], _ key: String) -> Int? {
        (connection["tcp"] as? [String: Any])?[key] as? Int
    }

    /// Each message as `direction opcode length`, in order.
    static func messages(_ connection: [String: Any]) -> [String] {
        let websocket = connection["websocket"] as? [String: Any]
        return (websocket?["messages"] as? [[String: Any]] ?? []).map {
            "\($0["direction"] as? String ?? "?") \($0["opcode"] as? Int ?? -1) \($0["length"] as? Int ?? -1)"
        }
    }

    /// Each frame as `direction opcode length`, in the order wssniff numbered them, one list per direction.
    static func frames(_ connection: [String: Any]) -> [String] {
        let websocket = connection["websocket"] as? [String: Any]
        let all = (websocket?["frames"] as? [[String: Any]] ?? []).map {
            "\($0["direction"] as? String ?? "?") \($0["opcode"] as? Int ?? -1) \($0["length"] as? Int ?? -1)"
        }
        return all.filter { $0.hasPrefix("client") } + all.filter { $0.hasPrefix("server") }
    }

    // MARK: - The expected verdict

    /// What the verdict of one connection may be, derived from the sample's expected verdict and what survives.
    struct Allowed: CustomStringConvertible {
        var causes: Set<String>
        var observed: Bool
        /// The snaplen the summary must name.
        var snaplen: Int?
        /// A prediction must say why it is one (`predictionReason`).
        var predictionSaysSo: Bool
        /// The summary must say what cannot be checked without the challenge (an accepted device connect).
        var namesTheMissingChallenge: Bool
        var rule: String

        var description: String {
            "\(self.causes.sorted()) observed=\(self.observed)\(self.snaplen.map { " naming snaplen \($0)" } ?? "")"
                + " (\(self.rule))"
        }
    }

    /// The issue's rules (sections 2 and 3), applied to one connection of a rewritten sample.
    ///
    /// - `truth`: the cause the gateway's log gives (expected.json); `handshake`: what the gateway answered the
    ///   connect itself: `accepted` where its answer was a hello-ok and the cause comes from a later close
    ///   (chat-invalid-utf8), else `truth`.
    /// - The gateway's own words are its answer (the `res`, or the close where it sent no `res`) whole and readable
    ///   in the rewritten file, or a close of its own that names the cause alone (a non-empty reason, or 1002, 1007
    ///   or 1009, which its `ws` library sends for one kind of breach each): then the verdict is `truth`, observed
    ///   (section 2, "whenever ... on the wire", "even when the capture started mid-connection"; json-output.md:
    ///   observed is "what the gateway itself said (its error response or close)").
    /// - Under a snaplen a bare 1000 close does not count even as the answer (it is a client close's echo, a
    ///   timeout or a non-JSON first message, and the frames that tell which were cut), so with the upgrade or the
    ///   connect cut the connection is `incomplete-capture` naming the snaplen (section 3): "using all that still
    ///   fits (a close code and reason, frame headers ...)" is read as what goes into the summary.
    /// - Otherwise the answer is missing: `observed: false`, and either a prediction of what the gateway answered
    ///   (`handshake`, with its `predictionReason`) or `incomplete-capture`. A prediction of anything else would
    ///   contradict what the gateway really said in the sample (for example `accepted` for a connect it refused
    ///   for a token or pairing the wire does not show): wssniff must then say it cannot know.
    static func allowed(
        rewrite: String,
        expected: [String: Any],
        survived: [String: Any]
    ) -> Allowed {
        let truth = expected["cause"] as? String ?? "?"
        let answerKind = survived["answerKind"] as? String
        let handshake = answerKind == "res-ok" ? "accepted" : truth
        let answer = survived["answer"] as? [String: Any]
        let close = survived["close"] as? [String: Any]
        let answerReadable = answer?["readable"] as? Bool == true
        let closeReadable = close?["readable"] as? Bool == true
        // A close says the cause on its own with a reason, or with the codes the gateway's `ws` library sends for
        // one breach each and no reason: 1002 (a frame broke RFC 6455), 1007 (invalid UTF-8), 1009 (too big). A bare
        // 1000 does not: it is the echo of a client's close, a timeout, or a non-JSON first message.
        // A gateway close that echoes the client's (a sample the client closed first) says nothing of the gateway's.
        let closeSpeaks =
            expected["closedBy"] as? String != "client" && closeReadable
            && (!(close?["reason"] as? String ?? "").isEmpty
                || [1002, 1007, 1009].contains(close?["code"] as? Int ?? 0))
        let snaplen = rewrite.hasPrefix("snaplen-") ? Int(rewrite.dropFirst("snaplen-".count)) : nil
        let device = expected["signedForm"] != nil
        let startsLate = rewrite == "start-at-connect"
        if survived["streamsWhole"] as? Bool == true {
            return Allowed(
                causes: [truth],
                observed: true,
                snaplen: nil,
                predictionSaysSo: false,
                namesTheMissingChallenge: false,
                rule: "every byte of the connection survives"
            )
        }
        let answerCounts = answerReadable && (snaplen == nil || answerKind != "close")
        if answerCounts || closeSpeaks {
            var causes: Set<String> = [truth]
            // The hello-ok survives but the later close that gives the cause may not: the gateway's words then
            // are "accepted" (observed), and the later breach with no close seen is not observed.
            if handshake != truth && !closeReadable { causes.insert(handshake) }
            return Allowed(
                causes: causes,
                observed: true,
                snaplen: nil,
                predictionSaysSo: false,
                namesTheMissingChallenge: startsLate && device && truth == "accepted" && survived["connect"] != nil,
                rule: answerCounts ? "the gateway's answer survives" : "the gateway's close survives"
            )
        }
        let upgradeCut =
            survived["upgradeRequestWhole"] as? Bool != true || survived["upgradeResponseWhole"] as? Bool != true
        let connectCut = (survived["connect"] as? [String: Any])?["readable"] as? Bool == false
        if let snaplen, upgradeCut || connectCut {
            return Allowed(
                causes: ["incomplete-capture"],
                observed: false,
                snaplen: snaplen,
                predictionSaysSo: false,
                namesTheMissingChallenge: false,
                rule: "the snaplen cut the upgrade or the connect"
            )
        }
        return Allowed(
            causes: [handshake, "incomplete-capture"],
            observed: false,
            snaplen: nil,
            predictionSaysSo: true,
            namesTheMissingChallenge: false,
            rule: "the gateway's answer is not in the capture"
        )
    }

    // MARK: - Tests

    @Test(
        .enabled(if: Self.python != nil, "python3 is needed to run tools/rewrite/rewrite_capture.py"),
        arguments: Self.samples,
        Self.rewrites
    )
    func verdictFollowsTheEvidence(sample: String, rewrite: String) throws {
        let outcome = try Self.outcome(sample, rewrite)
        let (entry, expectations) = try Self.expectation(sample)
        let original = try Self.original(sample)
        let report = outcome.report
        let document = outcome.document
        let input = document["input"] as? [String: Any] ?? [:]
        let survivors = report["connections"] as? [[String: Any]] ?? []
        // The rewrite did something to the sample, or this case tests nothing; only a capture without a client data
        // message (timeout) has nothing to start at, and one without an answer nothing to end before.
        let landmark = rewrite == "start-at-connect" ? "firstClientMessage" : "answer"
        if !["start-at-connect", "end-before-answer"].contains(rewrite)
            || survivors.contains(where: { $0[landmark] is [String: Any] })
        {
            #expect((report["changed"] as? Int ?? 0) > 0, "\(rewrite) left \(sample) unchanged")
        }

        if rewrite == "end-inside-record" || rewrite.hasPrefix("snaplen-") {
            #expect(input["complete"] as? Bool == false, "input.complete on a capture cut by \(rewrite)")
        } else {
            #expect(input["complete"] as? Bool == true, "input.complete on \(rewrite): \(input["warnings"] ?? [])")
        }
        if rewrite.hasPrefix("snaplen-") {
            #expect(input["truncatedPackets"] as? Int == report["changed"] as? Int, "records cut by the snaplen")
        }
        // One connection per connection of the sample: exact duplicates and the NAT'd view are one connection.
        #expect(
            Self.connections(document).count == Self.connections(original).count,
            "connections: \(Self.connections(document).map { $0["client"] ?? "" })"
        )

        for expected in expectations {
            let clientPort = try #require(expected["clientPort"] as? Int)
            let serverPort = try #require(expected["gatewayPort"] as? Int ?? entry["gatewayPort"] as? Int)
            let ports: Set<Int> = [clientPort, serverPort]
            let label = "\(sample) [\(clientPort)] \(rewrite)"
            let survived = try #require(
                survivors.first { ($0["client"] as? [String: Any])?["port"] as? Int == clientPort },
                "the rewrite tool did not find connection \(clientPort)"
            )
            let matches = Self.connection(document, ports: ports)
            #expect(matches.count == 1, "\(label): \(matches.count) connections between ports \(ports.sorted())")
            let connection = try #require(matches.first, "\(label): no connection")
            let verdict = connection["verdict"] as? [String: Any] ?? [:]
            let cause = verdict["cause"] as? String ?? "none"
            let observed = verdict["observed"] as? Bool
            let summary = verdict["summary"] as? String ?? ""
            let shown = "\(label): \(cause) observed=\(observed.map(String.init) ?? "nil"): \(summary)"

            if Self.reorderings.contains(rewrite) {
                // Nothing is lost: the verdict and the reassembled streams are the sample's own.
                #expect(cause == expected["cause"] as? String, "\(shown)")
                #expect(observed == true, "\(shown)")
                let before = try #require(Self.connection(original, ports: ports).first)
                #expect(Self.tcp(connection, "clientBytes") == Self.tcp(before, "clientBytes"), "\(label) clientBytes")
                #expect(Self.tcp(connection, "serverBytes") == Self.tcp(before, "serverBytes"), "\(label) serverBytes")
                #expect(Self.tcp(connection, "gaps") == Self.tcp(before, "gaps"), "\(label) gaps")
                #expect(Self.messages(connection) == Self.messages(before), "\(label) messages")
                if rewrite == "duplicate" {
                    // Reported once, naming both views.
                    let text = String(
                        decoding: try JSONSerialization.data(withJSONObject: connection),
                        as: UTF8.self
                    )
                    #expect(text.contains("172.17.0.1"), "\(label): the NAT'd view is not named")
                }
                continue
            }

            let allowed = Self.allowed(rewrite: rewrite, expected: expected, survived: survived)
            #expect(allowed.causes.contains(cause), "\(shown)\nexpected \(allowed)")
            #expect(observed == allowed.observed, "\(shown)\nexpected \(allowed)")
            #expect(!["not-websocket", "not-gateway"].contains(cause), "\(shown)")
            if let snaplen = allowed.snaplen {
                #expect(summary.contains(String(snaplen)), "\(shown)\nthe summary names the snaplen \(snaplen)")
            }
            if allowed.predictionSaysSo && observed == false && cause != "incomplete-capture" {
                #expect(
                    !(verdict["predictionReason"] as? String ?? "").isEmpty,
                    "\(shown)\na prediction says the answer is missing"
                )
            }
            if allowed.namesTheMissingChallenge {
                #expect(
                    summary.lowercased().contains("challenge"),
                    "\(shown)\nthe summary says what cannot be checked without the challenge"
                )
            }
        }
    }

    @Test(
        .enabled(if: Self.python != nil, "python3 is needed to run tools/rewrite/rewrite_capture.py"),
        .enabled(if: Self.tshark != nil, "tshark is needed as the second oracle (scripts/setup.sh --test)"),
        arguments: Self.samples,
        Self.reorderings
    )
    func framesMatchTshark(sample: String, rewrite: String) throws {
        let outcome = try Self.outcome(sample, rewrite)
        let original = try Self.original(sample)
        let theirs = try #require(outcome.tsharkFrames)
        let survivors = outcome.report["connections"] as? [[String: Any]] ?? []
        let serverPort = try Self.gatewayPort(sample)
        for survived in survivors {
            let clientPort = try #require((survived["client"] as? [String: Any])?["port"] as? Int)
            let label = "\(sample) \(rewrite) [\(clientPort)]"
            let ours = try #require(
                Self.connection(outcome.document, ports: [clientPort, serverPort]).first,
                "\(label): no connection"
            )
            let before = try #require(Self.connection(original, ports: [clientPort, serverPort]).first)
            // tshark 4.0 with out-of-order reassembly holds every byte after a hole that is never filled and shows no
            // frame past it: a direction with records missing from the sample itself (cooked-any) is left out.
            let holes = survived["holes"] as? [String: Int] ?? [:]
            let sides = ["client", "server"].filter { holes[$0] == 0 }
            func kept(_ frames: [String]) -> [String] {
                sides.flatMap { side in frames.filter { $0.hasPrefix(side + " ") } }
            }
            let tshark = kept(theirs[clientPort, default: []])
            #expect(!tshark.isEmpty, "\(label): tshark decoded no frame")
            // The oracle itself: tshark on the rewritten file sees the frames wssniff saw in the sample.
            #expect(tshark == kept(Self.frames(before)), "\(label): tshark on the rewrite vs wssniff on the sample")
            #expect(kept(Self.frames(ours)) == tshark, "\(label): wssniff vs tshark on the rewrite")
        }
    }

    /// One record as tshark reads it back.
    struct Packet: Hashable {
        var time: Double
        var capturedLength: Int
        var length: Int
        var source: String
        var sourcePort: Int
        var syn: Bool
        var sequence: String
        var acknowledgement: String
        var payload: Int
        var ackedUnseen: Bool

        /// What a record carries, wherever it is stored.
        var segment: String {
            "\(self.source):\(self.sourcePort) \(self.sequence) \(self.acknowledgement) \(self.payload)"
        }
    }

    static func packets(_ tshark: String, _ path: String) throws -> (packets: [Packet], stderr: String) {
        let output = try TestSupport.run(
            tshark,
            [
                "-r", path, "-T", "fields", "-e", "frame.time_epoch", "-e", "frame.cap_len", "-e", "frame.len",
                "-e", "ip.src", "-e", "tcp.srcport", "-e", "tcp.flags.syn", "-e", "tcp.seq_raw", "-e", "tcp.ack_raw",
                "-e", "tcp.len", "-e", "tcp.analysis.ack_lost_segment",
            ]
        )
        let packets = output.stdout.split(separator: "\n").map { line -> Packet in
            let f =
                line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
                + Array(repeating: "", count: 10)
            return Packet(
                time: Double(f[0]) ?? -1,
                capturedLength: Int(f[1]) ?? -1,
                length: Int(f[2]) ?? -1,
                source: f[3],
                sourcePort: Int(f[4]) ?? -1,
                syn: f[5] == "1" || f[5] == "True",
                sequence: f[6],
                acknowledgement: f[7],
                payload: Int(f[8]) ?? -1,
                ackedUnseen: !f[9].isEmpty
            )
        }
        return (packets, output.stderr)
    }

    /// Each rewrite, read back by tshark, is what the tool's help says it is (good-v3 and cooked-any, the two link
    /// types of the samples), so a verdict failure above is about wssniff, not about a broken rewrite.
    @Test(
        .enabled(if: Self.python != nil, "python3 is needed to run tools/rewrite/rewrite_capture.py"),
        .enabled(if: Self.tshark != nil, "tshark reads the rewritten captures back"),
        arguments: ["good-v3.pcap", "cooked-any.pcap"],
        Self.rewrites
    )
    func rewriteDoesWhatItSays(sample: String, rewrite: String) throws {
        let python = try #require(Self.python)
        let tshark = try #require(Self.tshark)
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let input = TestSupport.samplesDirectory.appendingPathComponent(sample).path
        let output = directory.appendingPathComponent("out.pcap").path
        let made = try TestSupport.run(python, [Self.script, rewrite, input, output, "--report", "-"])
        #expect(made.status == 0, "\(made.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(made.stdout.utf8)) as? [String: Any])
        let changed = report["changed"] as? Int ?? 0
        let before = try Self.packets(tshark, input).packets
        let (after, stderr) = try Self.packets(tshark, output)
        let segments = before.map(\.segment).sorted()
        let clientPort = try #require(
            (try Self.expectation(sample).connections.first?["clientPort"]) as? Int
        )
        #expect(changed > 0)
        switch rewrite {
        case "ack-ahead":
            // The same records, some ACKs now ahead of the data they acknowledge, and time going backwards there.
            #expect(after.map(\.segment).sorted() == segments)
            #expect(after.filter(\.ackedUnseen).count > before.filter(\.ackedUnseen).count)
            #expect(zip(after, after.dropFirst()).contains { $0.time > $1.time })
        case "swap":
            #expect(after.map(\.segment).sorted() == segments)
            #expect(after.map(\.segment) != before.map(\.segment))
            #expect(zip(after, after.dropFirst()).contains { $0.time > $1.time })
        case "start-at-connect":
            // It starts with the client's connect: no SYN, nothing before.
            let first = try #require(after.first)
            #expect(first.sourcePort == clientPort && first.payload > 0)
            #expect(after.allSatisfy { !$0.syn })
            #expect(after.map(\.segment) == Array(before.map(\.segment).suffix(after.count)))
        case "end-before-answer":
            // A prefix of the capture that stops before the gateway's first record after the connect.
            #expect(after.map(\.segment) == Array(before.map(\.segment).prefix(after.count)))
            #expect(after.count == before.count - changed)
            let connect = try #require(before.firstIndex { $0.sourcePort == clientPort && $0.payload > 500 })
            #expect(after.count > connect)
        case "end-inside-record":
            #expect(stderr.contains("cut short in the middle of a packet"))
            #expect(after.map(\.segment) == Array(before.map(\.segment).prefix(after.count)))
        case "duplicate":
            #expect(after.count == 3 * before.count)
            let view = after.filter { $0.source == before.first?.source }
            #expect(view.map(\.segment) == before.flatMap { [$0.segment, $0.segment] })
            #expect(Set(after.map(\.source)) == Set(before.map(\.source)).union(["172.17.0.1", "172.17.0.2"]))
        default:
            let snaplen = try #require(Int(rewrite.dropFirst("snaplen-".count)))
            #expect(after.count == before.count)
            #expect(after.allSatisfy { $0.capturedLength <= snaplen })
            #expect(zip(before, after).allSatisfy { $0.length == $1.length })
            #expect(after.filter { $0.capturedLength < $0.length }.count == changed)
        }
    }
}
