import Dissect
import FuzzDriver

/// libFuzzer entry point: both directions of a connection's start, the HTTP upgrade and what follows it.
///
/// Input layout: byte 0 is the size of the pieces each direction is cut into, bytes 1-2 (little-endian) the length
/// of the client's bytes, which follow; the server's bytes are the rest. The pieces go alternately to an
/// `HTTPConversation` (the upgrade parser on its own, with `WebSocketHandshake` checking what it found) and to a
/// `WebSocketConnectionAnalyzer` (the same parser as the pipeline runs it, handing over to WebSocket frames).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size >= 3 else { return 0 }
    let pieceSize = Int(data[0]) + 1
    let clientLength = min(Int(data[1]) | Int(data[2]) << 8, size - 3)
    let client = UnsafeRawBufferPointer(start: data + 3, count: clientLength)
    let server = UnsafeRawBufferPointer(start: data + 3 + clientLength, count: size - 3 - clientLength)

    var conversation = HTTPConversation(maxHeadBytes: 8_192, bodyTextLimit: 256)
    var analyzer = WebSocketConnectionAnalyzer(
        client: Endpoint(ip: .v4(0x7f00_0001), port: 50_000),
        server: Endpoint(ip: .v4(0x7f00_0001), port: 42_919),
        options: WebSocketAnalysisOptions()
    )
    var offsets: [Direction: Int] = [.client: 0, .server: 0]
    var number = 1
    while offsets[.client]! < client.count || offsets[.server]! < server.count {
        for (direction, stream) in [(Direction.client, client), (.server, server)] {
            let offset = offsets[direction]!
            guard offset < stream.count else { continue }
            let end = min(offset + pieceSize, stream.count)
            let piece = UnsafeRawBufferPointer(rebasing: stream[offset..<end])
            let consumed = conversation.feed(piece, from: direction)
            precondition(consumed >= 0 && consumed <= piece.count, "consumed \(consumed) of \(piece.count)")
            let packet = PacketRef(number: number, timestamp: Timestamp(nanoseconds: Int64(number)))
            analyzer.receive(piece, from: direction, packet: packet)
            offsets[direction] = end
            number += 1
        }
    }
    conversation.finish(.client)
    conversation.finish(.server)
    _ = conversation.outcome
    _ = conversation.handshake
    let packet = PacketRef(number: number, timestamp: Timestamp(nanoseconds: Int64(number)))
    analyzer.end(.fin, from: .client, packet: packet)
    let summary = analyzer.finish()
    precondition(summary.frames.count <= summary.frameCount, "more frames kept than counted")
    return 0
}

/// The executable's entry point (SwiftPM links `main` to `<module>_main`): runs libFuzzer's driver on `fuzz`.
@_cdecl("FuzzHTTPUpgrade_main")
func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var argc = argc
    var argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv) { data, size in fuzz(data!, size) }
}
