package import Dissect
import Glibc

/// Finds where secrets sit in a capture's TCP streams and writes a copy of the capture with those bytes overwritten
/// in place: same lengths, masked frames re-masked with their own key, every packet kept, so TCP and WebSocket framing
/// stay valid and `wssniff analyze` and tshark read the copy as they read the original.
///
/// Secrets are the values of `Authorization`, `Proxy-Authorization`, `Cookie` and `Set-Cookie` in the HTTP heads,
/// bearer tokens in `Sec-WebSocket-Protocol`, and JSON string values under secret-naming keys in text messages.
/// A compressed (permessage-deflate) message holding a secret cannot be rewritten inside its deflate stream: its
/// payload is blanked (zero bytes once unmasked), which the report says.
package struct PcapSanitizer {
    /// One direction of one connection, as the TCP header names it.
    package struct Flow: Hashable, Sendable {
        package var source: Endpoint
        package var destination: Endpoint
    }

    /// One connection's direction: its flow, and how many connections used that flow before it (a port reused
    /// within the capture: a SYN with a new initial sequence number starts the next).
    package struct FlowUse: Hashable, Sendable {
        package var flow: Flow
        package var generation: Int
    }

    /// Stream offset -> the byte to put on the wire, per connection direction.
    package private(set) var patches: [FlowUse: [Int: UInt8]] = [:]
    /// The secret strings found (for scrubbing rendered text).
    package private(set) var secrets: Set<String> = []
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
    /// The notes of `scanMessages`, with the first packet of their connection (connections may be scanned in any
    /// order, as they end).
    private var messageNotes: [(start: Int, text: String)] = []
    /// The first packet of every connection scanned.
    private var connectionStarts: [Int] = []
    /// How many secrets were located (header values, bearer tokens, JSON values).
    package private(set) var secretCount = 0
    /// Where each connection direction's WebSocket bytes start (after the upgrade head): the WebSocket layer counts
    /// frame offsets from there.
    private var webSocketStart: [FlowUse: Int] = [:]
    /// Each flow's uses and where their streams start (learned in the head pass), to place every segment and to tell
    /// which use a message of the analysis belongs to.
    private var tracker = SequenceTracker()
    /// What the sanitized copy's file header needs of the input (noted in the head pass's first read).
    private var inputShape: InputShape?

    /// The input's link types and its largest record.
    struct InputShape {
        var linkTypes: [LinkType] = []
        var maxCaptured = 0

        mutating func add(_ info: CaptureRecordInfo) {
            if !self.linkTypes.contains(info.linkType) { self.linkTypes.append(info.linkType) }
            self.maxCaptured = max(self.maxCaptured, info.capturedLength)
        }
    }

    package init() {}

    // MARK: - Locating secrets

    /// Pass 1: the uses of each flow (``SequenceTracker``), then the HTTP heads at the start of each use, rebuilt from
    /// TCP sequence numbers.
    ///
    /// A use's heads are read as soon as its first bytes settle them (an upgrade head is complete, or the bytes do
    /// not start like HTTP, or the buffer is full) and its buffer is dropped: memory follows the connections still
    /// open, not the size of the capture. Only the first head's bytes are kept: a later copy of them (a
    /// retransmission) that differs is read for secrets too, and so are the bytes a retransmission replaced before
    /// the head was complete, so a secret in any copy is rewritten. The rest wait for the end of the capture.
    package mutating func scanHeads(paths: [String]) throws(WSSniffError) {
        var heads: [FlowUse: HeadBuffer] = [:]
        /// Settled connection directions, each with its first head as last seen.
        var settled: [FlowUse: [UInt8]] = [:]
        // Where each use's stream starts is known only once every SYN has been seen (one may be captured after its
        // data): learned in a first pass.
        // The same pass notes what the sanitized copy's file header needs.
        var tracker = SequenceTracker()
        var shape = InputShape()
        var decoder = PacketDecoder()
        try Self.forEachRecord(paths: paths) { info, bytes in
            shape.add(info)
            _ = decoder.decode(info, bytes) { segment in tracker.learn(segment, packet: info.number) }
        }
        self.tracker = tracker
        self.inputShape = shape
        try Self.forEachSegment(paths: paths) { info, segment, _ in
            guard let (offset, flow) = tracker.locate(segment, packet: info.number), !segment.payload.isEmpty else {
                return
            }
            if var head = settled[flow] {
                guard offset < head.count else { return }
                var changed = false
                for position in offset..<min(head.count, offset + segment.payload.count) {
                    let byte = segment.payload[position - offset]
                    if head[position] != byte {
                        head[position] = byte
                        changed = true
                    }
                }
                if changed {
                    // The changed copy may hold a longer head than the first: read it with the segment's bytes past
                    // the first head's end too.
                    var read = head
                    if offset + segment.payload.count > head.count {
                        read += segment.payload[(head.count - offset)...]
                    }
                    self.readHeadSecrets(read, of: flow)
                    settled[flow] = head
                }
                return
            }
            guard offset < HeadBuffer.capacity else { return }
            heads[flow, default: HeadBuffer()].fill(at: offset, segment.payload)
            if let prefix = heads[flow]?.settledPrefix() {
                self.readHead(prefix, of: flow)
                for copy in heads[flow]?.earlierCopies(of: prefix) ?? [] { self.readHeadSecrets(copy, of: flow) }
                heads[flow] = nil
                settled[flow] = Self.firstHead(prefix)
            }
        }
        for (flow, head) in heads {
            let prefix = head.prefix
            self.readHead(prefix, of: flow)
            for copy in head.earlierCopies(of: prefix) { self.readHeadSecrets(copy, of: flow) }
        }
    }

    /// Where the flow's WebSocket bytes start, and the secrets in its head.
    private mutating func readHead(_ prefix: [UInt8], of flow: FlowUse) {
        if let end = Self.upgradeHeadEnd(prefix) { self.webSocketStart[flow] = end }
        self.readHeadSecrets(prefix, of: flow)
    }

    /// The first HTTP head of a flow's bytes (through its empty line), or nothing when they do not start one.
    static func firstHead(_ bytes: [UInt8]) -> [UInt8] {
        guard let first = bytes.first, (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(first),
            let end = ByteSearch.offset(of: [0x0D, 0x0A, 0x0D, 0x0A], in: bytes, from: 0)
        else { return [] }
        return Array(bytes[0..<(end + 4)])
    }

    /// The secrets in the heads at the start of `prefix` (a request or response before the upgrade on a kept-alive
    /// connection, then the upgrade's), recorded with the patches that overwrite them.
    private mutating func readHeadSecrets(_ prefix: [UInt8], of flow: FlowUse) {
        var found: [(Range<Int>, [UInt8])] = []
        for start in Self.headChain(prefix).starts {
            let secrets = start == 0 ? Self.headSecrets(prefix) : Self.headSecrets(Array(prefix[start...]))
            found += secrets.map { (($0.0.lowerBound + start)..<($0.0.upperBound + start), $0.1) }
        }
        for (range, secret) in found {
            self.record(secret)
            let filler = Redactor.inPlaceFiller(for: secret, count: range.count)
            for (position, byte) in zip(range, filler) {
                self.patches[flow, default: [:]][position] = byte
            }
        }
    }

    /// Pass 2 (from the analysis): JSON secrets in text messages, mapped through the frames that carried them.
    /// Call it once for every connection (in any order), after ``scanHeads(paths:)``.
    package mutating func scanMessages(_ report: ConnectionReport) {
        let connectionStart = report.tcp.firstPacket.number
        self.connectionStarts.append(connectionStart)
        let websocket = report.websocket
        for message in websocket.messages where message.opcode == .text {
            guard let payload = message.payload else { continue }
            let ranges = Redactor.secretValueRanges(in: payload)
            guard !ranges.isEmpty else { continue }
            for range in ranges { self.record(Array(payload[range])) }
            // A connection captured under several address pairs carries the same bytes at the same offsets in each:
            // every copy is rewritten.
            var flows = [
                self.tracker.use(
                    of: message.direction == .client
                        ? Flow(source: report.client, destination: report.server)
                        : Flow(source: report.server, destination: report.client),
                    at: message.startPacket.number
                )
            ]
            for view in report.views where view.client != report.client || view.server != report.server {
                flows.append(
                    self.tracker.use(
                        of: message.direction == .client
                            ? Flow(source: view.client, destination: view.server)
                            : Flow(source: view.server, destination: view.client),
                        at: view.firstPacket.number
                    )
                )
            }
            let frames = websocket.frames.filter { frame in
                frame.direction == message.direction && frame.number >= message.firstFrame
                    && frame.number <= message.lastFrame && frame.opcode.isData
            }
            let carried = frames.reduce(UInt64(0)) { $0 + $1.payloadLength }
            let who = message.direction == .client ? "client" : "server"
            guard carried == message.wireLength, !frames.isEmpty else {
                self.messageNotes.append(
                    (
                        connectionStart,
                        "\(who) message \(message.index) holds a secret, but its frames were not all seen: it is not "
                            + "rewritten"
                    )
                )
                continue
            }
            if message.compressed {
                // The secret is inside a deflate stream: blank the whole payload (zeros, unmasked).
                for flow in flows {
                    let base = self.webSocketStart[flow] ?? 0
                    for frame in frames {
                        let start = base + frame.streamOffset + frame.headerLength
                        for position in 0..<Int(frame.payloadLength) {
                            self.patches[flow, default: [:]][start + position] = 0 ^ frame.maskByte(position)
                        }
                    }
                }
                self.messageNotes.append(
                    (
                        connectionStart,
                        "\(who) message \(message.index) is compressed and holds a secret: its payload was blanked (zero "
                            + "bytes), so analyzing the sanitized capture reports an inflate error for it (and, with "
                            + "context takeover, for the later messages of that direction)"
                    )
                )
                continue
            }
            // Message payload offset -> (frame, position in the frame's payload).
            var replacement: [Int: UInt8] = [:]
            for range in ranges {
                let filler = Redactor.inPlaceFiller(for: Array(payload[range]), count: range.count)
                for (position, byte) in zip(range, filler) { replacement[position] = byte }
            }
            for flow in flows {
                let base = self.webSocketStart[flow] ?? 0
                var messageOffset = 0
                for frame in frames {
                    let start = base + frame.streamOffset + frame.headerLength
                    for position in 0..<Int(frame.payloadLength) {
                        if let byte = replacement[messageOffset + position] {
                            self.patches[flow, default: [:]][start + position] = byte ^ frame.maskByte(position)
                        }
                    }
                    messageOffset += Int(frame.payloadLength)
                }
            }
        }
    }

    private mutating func record(_ secret: [UInt8]) {
        self.secretCount += 1
        self.secrets.insert(String(decoding: secret, as: UTF8.self))
    }

    /// The heads at the start of a flow's bytes, as a kept-alive connection sends them before its upgrade (each head
    /// followed by its `Content-Length` body): where each starts, and where the head that switched the stream to
    /// WebSocket (a request with `Upgrade`, or a 101 response) ends; nil when there is no complete one.
    static func headChain(_ bytes: [UInt8]) -> (starts: [Int], upgradeEnd: Int?) {
        var starts: [Int] = []
        var start = 0
        while start < bytes.count, let first = bytes[safe: start],
            (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(first)
        {
            starts.append(start)
            guard let end = ByteSearch.offset(of: [0x0D, 0x0A, 0x0D, 0x0A], in: bytes, from: start) else { break }
            let head = String(decoding: bytes[start..<end], as: UTF8.self).lowercased()
            let headEnd = end + 4
            if head.hasPrefix("http/")
                ? head.split(separator: " ").dropFirst().first == "101" : head.contains("\r\nupgrade:")
            {
                return (starts, headEnd)
            }
            var length = 0
            for line in head.split(separator: "\r\n") where line.hasPrefix("content-length:") {
                length = Int(line.dropFirst("content-length:".count).trimmingPrefix(" ")) ?? 0
            }
            start = headEnd + length
        }
        return (starts, nil)
    }

    /// Where the WebSocket bytes start: after the upgrade head of ``headChain(_:)``; nil when the flow does not start
    /// with HTTP.
    static func upgradeHeadEnd(_ bytes: [UInt8]) -> Int? {
        Self.headChain(bytes).upgradeEnd
    }

    /// Secret value ranges in an HTTP head (request or response), and the secret bytes.
    static func headSecrets(_ bytes: [UInt8]) -> [(Range<Int>, [UInt8])] {
        guard let end = ByteSearch.offset(of: [0x0D, 0x0A, 0x0D, 0x0A], in: bytes, from: 0) else { return [] }
        guard let first = bytes.first, (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(first) else { return [] }
        var found: [(Range<Int>, [UInt8])] = []
        var lineStart = (ByteSearch.offset(of: [0x0D, 0x0A], in: bytes, from: 0) ?? end) + 2
        while lineStart < end {
            let lineEnd = ByteSearch.offset(of: [0x0D, 0x0A], in: bytes, from: lineStart) ?? end
            defer { lineStart = lineEnd + 2 }
            guard let colon = bytes[lineStart..<lineEnd].firstIndex(of: UInt8(ascii: ":")) else { continue }
            let name = String(decoding: bytes[lineStart..<colon], as: UTF8.self).lowercased()
            var valueStart = colon + 1
            while valueStart < lineEnd, bytes[valueStart] == 0x20 || bytes[valueStart] == 0x09 { valueStart += 1 }
            var valueEnd = lineEnd
            while valueEnd > valueStart, bytes[valueEnd - 1] == 0x20 || bytes[valueEnd - 1] == 0x09 { valueEnd -= 1 }
            guard valueEnd > valueStart else { continue }
            switch name {
            case "authorization", "proxy-authorization", "cookie", "set-cookie":
                // Keep an auth scheme (`Bearer `, `Basic `) readable; the credentials after it are the secret.
                var secretStart = valueStart
                if name.hasSuffix("authorization"),
                    let space = bytes[valueStart..<valueEnd].firstIndex(of: 0x20), space + 1 < valueEnd
                {
                    secretStart = space + 1
                    found.append((secretStart..<valueEnd, Array(bytes[valueStart..<valueEnd])))
                }
                found.append((secretStart..<valueEnd, Array(bytes[secretStart..<valueEnd])))
            case "sec-websocket-protocol":
                let lowered = bytes[valueStart..<valueEnd].map { (0x41...0x5A).contains($0) ? $0 | 0x20 : $0 }
                var search = 0
                while let hit = ByteSearch.offset(of: Array("bearer.".utf8), in: lowered, from: search) {
                    let start = valueStart + hit + 7
                    var stop = start
                    while stop < valueEnd, bytes[stop] != UInt8(ascii: ","), bytes[stop] != 0x20 { stop += 1 }
                    if stop > start { found.append((start..<stop, Array(bytes[start..<stop]))) }
                    search = stop - valueStart
                }
            default:
                break
            }
        }
        return found
    }

    // MARK: - Writing

    /// What the rewrite did.
    package struct Outcome: Sendable {
        package var packets = 0
        package var rewrittenBytes = 0
        package var rewrittenPackets = 0
        /// Secret bytes carried in reassembled IP fragments, which are not rewritten.
        package var fragmentedSegments = 0
    }

    /// Pass 3: copies every record of `paths` into a new pcap file (mode 0600) with the secret bytes replaced.
    package func write(paths: [String], to output: String) throws(WSSniffError) -> Outcome {
        var shape = self.inputShape ?? InputShape()
        if self.inputShape == nil {
            try Self.forEachRecord(paths: paths) { info, _ in shape.add(info) }
        }
        let (linkTypes, maxCaptured) = (shape.linkTypes, shape.maxCaptured)
        guard linkTypes.count <= 1 else {
            throw WSSniffError(
                .usage,
                "--sanitized-pcap: the capture mixes link types (\(linkTypes.map(\.description).joined(separator: ", "))); "
                    + "a pcap file holds one, and pcapng output is not supported yet"
            )
        }
        let writer = try PrivateFileWriter(path: output)
        defer { writer.close() }
        var header: [UInt8] = []
        header.appendLittleEndian(UInt32(0xA1B2_3C4D))  // nanosecond pcap
        header.appendLittleEndian(UInt16(2))
        header.appendLittleEndian(UInt16(4))
        header.appendLittleEndian(UInt32(0))
        header.appendLittleEndian(UInt32(0))
        header.appendLittleEndian(UInt32(max(262_144, maxCaptured)))
        header.appendLittleEndian(linkTypes.first?.rawValue ?? LinkType.ethernet.rawValue)
        try writer.write(header)

        var outcome = Outcome()
        let tracker = self.tracker
        var decoder = PacketDecoder()
        var failure: WSSniffError?
        // Each flow's patches in stream order: a segment finds its own by binary search instead of looking up every
        // byte it carries.
        let ordered = self.patches.mapValues { patches in
            patches.sorted { $0.key < $1.key }.map { (offset: $0.key, byte: $0.value) }
        }
        try Self.forEachRecord(paths: paths) { info, bytes in
            guard failure == nil else { return }
            outcome.packets += 1
            var packet = Array(bytes)
            var writes: [(Int, UInt8)] = []
            var fragmented = false
            packet.withUnsafeBytes { buffer in
                _ = decoder.decode(info, buffer) { segment in
                    guard let (offset, flow) = tracker.locate(segment, packet: info.number), !segment.payload.isEmpty
                    else { return }
                    guard let patches = ordered[flow] else { return }
                    let base = segment.payload.baseAddress! - buffer.baseAddress!
                    let inPacket = base >= 0 && base + segment.payload.count <= buffer.count
                    let end = offset + segment.payload.count
                    var low = 0
                    var high = patches.count
                    while low < high {
                        let middle = (low + high) / 2
                        if patches[middle].offset < offset { low = middle + 1 } else { high = middle }
                    }
                    while low < patches.count, patches[low].offset < end {
                        if inPacket {
                            writes.append((base + patches[low].offset - offset, patches[low].byte))
                        } else {
                            fragmented = true
                        }
                        low += 1
                    }
                }
            }
            if fragmented { outcome.fragmentedSegments += 1 }
            if !writes.isEmpty {
                outcome.rewrittenPackets += 1
                outcome.rewrittenBytes += writes.count
                for (position, byte) in writes { packet[position] = byte }
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

    private static func forEachSegment(
        paths: [String],
        _ body: (CaptureRecordInfo, TCPSegment, UnsafeRawBufferPointer) -> Void
    ) throws(WSSniffError) {
        var decoder = PacketDecoder()
        try Self.forEachRecord(paths: paths) { info, bytes in
            _ = decoder.decode(info, bytes) { segment in body(info, segment, bytes) }
        }
    }
}

/// Maps TCP sequence numbers to stream offsets as the reassembler does: offset 0 is the byte after the SYN, or,
/// without a SYN, the first sequence number seen. A flow can carry several connections (a port reused within the
/// capture): a SYN with another initial sequence number than the current use's starts the next use, unless the
/// current use has seen no SYN yet and the SYN lies just before its bytes (a SYN captured after some of its data:
/// the use then counts from it). `learn` every segment first (one pass over the input), then `locate` them.
struct SequenceTracker {
    struct Use {
        var packet: Int
        var generation: Int
        /// Nil until the use's first SYN or data (a use opened by the other direction's SYN).
        var base: UInt32?
        var sawSYN: Bool
    }

    /// How far before a use's first byte a late-captured SYN may lie and still be that use's own.
    static let lateSYNWindow: UInt32 = 1 << 20

    /// Each flow's uses, in the order they began.
    private(set) var uses: [PcapSanitizer.Flow: [Use]] = [:]

    mutating func learn(_ segment: TCPSegment, packet: Int) {
        let flow = PcapSanitizer.Flow(source: segment.source, destination: segment.destination)
        let syn = segment.flags.contains(.syn)
        let payloadStart = segment.sequence &+ (syn ? 1 : 0)
        guard let last = self.uses[flow]?.last else {
            if syn || !segment.payload.isEmpty {
                self.uses[flow] = [Use(packet: packet, generation: 0, base: payloadStart, sawSYN: syn)]
            }
            return
        }
        let index = self.uses[flow]!.count - 1
        guard let base = last.base else {
            // Opened by the other direction's SYN: this direction's first SYN or byte says where it starts.
            if syn || !segment.payload.isEmpty {
                self.uses[flow]![index].base = payloadStart
                self.uses[flow]![index].sawSYN = syn
            }
            return
        }
        guard syn, !(last.sawSYN && base == payloadStart) else { return }
        if !last.sawSYN, base &- payloadStart < Self.lateSYNWindow {
            self.uses[flow]![index].base = payloadStart
            self.uses[flow]![index].sawSYN = true
            return
        }
        self.uses[flow]!.append(Use(packet: packet, generation: last.generation + 1, base: payloadStart, sawSYN: true))
        // A new connection from this side (SYN without ACK) is a new connection the other way too, even when its
        // SYN+ACK was not captured.
        let reverse = PcapSanitizer.Flow(source: segment.destination, destination: segment.source)
        if !segment.flags.contains(.ack), let other = self.uses[reverse]?.last, other.base != nil {
            self.uses[reverse]!.append(Use(packet: packet, generation: other.generation + 1, base: nil, sawSYN: false))
        }
    }

    /// The stream offset of the segment's first payload byte, and the use it belongs to: the latest use begun at or
    /// before this packet whose stream it fits (a late retransmission of an earlier use fits only that one); nil when
    /// it fits none.
    func locate(_ segment: TCPSegment, packet: Int) -> (offset: Int, use: PcapSanitizer.FlowUse)? {
        let flow = PcapSanitizer.Flow(source: segment.source, destination: segment.destination)
        guard let uses = self.uses[flow] else { return nil }
        let payloadStart = segment.sequence &+ (segment.flags.contains(.syn) ? 1 : 0)
        let latest = uses.lastIndex { $0.packet <= packet } ?? 0
        for index in stride(from: latest, through: 0, by: -1) {
            guard let base = uses[index].base else { continue }
            let distance = payloadStart &- base
            if distance < 0x8000_0000 {
                return (Int(distance), PcapSanitizer.FlowUse(flow: flow, generation: uses[index].generation))
            }
        }
        return nil
    }

    /// The use of `flow` that carried packet `number`: the latest begun at or before it.
    func use(of flow: PcapSanitizer.Flow, at number: Int) -> PcapSanitizer.FlowUse {
        let generation = self.uses[flow]?.last { $0.packet <= number }?.generation ?? 0
        return PcapSanitizer.FlowUse(flow: flow, generation: generation)
    }
}

/// The first bytes of a flow, filled from segments as they come (retransmissions and reordering included).
struct HeadBuffer {
    static let capacity = 32 << 10
    private var bytes: [UInt8] = []
    private var filled: [Bool] = []

    mutating func fill(at offset: Int, _ payload: UnsafeRawBufferPointer) {
        let end = min(Self.capacity, offset + payload.count)
        guard end > offset else { return }
        if self.bytes.count < end {
            self.bytes += [UInt8](repeating: 0, count: end - self.bytes.count)
            self.filled += [Bool](repeating: false, count: end - self.filled.count)
        }
        // Bytes a retransmission changes are kept as they were (up to a bound): a secret in the earlier copy must be
        // found too.
        if self.overwrittenBytes < Self.overwrittenLimit, self.overwritten.count < Self.overwrittenRunLimit,
            let changed = (offset..<end).first(where: {
                self.filled[$0] && self.bytes[$0] != payload[$0 - offset]
            })
        {
            let runEnd = (changed..<end).first { !self.filled[$0] } ?? end
            let old = Array(self.bytes[changed..<runEnd])
            self.overwritten.append((changed, old))
            self.overwrittenBytes += old.count
        }
        for position in offset..<end {
            self.bytes[position] = payload[position - offset]
            self.filled[position] = true
        }
        while self.contiguous < self.filled.count, self.filled[self.contiguous] { self.contiguous += 1 }
    }

    /// How many bytes from the start are filled (kept as segments come: finding the first hole again after every
    /// segment made the head pass quadratic in tiny segments).
    private var contiguous = 0
    /// The prefix length at which `settledPrefix` next looks for a complete head: it doubles after each look, so a
    /// flow whose head never completes is searched a few times, not once per segment.
    private var nextLook = 1
    /// How many times `settledPrefix` searched the prefix for a complete head.
    private(set) var looks = 0
    /// Earlier bytes that later segments overwrote with other bytes, where they started.
    private(set) var overwritten: [(offset: Int, bytes: [UInt8])] = []
    private var overwrittenBytes = 0
    static let overwrittenLimit = 64 << 10
    /// At most this many runs are kept: each becomes a copy of the prefix (up to 32 KiB) when the head is read.
    static let overwrittenRunLimit = 32

    /// `prefix` with each overwritten run put back in turn: the other copies of the head.
    func earlierCopies(of prefix: [UInt8]) -> [[UInt8]] {
        self.overwritten.compactMap { run in
            guard run.offset < prefix.count else { return nil }
            var copy = prefix
            let end = min(prefix.count, run.offset + run.bytes.count)
            copy.replaceSubrange(run.offset..<end, with: run.bytes[0..<(end - run.offset)])
            return copy
        }
    }

    /// The bytes up to the first hole.
    var prefix: [UInt8] {
        Array(self.bytes[0..<self.contiguous])
    }

    /// The prefix, once later bytes can no longer change what is read from it: it holds a complete upgrade head, or
    /// it does not start like an HTTP head, or it fills the buffer. Nil while more bytes may matter (or before the
    /// prefix has doubled since the last look).
    mutating func settledPrefix() -> [UInt8]? {
        guard self.contiguous > 0 else { return nil }
        if self.contiguous >= Self.capacity { return self.prefix }
        guard (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(self.bytes[0]) else { return self.prefix }
        guard self.contiguous >= self.nextLook else { return nil }
        self.nextLook = 2 * self.contiguous
        self.looks += 1
        let prefix = self.prefix
        return PcapSanitizer.upgradeHeadEnd(prefix) != nil ? prefix : nil
    }
}

/// A file created with mode 0600 and written in chunks.
final class PrivateFileWriter {
    private let fd: Int32
    private let path: String
    private var buffer: [UInt8] = []

    init(path: String) throws(WSSniffError) {
        self.path = path
        self.fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard self.fd >= 0 else {
            throw WSSniffError(.cannotWrite, "cannot create \(path): \(String(cString: strerror(errno)))")
        }
        var status = stat()
        if fstat(self.fd, &status) == 0, status.st_mode & 0o077 != 0 { _ = fchmod(self.fd, 0o600) }
    }

    func write(_ bytes: [UInt8]) throws(WSSniffError) {
        self.buffer += bytes
        if self.buffer.count >= 1 << 20 { try self.flush() }
    }

    func flush() throws(WSSniffError) {
        var written = 0
        while written < self.buffer.count {
            let count = self.buffer.withUnsafeBytes {
                Glibc.write(self.fd, $0.baseAddress! + written, $0.count - written)
            }
            if count < 0 {
                if errno == EINTR { continue }
                throw WSSniffError(.cannotWrite, "cannot write \(self.path): \(String(cString: strerror(errno)))")
            }
            written += count
        }
        self.buffer.removeAll(keepingCapacity: true)
    }

    func close() {
        _ = Glibc.close(self.fd)
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
}

extension Array where Element == UInt8 {
    fileprivate mutating func appendLittleEndian<T: FixedWidthInteger>(_ value: T) {
        Swift.withUnsafeBytes(of: value.littleEndian) { self.append(contentsOf: $0) }
    }
}

extension Array {
    fileprivate subscript(safe index: Int) -> Element? {
        index >= 0 && index < self.count ? self[index] : nil
    }
}

extension Int64 {
    fileprivate func dividedFloor(by divisor: Int64) -> Int64 {
        let quotient = self / divisor
        return (self % divisor < 0) ? quotient - 1 : quotient
    }
}
