import Foundation
import Testing

/// `wssniff report`: the Markdown report (cause, next steps, Mermaid, tables), its JSON twin, the sanitized capture,
/// file modes, and that no secret reaches any output byte unless `--show-secrets`.
@Suite struct ReportCommandTests {
    static let token = "wssniff-reference-token"
    static let wstunnel = TestSupport.corpusDirectory.appendingPathComponent("zeek-wstunnel-http.pcap").path
    /// The JWT that wstunnel carries as `authorization.bearer.<JWT>` in Sec-WebSocket-Protocol.
    static let jwt =
        "eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9.eyJpZCI6IjAxOGNmZWFiLWY5OWQtNzBmNy05NmFmLTBlOGJhNjk2YTFmNiIsInAiOiJUY3AiLCJy"
        + "IjoiemVlay5vcmciLCJycCI6ODB9.FsquetBp_jsIDzBslWyyTPlS2hcMprVuWmbT2r57N0A"

    static func sample(_ name: String) -> String {
        TestSupport.samplesDirectory.appendingPathComponent(name).path
    }

    struct Written {
        var markdown: String
        var json: [String: Any]
        var jsonText: String
        var directory: URL
        var output: TestSupport.Output
        var paths: [String]
    }

    /// Runs `wssniff report` writing -o, --json and --sanitized-pcap into a fresh directory.
    static func report(_ capture: String, _ extra: [String] = []) throws -> Written {
        try Self.report(captures: [capture], extra)
    }

    /// Runs `wssniff report` over several captures read as one.
    static func report(captures: [String], _ extra: [String] = []) throws -> Written {
        let directory = try TestSupport.temporaryDirectory()
        let md = directory.appendingPathComponent("report.md").path
        let json = directory.appendingPathComponent("report.json").path
        let pcap = directory.appendingPathComponent("sanitized.pcap").path
        let output = try TestSupport.wssniff(
            arguments: ["report"] + captures + ["-o", md, "--json", json, "--sanitized-pcap", pcap] + extra
        )
        guard output.status == 0 else { throw TestFailure("report failed (\(output.status)): \(output.stderr)") }
        let jsonText = try String(contentsOfFile: json, encoding: .utf8)
        guard let object = try JSONSerialization.jsonObject(with: Data(jsonText.utf8)) as? [String: Any] else {
            throw TestFailure("the JSON twin is not an object")
        }
        return Written(
            markdown: try String(contentsOfFile: md, encoding: .utf8),
            json: object,
            jsonText: jsonText,
            directory: directory,
            output: output,
            paths: [md, json, pcap]
        )
    }

    // MARK: - Mermaid

    /// The sequenceDiagram subset the report emits: a header, participants declared before use, and only
    /// `A->>B: text` and `Note over A,B: text` lines, with no `;`, `#` or unbalanced characters Mermaid reads as syntax.
    static func validateMermaid(_ block: String) -> [String] {
        var problems: [String] = []
        var lines = block.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard lines.first == "sequenceDiagram" else { return ["first line is not sequenceDiagram"] }
        lines.removeFirst()
        var participants: Set<String> = []
        let name = #"[A-Za-z][A-Za-z0-9_]*"#
        for line in lines {
            if let match = line.wholeMatch(of: try! Regex("participant (\(name))( as [A-Za-z0-9 _.-]+)?")) {
                participants.insert(String(line.split(separator: " ")[1]))
                _ = match
                continue
            }
            var text: Substring
            if line.wholeMatch(of: try! Regex("(\(name))->>(\(name)): .+")) != nil {
                let arrow = line.firstRange(of: "->>")!
                let from = String(line[..<arrow.lowerBound])
                let colon = line.firstIndex(of: ":")!
                let to = String(line[arrow.upperBound..<colon])
                if !participants.contains(from) || !participants.contains(to) {
                    problems.append("undeclared participant in: \(line)")
                }
                text = line[line.index(colon, offsetBy: 2)...]
            } else if line.wholeMatch(of: try! Regex("Note over (\(name)),(\(name)): .+")) != nil {
                let colon = line.firstIndex(of: ":")!
                let names = line[line.index(line.startIndex, offsetBy: 10)..<colon].split(separator: ",").map(
                    String.init
                )
                if !names.allSatisfy(participants.contains) { problems.append("undeclared participant in: \(line)") }
                text = line[line.index(colon, offsetBy: 2)...]
            } else {
                problems.append("not a statement of the subset: \(line)")
                continue
            }
            if text.contains(where: { ";#:<>{}%`\"".contains($0) }) {
                problems.append("character Mermaid may read as syntax in: \(line)")
            }
            if text.filter({ $0 == "(" }).count != text.filter({ $0 == ")" }).count {
                problems.append("unbalanced parentheses in: \(line)")
            }
        }
        if participants.isEmpty { problems.append("no participants") }
        return problems
    }

    static func mermaidBlocks(_ markdown: String) -> [String] {
        markdown.components(separatedBy: "```mermaid\n").dropFirst().compactMap {
            $0.components(separatedBy: "\n```").first
        }
    }

    @Test func validatorRejectsBrokenDiagrams() {
        #expect(!Self.validateMermaid("sequenceDiagram\n    participant C\n    C->>X: hi").isEmpty)
        #expect(!Self.validateMermaid("sequenceDiagram\n    participant C\n    participant G\n    C->>G: a; b").isEmpty)
        #expect(!Self.validateMermaid("sequenceDiagram\n    participant C\n    participant G\n    C-->G hi").isEmpty)
        #expect(
            Self.validateMermaid("sequenceDiagram\n    participant C as Client\n    participant G\n    C->>G: hi (x)")
                .isEmpty
        )
    }

    // MARK: - Golden parts

    @Test func protocolMismatchReport() throws {
        let written = try Self.report(Self.sample("nas-protocol-mismatch.pcap"))
        let md = written.markdown
        #expect(md.hasPrefix("# wssniff report: protocol-mismatch\n"))
        #expect(md.contains("**protocol-mismatch**"))
        #expect(md.contains("The client offers protocol 4..4; the gateway speaks protocol 3. Make the ranges meet"))
        #expect(md.contains("| libpcap | libpcap version"))
        #expect(md.contains("| packets | 17 (17 TCP) |"))
        #expect(md.contains("| SHA-256 |"))
        let blocks = Self.mermaidBlocks(md)
        #expect(blocks.count == 1)
        for block in blocks { #expect(Self.validateMermaid(block) == []) }
        #expect(blocks.first?.contains("C->>G: req connect protocol 4..4 client cli, proof v3") == true)
        #expect(blocks.first?.contains("G->>C: close 1002 protocol mismatch") == true)
        #expect(blocks.first?.contains("nonce bdd8a1a2...") == true)
        // The candidate table: v3 verifies, with the token slot redacted.
        let v3 = md.split(separator: "\n").first { $0.hasPrefix("| v3 | `v3\\|") }
        #expect(v3?.hasSuffix("| yes |") == true)
        #expect(v3?.contains(Redactor_placeholder) == true)
        #expect(md.split(separator: "\n").contains { $0.hasPrefix("| v2 |") && $0.hasSuffix("| no |") })
        #expect(md.contains("- protocol in range: no"))
    }

    @Test func pairingRequiredReportNamesTheRequestId() throws {
        let capture = Self.sample("unpaired-device.pcap")
        let analysis = try TestSupport.analyzeJSON([capture])
        let connection = (analysis["connections"] as? [[String: Any]])?.first
        let error =
            ((connection?["gateway"] as? [String: Any])?["response"] as? [String: Any])?["error"] as? [String: Any]
        let requestId = try #require((error?["details"] as? [String: Any])?["requestId"] as? String)
        let written = try Self.report(capture)
        #expect(written.markdown.hasPrefix("# wssniff report: pairing-required\n"))
        #expect(written.markdown.contains("`openclaw devices list`"))
        #expect(written.markdown.contains("`openclaw devices approve \(requestId)`"))
        for block in Self.mermaidBlocks(written.markdown) { #expect(Self.validateMermaid(block) == []) }
    }

    @Test func framingBreachReportNamesFrameAndRule() throws {
        let written = try Self.report(Self.sample("raw-client-frame-unmasked.pcap"))
        #expect(written.markdown.hasPrefix("# wssniff report: frame-violation\n"))
        #expect(written.markdown.contains("breaks `client-frame-unmasked`"))
        let blocks = Self.mermaidBlocks(written.markdown)
        #expect(!blocks.isEmpty)
        for block in blocks { #expect(Self.validateMermaid(block) == []) }
    }

    @Test func interleavedReportHasADiagramPerFailingConnection() throws {
        let written = try Self.report(Self.sample("interleaved.pcap"))
        let connections = try #require(written.json["connections"] as? [[String: Any]])
        let failing = connections.filter { ($0["verdict"] as? [String: Any])?["cause"] as? String != "accepted" }
        let blocks = Self.mermaidBlocks(written.markdown)
        #expect(blocks.count == failing.count)
        for block in blocks { #expect(Self.validateMermaid(block) == []) }
    }

    @Test func signatureInvalidReportNamesTheNearMiss() throws {
        let written = try Self.report(Self.sample("reordered-scopes.pcap"))
        #expect(written.markdown.hasPrefix("# wssniff report: device-signature-invalid\n"))
        #expect(written.markdown.contains("The signature verifies over a near miss, `v3:scopes-sorted`"))
        for block in Self.mermaidBlocks(written.markdown) { #expect(Self.validateMermaid(block) == []) }
    }

    @Test func identityIsComparedWithoutItsPrivateKey() throws {
        let identities = TestSupport.packageRoot.appendingPathComponent("tools/gateway/identities")
        let paired = identities.appendingPathComponent("unpaired.json").path
        let other = identities.appendingPathComponent("control-ui.json").path
        let same = try Self.report(Self.sample("unpaired-device.pcap"), ["--identity", paired])
        #expect(same.markdown.contains("Connection 1: device id matches, public key matches."))
        let differs = try Self.report(Self.sample("unpaired-device.pcap"), ["--identity", other])
        #expect(differs.markdown.contains("public key differs."))
        let file =
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: paired))) as? [String: Any]
        let privateValues = (file ?? [:]).filter { $0.key.lowercased().contains("private") }.compactMap {
            $0.value as? String
        }
        for value in privateValues where value.count > 16 {
            let compact = value.split(separator: "\n").filter { !$0.hasPrefix("-----") }.joined()
            #expect(!same.markdown.contains(compact.prefix(40)) && !same.jsonText.contains(compact.prefix(40)))
        }
    }

    // MARK: - Several causes

    /// The lines of a Markdown section: from its heading to the next heading of the same or a higher level.
    static func section(_ markdown: String, heading: String) -> [String] {
        let lines = markdown.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard let start = lines.firstIndex(of: heading) else { return [] }
        let level = heading.prefix { $0 == "#" }.count
        let rest = lines[(start + 1)...]
        let end =
            rest.firstIndex { line in
                let hashes = line.prefix { $0 == "#" }.count
                return hashes > 0 && hashes <= level && line.dropFirst(hashes).hasPrefix(" ")
            } ?? lines.endIndex
        return Array(lines[(start + 1)..<end])
    }

    /// Three samples read as one capture, the protocol mismatch twice: four failing connections with three causes.
    /// Each cause gets its own headline (the verdict sentence of its first connection) and its own next steps,
    /// naming every connection it covers, in the Markdown and in the JSON twin.
    @Test func everyFailingCauseHasItsHeadlineAndSteps() throws {
        let captures = [
            "nas-protocol-mismatch.pcap", "unpaired-device.pcap", "reordered-scopes.pcap", "nas-protocol-mismatch.pcap",
        ].map(Self.sample)
        let analysis = try TestSupport.analyzeJSON(captures)
        let connections = try #require(analysis["connections"] as? [[String: Any]])
        var expected: [(cause: String, connections: [Int])] = []
        for (offset, connection) in connections.enumerated() {
            let cause = try #require((connection["verdict"] as? [String: Any])?["cause"] as? String)
            guard cause != "accepted" else { continue }
            if let index = expected.firstIndex(where: { $0.cause == cause }) {
                expected[index].connections.append(offset + 1)
            } else {
                expected.append((cause, [offset + 1]))
            }
        }
        #expect(expected.map(\.cause) == ["protocol-mismatch", "pairing-required", "device-signature-invalid"])
        #expect(expected.first?.connections.count == 2)

        let written = try Self.report(captures: captures)
        let md = written.markdown
        #expect(md.hasPrefix("# wssniff report: protocol-mismatch, pairing-required, device-signature-invalid\n"))
        let nextSteps = Self.section(md, heading: "## What to do next")
        // What each cause's steps must say, from the gateway's own answer in the capture.
        let requestId =
            try #require(
                (((connections[1]["gateway"] as? [String: Any])?["response"] as? [String: Any])?["error"]
                    as? [String: Any])?["details"] as? [String: Any]
            )["requestId"] as? String
        let stepMentions = [
            "protocol-mismatch": "The client offers protocol 4..4; the gateway speaks protocol 3.",
            "pairing-required": "`openclaw devices approve \(requestId ?? "?")`",
            "device-signature-invalid": "The signature verifies over a near miss, `v3:scopes-sorted`",
        ]
        let causes = try #require((written.json["report"] as? [String: Any])?["causes"] as? [[String: Any]])
        #expect(causes.count == expected.count)
        for (number, group) in expected.enumerated() {
            let covered =
                group.connections.count == 1
                ? "connection \(group.connections[0])"
                : "connections " + group.connections.dropLast().map(String.init).joined(separator: ", ") + " and "
                    + String(group.connections.last!)
            let heading = "### \(number + 1). `\(group.cause)` (\(covered))"
            #expect(nextSteps.contains(heading), "\(heading) in:\n\(nextSteps.joined(separator: "\n"))")
            let body = Self.section(md, heading: heading)
            let headline = try #require(body.first { !$0.isEmpty })
            #expect(headline.hasPrefix("Connection \(group.connections[0]) ("), "\(headline)")
            #expect(headline.contains("**\(group.cause)**"), "\(headline)")
            for other in group.connections.dropFirst() {
                #expect(headline.contains("The same cause ends connection \(other)."), "\(headline)")
            }
            let steps = body.filter { $0.hasPrefix("- ") }
            let mention = try #require(stepMentions[group.cause])
            #expect(steps.contains { $0.contains(mention) }, "\(group.cause): \(steps)")
            // The JSON twin carries the same groups, in the same order, with the same steps.
            let twin = causes[number]
            #expect(twin["cause"] as? String == group.cause)
            #expect(twin["connections"] as? [Int] == group.connections)
            #expect((twin["nextSteps"] as? [String]) == steps.map { String($0.dropFirst(2)) })
            #expect((twin["headline"] as? String)?.hasPrefix("Connection \(group.connections[0]) (") == true)
        }
    }

    /// A report with one failing cause keeps its single list of steps, and a capture where nothing failed has no
    /// cause group.
    @Test func oneCauseKeepsOneListOfSteps() throws {
        let written = try Self.report(
            captures: ["nas-protocol-mismatch.pcap", "good-v3.pcap", "nas-protocol-mismatch.pcap"].map(Self.sample)
        )
        #expect(written.markdown.hasPrefix("# wssniff report: protocol-mismatch\n"))
        #expect(!written.markdown.contains("### 1."))
        #expect(written.markdown.contains("The same cause ends connection 3."))
        let causes = (written.json["report"] as? [String: Any])?["causes"] as? [[String: Any]]
        #expect(causes?.count == 1)
        #expect(causes?.first?["connections"] as? [Int] == [1, 3])
        let good = try Self.report(Self.sample("good-v3.pcap"))
        #expect(((good.json["report"] as? [String: Any])?["causes"] as? [Any])?.isEmpty == true)
        #expect(good.markdown.contains("Nothing: the gateway accepted the connection."))
    }

    /// One cause, two different mistakes: the step each connection needs names that connection; the step they
    /// share is said once, without names. The near misses are those `analyze` finds in each connection.
    @Test func stepsOfOneCauseNameTheirConnections() throws {
        let captures = ["reordered-scopes.pcap", "unnormalized-platform.pcap", "reordered-scopes.pcap"].map(Self.sample)
        let analysis = try TestSupport.analyzeJSON(captures)
        let connections = try #require(analysis["connections"] as? [[String: Any]])
        #expect(connections.count == 3)
        let nearMisses = connections.map {
            (($0["proof"] as? [String: Any])?["nearMiss"] as? [String: Any])?["name"] as? String
        }
        #expect(nearMisses[0] == nearMisses[2] && nearMisses[0] != nearMisses[1])
        let written = try Self.report(captures: captures)
        #expect(written.markdown.hasPrefix("# wssniff report: device-signature-invalid\n"))
        #expect(written.markdown.contains("The same cause ends connections 2 and 3."))
        let steps = Self.section(written.markdown, heading: "## What to do next").filter { $0.hasPrefix("- ") }
        let first = try #require(nearMisses[0])
        let second = try #require(nearMisses[1])
        #expect(
            steps.contains {
                $0.hasPrefix("- Connections 1 and 3: The signature verifies over a near miss, `\(first)`")
            },
            "\(steps)"
        )
        #expect(
            steps.contains { $0.hasPrefix("- Connection 2: The signature verifies over a near miss, `\(second)`") },
            "\(steps)"
        )
        #expect(steps.contains { $0.hasPrefix("- Sign exactly the payload the gateway rebuilds") }, "\(steps)")
    }

    // MARK: - Peers and environment

    /// The peers table carries what the wire says of each side: the connect's client fields and the gateway's
    /// version (as `analyze` reads them), the upgrade's Origin, and a User-Agent (as tshark reads it, from a
    /// third-party capture: the samples' Node client sends none). The environment says whose machine it describes.
    @Test func peersAreIdentifiedFromTheWire() throws {
        let captures = ["good-v3-ios.pcap", "good-v2.pcap"].map(Self.sample)
        let analysis = try TestSupport.analyzeJSON(captures)
        let connections = try #require(analysis["connections"] as? [[String: Any]])
        let written = try Self.report(captures: captures)
        let rows = Self.section(written.markdown, heading: "## Peers").filter { $0.hasPrefix("| ") }
        #expect(
            rows.first
                == "| # | client id | mode | version | platform | device family | User-Agent | Origin | gateway version |"
        )
        let peers = try #require((written.json["report"] as? [String: Any])?["peers"] as? [[String: Any]])
        #expect(peers.count == connections.count)
        for (offset, connection) in connections.enumerated() {
            let gateway = try #require(connection["gateway"] as? [String: Any])
            let client = try #require((gateway["connect"] as? [String: Any])?["client"] as? [String: Any])
            let hello = ((gateway["response"] as? [String: Any])?["helloOk"] as? [String: Any])
            let upgrade = (connection["websocket"] as? [String: Any])?["upgrade"] as? [String: Any]
            let values: [Any?] = [
                client["id"], client["mode"], client["version"], client["platform"], client["deviceFamily"],
                upgrade?["userAgent"], upgrade?["origin"], hello?["serverVersion"],
            ]
            let cells = values.map { ($0 as? String).map { "`\($0)`" } ?? "-" }
            let row = "| \(offset + 1) | " + cells.joined(separator: " | ") + " |"
            #expect(rows.contains(row), "\(row) in \(rows)")
            #expect(peers[offset]["clientId"] as? String == client["id"] as? String)
            #expect(peers[offset]["serverVersion"] as? String == hello?["serverVersion"] as? String)
        }
        // The samples carry these: the iOS client's platform and device family, the Control UI's Origin.
        #expect(rows.contains { $0.contains("`openclaw-ios`") && $0.contains("`iPhone`") })
        #expect(rows.contains { $0.contains("`http://127.0.0.1:") })

        let environment = Self.section(written.markdown, heading: "## Environment")
        #expect(
            environment.contains {
                $0.hasPrefix(
                    "These rows describe the machine that ran the analysis (`wssniff report`), not the one "
                        + "that captured the traffic"
                )
            }
        )
        let describes = ((written.json["report"] as? [String: Any])?["environment"] as? [String: Any])?["describes"]
        #expect((describes as? String)?.contains("not the one that captured") == true)

        let broker = TestSupport.corpusDirectory.appendingPathComponent("zeek-broker-websocket.pcap").path
        let tshark = try #require(TsharkOracle.tshark)
        let agents = try TestSupport.run(
            tshark,
            ["-r", broker, "-Y", "http.request and http.upgrade", "-T", "fields", "-e", "http.user_agent"]
        )
        let agent = try #require(agents.stdout.split(separator: "\n").first.map(String.init))
        #expect(!agent.isEmpty)
        let third = try Self.report(broker)
        let thirdRows = Self.section(third.markdown, heading: "## Peers").filter { $0.hasPrefix("| 1 |") }
        #expect(thirdRows.count == 1)
        #expect(thirdRows.first?.contains("| `\(agent)` |") == true, "\(thirdRows)")
    }

    // MARK: - JSON twin

    @Test func jsonTwinIsTheAnalyzeDocumentPlusReport() throws {
        let capture = Self.sample("nas-protocol-mismatch.pcap")
        let written = try Self.report(capture)
        let analysis = try TestSupport.analyzeJSON([capture])
        #expect(written.json["schema"] as? String == "wssniff/1")
        #expect(written.json["secretsRedacted"] as? Bool == true)
        let connections = try #require(written.json["connections"] as? [Any])
        #expect(NSArray(array: connections).isEqual(to: analysis["connections"] as? [Any] ?? []))
        let report = try #require(written.json["report"] as? [String: Any])
        #expect(report["cause"] as? String == "protocol-mismatch")
        #expect((report["nextSteps"] as? [String])?.isEmpty == false)
        let environment = try #require(report["environment"] as? [String: Any])
        #expect(environment["packets"] as? Int == 17)
        #expect((environment["libpcapVersion"] as? String)?.hasPrefix("libpcap") == true)
    }

    // MARK: - Files

    @Test func filesAreCreatedPrivate() throws {
        let written = try Self.report(Self.sample("good-v3.pcap"))
        for path in written.paths {
            let attributes = try FileManager.default.attributesOfItem(atPath: path)
            #expect((attributes[.posixPermissions] as? Int) == 0o600, "\(path)")
        }
    }

    // MARK: - Sanitized capture

    static let sanitizedSamples = [
        "nas-protocol-mismatch.pcap", "good-v3.pcap", "good-v2.pcap", "wrong-token.pcap", "unpaired-device.pcap",
        "interleaved.pcap", "tiny-frames.pcap", "fragmented-connect.pcap", "good-v3.pcapng", "cooked-any.pcap",
    ]

    static func causes(_ document: [String: Any]) -> [String] {
        (document["connections"] as? [[String: Any]] ?? []).map {
            ($0["verdict"] as? [String: Any])?["cause"] as? String ?? "?"
        }
    }

    @Test(arguments: Self.sanitizedSamples)
    func sanitizedCaptureKeepsPacketsAndVerdicts(_ name: String) throws {
        let capture = Self.sample(name)
        let written = try Self.report(capture)
        let sanitized = written.paths[2]
        let original = try TestSupport.analyzeJSON([capture])
        let copy = try TestSupport.analyzeJSON([sanitized])
        #expect(
            (copy["input"] as? [String: Any])?["packets"] as? Int
                == (original["input"] as? [String: Any])?["packets"] as? Int
        )
        #expect(Self.causes(copy) == Self.causes(original))
        if let tshark = TestSupport.which("tshark") {
            let read = try TestSupport.run(tshark, ["-r", sanitized, "-T", "fields", "-e", "frame.number"])
            #expect(read.status == 0)
            #expect(!read.stderr.lowercased().contains("error"), "\(read.stderr)")
            let count = read.stdout.split(separator: "\n").count
            #expect(count == (original["input"] as? [String: Any])?["packets"] as? Int)
        }
    }

    @Test func compressedSecretIsBlankedAndSaid() throws {
        let written = try Self.report(Self.sample("good-v3-deflate.pcap"))
        #expect(written.markdown.contains("is compressed and holds a secret: its payload was blanked"))
        #expect(try Self.leaks(written, secrets: [Self.token]) == [])
    }

    // MARK: - Secrets

    /// Every output byte (stdout, stderr, each written file, and the sanitized capture both raw and as tshark decodes
    /// it, unmasked) searched for the secrets; returns the places they were found.
    static func leaks(_ written: Written, secrets: [String]) throws -> [String] {
        var places: [String] = []
        var texts: [(String, Data)] = [
            ("stdout", Data(written.output.stdout.utf8)), ("stderr", Data(written.output.stderr.utf8)),
        ]
        for path in written.paths { texts.append((path, try Data(contentsOf: URL(fileURLWithPath: path)))) }
        if let tshark = TestSupport.which("tshark") {
            let decoded = try TestSupport.run(
                tshark,
                [
                    "-r", written.paths[2], "-T", "fields", "-e", "websocket.payload.text",
                    "-e", "data.data", "-e", "http.request.line", "-e", "http.response.line", "-e", "tcp.payload",
                ]
            )
            if decoded.status != 0 || decoded.stdout.isEmpty { places.append("tshark could not decode the copy") }
            texts.append(("tshark decode of the sanitized capture", Data(decoded.stdout.utf8)))
        }
        for (place, data) in texts {
            for secret in secrets where data.range(of: Data(secret.utf8)) != nil {
                places.append("\(secret.prefix(12))... in \(place)")
            }
        }
        return places
    }

    static let secretSamples = [
        "nas-protocol-mismatch.pcap", "good-v3.pcap", "wrong-token.pcap", "wrong-token-slot.pcap",
        "unpaired-device.pcap", "interleaved.pcap", "tiny-frames.pcap", "fragmented-connect.pcap",
    ]

    @Test(arguments: Self.secretSamples)
    func noSecretInAnyOutput(_ name: String) throws {
        // The control: the capture does carry the token (masked on the wire, so decoded by tshark).
        if let tshark = TestSupport.which("tshark") {
            let original = try TestSupport.run(
                tshark,
                ["-r", Self.sample(name), "-T", "fields", "-e", "websocket.payload.text"]
            )
            #expect(original.stdout.contains(Self.token), "the control: \(name) carries the token")
        }
        let written = try Self.report(Self.sample(name))
        #expect(try Self.leaks(written, secrets: [Self.token]) == [])
        // The copy carries the same-length stand-in where the token was.
        if let tshark = TestSupport.which("tshark") {
            let copy = try TestSupport.run(
                tshark,
                ["-r", written.paths[2], "-T", "fields", "-e", "websocket.payload.text"]
            )
            #expect(copy.stdout.contains("\"token\":\"redacted-"))
        }
        // And the Markdown to stdout, with a config that holds the token.
        let directory = try TestSupport.temporaryDirectory()
        let config = directory.appendingPathComponent("openclaw.json")
        try "{ gateway: { auth: { mode: 'token', token: '\(Self.token)', }, }, // x\n}".write(
            to: config,
            atomically: true,
            encoding: .utf8
        )
        let stdout = try TestSupport.wssniff("report", Self.sample(name), "--config", config.path)
        #expect(stdout.status == 0)
        #expect(!stdout.stdout.contains(Self.token) && !stdout.stderr.contains(Self.token))
        #expect(stdout.stdout.contains("set, `<redacted sha256:"))
    }

    @Test func bearerJWTInSubprotocolDisappears() throws {
        let capture = Self.wstunnel
        try #require(FileManager.default.fileExists(atPath: capture))
        let original = try Data(contentsOf: URL(fileURLWithPath: capture))
        #expect(original.range(of: Data(Self.jwt.utf8)) != nil, "the control: the capture carries the JWT")
        let written = try Self.report(capture)
        #expect(try Self.leaks(written, secrets: [Self.jwt, String(Self.jwt.suffix(43))]) == [])
        #expect(written.jsonText.contains("authorization.bearer.<redacted sha256:"))
        let analysis = try TestSupport.analyzeJSON([capture])
        let copy = try TestSupport.analyzeJSON([written.paths[2]])
        #expect(Self.causes(copy) == Self.causes(analysis))
    }

    /// The same capture twice reads as one capture whose ports are reused: the second connection's head is read
    /// again after the first one's was settled, and its bearer token is rewritten too.
    @Test func aReusedPortHasItsHeadReadAgain() throws {
        let capture = Self.wstunnel
        try #require(FileManager.default.fileExists(atPath: capture))
        let directory = try TestSupport.temporaryDirectory()
        let markdown = directory.appendingPathComponent("report.md").path
        let sanitized = directory.appendingPathComponent("sanitized.pcap").path
        let output = try TestSupport.wssniff(
            arguments: ["report", capture, capture, "-o", markdown, "--sanitized-pcap", sanitized]
        )
        #expect(output.status == 0, "\(output.stderr)")
        let copy = try Data(contentsOf: URL(fileURLWithPath: sanitized))
        let original = try Data(contentsOf: URL(fileURLWithPath: capture))
        #expect(copy.count > original.count)
        #expect(copy.range(of: Data(Self.jwt.utf8)) == nil)
        #expect(copy.range(of: Data(Self.jwt.suffix(43).utf8)) == nil)
        let analysis = try TestSupport.analyzeJSON([sanitized])
        #expect((analysis["connections"] as? [Any])?.count == 2)
    }

    @Test func showSecretsShowsThemAndSaysSo() throws {
        let written = try Self.report(Self.sample("nas-protocol-mismatch.pcap"), ["--show-secrets"])
        #expect(written.markdown.contains("shown unredacted (`--show-secrets`)"))
        #expect(written.markdown.contains(Self.token))
        #expect(written.json["secretsRedacted"] as? Bool == false)
        #expect(written.output.stderr.contains("--show-secrets"))
    }
}

/// The placeholder of the reference token, as `Redactor.placeholder` makes it (SHA-256, first 8 hex digits).
let Redactor_placeholder = "<redacted sha256:9829a290>"
