import Dissect
import Testing

@Suite struct TLSRecordHeadTests {
    static func starts(_ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { TLSRecordHead.starts($0) }
    }

    @Test func recordHeadsAreTLS() {
        // A TLS 1.2/1.3 ClientHello record: handshake (22), legacy version 3.1, length, ClientHello (1).
        #expect(Self.starts([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xFC]))
        // A ServerHello, an alert, application data.
        #expect(Self.starts([0x16, 0x03, 0x03, 0x00, 0x7A, 0x02]))
        #expect(Self.starts([0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x46]))
        #expect(Self.starts([0x17, 0x03, 0x03]))
    }

    @Test func otherBytesAreNot() {
        #expect(!Self.starts(Array("GET / HTTP/1.1\r\n".utf8)))
        #expect(!Self.starts([0x16, 0x03]))
        // Version 3.5 does not exist; a handshake record whose first message is neither hello.
        #expect(!Self.starts([0x16, 0x03, 0x05, 0x00, 0x10, 0x01]))
        #expect(!Self.starts([0x16, 0x03, 0x01, 0x00, 0x10, 0x0B]))
        // A WebSocket text frame (FIN + opcode 1), masked.
        #expect(!Self.starts([0x81, 0x85, 0x37, 0xFA, 0x21, 0x3D]))
    }
}
