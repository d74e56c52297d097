import FuzzDriver
import ProofVerify

/// libFuzzer entry point: a `connect` frame and the `connect.challenge` before it, separated by a NUL byte
/// (JSON text never contains one), as the proof analysis takes them from a capture.
///
/// Every candidate payload is rebuilt from the connect params and verified against the device's public key and
/// signature with libsodium, near misses included. A connect without a challenge part is analyzed alone, as
/// `wssniff verify` does with a logged frame.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: data, count: size)
    let split = bytes.firstIndex(of: 0) ?? size
    let connectBytes = Array(bytes[0..<split])
    let challengeBytes = split < size ? Array(bytes[(split + 1)...]) : []

    guard case .request(let request) = GatewayMessage.classify(connectBytes) else { return 0 }
    let params = request.connectParams ?? ConnectParams(request.params)
    var challenge: ConnectChallenge?
    if case .event(let event) = GatewayMessage.classify(challengeBytes) {
        challenge = event.challenge
    }
    let input = ProofAnalysis.Input(
        params: params,
        challenge: challenge,
        captureTimeMs: challenge?.ts ?? 1_774_000_000_000,
        earlierNonces: ["stale-nonce"]
    )
    guard let analysis = ProofAnalysis.analyze(input) else { return 0 }
    _ = analysis.explanation
    _ = analysis.signedFormClause
    // What the analysis names as signed is a candidate that verifies, or else the near miss that does.
    if let signed = analysis.signedForm {
        let verifies = analysis.candidates.contains { $0.form == signed && $0.verifies }
        precondition(verifies || analysis.nearMiss?.name == signed, "signed form \(signed)")
    }
    return 0
}

/// The executable's entry point (SwiftPM links `main` to `<module>_main`): runs libFuzzer's driver on `fuzz`.
@_cdecl("FuzzProofVerify_main")
func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var argc = argc
    var argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv) { data, size in fuzz(data!, size) }
}
