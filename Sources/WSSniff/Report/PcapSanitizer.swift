package import Dissect
import Glibc

/// Plans the rewrite of a capture's secret bytes from the one analysis, and writes the rewritten copy: same lengths,
/// masked frames re-masked with their own key, every record kept, so TCP and WebSocket framing stay valid and
/// `wssniff analyze` and tshark read the copy as they read the original.
///
/// It reads no stream of its own. The dissector records where every stream byte it handled was captured (the
/// provenance: record, offset in the record, every copy of a retransmitted byte) and where each direction's HTTP
/// bytes and WebSocket frames lie in its stream; the secrets the analysis finds (HTTP header values, bearer
/// subprotocols, secret query parameters, JSON string values under secret-naming keys in any text or binary
/// message) are mapped through that record by record, in every copy.
///
/// Where a secret's bytes cannot be rewritten in place (inside a compressed message, in a message whose bytes do not
/// map one to one onto its frames, HTTP bytes past what was kept), the payload that holds them is blanked instead
/// and the report says so. A segment reassembled from IP fragments is mapped fragment by fragment (each byte to the
/// record and offset that carried it, every overlapping copy too) and rewritten like any other; a copy whose place in
/// its record is not known has everything after its record's IP header blanked, and is counted.
package struct PcapSanitizer {
    /// The secret strings found (for scrubbing rendered text).
    package private(set) var secrets: Set<String> = []
    /// How many secrets were located (header values, bearer tokens, query parameters, JSON values).
    package private(set) var secretCount = 0
    /// Payloads blanked because the secret in them could not be rewritten in place (each counted once).
    package private(set) var blankedPayloads = 0
    /// Records holding bytes to rewrite or blank whose place in the record is not known (a payload handed over
    /// without its origin): everything after their IP header is blanked when the copy is written.
    package private(set) var unmappedRecords: Set<Int> = []
    /// Records whose TCP payload no stream took (late segments after a close, bytes before a stream's start, data
    /// on a RST): nothing read it, so it is blanked.
    package private(set) var strayRecords: Set<Int> = []
    /// Record number -> offset in the record's captured data -> the byte to write there.
    private var writes: [Int: [Int: UInt8]] = [:]
    /// Record number -> runs of its captured data to blank (one entry per run, however long: a blanked megabyte
    /// costs as little as a blanked byte).
    private var blanks: [Int: [Blank]] = [:]
    /// Record number -> repeated copies of bytes the analysis read, with the bytes it read: a copy that differs
    /// carries something the analysis never saw, and is blanked when the copy is written.
    private var checks: [Int: [ConnectionPlan.Check]] = [:]
    /// Sentences for the report, with the first packet of their connection (connections end in any order).
    private var messageNotes: [(start: Int, text: String)] = []
    /// The first packet of every connection scanned.
    private var connectionStarts: [Int] = []

    package init() {}

    /// Sentences for the report, in the order of the connections' starts: what was blanked or could not be
    /// rewritten. Each names its connection by its number in start order, as the report numbers them.
    package var notes: [String] {
        let numbers = Dictionary(
            self.connectionStarts.sorted().enumerated().map { ($1, $0 + 1) },
            uniquingKeysWith: { first, _ in first }
        )
        return self.messageNotes.enumerated()
            .sorted { ($0.element.start, $0.offset) < ($1.element.start, $1.offset) }
            .map { "connection \(numbers[$0.element.start] ?? 0): \($0.element.text)" }
    }

    /// Bytes to be rewritten, over all records (blanked runs included).
    package var plannedBytes: Int {
        self.writes.values.reduce(0) { $0 + $1.count }
            + self.blanks.values.reduce(0) { $0 + $1.reduce(0) { $0 + $1.range.count } }
    }

    // MARK: - Planning

    /// Finds the secrets of one finished connection and, when it carries its provenance, plans the rewrite of
    /// every captured copy of their bytes. Call it once for every connection, in any order; the connection's
    /// provenance can be dropped afterwards.
    package mutating func scanMessages(_ report: ConnectionReport) {
        let connectionStart = report.tcp.firstPacket.number
        self.connectionStarts.append(connectionStart)
        var plan = ConnectionPlan(report: report)
        for direction in [Direction.client, .server] {
            self.scanHTTP(direction, &plan)
        }
        self.scanMessageChains(report, &plan)
        for direction in [Direction.client, .server] {
            plan.checkRepeatedHTTPCopies(direction)
            plan.blankUnread(direction, frames: report.websocket.frames, searchedFrames: Self.searchedFrames(report))
        }
        if let provenance = report.provenance {
            self.blankStray(provenance.client.stray + provenance.server.stray)
        }
        for (record, bytes) in plan.writes {
            self.writes[record, default: [:]].merge(bytes) { _, new in new }
        }
        for (record, runs) in plan.blanks {
            self.blanks[record, default: []] += runs
        }
        for (record, checks) in plan.checks {
            self.checks[record, default: []] += checks
        }
        self.unmappedRecords.formUnion(plan.unmappedRecords)
        self.blankedPayloads += plan.notes.count
        self.messageNotes += plan.notes.map { (connectionStart, $0) }
    }

    /// The secrets in the HTTP bytes a direction's conversation read, and the HTTP bytes not kept (blanked).
    private mutating func scanHTTP(_ direction: Direction, _ plan: inout ConnectionPlan) {
        guard let map = plan.streamMap(direction) else { return }
        for run in map.httpRuns {
            for (range, secret) in Redactor.httpSecretRanges(in: run.bytes) {
                self.record(secret)
                let filler = Redactor.inPlaceFiller(for: secret, count: range.count)
                let start = run.streamOffset + range.lowerBound
                plan.rewrite(direction, (start)..<(start + range.count)) { filler[$0 - start] }
            }
        }
        if map.httpBytesNotKept > 0, let from = map.httpBytesNotKeptFrom {
            let end = map.webSocketStart ?? Int.max
            plan.blank(direction, from..<max(from, end))
            plan.notes.append(
                "\(direction.name) sent more than \(WebSocketStreamMap.httpBytesLimit >> 10) KiB of HTTP bytes: the "
                    + "\(map.httpBytesNotKept) bytes past them were not searched for secrets and were blanked (zero "
                    + "bytes)"
            )
        }
    }

    /// The numbers of the data frames whose payload the secret finder searched: those of the messages that kept their
    /// whole payload.
    static func searchedFrames(_ report: ConnectionReport) -> Set<Int> {
        var numbers = Set<Int>()
        for message in report.websocket.messages where message.payload != nil && !message.payloadCut {
            numbers.formUnion(message.firstFrame...max(message.firstFrame, message.lastFrame))
        }
        return numbers
    }

    /// The secrets in the connection's messages. Each message is searched alone, and a message that ended
    /// unfinished (a framing breach: the peer began another one inside it) is searched joined to the messages that
    /// followed it in its direction, as the peer may have meant them: a secret split across them is found too.
    private mutating func scanMessageChains(_ report: ConnectionReport, _ plan: inout ConnectionPlan) {
        for direction in [Direction.client, .server] {
            let messages = report.websocket.messages.filter { $0.direction == direction && $0.payload != nil }
            var found: [Int: [Range<Int>]] = [:]
            var chainStart = 0
            for (position, message) in messages.enumerated() {
                let payload = message.payload!
                found[position, default: []] += Redactor.secretValueRanges(in: payload)
                // A chain: the unfinished, uncompressed messages before this one, and this one.
                if position > chainStart, !message.compressed {
                    let chain = messages[chainStart...position]
                    let joined = chain.flatMap { $0.payload! }
                    var base = 0
                    var bases: [(position: Int, start: Int, count: Int)] = []
                    for (offset, member) in chain.enumerated() {
                        bases.append((chainStart + offset, base, member.payload!.count))
                        base += member.payload!.count
                    }
                    for range in Redactor.secretValueRanges(in: joined) {
                        for member in bases {
                            let low = max(range.lowerBound, member.start)
                            let high = min(range.upperBound, member.start + member.count)
                            if low < high {
                                found[member.position, default: []].append((low - member.start)..<(high - member.start))
                            }
                        }
                    }
                }
                if message.complete || message.compressed { chainStart = position + 1 }
                // A chain holds at most four messages: a peer breaking its framing over and over costs linear time.
                chainStart = max(chainStart, position - 2)
            }
            for (position, ranges) in found.sorted(by: { $0.key < $1.key }) {
                let unique = Array(Set(ranges)).sorted { $0.lowerBound < $1.lowerBound }
                guard !unique.isEmpty else { continue }
                self.rewrite(messages[position], unique, report: report, &plan)
            }
        }
    }

    /// Plans the rewrite of `ranges` (offsets in the message's payload) through the frames that carried it.
    private mutating func rewrite(
        _ message: WebSocketMessageRecord,
        _ ranges: [Range<Int>],
        report: ConnectionReport,
        _ plan: inout ConnectionPlan
    ) {
        let payload = message.payload!
        for range in ranges { self.record(Array(payload[range])) }
        let who = message.direction.name
        let frames = report.websocket.frames.filter { frame in
            frame.direction == message.direction && frame.number >= message.firstFrame
                && frame.number <= message.lastFrame && frame.opcode.isData
        }
        guard let start = plan.streamMap(message.direction)?.webSocketStart, !frames.isEmpty else {
            plan.notes.append(
                "\(who) message \(message.index) holds a secret, but its frames were not all kept: it is not rewritten"
            )
            return
        }
        let carried = frames.reduce(0) { $0 + Int(clamping: $1.payloadLength) }
        let lost = frames.reduce(0) { $0 + $1.lostBytes }
        if message.compressed || carried != payload.count || lost > 0 {
            // The message's bytes do not map one to one onto its frames' payloads (a deflate stream, bytes lost in a
            // gap, a frame cut short): blank every payload byte of its frames (zero once unmasked).
            for frame in frames {
                let payloadStart = start + frame.streamOffset + frame.headerLength
                let length = Int(clamping: frame.payloadLength)
                plan.blank(
                    message.direction,
                    payloadStart..<(payloadStart + length),
                    mask: frame.maskKey,
                    maskStart: payloadStart
                )
            }
            plan.notes.append(
                message.compressed
                    ? "\(who) message \(message.index) is compressed and holds a secret: its payload was blanked (zero "
                        + "bytes), so analyzing the sanitized capture reports an inflate error for it (and, with "
                        + "context takeover, for the later messages of that direction)"
                    : "\(who) message \(message.index) holds a secret, but its bytes do not map one to one onto its "
                        + "frames (\(lost > 0 ? "bytes lost in a capture gap" : "a frame cut short")): its payload was "
                        + "blanked (zero bytes)"
            )
            return
        }
        // Message payload offset -> the byte that replaces it.
        var replacement: [Int: UInt8] = [:]
        for range in ranges {
            let filler = Redactor.inPlaceFiller(for: Array(payload[range]), count: range.count)
            for (position, byte) in zip(range, filler) { replacement[position] = byte }
        }
        var messageOffset = 0
        for frame in frames {
            let payloadStart = start + frame.streamOffset + frame.headerLength
            let length = Int(frame.payloadLength)
            let inFrame = replacement.keys.filter { $0 >= messageOffset && $0 < messageOffset + length }.sorted()
            for position in inFrame {
                let streamOffset = payloadStart + position - messageOffset
                let byte = replacement[position]! ^ frame.maskByte(position - messageOffset)
                plan.rewrite(message.direction, streamOffset..<(streamOffset + 1)) { _ in byte }
            }
            messageOffset += length
        }
    }

    /// Blanks captured TCP payload that no stream took (see ``strayRecords``): what nothing read may hold anything.
    package mutating func blankStray(_ ranges: [ProvenanceRange]) {
        for range in ranges {
            guard let recordOffset = range.recordOffset else {
                self.unmappedRecords.insert(range.record)
                continue
            }
            self.strayRecords.insert(range.record)
            self.blanks[range.record, default: []].append(
                Blank(range: recordOffset..<(recordOffset + range.length), mask: nil, phase: 0)
            )
        }
    }

    private mutating func record(_ secret: [UInt8]) {
        self.secretCount += 1
        self.secrets.insert(String(decoding: secret, as: UTF8.self))
    }

    // MARK: - Writing

    /// What the rewrite did.
    package struct Outcome: Sendable {
        package var packets = 0
        package var rewrittenBytes = 0
        package var rewrittenPackets = 0
        /// Retransmitted copies of HTTP bytes that differ from the copy the analysis read: blanked.
        package var blankedCopies = 0
    }

    /// Copies every record of `paths` into `output` (a staged file, mode 0600, put in place with the report's other
    /// files) with the planned bytes written over. `input`: what the analysis counted of the same files (the link
    /// types, the largest record).
    package func write(
        paths: [String],
        input: InputSummary,
        to output: ReportFiles.Staged
    ) throws(WSSniffError) -> Outcome {
        let linkTypes = input.linkTypes
        guard linkTypes.count <= 1 else {
            throw WSSniffError(
                .usage,
                "--sanitized-pcap: the capture mixes link types (\(linkTypes.map(\.description).joined(separator: ", "))); "
                    + "a pcap file holds one, and pcapng output is not supported yet"
            )
        }
        let writer = PrivateFileWriter(output)
        var header: [UInt8] = []
        header.appendLittleEndian(UInt32(0xA1B2_3C4D))  // nanosecond pcap
        header.appendLittleEndian(UInt16(2))
        header.appendLittleEndian(UInt16(4))
        header.appendLittleEndian(UInt32(0))
        header.appendLittleEndian(UInt32(0))
        header.appendLittleEndian(UInt32(max(262_144, input.largestRecord)))
        header.appendLittleEndian(linkTypes.first?.rawValue ?? LinkType.ethernet.rawValue)
        try writer.write(header)

        var outcome = Outcome()
        var failure: WSSniffError?
        try Self.forEachRecord(paths: paths) { info, bytes in
            guard failure == nil else { return }
            outcome.packets += 1
            var packet = Array(bytes)
            for check in self.checks[info.number] ?? [] {
                let end = check.recordOffset + check.expected.count
                guard check.recordOffset >= 0, end <= packet.count, check.copy.upperBound <= packet.count,
                    !packet[check.recordOffset..<end].elementsEqual(check.expected)
                else { continue }
                // The copy is not what the analysis read: none of its bytes can be trusted to hold no secret.
                for position in check.copy { packet[position] = 0 }
                outcome.blankedCopies += 1
                outcome.rewrittenBytes += check.copy.count
            }
            var blanks = self.blanks[info.number] ?? []
            if self.unmappedRecords.contains(info.number) {
                // Fail closed: the bytes' place in the record is not known, so all of its IP payload goes (the whole
                // record when its IP header cannot be read).
                let start = min(PacketDecoder.ipPayloadOffset(info.linkType, bytes) ?? 0, packet.count)
                blanks.append(Blank(range: start..<packet.count, mask: nil, phase: 0))
            }
            for blank in blanks {
                blank.apply(to: &packet)
                outcome.rewrittenBytes += blank.range.count
            }
            if !blanks.isEmpty && self.writes[info.number] == nil { outcome.rewrittenPackets += 1 }
            if let writes = self.writes[info.number] {
                for (position, byte) in writes where position >= 0 && position < packet.count {
                    packet[position] = byte
                }
                outcome.rewrittenPackets += 1
                outcome.rewrittenBytes += writes.count
            }
            var record: [UInt8] = []
            let seconds = info.timestamp.nanoseconds.dividedFloor(by: 1_000_000_000)
            record.appendLittleEndian(UInt32(truncatingIfNeeded: seconds))
            record.appendLittleEndian(UInt32(truncatingIfNeeded: info.timestamp.nanoseconds - seconds * 1_000_000_000))
            record.appendLittleEndian(UInt32(truncatingIfNeeded: packet.count))
            record.appendLittleEndian(UInt32(truncatingIfNeeded: max(info.originalLength, packet.count)))
            record.append(contentsOf: packet)
            do throws(WSSniffError) {
                try writer.write(record)
            } catch {
                failure = error
            }
        }
        if let failure { throw failure }
        try writer.flush()
        return outcome
    }

    // MARK: - Reading

    /// Every record of `paths`, numbered across the files as the analysis numbers them.
    private static func forEachRecord(
        paths: [String],
        _ body: (CaptureRecordInfo, UnsafeRawBufferPointer) -> Void
    ) throws(WSSniffError) {
        var nextNumber = 1
        for path in paths {
            do {
                let reader = try CaptureFileReader(path: path, firstNumber: nextNumber)
                var count = 0
                while try reader.next({ info, bytes in
                    count += 1
                    body(info, bytes)
                }) {}
                nextNumber += count
            } catch {
                throw WSSniffError(.invalidCapture, "\(path): \(error)")
            }
        }
    }
}

/// A run of a record's captured data to blank: zero bytes, or with a masking key the bytes that unmask to zero.
private struct Blank: Sendable {
    var range: Range<Int>
    var mask: UInt32?
    /// The masking key's phase at the run's first byte (RFC 6455 5.3: octet i uses key octet i mod 4).
    var phase: Int

    func apply(to packet: inout [UInt8]) {
        let low = max(0, self.range.lowerBound)
        let high = min(packet.count, self.range.upperBound)
        guard low < high else { return }
        guard let key = self.mask else {
            for position in low..<high { packet[position] = 0 }
            return
        }
        for position in low..<high {
            let phase = (self.phase + position - self.range.lowerBound) & 3
            packet[position] = UInt8(truncatingIfNeeded: key >> (24 - 8 * UInt32(phase)))
        }
    }
}

/// One connection's rewrite, planned from its provenance: stream offsets in, record bytes out.
private struct ConnectionPlan {
    let client: ProvenanceIndex?
    let server: ProvenanceIndex?
    let clientMap: WebSocketStreamMap?
    let serverMap: WebSocketStreamMap?
    /// Record number -> offset in the record -> byte.
    var writes: [Int: [Int: UInt8]] = [:]
    /// Records holding bytes to rewrite or blank whose place in the record is not known.
    var unmappedRecords: Set<Int> = []
    /// What was blanked instead of rewritten, one sentence per case.
    var notes: [String] = []
    /// Record number -> the repeated copies to compare with what the analysis read.
    var checks: [Int: [Check]] = [:]
    /// Record number -> runs to blank.
    var blanks: [Int: [Blank]] = [:]

    /// A repeated copy of bytes the analysis read: where it lies in its record, and the bytes read.
    struct Check: Sendable {
        var recordOffset: Int
        var expected: [UInt8]
        /// The whole copy's bytes in its record: blanked when the comparison fails.
        var copy: Range<Int>
    }

    init(report: ConnectionReport) {
        self.client = report.provenance.map { $0.client.index() }
        self.server = report.provenance.map { $0.server.index() }
        self.clientMap = report.websocket.clientStreamMap
        self.serverMap = report.websocket.serverStreamMap
    }

    var hasProvenance: Bool { self.client != nil }

    func streamMap(_ direction: Direction) -> WebSocketStreamMap? {
        direction == .client ? self.clientMap : self.serverMap
    }

    /// Plans a comparison for every copy of HTTP bytes that another copy overlaps (a retransmission, possibly with
    /// other bytes): the analysis read one of them, and a copy that differs from it is blanked when written.
    mutating func checkRepeatedHTTPCopies(_ direction: Direction) {
        guard let map = self.streamMap(direction), let index = direction == .client ? self.client : self.server
        else { return }
        for run in map.httpRuns {
            let range = run.streamOffset..<(run.streamOffset + run.bytes.count)
            let copies = index.copies(overlapping: range)
            guard copies.count > 1 else { continue }
            for copy in copies {
                guard let recordOffset = copy.recordOffset,
                    copies.contains(where: { $0 != copy && $0.streamRange.overlaps(copy.streamRange) })
                else { continue }
                let low = max(range.lowerBound, copy.streamOffset)
                let high = min(range.upperBound, copy.streamOffset + copy.length)
                let expected = Array(run.bytes[(low - run.streamOffset)..<(high - run.streamOffset)])
                self.checks[copy.record, default: []].append(
                    Check(
                        recordOffset: recordOffset + low - copy.streamOffset,
                        expected: expected,
                        copy: recordOffset..<(recordOffset + copy.length)
                    )
                )
            }
        }
    }

    /// Blanks (zero bytes) every captured byte of the direction's stream that neither the HTTP conversation nor a
    /// WebSocket frame covers: bytes of a connection that is neither (not HTTP, the server spoke first), bytes a
    /// mid-stream parser skipped while looking for a frame, bytes after an HTTP exchange that did not upgrade.
    /// Nothing read them for secrets, so none is kept.
    mutating func blankUnread(_ direction: Direction, frames: [WebSocketFrameRecord], searchedFrames: Set<Int>) {
        guard let index = direction == .client ? self.client : self.server else { return }
        let map = self.streamMap(direction)
        var read: [Range<Int>] = (map?.httpRuns ?? []).map { $0.streamOffset..<($0.streamOffset + $0.bytes.count) }
        if let start = map?.webSocketStart {
            for frame in frames where frame.direction == direction {
                let low = start + frame.streamOffset
                // A frame's header is read; its payload only when the secret finder searched it: a control frame's,
                // or a data frame's whose message kept its whole payload. A data frame outside any such message (a
                // continuation without a start, a reserved opcode, a message cut short) was never searched.
                let searched = frame.opcode.isControl || searchedFrames.contains(frame.number)
                let end = searched ? Int(clamping: frame.totalLength) : frame.headerLength
                read.append(low..<(low + end))
            }
        }
        let merged = Self.merge(read)
        var unread = 0
        for copy in index.all {
            var cursor = copy.streamOffset
            let end = copy.streamOffset + copy.length
            // The first read range that may cover the copy.
            var low = 0
            var high = merged.count
            while low < high {
                let middle = (low + high) / 2
                if merged[middle].upperBound <= cursor { low = middle + 1 } else { high = middle }
            }
            while cursor < end {
                let next = low < merged.count ? merged[low] : end..<end
                let holeEnd = min(end, max(cursor, next.lowerBound))
                if holeEnd > cursor {
                    unread += holeEnd - cursor
                    if let recordOffset = copy.recordOffset {
                        let low = recordOffset + cursor - copy.streamOffset
                        self.blanks[copy.record, default: []].append(
                            Blank(range: low..<(low + holeEnd - cursor), mask: nil, phase: 0)
                        )
                    } else {
                        self.unmappedRecords.insert(copy.record)
                    }
                }
                cursor = max(holeEnd, min(end, next.upperBound))
                low += 1
            }
        }
        if unread > 0 {
            self.notes.append(
                "\(unread) captured \(direction == .client ? "client" : "server") bytes (counting every copy) were "
                    + "not searched for secrets (read neither as HTTP nor as a WebSocket frame or message): blanked "
                    + "(zero bytes on the wire)"
            )
        }
    }

    /// Sorted, disjoint ranges covering the same offsets as `ranges`.
    static func merge(_ ranges: [Range<Int>]) -> [Range<Int>] {
        var merged: [Range<Int>] = []
        for range in ranges.sorted(by: { $0.lowerBound < $1.lowerBound }) where !range.isEmpty {
            if let last = merged.last, range.lowerBound <= last.upperBound {
                merged[merged.count - 1] = last.lowerBound..<max(last.upperBound, range.upperBound)
            } else {
                merged.append(range)
            }
        }
        return merged
    }

    /// Blanks stream offsets `range` of `direction` in every captured copy: zero bytes, or, with a masking key, the
    /// bytes that unmask to zero (`maskStart`: the stream offset of the masked payload's first byte).
    mutating func blank(_ direction: Direction, _ range: Range<Int>, mask: UInt32? = nil, maskStart: Int = 0) {
        for copy in self.copies(direction, range) {
            self.blanks[copy.record, default: []].append(
                Blank(
                    range: copy.start..<(copy.start + copy.stream.count),
                    mask: mask,
                    phase: (copy.stream.lowerBound - maskStart) & 3
                )
            )
        }
    }

    /// Writes `byte(offset)` over stream offsets `range` of `direction`, in every captured copy.
    mutating func rewrite(_ direction: Direction, _ range: Range<Int>, _ byte: (Int) -> UInt8) {
        for copy in self.copies(direction, range) {
            for offset in copy.stream {
                self.writes[copy.record, default: [:]][copy.start + offset - copy.stream.lowerBound] = byte(offset)
            }
        }
    }

    /// One captured copy of part of a stream range: its record, where in the record it starts, and the stream
    /// offsets it carries.
    private struct MappedCopy {
        var record: Int
        var start: Int
        var stream: Range<Int>
    }

    /// Each captured copy of stream offsets `range` of `direction` (a segment reassembled from IP fragments has one
    /// copy per fragment). A copy whose record offset is not known is not mapped: its record is blanked whole.
    private mutating func copies(_ direction: Direction, _ range: Range<Int>) -> [MappedCopy] {
        guard let index = direction == .client ? self.client : self.server, !range.isEmpty else { return [] }
        var mapped: [MappedCopy] = []
        for copy in index.copies(overlapping: range) {
            guard let recordOffset = copy.recordOffset else {
                self.unmappedRecords.insert(copy.record)
                continue
            }
            let low = max(range.lowerBound, copy.streamOffset)
            let high = min(range.upperBound, copy.streamOffset + copy.length)
            mapped.append(
                MappedCopy(record: copy.record, start: recordOffset + low - copy.streamOffset, stream: low..<high)
            )
        }
        return mapped
    }
}

extension Direction {
    fileprivate var name: String { self == .client ? "client" : "server" }
}

/// A staged output file written in chunks of 1 MiB.
final class PrivateFileWriter {
    private let file: ReportFiles.Staged
    private var buffer: [UInt8] = []

    init(_ file: ReportFiles.Staged) {
        self.file = file
    }

    func write(_ bytes: [UInt8]) throws(WSSniffError) {
        self.buffer += bytes
        if self.buffer.count >= 1 << 20 { try self.flush() }
    }

    func flush() throws(WSSniffError) {
        try self.file.write(self.buffer)
        self.buffer.removeAll(keepingCapacity: true)
    }
}

extension WebSocketFrameRecord {
    /// The masking byte applied to payload byte `position` (0 when unmasked). RFC 6455 5.3: octet i of the
    /// transformed data is octet i of the original XOR octet at index i modulo 4 of the masking key.
    func maskByte(_ position: Int) -> UInt8 {
        guard let key = self.maskKey else { return 0 }
        return UInt8(truncatingIfNeeded: key >> (24 - 8 * UInt32(position % 4)))
    }
}

extension WebSocketOpcode {
    fileprivate var isData: Bool {
        switch self {
        case .text, .binary, .continuation: return true
        default: return false
        }
    }

    /// Close, ping and pong: their payloads are read as controls (a reserved opcode's is read by nothing).
    fileprivate var isControl: Bool {
        switch self {
        case .close, .ping, .pong: return true
        default: return false
        }
    }
}

extension Array where Element == UInt8 {
    fileprivate mutating func appendLittleEndian<T: FixedWidthInteger>(_ value: T) {
        Swift.withUnsafeBytes(of: value.littleEndian) { self.append(contentsOf: $0) }
    }
}

extension Int64 {
    fileprivate func dividedFloor(by divisor: Int64) -> Int64 {
        let quotient = self / divisor
        return (self % divisor < 0) ? quotient - 1 : quotient
    }
}
