import Dissect
import FuzzDriver

/// libFuzzer entry point: one direction's byte stream after the upgrade, through `WebSocketDirectionParser`.
///
/// Input layout: byte 0 picks the parser's configuration, byte 1 the size of the pieces the stream is cut into
/// (low 7 bits) and whether messages past the second are skipped by length (bit 7, as the gateway's chat after
/// `hello-ok`), the rest is the stream. Byte 0, bit by bit: 0 server (else client) frames, 1 permessage-deflate
/// negotiated, 2 no context takeover, 3 the capture started mid-stream (resynchronization), 4 a 64 KiB message size
/// limit, 5 the second piece is lost (a capture gap), 6-7 the deflate window (15, 12, 9, 8 bits).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size >= 2 else { return 0 }
    let flags = data[0]
    let pieceSize = Int(data[1] & 0x7F) + 1
    let stream = UnsafeRawBufferPointer(start: data + 2, count: size - 2)

    var config = WebSocketParserConfig(
        direction: flags & 0x01 != 0 ? .server : .client,
        deflate: flags & 0x02 != 0
            ? PerMessageDeflateConfig(
                noContextTakeover: flags & 0x04 != 0,
                maxWindowBits: [15, 12, 9, 8][Int(flags >> 6)]
            ) : nil,
        maxMessageSize: flags & 0x10 != 0 ? 64 << 10 : nil,
        synchronized: flags & 0x08 == 0
    )
    config.decompressionLimit = 1 << 20
    config.keptPayloadBytes = 4_096
    if data[1] & 0x80 != 0 {
        config.keptPayloadMessages = 2
        config.checkUnkeptPayloads = false
    }
    var parser = WebSocketDirectionParser(config: config)

    var frameNumbers = 0
    var lastFrame = 0
    let check: (WebSocketEvent) -> Void = { event in
        if case .frame(let frame) = event {
            // Frames are numbered in the order their headers complete.
            precondition(frame.number > lastFrame, "frame \(frame.number) after \(lastFrame)")
            lastFrame = frame.number
        }
    }
    var offset = 0
    var piece = 0
    while offset < stream.count {
        let end = min(offset + pieceSize, stream.count)
        let packet = PacketRef(number: piece + 1, timestamp: Timestamp(nanoseconds: Int64(piece)))
        if piece == 1 && flags & 0x20 != 0 {
            parser.gap(end - offset, packet: packet, check)
        } else {
            parser.receive(
                UnsafeRawBufferPointer(rebasing: stream[offset..<end]),
                packet: packet,
                frameNumbers: &frameNumbers,
                check
            )
        }
        offset = end
        piece += 1
    }
    parser.end(
        packet: PacketRef(number: piece + 1, timestamp: Timestamp(nanoseconds: 0)),
        frameNumbers: &frameNumbers,
        check
    )
    return 0
}

/// The executable's entry point (SwiftPM links `main` to `<module>_main`): runs libFuzzer's driver on `fuzz`.
@_cdecl("FuzzWebSocketFrames_main")
func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var argc = argc
    var argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv) { data, size in fuzz(data!, size) }
}
