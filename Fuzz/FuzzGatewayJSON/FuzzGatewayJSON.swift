import FuzzDriver
import ProofVerify

/// libFuzzer entry point: one text message as the gateway handshake code sees it.
///
/// The bytes are parsed as JSON and classified (request, response, event, not a frame, not JSON); a `connect`
/// request has its params extracted, a response its `hello-ok` and error, an event its challenge. A value that
/// parses must also print the same after a round trip through its own `jsonText`, and the routing fields read by
/// `GatewayMessage.head` must equal the full parse's.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let message = GatewayMessage.classify(bytes)
    switch message {
    case .request(let request):
        if let params = request.connectParams {
            _ = ProofCandidates.gatewayToken(params.auth)
            let fields = PayloadFields(params: params, challengeTs: 1)
            for form in ProofForm.allCases {
                _ = ProofCandidates.payload(form, fields)?.text(showSecrets: false)
            }
        }
    case .response(let response):
        _ = response.error?.expectedProtocol
        _ = response.error?.detailsCode
        _ = ProofAnalysis.gatewayProtocol(helloOK: response.helloOK, error: response.error)
    case .event(let event):
        _ = event.challenge
    case .notFrame(let value, _):
        _ = value.javaScriptString
    case .notJSON:
        return 0
    }
    // The chat fast path reads only `type`, `event` and `id`: it must agree with the full parse on every input.
    let head = GatewayMessage.head(bytes)
    if let object = (try? JSONParser.parse(bytes))?.objectValue {
        let expected = GatewayMessage.Head(
            type: object["type"]?.stringValue,
            event: object["event"]?.stringValue,
            id: object["id"]?.stringValue
        )
        precondition(head == expected, "GatewayMessage.head disagrees with the full parse")
    } else {
        precondition(head == nil, "GatewayMessage.head reads a text the full parse rejects or that is no object")
    }
    if let value = try? JSONParser.parse(bytes) {
        // Printing is a fixed point: what `jsonText` prints parses back to a value that prints the same. (Not
        // equality of values: a repeated key is remembered in `duplicateKeys`, and printing drops the repeat.)
        let text = value.jsonText
        let again = try? JSONParser.parse(Array(text.utf8))
        precondition(again?.jsonText == text, "jsonText does not parse back to itself")
    }
    return 0
}

/// The executable's entry point (SwiftPM links `main` to `<module>_main`): runs libFuzzer's driver on `fuzz`.
@_cdecl("FuzzGatewayJSON_main")
func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var argc = argc
    var argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv) { data, size in fuzz(data!, size) }
}
