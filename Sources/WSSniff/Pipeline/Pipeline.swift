package import Dissect
import ProofVerify

/// Settings shared by `analyze` and `capture`.
package struct PipelineOptions: Sendable {
    /// The gateway port: connections to it are taken as WebSocket even without their upgrade. 0: none.
    package var serverPort: UInt16 = GatewayPorts.nasDefault
    package var limits = ReassemblyLimits()
    /// Hand finished connections over in the order they started (a file's document lists them so), holding a
    /// finished one until every connection that started before it has finished. Off for live capture, which
    /// reports each connection the moment it ends.
    package var orderByStart = false
    /// Analyze finished connections (gateway messages, proofs) on a second thread while packets are dissected on
    /// the calling one. Reports reach `finished` on the calling thread either way, a little later with this on.
    package var concurrentAnalysis = false
    package var websocket = WebSocketAnalysisOptions()
    package var gateway = GatewayOptions()
    /// Report each connection's gateway handshake as soon as it is decided (`HandshakeReport`: the gateway's answer
    /// to the connect, or a close), while the connection goes on: for live output. The connection is still reported
    /// when it ends.
    package var reportsHandshakes = false

    package init() {}

    /// Whether finished reports keep every kept frame, and whole message payloads; otherwise they are trimmed to
    /// what the summary output shows once the connection is analyzed, so memory follows open connections.
    package private(set) var keepFrameDetail = false
    package private(set) var keepMessagePayloads = false

    /// Keep every frame (`--frames`).
    package mutating func keepAllFrames() {
        self.websocket.keepAllFrames()
        self.keepFrameDetail = true
    }

    /// Keep every message and its payload (`--messages`).
    package mutating func keepAllMessages() {
        self.websocket.keepAllMessages()
        self.keepMessagePayloads = true
    }

    /// Record where every stream byte was captured and where each connection's layers lie in its streams
    /// (`ConnectionReport.provenance`, the summary's stream maps), for a sanitized copy.
    package mutating func recordProvenance() {
        self.limits.recordsProvenance = true
        self.websocket.recordsStreamMap = true
    }

    /// Keep the first `frames` frames and `messages` messages per direction of each connection whole, for a report
    /// written at the end of a live capture: a handshake is detailed in full, and a connection that chats for hours
    /// holds no more than that.
    package mutating func keepDetail(frames: Int, messagesPerDirection messages: Int) {
        self.websocket.keptFrames = max(self.websocket.keptFrames, frames)
        self.websocket.keptMessagesPerDirection = max(self.websocket.keptMessagesPerDirection, messages)
        self.websocket.clientPreviewAfterHandshake = nil
        // The report written at the end of a live capture says what `wssniff report` says of the same traffic.
        self.websocket.checkPayloadsAfterHandshake = true
        self.keepFrameDetail = true
        self.keepMessagePayloads = true
    }
}

/// The one code path from a captured packet to a finished connection report, for files and live capture alike.
///
/// Link, IP and TCP decoding happen in `Dissect`; this type counts the input, owns the per-connection state, and turns
/// each finished connection into a `ConnectionReport` as soon as TCP says it is over, so memory follows the open
/// connections, not the size of the capture.
package struct Pipeline {
    package private(set) var input = InputSummary()
    private var dissector: WebSocketDissector
    private let limits: ReassemblyLimits
    private let websocketOptions: WebSocketAnalysisOptions
    private var reportedLinkTypes: Set<LinkType> = []
    /// Stray payload the dissector noted as the input ended (see ``takeStrayPayloads()``).
    private var finalStrayPayloads: [ProvenanceRange] = []
    private let gatewayOptions: GatewayOptions
    private let keepFrameDetail: Bool
    private let keepMessagePayloads: Bool
    private var finishedBuffer: [WebSocketDissector.Result] = []
    private let orderByStart: Bool
    /// Finished reports waiting for older connections to finish (only with `orderByStart`).
    private var releaser = StartOrderReleaser<ConnectionReport>()
    /// The analysis state when connections are analyzed in line (the challenges of every connection).
    private var analysisState: AnalysisWorker.State
    /// The second thread, with `concurrentAnalysis`.
    private let worker: AnalysisWorker?
    /// Start packet numbers of the connections inside the worker: none may be overtaken in start order.
    private var inFlightStarts: [Int: Int] = [:]
    /// Finished connections held a moment, until another capture point's copy of each could have ended too.
    private var views: ConnectionViews
    /// Collects the handshakes decided while their connections are open (with `reportsHandshakes`).
    private let handshakes: HandshakeWatch?

    package init(options: PipelineOptions) {
        self.gatewayOptions = options.gateway
        self.orderByStart = options.orderByStart
        self.keepFrameDetail = options.keepFrameDetail
        self.keepMessagePayloads = options.keepMessagePayloads
        var websocket = options.websocket
        websocket.gatewayPort = options.serverPort
        // Upstream's default gateway port (`gateway.port`, 18789) beside the one asked for, unless none is.
        websocket.additionalGatewayPorts = options.serverPort == 0 ? [] : [GatewayPorts.upstreamDefault]
        // Challenges are recorded as they are dissected, so a connection's analysis sees every challenge sent before
        // its connect, whichever connection ends first and whichever thread analyzes it.
        let challenges = ChallengeLog()
        websocket.challengeObserver = challenges
        self.handshakes = options.reportsHandshakes ? HandshakeWatch() : nil
        websocket.observers = self.handshakes
        self.analysisState = AnalysisWorker.State(challenges: challenges)
        self.limits = options.limits
        self.websocketOptions = websocket
        self.dissector = WebSocketDissector(limits: options.limits, options: websocket)
        self.views = ConnectionViews(gatewayPort: options.serverPort)
        if options.concurrentAnalysis {
            let gateway = options.gateway
            let keepFrames = options.keepFrameDetail
            let keepPayloads = options.keepMessagePayloads
            self.worker = AnalysisWorker(state: AnalysisWorker.State(challenges: challenges)) { job, state in
                Self.report(job, state: &state, gateway: gateway, keepFrames: keepFrames, keepPayloads: keepPayloads)
            }
        } else {
            self.worker = nil
        }
    }

    /// Captured TCP payload no connection took since the last call (late segments after a close), when
    /// `recordProvenance()` was asked for: nothing read it.
    package mutating func takeStrayPayloads() -> [ProvenanceRange] {
        defer { self.finalStrayPayloads = [] }
        return self.finalStrayPayloads + self.dissector.takeStrayPayloads()
    }

    /// Connections still open (not yet reported).
    package var openConnections: Int { self.dissector.openConnections }

    /// Feeds one captured packet; connections it finishes are handed to `finished`.
    package mutating func ingest(
        _ info: CaptureRecordInfo,
        _ bytes: RawSpan,
        finished: (ConnectionReport) -> Void
    ) {
        self.ingest(info, bytes, handshake: { _ in }, finished: finished)
    }

    /// Feeds one captured packet. Its TCP segment's head, if it carried one, is handed to `segment` first (for
    /// watchers of connection attempts: one decoding of the packet serves them too); with `reportsHandshakes`, the
    /// handshakes it decides are handed to `handshake`; then the connections it finishes are handed to `finished`.
    package mutating func ingest(
        _ info: CaptureRecordInfo,
        _ bytes: RawSpan,
        segment: (TCPSegmentHead) -> Void = { _ in },
        handshake: (HandshakeReport) -> Void,
        finished: (ConnectionReport) -> Void
    ) {
        self.input.count(info)
        // Finished connections are collected first and reported after the dissector returns, so the report (which
        // updates this pipeline) never overlaps the dissector's own access.
        var done = self.finishedBuffer
        self.finishedBuffer = []
        let outcome = self.dissector.ingest(info, bytes) { (result: inout WebSocketDissector.Result) in
            done.append(result)
        }
        if let head = self.dissector.lastSegment {
            segment(head)
        }
        // A handshake decided by the packet that also ends its connection is reported before the connection.
        if let watch = self.handshakes, !watch.isEmpty {
            for decision in watch.take() {
                handshake(self.handshakeReport(decision))
            }
        }
        if !self.views.isEmpty {
            self.expireViews(now: info.timestamp, finished)
        }
        for index in done.indices {
            self.offer(&done[index], finished)
        }
        done.removeAll(keepingCapacity: true)
        self.finishedBuffer = done
        if let worker = self.worker, !self.inFlightStarts.isEmpty {
            self.landed(worker.takeCompleted(), finished)
        }
        if self.orderByStart && self.releaser.isDue(every: 1_024) {
            self.releaser.release(before: self.releaseBound, finished)
        }
        switch outcome {
        case .tcp:
            self.input.tcpPackets += 1
        case .notTCP, .fragmentPending:
            self.input.otherPackets += 1
        case .malformed:
            self.input.malformedPackets += 1
        case .unsupportedLinkType(let linkType):
            self.input.unsupportedLinkTypes[linkType, default: 0] += 1
            if self.reportedLinkTypes.insert(linkType).inserted {
                self.input.warnings.append(
                    "packet \(info.number): link type \(linkType) is not supported; its packets are skipped"
                )
            }
        }
    }

    /// Ends the input: every connection still open is reported with its TCP end `open`.
    package mutating func finish(_ finished: (ConnectionReport) -> Void) {
        // The dissector hands the open connections over in start order; each is analyzed and released as it comes,
        // so a capture that ends with 100,000 connections open never holds them all twice. The dissector is moved
        // out of `self` for that, so the reports can update the pipeline while it runs.
        var dissector = self.dissector
        self.dissector = WebSocketDissector(limits: self.limits, options: self.websocketOptions)
        if dissector.evictions > 0 {
            self.input.warnings.append(
                "\(TextRenderer.count(dissector.evictions, "connection")) "
                    + "\(dissector.evictions == 1 ? "was" : "were") reported before they ended: more than "
                    + "\(self.limits.maxConnections) were open at once, and the least recently active one gave way "
                    + "each time (its later packets start a new connection)"
            )
        }
        self.releaser.resetSteps()
        dissector.finish { (result: inout WebSocketDissector.Result) in
            let start = result.statistics.firstPacket.number
            // Connections come in start order now: one held since before this one's start less the window has no
            // view still to come.
            var views = self.views
            self.views = ConnectionViews(gatewayPort: 0)
            views.expire(startedBefore: result.statistics.firstPacket.timestamp) { self.analyze($0, finished) }
            self.views = views
            self.offer(&result, finished)
            if let worker = self.worker {
                self.landed(worker.takeCompleted(), finished)
            }
            // Every connection not yet handed over started after this one.
            if self.orderByStart && self.releaser.isDue(every: 256) {
                let bound = min(self.inFlightStarts.keys.min() ?? .max, self.views.oldestHeldStart ?? .max, start + 1)
                self.releaser.release(before: bound, finished)
            }
        }
        // What the end of the input left unread (IP datagrams still incomplete, late segments) stays takeable.
        self.finalStrayPayloads += dissector.takeStrayPayloads()
        self.releaseViews(finished)
        if let worker = self.worker {
            self.landed(worker.drain(), finished)
        }
        self.releaser.release(before: nil, finished)
        // Handshakes decided as the input ended (held segments flushed) are told by their connections' reports.
        _ = self.handshakes?.take()
    }

    /// Analyzes a handshake decided on an open connection, in line: one analysis per connection, like the one its
    /// end gets, on what was captured until then.
    private func handshakeReport(_ decision: HandshakeWatch.Decision) -> HandshakeReport {
        var websocket = decision.websocket
        let gateway = GatewayAnalysis.analyze(
            websocket,
            tcpEnded: false,
            challenges: self.analysisState.challenges,
            client: decision.client,
            server: decision.server,
            options: self.gatewayOptions,
            evidence: CaptureEvidence(
                clientGapBytes: decision.gapBytes.client,
                serverGapBytes: decision.gapBytes.server,
                snaplen: self.input.cutSnaplen
            )
        )
        websocket.trim(keepFrames: self.keepFrameDetail, keepPayloads: self.keepMessagePayloads)
        return HandshakeReport(
            client: decision.client,
            server: decision.server,
            packet: decision.packet,
            decidedBy: decision.decidedBy,
            websocket: websocket,
            gateway: gateway
        )
    }

    package mutating func addFile(_ file: InputSummary.File) {
        self.input.files.append(file)
        self.input.warnings.append(contentsOf: file.warnings.map { "\(file.path): \($0)" })
    }

    package mutating func setInterface(_ name: String) {
        self.input.interface = name
    }

    /// For live capture, while no packet comes: hands on the connections held for another view of theirs once
    /// `now` (the clock, as packets are stamped) is past their window.
    package mutating func tick(now: Timestamp, _ finished: (ConnectionReport) -> Void) {
        guard !self.views.isEmpty else { return }
        self.expireViews(now: now, finished)
        if let worker = self.worker, !self.inFlightStarts.isEmpty {
            self.landed(worker.takeCompleted(), finished)
        }
    }

    /// Hands on every finished connection still waiting for another capture point's copy of it: the input went
    /// quiet (a stream's writer has nothing more yet), and copies are captured together.
    package mutating func releaseWaiting(_ finished: (ConnectionReport) -> Void) {
        guard !self.views.isEmpty else { return }
        self.releaseViews(finished)
        if let worker = self.worker, !self.inFlightStarts.isEmpty {
            self.landed(worker.takeCompleted(), finished)
        }
    }

    /// Ends a finished connection's dissection (its analyzer's summary is all that is kept of it from here on) and
    /// hands it to `views`, which hands on what it no longer holds.
    private mutating func offer(_ result: inout WebSocketDissector.Result, _ finished: (ConnectionReport) -> Void) {
        let digests = (client: result.analyzer.streamDigest(.client), server: result.analyzer.streamDigest(.server))
        let job = AnalysisWorker.Job(
            client: result.client,
            server: result.server,
            tcp: result.statistics,
            websocket: result.analyzer.finish(),
            snaplen: self.input.cutSnaplen,
            provenance: result.provenance,
            views: []
        )
        // `views` is moved out while it calls back, so the analysis can update the pipeline.
        var views = self.views
        self.views = ConnectionViews(gatewayPort: 0)
        views.offer(job, digests: digests) { self.analyze($0, finished) }
        self.views = views
    }

    private mutating func expireViews(now: Timestamp, _ finished: (ConnectionReport) -> Void) {
        var views = self.views
        self.views = ConnectionViews(gatewayPort: 0)
        views.expire(now: now) { self.analyze($0, finished) }
        self.views = views
    }

    private mutating func releaseViews(_ finished: (ConnectionReport) -> Void) {
        var views = self.views
        self.views = ConnectionViews(gatewayPort: 0)
        views.releaseAll { self.analyze($0, finished) }
        self.views = views
    }

    /// Analyzes a finished connection, in line or on the worker.
    private mutating func analyze(_ job: AnalysisWorker.Job, _ finished: (ConnectionReport) -> Void) {
        if let worker = self.worker {
            self.inFlightStarts[job.tcp.firstPacket.number, default: 0] += 1
            worker.submit(job)
        } else {
            let report = Self.report(
                job,
                state: &self.analysisState,
                gateway: self.gatewayOptions,
                keepFrames: self.keepFrameDetail,
                keepPayloads: self.keepMessagePayloads
            )
            self.deliver(report, finished)
        }
    }

    /// Reports came back from the worker: no longer in flight, they are delivered.
    private mutating func landed(_ reports: [ConnectionReport], _ finished: (ConnectionReport) -> Void) {
        for report in reports {
            let start = report.tcp.firstPacket.number
            if let count = self.inFlightStarts[start], count > 1 {
                self.inFlightStarts[start] = count - 1
            } else {
                self.inFlightStarts[start] = nil
            }
            self.deliver(report, finished)
        }
    }

    private mutating func deliver(_ report: ConnectionReport, _ finished: (ConnectionReport) -> Void) {
        if self.orderByStart {
            self.releaser.add(report, start: report.tcp.firstPacket.number)
        } else {
            finished(report)
        }
    }

    /// Waiting reports that started before this may go: no connection still open or still being analyzed started
    /// earlier.
    private var releaseBound: Int? {
        var bound = self.dissector.oldestOpenFirstPacket
        for start in [self.inFlightStarts.keys.min(), self.views.oldestHeldStart] {
            guard let start else { continue }
            bound = min(bound ?? start, start)
        }
        return bound
    }

    private static func report(
        _ job: AnalysisWorker.Job,
        state: inout AnalysisWorker.State,
        gateway options: GatewayOptions,
        keepFrames: Bool,
        keepPayloads: Bool
    ) -> ConnectionReport {
        var websocket = job.websocket
        let gateway = GatewayAnalysis.analyze(
            websocket,
            tcpEnded: job.tcp.end != .open,
            challenges: state.challenges,
            client: job.client,
            server: job.server,
            options: options,
            evidence: CaptureEvidence(job.tcp, snaplen: job.snaplen)
        )
        // The analysis is done: keep only what the output shows.
        websocket.trim(keepFrames: keepFrames, keepPayloads: keepPayloads)
        return ConnectionReport(
            client: job.client,
            server: job.server,
            tcp: job.tcp,
            websocket: websocket,
            gateway: gateway,
            provenance: job.provenance,
            views: job.views
        )
    }
}
