package import Dissect
package import ProofVerify
import Synchronization

/// Every `connect.challenge` of a capture, recorded the moment its message is dissected, keyed by the time the
/// gateway sent it.
///
/// A connection's analysis asks for the challenges sent before its own connect: the answer depends only on the
/// capture, not on which connection ends first nor on whether connections are analyzed in line or on the worker
/// (which may run behind the dissector: challenges recorded since are later than the connect and left out).
/// It keeps the newest `capacity` challenges (by record order); a stale nonce is named when its challenge is among
/// them.
package final class ChallengeLog: ChallengeObserver {
    struct Entry {
        var nonce: String
        var time: Timestamp
        var client: Endpoint
        var server: Endpoint
    }

    private let entries = Mutex<[Entry]>([])
    private let capacity: Int

    package init(capacity: Int = 65_536) {
        self.capacity = max(1, capacity)
    }

    package func challengeSeen(_ payload: [UInt8], packet: PacketRef, client: Endpoint, server: Endpoint) {
        guard case .event(let event) = GatewayMessage.classify(payload), let nonce = event.challenge?.nonce else {
            return
        }
        let entry = Entry(nonce: nonce, time: packet.timestamp, client: client, server: server)
        self.entries.withLock { entries in
            entries.append(entry)
            // Dropped in halves, so that keeping the newest costs no more than appending.
            if entries.count >= 2 * self.capacity {
                entries.removeFirst(entries.count - self.capacity)
            }
        }
    }

    /// The nonces of the newest `limit` challenges of other connections sent before `time`, oldest first.
    package func nonces(before time: Timestamp, excluding client: Endpoint, limit: Int = 64) -> [String] {
        self.entries.withLock { entries in
            var found: [String] = []
            for entry in entries.reversed() where found.count < limit {
                if entry.time < time && entry.client != client {
                    found.append(entry.nonce)
                }
            }
            return found.reversed()
        }
    }

    /// The newest challenge of another connection sent before `time` whose nonce is `nonce`.
    package func challenge(
        withNonce nonce: String,
        before time: Timestamp,
        excluding client: Endpoint
    ) -> EarlierChallenge? {
        let entry: Entry? = self.entries.withLock { entries in
            entries.last { $0.nonce == nonce && $0.time < time && $0.client != client }
        }
        guard let entry else { return nil }
        return EarlierChallenge(
            nonce: entry.nonce,
            connection: "the connection from \(entry.client) to \(entry.server)",
            time: Self.timeOfDay(entry.time)
        )
    }

    /// "18:42:03.412 UTC" (the date when it is not the capture's: the full RFC 3339 form).
    static func timeOfDay(_ time: Timestamp) -> String {
        let text = time.rfc3339
        // 2026-03-14T18:42:03.412345678Z -> 18:42:03.412 UTC
        guard let t = text.firstIndex(of: "T"), text.count >= 23 else { return text }
        let start = text.index(after: t)
        let end = text.index(start, offsetBy: 12, limitedBy: text.endIndex) ?? text.endIndex
        return text[start..<end] + " UTC"
    }
}
