import Dispatch
import Dissect
import ProofVerify
import Synchronization

/// Runs the per-connection analysis (gateway messages, proof verification, trimming) on a second thread while the
/// first keeps dissecting packets: on a capture of many gateway connections that is a third of the work, and it needs
/// nothing from the dissector but the finished connection's summary.
///
/// Connections are analyzed one at a time in the order they were submitted; the challenges of other connections come
/// from the pipeline's ``ChallengeLog``, filled as packets are dissected and asked by send time, so a connection sees
/// the same earlier challenges as when analyzed in line. At most `capacity` connections are in the
/// worker at once: `submit` waits beyond that, which bounds the memory they hold.
final class AnalysisWorker: Sendable {
    /// What the analysis needs of one finished connection.
    struct Job: Sendable {
        var client: Endpoint
        var server: Endpoint
        var tcp: TCPStatistics
        var websocket: WebSocketConnectionSummary
        /// The snaplen that cut packets of the input so far (`nil`: none was cut).
        var snaplen: Int?
        var provenance: ConnectionProvenance? = nil
        /// Every address pair the connection was captured under, when more than one (see `ConnectionViews`).
        var views: [ConnectionView]
    }

    private let queue = DispatchQueue(label: "wssniff.analysis")
    private let slots: DispatchSemaphore
    private let completed = Mutex<[ConnectionReport]>([])
    /// Read and written only on `queue`.
    private let state: Mutex<State>
    private let analyze: @Sendable (Job, inout State) -> ConnectionReport

    struct State: Sendable {
        /// Every connection's `connect.challenge`, recorded as it was dissected.
        let challenges: ChallengeLog
    }

    init(capacity: Int = 64, state: State, analyze: @escaping @Sendable (Job, inout State) -> ConnectionReport) {
        self.slots = DispatchSemaphore(value: capacity)
        self.state = Mutex(state)
        self.analyze = analyze
    }

    /// Hands a finished connection to the worker; waits while `capacity` connections are already there.
    func submit(_ job: Job) {
        self.slots.wait()
        self.queue.async {
            let report = self.state.withLock { state in self.analyze(job, &state) }
            self.completed.withLock { $0.append(report) }
            self.slots.signal()
        }
    }

    /// The reports finished since the last call, in submission order.
    func takeCompleted() -> [ConnectionReport] {
        self.completed.withLock { reports in
            let taken = reports
            reports = []
            return taken
        }
    }

    /// Waits for every submitted connection, then gives the reports not yet taken.
    func drain() -> [ConnectionReport] {
        self.queue.sync {}
        return self.takeCompleted()
    }
}
