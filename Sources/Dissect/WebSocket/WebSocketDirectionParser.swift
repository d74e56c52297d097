/// Turns one direction's reassembled TCP bytes into WebSocket frames, messages, control frames and findings.
///
/// Incremental and total: bytes may come one at a time or many frames at once, a header or payload may span any
/// number of calls, and every breach of RFC 6455 / RFC 7692 becomes a `.violation` event before parsing goes on.
/// Payloads are neither copied nor unmasked unless they are kept, inflated or UTF-8 checked.
///
/// The parser holds an `Inflater` (a class owning zlib state): do not copy a parser that is in use, and do not
/// share it across tasks.
package struct WebSocketDirectionParser {
    /// The most payload bytes kept from a control frame (RFC 6455 5.5 allows 125).
    package static let keptControlBytes = 125
    /// How far past a candidate header resynchronisation looks for the headers that follow it.
    static let resyncLookahead = 64 * 1024
    /// The largest payload length resynchronisation takes as plausible.
    static let resyncLengthCap: UInt64 = 1 << 31
    /// Frames that must chain plausibly (when they fit in the look-ahead) before a candidate is accepted.
    static let resyncChainLength = 3
    private static let unmaskSliceLength = 16 * 1024

    /// Mutable between messages (the owner raises `maxMessageSize` once the gateway's connect completes).
    package var config: WebSocketParserConfig

    private enum State {
        /// Looking for a plausible frame header in `pending`.
        case resync
        /// Reading a header; `header` holds the bytes seen so far.
        case header
        /// Reading the payload of `frame`.
        case payload
    }

    private var state: State
    /// The stream offset of the next byte to parse (or of `pending[0]` while resynchronising); gaps count.
    private var streamOffset = 0
    private var lastPacket: PacketRef?

    private var header: [UInt8] = []
    private var headerStartPacket: PacketRef?
    private var frame: FrameState?
    private var message: MessageState?
    /// Messages started in this direction.
    private var messageCount = 0
    /// After resynchronising, continuations may belong to a message whose start was not seen.
    private var unknownMessageOpen = false
    /// The number of the frame that carried this side's close.
    private var closeFrame: Int?
    private var frameAfterCloseReported = false

    private var inflater: Inflater?
    /// The sender's compression context is unknown (capture gap or mid-stream start under context takeover), so
    /// inflate failures are the capture's fault and not reported as violations.
    private var deflateContextLost = false
    /// Data messages skipped by length (`WebSocketParserConfig.checkUnkeptPayloads` off): not unmasked, not
    /// checked as UTF-8, not inflated.
    package private(set) var uncheckedMessages = 0

    private var pending: [UInt8] = []
    /// Where each packet's bytes start in `pending`.
    private var pendingPackets: [(offset: Int, packet: PacketRef)] = []
    /// Bytes dropped while looking for a header, reported with the next `.resynchronized`.
    private var skipped = 0

    package init(config: WebSocketParserConfig) {
        self.config = config
        self.state = config.synchronized ? .header : .resync
        self.unknownMessageOpen = !config.synchronized
        if !config.synchronized, let deflate = config.deflate, !deflate.noContextTakeover {
            self.deflateContextLost = true
        }
        self.header.reserveCapacity(14)
    }

    private var side: String { self.config.direction == .client ? "client" : "server" }

    /// A breach of `rule` by this direction, at `frame`, seen in `packet`.
    private func violation(_ rule: ViolationRule, frame: Int?, packet: PacketRef?, _ detail: String) -> WebSocketEvent {
        .violation(
            WebSocketViolation(
                rule: rule,
                direction: self.config.direction,
                frame: frame,
                packet: packet,
                detail: detail
            )
        )
    }

    // MARK: - Input

    /// Parses the next bytes of this direction's stream.
    ///
    /// `frameNumbers` is the connection-wide frame counter (start it at 0): each frame header takes the next
    /// number from it. `events` is called synchronously, in stream order.
    package mutating func receive(
        _ bytes: UnsafeRawBufferPointer,
        packet: PacketRef,
        frameNumbers: inout Int,
        _ events: (WebSocketEvent) -> Void
    ) {
        self.lastPacket = packet
        guard bytes.count > 0 else { return }
        if self.state == .resync {
            self.pendingPackets.append((self.pending.count, packet))
            self.pending.append(contentsOf: bytes)
            self.scanPending(atEnd: false, frameNumbers: &frameNumbers, events)
        } else {
            self.parse(bytes, packet: packet, frameNumbers: &frameNumbers, events)
        }
    }

    /// Parses the next bytes of this direction's stream (an array; for tests and small inputs).
    package mutating func receive(
        _ bytes: [UInt8],
        packet: PacketRef,
        frameNumbers: inout Int,
        _ events: (WebSocketEvent) -> Void
    ) {
        bytes.withUnsafeBytes { self.receive($0, packet: packet, frameNumbers: &frameNumbers, events) }
    }

    /// `length` bytes of the stream were lost.
    ///
    /// A gap inside the payload of the current frame leaves the framing intact: the frame and its message are
    /// marked as missing bytes and parsing goes on after them. Any other gap loses the framing: the cut frame and
    /// message are reported incomplete and the parser looks for the next plausible header.
    package mutating func gap(_ length: Int, packet: PacketRef, _ events: (WebSocketEvent) -> Void) {
        self.lastPacket = packet
        guard length > 0 else { return }
        events(.gap(length: length, packet: packet))
        if self.state == .payload, var frame = self.frame, UInt64(length) <= frame.remaining {
            self.frame = nil
            frame.remaining -= UInt64(length)
            frame.consumed &+= UInt64(length)
            frame.record.lostBytes += length
            frame.inflateEnded = true
            if frame.kind == .control {
                let room = max(Self.keptControlBytes - frame.control.count, 0)
                frame.control.append(contentsOf: repeatElement(0, count: min(room, length)))
            }
            self.streamOffset += length
            if frame.kind == .data, var message = self.message {
                message.record.lostBytes += length
                if message.record.compressed && message.inflating {
                    message.inflating = false
                    message.record.inflateError = "compressed bytes were lost in a capture gap"
                    self.loseDeflateContext()
                }
                self.message = message
            }
            self.frame = frame
            if frame.remaining == 0 {
                self.endFrame(packet: packet, events)
            }
            return
        }
        self.abandonFraming(events)
        if self.state == .resync {
            self.skipped += self.pending.count
            self.streamOffset += self.pending.count
        }
        self.pending.removeAll(keepingCapacity: true)
        self.pendingPackets.removeAll(keepingCapacity: true)
        self.streamOffset += length
        self.state = .resync
    }

    /// The stream ended (FIN, RST or the end of the capture): reports what is still open, incomplete.
    package mutating func end(packet: PacketRef, frameNumbers: inout Int, _ events: (WebSocketEvent) -> Void) {
        self.lastPacket = packet
        if self.state == .resync {
            self.scanPending(atEnd: true, frameNumbers: &frameNumbers, events)
        }
        if self.state != .resync {
            self.abandonFraming(events)
        }
    }

    // MARK: - Framing

    private mutating func parse(
        _ bytes: UnsafeRawBufferPointer,
        packet: PacketRef,
        frameNumbers: inout Int,
        _ events: (WebSocketEvent) -> Void
    ) {
        let count = bytes.count
        var index = 0
        while index < count {
            switch self.state {
            case .resync:
                // Only `gap` enters resync; it never happens while parsing.
                return
            case .header:
                if self.header.isEmpty && count - index >= 2 {
                    let needed = WebSocketFrameHeader.length(secondByte: bytes[index + 1])
                    if count - index >= needed {
                        let header = WebSocketFrameHeader(
                            UnsafeRawBufferPointer(rebasing: bytes[index..<index + needed])
                        )
                        index += needed
                        self.startFrame(
                            header,
                            startPacket: packet,
                            packet: packet,
                            frameNumbers: &frameNumbers,
                            events
                        )
                        continue
                    }
                }
                if self.header.isEmpty {
                    self.headerStartPacket = packet
                }
                let needed = self.header.count < 2 ? 2 : WebSocketFrameHeader.length(secondByte: self.header[1])
                let take = min(needed - self.header.count, count - index)
                self.header.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[index..<index + take]))
                index += take
                guard self.header.count >= 2 else { continue }
                guard self.header.count == WebSocketFrameHeader.length(secondByte: self.header[1]) else { continue }
                let header = self.header.withUnsafeBytes { WebSocketFrameHeader($0) }
                self.header.removeAll(keepingCapacity: true)
                let startPacket = self.headerStartPacket ?? packet
                self.startFrame(header, startPacket: startPacket, packet: packet, frameNumbers: &frameNumbers, events)
            case .payload:
                guard let remaining = self.frame?.remaining else {
                    self.state = .header
                    continue
                }
                let take = Int(min(remaining, UInt64(count - index)))
                self.consumePayload(
                    UnsafeRawBufferPointer(rebasing: bytes[index..<index + take]),
                    packet: packet,
                    events
                )
                index += take
                if self.frame?.remaining == 0 {
                    self.endFrame(packet: packet, events)
                }
            }
        }
    }

    /// Judges a complete header, opens the frame and, for a data frame, its message.
    private mutating func startFrame(
        _ header: WebSocketFrameHeader,
        startPacket: PacketRef,
        packet: PacketRef,
        frameNumbers: inout Int,
        _ events: (WebSocketEvent) -> Void
    ) {
        frameNumbers += 1
        let number = frameNumbers
        let side = self.side
        let record = WebSocketFrameRecord(
            number: number,
            direction: self.config.direction,
            fin: header.fin,
            rsv: header.rsv,
            opcode: header.opcode,
            masked: header.masked,
            maskKey: header.masked ? header.maskKey : nil,
            payloadLength: header.payloadLength,
            headerLength: header.headerLength,
            lengthEncodingMinimal: header.lengthEncodingMinimal,
            startPacket: startPacket,
            endPacket: packet,
            streamOffset: self.streamOffset,
            complete: true,
            lostBytes: 0
        )
        self.streamOffset += header.headerLength
        func report(_ rule: ViolationRule, _ detail: String) {
            events(self.violation(rule, frame: number, packet: packet, detail))
        }

        // RFC 6455 5.5.1: "After sending a Close frame, the endpoint MUST NOT send any further data frames."
        // (and a close is the last frame an endpoint sends).
        if let closeFrame = self.closeFrame, !self.frameAfterCloseReported {
            self.frameAfterCloseReported = true
            report(
                .frameAfterClose,
                "\(side) frame \(number) (\(header.opcode)) follows the \(side)'s close in frame \(closeFrame)"
                    + " (later frames are not reported again)"
            )
        }
        // The checks below run in the order `ws` 8's Receiver.getInfo runs them.
        // RFC 6455 5.2: "RSV1, RSV2, RSV3: 1 bit each. MUST be 0 unless an extension is negotiated that defines
        // meanings for non-zero values."
        if header.rsv & 0b011 != 0 {
            report(.rsvWithoutExtension, "\(side) frame \(number) has RSV2 or RSV3 set (rsv=\(header.rsv))")
        }
        let rsv1 = header.rsv & 0b100 != 0
        if rsv1 && self.config.deflate == nil {
            report(
                .rsvWithoutExtension,
                "\(side) frame \(number) has RSV1 set but permessage-deflate was not negotiated"
            )
        }

        var kind = FrameKind.ignored
        switch header.opcode {
        case .continuation:
            // RFC 7692 6.1: "An endpoint MUST NOT set the "Per-Message Compressed" bit of control frames and
            // non-first fragments of a data message."
            if rsv1 && self.config.deflate != nil {
                report(.rsvWithoutExtension, "\(side) frame \(number) is a continuation frame with RSV1 set")
            }
            if self.message != nil {
                kind = .data
            } else if self.unknownMessageOpen {
                // The start of this message was lost: the fragments can't be decoded.
                if header.fin {
                    self.unknownMessageOpen = false
                }
            } else {
                // RFC 6455 5.4: a fragmented message "consists of a single frame with the FIN bit clear and an
                // opcode other than 0, followed by zero or more frames with the FIN bit clear and the opcode set to
                // 0, and terminated by a single frame with the FIN bit set and an opcode of 0."
                report(
                    .continuationWithoutStart,
                    "\(side) frame \(number) is a continuation frame but no fragmented message is open"
                )
            }
        case .text, .binary:
            if let open = self.message {
                // RFC 6455 5.4: "The fragments of one message MUST NOT be interleaved between the fragments of
                // another message".
                report(
                    .dataFrameInsideFragmentedMessage,
                    "\(side) frame \(number) starts a new \(header.opcode) message while the \(open.record.opcode)"
                        + " message begun in frame \(open.record.firstFrame) is unfinished"
                )
                self.finishMessage(complete: false, packet: packet, events)
            }
            self.unknownMessageOpen = false
            kind = .data
        case .close, .ping, .pong:
            // RFC 6455 5.5: "All control frames MUST have a payload length of 125 bytes or less and MUST NOT be
            // fragmented."
            if !header.fin {
                report(.controlFrameFragmented, "\(side) \(header.opcode) frame \(number) has FIN clear")
            }
            if rsv1 && self.config.deflate != nil {
                report(.rsvWithoutExtension, "\(side) \(header.opcode) frame \(number) has RSV1 set")
            }
            if header.lengthField > 125 {
                report(
                    .controlFrameTooLong,
                    "\(side) \(header.opcode) frame \(number) has a payload of \(header.payloadLength) bytes"
                        + (header.payloadLength <= 125 ? " in an extended length field" : "")
                        + "; control frames allow at most 125"
                )
            }
            kind = .control
        case .reserved(let value):
            // RFC 6455 5.2: "If an unknown opcode is received, the receiving endpoint MUST _Fail the WebSocket
            // Connection_."
            report(
                .reservedOpcode,
                "\(side) frame \(number) uses the reserved opcode 0x\(String(value, radix: 16, uppercase: true))"
            )
        }

        // RFC 6455 5.1: "a client MUST mask all frames that it sends to the server" and "A server MUST NOT mask
        // any frames that it sends to the client."
        if self.config.direction == .client && !header.masked {
            report(.clientFrameUnmasked, "client frame \(number) is not masked")
        } else if self.config.direction == .server && header.masked {
            report(.serverFrameMasked, "server frame \(number) is masked")
        }

        // RFC 6455 5.2: "the minimal number of bytes MUST be used to encode the length" and, of the 64-bit length,
        // "the most significant bit MUST be 0".
        if header.lengthHasMostSignificantBit {
            report(
                .nonMinimalLength,
                "\(side) frame \(number) has a 64-bit length with the most significant bit set"
                    + " (\(header.payloadLength))"
            )
        } else if !header.lengthEncodingMinimal {
            report(
                .nonMinimalLength,
                "\(side) frame \(number) encodes its length \(header.payloadLength) in "
                    + (header.lengthField == 126 ? "16" : "64") + " bits; "
                    + (header.lengthField == 126
                        ? "lengths below 126 use the 7-bit field" : "lengths below 65536 use 16 bits")
            )
        }

        var frame = FrameState(record: record, kind: kind, remaining: header.payloadLength)
        if kind == .data {
            if header.opcode != .continuation {
                self.openMessage(header: header, record: record)
            }
            if self.message != nil {
                // In place: this runs for every data frame.
                self.message!.record.frameCount += 1
                self.message!.record.lastFrame = number
                self.message!.record.wireLength &+= header.payloadLength
                let record = self.message!.record
                if !record.compressed {
                    self.message!.record.length = record.wireLength
                }
                // RFC 6455 7.4.1 (1009): a message "too big for it to process". `ws` adds each data frame's
                // payload length as its header arrives.
                if header.payloadLength > 0, let limit = self.config.maxMessageSize, limit > 0,
                    record.wireLength > UInt64(limit), !self.message!.tooBigReported
                {
                    self.message!.tooBigReported = true
                    report(
                        .messageTooBig,
                        "\(side) \(record.opcode) message \(record.index) reaches \(record.wireLength) payload bytes"
                            + " on the wire at frame \(number), over the limit of \(limit)"
                    )
                }
                if record.compressed && self.message!.inflating {
                    self.prepareInflater()
                }
            }
        } else if kind == .control {
            frame.control.reserveCapacity(Int(min(header.payloadLength, UInt64(Self.keptControlBytes))))
        }
        self.frame = frame
        self.state = .payload
        if header.payloadLength == 0 {
            self.endFrame(packet: packet, events)
        }
    }

    private mutating func openMessage(header: WebSocketFrameHeader, record: WebSocketFrameRecord) {
        self.messageCount += 1
        let compressed = header.rsv & 0b100 != 0 && self.config.deflate != nil
        let keep = self.messageCount <= self.config.keptPayloadMessages
        var message = MessageState(
            record: WebSocketMessageRecord(
                direction: self.config.direction,
                index: self.messageCount,
                opcode: header.opcode,
                firstFrame: record.number,
                lastFrame: record.number,
                frameCount: 0,
                wireLength: 0,
                length: 0,
                compressed: compressed,
                payload: nil,
                payloadCut: false,
                utf8Valid: nil,
                decompressionLimitExceeded: false,
                inflateError: nil,
                startPacket: record.startPacket,
                endPacket: record.endPacket,
                complete: true,
                lostBytes: 0
            )
        )
        message.keep = keep
        if keep || self.config.checkUnkeptPayloads {
            message.inflating = compressed
            if header.opcode == .text {
                message.utf8 = UTF8Validator()
            }
        } else {
            // Skipped by length. Under context takeover the inflater no longer follows the sender's window; no
            // later message of this direction is inflated either (none is kept, and checks never turn back on).
            self.uncheckedMessages += 1
            if compressed { self.loseDeflateContext() }
        }
        if keep {
            message.kept.reserveCapacity(Int(min(header.payloadLength, UInt64(self.config.keptPayloadBytes))))
        }
        self.message = message
    }

    private mutating func prepareInflater() {
        if let inflater = self.inflater {
            // `ws` drops an inflater whose stream ended (a BFINAL=1 block) or failed, and starts a new one.
            if inflater.needsReset {
                inflater.reset()
            }
        } else {
            self.inflater = Inflater(windowBits: 15)
        }
    }

    // MARK: - Payload

    private mutating func consumePayload(
        _ chunk: UnsafeRawBufferPointer,
        packet: PacketRef,
        _ events: (WebSocketEvent) -> Void
    ) {
        // Fast path: bytes that are only counted are not looked at, and the state is updated in place.
        if self.frame?.kind == .ignored || (self.frame?.kind == .data && !(self.message?.needsBytes ?? false)) {
            self.frame?.remaining -= UInt64(chunk.count)
            self.frame?.consumed &+= UInt64(chunk.count)
            self.streamOffset += chunk.count
            return
        }
        guard var frame = self.frame.take() else { return }
        switch frame.kind {
        case .ignored:
            break
        case .control:
            let room = Self.keptControlBytes - frame.control.count
            if room > 0 {
                let part = UnsafeRawBufferPointer(rebasing: chunk.prefix(room))
                let start = frame.control.count
                frame.control.append(contentsOf: repeatElement(0, count: part.count))
                if frame.record.masked {
                    frame.control.withUnsafeMutableBytes { buffer in
                        WebSocketMasking.unmask(
                            part,
                            into: UnsafeMutableRawBufferPointer(rebasing: buffer[start...]),
                            key: frame.record.maskKey ?? 0,
                            phase: Int(frame.consumed & 3)
                        )
                    }
                } else {
                    frame.control.withUnsafeMutableBytes { buffer in
                        UnsafeMutableRawBufferPointer(rebasing: buffer[start...]).copyMemory(from: part)
                    }
                }
            }
        case .data:
            if var message = self.message.take() {
                if message.needsBytes {
                    if frame.record.masked {
                        // Unmasked a slice at a time into a buffer on the stack: nothing stays allocated per
                        // connection (100,000 open connections must not hold a buffer each).
                        withUnsafeTemporaryAllocation(byteCount: Self.unmaskSliceLength, alignment: 8) { buffer in
                            var offset = 0
                            while offset < chunk.count {
                                let length = min(Self.unmaskSliceLength, chunk.count - offset)
                                let source = UnsafeRawBufferPointer(rebasing: chunk[offset..<offset + length])
                                WebSocketMasking.unmask(
                                    source,
                                    into: buffer,
                                    key: frame.record.maskKey ?? 0,
                                    phase: Int((frame.consumed &+ UInt64(offset)) & 3)
                                )
                                self.absorb(
                                    UnsafeRawBufferPointer(rebasing: buffer[0..<length]),
                                    frame: &frame,
                                    message: &message
                                )
                                offset += length
                            }
                        }
                    } else {
                        self.absorb(chunk, frame: &frame, message: &message)
                    }
                    self.reportInflation(&message, frame: frame.record.number, packet: packet, events)
                }
                self.message = message
            }
        }
        frame.remaining -= UInt64(chunk.count)
        frame.consumed &+= UInt64(chunk.count)
        self.streamOffset += chunk.count
        self.frame = frame
    }

    /// Takes unmasked wire payload of a data frame: inflates it when the message is compressed.
    private mutating func absorb(
        _ bytes: UnsafeRawBufferPointer,
        frame: inout FrameState,
        message: inout MessageState
    ) {
        guard message.record.compressed else {
            message.absorb(bytes, compressed: false, config: self.config)
            return
        }
        guard message.inflating, !frame.inflateEnded, let inflater = self.inflater else { return }
        let config = self.config
        let outcome = inflater.inflate(bytes) { output in
            message.absorb(output, compressed: true, config: config)
        }
        self.handle(outcome, frame: &frame, message: &message)
    }

    private mutating func handle(_ outcome: Inflater.Outcome, frame: inout FrameState, message: inout MessageState) {
        switch outcome {
        case .consumedAll:
            break
        case .streamEnd:
            // RFC 7692 7.2.3.3: a sender may end a message with a block that has BFINAL set. zlib then reads no
            // more input; like `ws`, drop the rest of this frame and start a fresh inflater for the next frame.
            frame.inflateEnded = true
            message.streamEnded = true
        case .stopped:
            // The rest of the message is not inflated, so later messages can't rely on the context.
            message.inflating = false
            self.loseDeflateContext()
        case .failed(let reason):
            message.inflating = false
            message.record.inflateError =
                self.deflateContextLost ? "\(reason) (the compression context was lost in the capture)" : reason
            message.inflateFailureToReport = !self.deflateContextLost
            self.loseDeflateContext()
        }
    }

    /// Reports what inflating the latest bytes showed: the decompression limit, `maxMessageSize`, zlib errors.
    private mutating func reportInflation(
        _ message: inout MessageState,
        frame: Int,
        packet: PacketRef,
        _ events: (WebSocketEvent) -> Void
    ) {
        let side = self.side
        let index = message.record.index
        func report(_ rule: ViolationRule, _ detail: String) {
            events(self.violation(rule, frame: frame, packet: packet, detail))
        }
        if message.record.decompressionLimitExceeded && !message.limitReported {
            message.limitReported = true
            message.tooBigReported = true
            report(
                .messageTooBig,
                "\(side) message \(index): decompression exceeded the limit of \(self.config.decompressionLimit) bytes"
                    + " after \(message.record.wireLength) compressed bytes; the rest was not inflated"
            )
        }
        // `ws` also counts the inflated length against maxPayload (PerMessageDeflate inflateOnData).
        if let limit = self.config.maxMessageSize, limit > 0, message.record.length > UInt64(limit),
            !message.tooBigReported
        {
            message.tooBigReported = true
            report(
                .messageTooBig,
                "\(side) \(message.record.opcode) message \(index) inflates past the limit of \(limit) bytes"
            )
        }
        if message.inflateFailureToReport {
            message.inflateFailureToReport = false
            // RFC 7692 7.2.2 makes the payload a DEFLATE stream; `ws` answers one that does not inflate with 1007
            // ("invalid frame payload data"), the close it uses for invalid UTF-8.
            report(
                .invalidUTF8,
                "\(side) message \(index)'s compressed payload does not inflate: "
                    + (message.record.inflateError ?? "zlib error")
            )
        }
    }

    /// The frame's last payload byte arrived (or its payload was empty).
    private mutating func endFrame(packet: PacketRef, _ events: (WebSocketEvent) -> Void) {
        guard var frame = self.frame.take() else { return }
        self.state = .header
        frame.record.endPacket = packet
        switch frame.kind {
        case .ignored:
            events(.frame(frame.record))
        case .control:
            self.endControlFrame(frame, packet: packet, events)
        case .data:
            guard self.message != nil else {
                events(.frame(frame.record))
                return
            }
            self.message?.record.endPacket = packet
            if self.message?.record.compressed == true, var message = self.message.take() {
                // RFC 7692 7.2.2: "Append 4 octets of 0x00 0x00 0xff 0xff to the tail end of the payload of the
                // message" and inflate.
                if frame.record.fin && message.inflating && !frame.inflateEnded, let inflater = self.inflater {
                    let config = self.config
                    let outcome = Self.trailer.withUnsafeBytes { trailer in
                        inflater.inflate(trailer) { output in
                            message.absorb(output, compressed: true, config: config)
                        }
                    }
                    self.handle(outcome, frame: &frame, message: &message)
                    self.reportInflation(&message, frame: frame.record.number, packet: packet, events)
                }
                if let inflater = self.inflater {
                    if inflater.needsReset {
                        inflater.reset()
                    } else if frame.record.fin && (self.config.deflate?.noContextTakeover ?? false) {
                        // RFC 7692 7.1.1.1: with no context takeover the sender starts each message afresh.
                        inflater.reset()
                    }
                }
                self.message = message
            }
            if frame.record.fin {
                self.finishMessage(complete: true, packet: packet, lastFrame: frame.record, events)
            } else {
                events(.frame(frame.record))
            }
        }
    }

    private static let trailer: [UInt8] = [0x00, 0x00, 0xff, 0xff]

    /// Closes the open message: judges its UTF-8, then reports the frame (if given) and the message.
    private mutating func finishMessage(
        complete: Bool,
        packet: PacketRef,
        lastFrame: WebSocketFrameRecord? = nil,
        _ events: (WebSocketEvent) -> Void
    ) {
        guard var message = self.message.take() else {
            if let lastFrame { events(.frame(lastFrame)) }
            return
        }
        message.record.complete = complete
        if !complete && message.record.compressed {
            self.loseDeflateContext()
        }
        if let utf8 = message.utf8 {
            let everythingSeen =
                complete && message.record.lostBytes == 0 && (!message.record.compressed || message.inflating)
            if !utf8.isValidSoFar {
                message.record.utf8Valid = false
            } else if everythingSeen {
                message.record.utf8Valid = utf8.isComplete
            }
            // RFC 6455 8.1: "When an endpoint is to interpret a byte stream as UTF-8 but finds that the byte stream
            // is not, in fact, a valid UTF-8 stream, that endpoint MUST _Fail the WebSocket Connection_."
            if message.record.utf8Valid == false {
                let frames =
                    message.record.frameCount > 1
                    ? "frames \(message.record.firstFrame)-\(message.record.lastFrame)"
                    : "frame \(message.record.firstFrame)"
                let position =
                    utf8.errorOffset.map { "at byte \($0)" }
                    ?? "at its end, inside a multi-byte sequence"
                events(
                    self.violation(
                        .invalidUTF8,
                        frame: lastFrame?.number ?? message.record.lastFrame,
                        packet: packet,
                        "\(self.side) text message \(message.record.index) (\(frames)) is not valid UTF-8 \(position)"
                            + (message.record.compressed ? " after inflation" : "")
                    )
                )
            }
        }
        if message.keep {
            message.record.payload = message.kept
        }
        if let lastFrame { events(.frame(lastFrame)) }
        events(.message(message.record))
    }

    private mutating func endControlFrame(_ frame: FrameState, packet: PacketRef, _ events: (WebSocketEvent) -> Void) {
        let number = frame.record.number
        let payloadLength = frame.record.payloadLength
        let complete = frame.record.complete && frame.record.lostBytes == 0
        guard frame.record.opcode == .close else {
            events(.frame(frame.record))
            events(
                .control(
                    WebSocketControlRecord(
                        direction: self.config.direction,
                        frame: number,
                        opcode: frame.record.opcode,
                        packet: packet,
                        payload: frame.control,
                        payloadCut: UInt64(frame.control.count) < payloadLength
                    )
                )
            )
            return
        }
        func report(_ rule: ViolationRule, _ detail: String) {
            events(self.violation(rule, frame: number, packet: packet, detail))
        }
        var code: UInt16?
        var reasonBytes: ArraySlice<UInt8> = []
        var reasonValid = true
        if payloadLength == 1 {
            // RFC 6455 5.5.1: "If there is a body, the first two bytes of the body MUST be a 2-byte unsigned
            // integer (in network byte order) representing a status code".
            report(.closePayloadOneByte, "\(self.side) close frame \(number) has a 1-byte payload")
        } else if frame.control.count >= 2 {
            let value = UInt16(frame.control[0]) << 8 | UInt16(frame.control[1])
            code = value
            // RFC 6455 7.4: status codes 0-999 "are not used", 1004-1006 and 1015 "MUST NOT be set ... in a
            // Close control frame"; `ws` accepts 1000-1014 less 1004-1006, and 3000-4999.
            if !isValidCloseCode(value) {
                let name = closeCodeName(value).map { " (\($0))" } ?? ""
                report(
                    .invalidCloseCode,
                    "\(self.side) close frame \(number) carries the status code \(value)\(name), which may not be sent"
                )
            }
            reasonBytes = frame.control[2...]
            var validator = UTF8Validator()
            reasonBytes.withUnsafeBytes { _ = validator.feed($0) }
            // A reason cut at `keptControlBytes` may end inside a sequence.
            let cut = UInt64(frame.control.count) < payloadLength
            reasonValid = cut ? validator.isValidSoFar : validator.isComplete
            // RFC 6455 5.5.1: the reason's "body ... MUST be UTF-8 encoded data".
            if !reasonValid && complete {
                report(.invalidUTF8, "\(self.side) close frame \(number)'s reason is not valid UTF-8")
            }
        }
        if self.closeFrame == nil {
            self.closeFrame = number
        }
        events(.frame(frame.record))
        events(
            .close(
                WebSocketCloseRecord(
                    direction: self.config.direction,
                    frame: number,
                    packet: packet,
                    code: code,
                    reason: String(decoding: reasonBytes, as: UTF8.self),
                    reasonValidUTF8: reasonValid
                )
            )
        )
    }

    /// The framing is lost (a gap or the end of the stream): reports the cut frame and message, incomplete.
    private mutating func abandonFraming(_ events: (WebSocketEvent) -> Void) {
        let packet = self.lastPacket ?? PacketRef(number: 0, timestamp: Timestamp(nanoseconds: 0))
        // A partial header is skipped bytes.
        self.skipped += self.header.count
        self.streamOffset += self.header.count
        self.header.removeAll(keepingCapacity: true)
        if var frame = self.frame.take() {
            frame.record.complete = false
            frame.record.endPacket = packet
            if frame.kind == .data, self.message != nil {
                self.finishMessage(complete: false, packet: packet, lastFrame: frame.record, events)
            } else {
                events(.frame(frame.record))
            }
        }
        if self.message != nil {
            self.finishMessage(complete: false, packet: packet, events)
        }
        self.unknownMessageOpen = true
        self.loseDeflateContext()
        if self.state != .resync {
            self.state = .header
        }
    }

    private mutating func loseDeflateContext() {
        self.inflater?.reset()
        if let deflate = self.config.deflate, !deflate.noContextTakeover {
            self.deflateContextLost = true
        }
    }

    // MARK: - Resynchronisation

    private enum Plausibility {
        case no
        case needMore
        case yes
    }

    /// Looks through `pending` for the first offset where a plausible chain of frame headers starts.
    private mutating func scanPending(atEnd: Bool, frameNumbers: inout Int, _ events: (WebSocketEvent) -> Void) {
        var candidate = 0
        var found = false
        let pending = self.pending
        let verdictAtEnd = pending.withUnsafeBytes { bytes -> Plausibility in
            while candidate < bytes.count {
                switch self.plausibility(of: bytes, at: candidate, atEnd: atEnd) {
                case .no:
                    candidate += 1
                case .needMore:
                    return .needMore
                case .yes:
                    found = true
                    return .yes
                }
            }
            return .no
        }
        guard found else {
            // Drop what can no longer start a frame.
            self.dropPending(candidate)
            if verdictAtEnd != .needMore {
                self.pending.removeAll(keepingCapacity: true)
                self.pendingPackets.removeAll(keepingCapacity: true)
            }
            return
        }
        self.dropPending(candidate)
        let packet =
            self.pendingPackets.first?.packet ?? self.lastPacket
            ?? PacketRef(number: 0, timestamp: .init(nanoseconds: 0))
        events(.resynchronized(skippedBytes: self.skipped, packet: packet))
        self.skipped = 0
        self.state = .header
        let replay = self.pending
        let packets = self.pendingPackets
        self.pending = []
        self.pendingPackets = []
        replay.withUnsafeBytes { bytes in
            for (index, entry) in packets.enumerated() {
                let end = index + 1 < packets.count ? packets[index + 1].offset : bytes.count
                guard end > entry.offset else { continue }
                self.parse(
                    UnsafeRawBufferPointer(rebasing: bytes[entry.offset..<end]),
                    packet: entry.packet,
                    frameNumbers: &frameNumbers,
                    events
                )
            }
        }
    }

    /// Drops the first `count` pending bytes as skipped.
    private mutating func dropPending(_ count: Int) {
        guard count > 0 else { return }
        self.skipped += count
        self.streamOffset += count
        self.pending.removeFirst(count)
        var packets: [(offset: Int, packet: PacketRef)] = []
        for (index, entry) in self.pendingPackets.enumerated() {
            let end = index + 1 < self.pendingPackets.count ? self.pendingPackets[index + 1].offset : Int.max
            if end <= count { continue }
            packets.append((max(entry.offset - count, 0), entry.packet))
        }
        self.pendingPackets = packets
    }

    /// Whether a chain of plausible frame headers starts at `start`.
    private func plausibility(of bytes: UnsafeRawBufferPointer, at start: Int, atEnd: Bool) -> Plausibility {
        let direction = self.config.direction
        let deflate = self.config.deflate != nil
        var position = start
        var checked = 0
        while checked < Self.resyncChainLength {
            if position - start > Self.resyncLookahead && checked > 0 {
                return .yes
            }
            guard position + 2 <= bytes.count else {
                if position == bytes.count && checked > 0 && atEnd { return .yes }
                return atEnd ? (checked > 0 ? .yes : .no) : .needMore
            }
            let first = bytes[position]
            let second = bytes[position + 1]
            guard
                WebSocketFrameHeader.plausibleStart(
                    first: first,
                    second: second,
                    direction: direction,
                    deflate: deflate
                )
            else { return .no }
            let length = WebSocketFrameHeader.length(secondByte: second)
            guard position + length <= bytes.count else {
                return atEnd ? (checked > 0 ? .yes : .no) : .needMore
            }
            let header = WebSocketFrameHeader(UnsafeRawBufferPointer(rebasing: bytes[position..<position + length]))
            guard header.plausibleLength(cap: Self.resyncLengthCap) else { return .no }
            checked += 1
            position += length + Int(header.payloadLength)
        }
        return .yes
    }
}

/// What a frame's payload feeds.
private enum FrameKind {
    /// The current message.
    case data
    /// The control frame's own buffer.
    case control
    /// Nothing: a reserved opcode, a stray continuation, or a fragment of a message whose start was lost.
    case ignored
}

/// The frame whose payload is being read.
private struct FrameState {
    var record: WebSocketFrameRecord
    var kind: FrameKind
    var remaining: UInt64
    /// Payload bytes read or lost so far (their count modulo 4 is the masking key phase).
    var consumed: UInt64 = 0
    /// Control frames: the unmasked payload, at most `keptControlBytes`.
    var control: [UInt8] = []
    /// The DEFLATE stream ended (or bytes were lost) inside this frame: its remaining bytes are not inflated.
    var inflateEnded = false

    init(record: WebSocketFrameRecord, kind: FrameKind, remaining: UInt64) {
        self.record = record
        self.kind = kind
        self.remaining = remaining
    }
}

/// The data message being assembled.
private struct MessageState {
    var record: WebSocketMessageRecord
    var keep = false
    var kept: [UInt8] = []
    var utf8: UTF8Validator?
    /// Compressed and still being inflated (false once the limit was hit or zlib failed).
    var inflating = false
    /// A DEFLATE block with BFINAL set ended the stream inside this message.
    var streamEnded = false
    var tooBigReported = false
    var limitReported = false
    var inflateFailureToReport = false

    init(record: WebSocketMessageRecord) {
        self.record = record
    }

    /// Whether the payload bytes must be looked at (else they are only counted).
    var needsBytes: Bool { self.keep || self.utf8 != nil || (self.record.compressed && self.inflating) }

    /// Takes application data: unmasked payload, or inflater output when `compressed`. Returns false to stop
    /// inflating (the decompression limit was reached).
    @discardableResult
    mutating func absorb(_ bytes: UnsafeRawBufferPointer, compressed: Bool, config: WebSocketParserConfig) -> Bool {
        var bytes = bytes
        var exceeded = false
        if compressed {
            let room = max(config.decompressionLimit - Int(clamping: self.record.length), 0)
            if bytes.count > room {
                bytes = UnsafeRawBufferPointer(rebasing: bytes[0..<room])
                exceeded = true
            }
            self.record.length &+= UInt64(bytes.count)
        }
        if self.utf8 != nil {
            self.utf8?.feed(bytes)
        }
        if self.keep {
            let room = config.keptPayloadBytes - self.kept.count
            if bytes.count > room {
                self.kept.append(contentsOf: bytes.prefix(max(room, 0)))
                self.record.payloadCut = true
            } else {
                self.kept.append(contentsOf: bytes)
            }
        }
        if exceeded {
            self.record.decompressionLimitExceeded = true
            return false
        }
        return true
    }
}
