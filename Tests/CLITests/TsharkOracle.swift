import Foundation

/// What tshark says about the TCP conversations of a capture: its oracle for wssniff's reassembly.
struct TsharkOracle {
    /// One TCP conversation as `-z follow,tcp,raw` shows it: each node and the stream bytes it sent.
    struct Conversation: Hashable, CustomStringConvertible {
        var nodeA: String
        var bytesA: Int
        var nodeB: String
        var bytesB: Int

        /// The same conversation with its two sides in a fixed order, so sides can be compared without knowing who
        /// each tool calls the client.
        var normalized: Conversation {
            self.nodeA <= self.nodeB
                ? self : Conversation(nodeA: self.nodeB, bytesA: self.bytesB, nodeB: self.nodeA, bytesB: self.bytesA)
        }

        var description: String { "\(self.nodeA) sent \(self.bytesA), \(self.nodeB) sent \(self.bytesB)" }
    }

    static var tshark: String? { TestSupport.which("tshark") }

    /// The number of TCP streams tshark finds.
    static func streamCount(_ path: String) throws -> Int {
        guard let tshark = Self.tshark else { throw TestFailure("tshark is not installed") }
        let output = try TestSupport.run(tshark, ["-r", path, "-T", "fields", "-e", "tcp.stream", "-Y", "tcp"])
        let streams = Set(
            output.stdout.split(separator: "\n").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        )
        return streams.count
    }

    /// Every TCP conversation with the bytes each side sent, from `tshark -z follow,tcp,raw,N`.
    static func conversations(_ path: String) throws -> [Conversation] {
        guard let tshark = Self.tshark else { throw TestFailure("tshark is not installed") }
        let count = try Self.streamCount(path)
        guard count > 0 else { return [] }
        var arguments = ["-r", path, "-q"]
        for stream in 0..<count {
            arguments += ["-z", "follow,tcp,raw,\(stream)"]
        }
        let output = try TestSupport.run(tshark, arguments)
        var conversations: [Conversation] = []
        var current: Conversation?
        for rawLine in output.stdout.split(separator: "\n", omittingEmptySubsequences: false) {
            let line = String(rawLine)
            if line.hasPrefix("Node 0: ") {
                current = Conversation(
                    nodeA: Self.normalize(String(line.dropFirst(8))),
                    bytesA: 0,
                    nodeB: "",
                    bytesB: 0
                )
            } else if line.hasPrefix("Node 1: ") {
                current?.nodeB = Self.normalize(String(line.dropFirst(8)))
            } else if line.hasPrefix("=====") {
                if let finished = current {
                    conversations.append(finished)
                    current = nil
                }
            } else if current != nil, !line.isEmpty, !line.hasPrefix("Follow:"), !line.hasPrefix("Filter:") {
                if line.hasPrefix("\t") {
                    current!.bytesB += line.dropFirst().count / 2
                } else {
                    current!.bytesA += line.count / 2
                }
            }
        }
        return conversations
    }

    /// tshark writes IPv6 endpoints as `[addr]:port` in some versions and `addr:port` in others.
    private static func normalize(_ node: String) -> String {
        node.trimmingCharacters(in: .whitespaces)
    }
}
