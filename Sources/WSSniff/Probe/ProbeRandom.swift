/// Unpredictable bytes for masking keys and `Sec-WebSocket-Key` (RFC 6455 5.3 and 4.1 ask for a strong source:
/// the system generator reads the kernel's `getrandom`).
enum ProbeRandom {
    static func bytes(_ count: Int) -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
    }
}
